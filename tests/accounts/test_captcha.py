"""The self-hosted anti-robot check (ALTCHA-style proof of work + arithmetic fallback)."""

from __future__ import annotations

import base64
import hashlib
import json
import re

import pytest

from runtime.app import create_app
from runtime.captcha import NUMBER_WORDS, AltchaCaptcha, FixedAnswerCaptcha, make_captcha
from tests.helpers import csrf_token, page_text, registration_data

FAST = {"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024, "ARGON2_PARALLELISM": 1}


@pytest.fixture
def altcha_app(tmp_path, clock):
    return create_app(
        {
            "TESTING": True,
            "DATA_DIR": str(tmp_path / "data"),
            "BASE_URL": "http://portail.test",
            "CLOCK": clock,
            "SECRET_KEY": "test-secret",
            "CAPTCHA_BACKEND": "altcha",
            "CAPTCHA_DIFFICULTY": 2000,
            **FAST,
        }
    )


@pytest.fixture
def altcha(altcha_app):
    with altcha_app.app_context():
        yield altcha_app.extensions["portail"].captcha


def solve(widget) -> str:
    challenge = json.loads(widget["challenge_json"])
    for number in range(challenge["maxnumber"] + 1):
        if hashlib.sha256(f"{challenge['salt']}{number}".encode()).hexdigest() == challenge["challenge"]:
            return str(number)
    raise AssertionError("défi insoluble")


def answer(question: str) -> str:
    a, b = re.fullmatch(r"Combien font (\S+) plus (\S+) \? \(en chiffres\)", question).groups()
    return str(NUMBER_WORDS.index(a) + NUMBER_WORDS.index(b))


def test_backends_by_configuration():
    assert isinstance(make_captcha({"CAPTCHA_BACKEND": "test"}), FixedAnswerCaptcha)
    with pytest.raises(ValueError, match="CAPTCHA_BACKEND inconnu"):
        make_captcha({"CAPTCHA_BACKEND": "google"})


def test_solved_proof_of_work_passes_once(altcha):
    assert isinstance(altcha, AltchaCaptcha)
    widget = altcha.widget_context()
    data = {"captcha_token": widget["token"], "captcha_solution": solve(widget)}
    assert altcha.verify(data, "127.0.0.1") is True
    assert altcha.verify(data, "127.0.0.1") is False  # replayed


def test_arithmetic_answer_passes(altcha):
    widget = altcha.widget_context()
    assert re.fullmatch(r"Combien font \S+ plus \S+ \? \(en chiffres\)", widget["question"])
    assert (
        altcha.verify(
            {"captcha_token": widget["token"], "captcha_answer": f" {answer(widget['question'])} "}, None
        )
        is True
    )


def test_wrong_answers_fail(altcha):
    widget = altcha.widget_context()
    wrong = str(int(answer(widget["question"])) + 1)
    assert altcha.verify({"captcha_token": widget["token"], "captcha_answer": wrong}, None) is False
    assert altcha.verify({"captcha_token": widget["token"], "captcha_solution": "-1"}, None) is False
    assert altcha.verify({"captcha_token": widget["token"]}, None) is False
    assert altcha.verify({}, None) is False
    assert altcha.verify({"captcha_token": "pas du base64 !"}, None) is False


def test_forged_challenge_fails(altcha):
    widget = altcha.widget_context()
    payload = json.loads(base64.urlsafe_b64decode(widget["token"]))
    payload["salt"], payload["challenge"] = "x", hashlib.sha256(b"x0").hexdigest()
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()
    assert altcha.verify({"captcha_token": forged, "captcha_solution": "0"}, None) is False


def test_expired_challenge_fails(altcha, clock):
    widget = altcha.widget_context()
    clock.advance(minutes=31)
    assert altcha.verify({"captcha_token": widget["token"], "captcha_solution": solve(widget)}, None) is False


def test_registration_with_the_real_check_answering_the_question(altcha_app):
    client = altcha_app.test_client()
    page = page_text(client.get("/inscription"))
    question = re.search(r'<label class="govuk-label" for="captcha_answer">([^<]+)</label>', page).group(1)
    token = re.search(r'name="captcha_token" value="([^"]+)"', page).group(1)
    assert "data-captcha=" in page and "google" not in page
    data = registration_data(captcha_token=token, captcha_answer="99")
    data["csrf_token"] = csrf_token(page)
    refused = client.post("/inscription", data=data)
    assert refused.status_code == 400
    assert "La vérification anti-robot a échoué. Répondez à la question en chiffres." in page_text(refused)

    page = page_text(refused)
    question = re.search(r'<label class="govuk-label" for="captcha_answer">([^<]+)</label>', page).group(1)
    token = re.search(r'name="captcha_token" value="([^"]+)"', page).group(1)
    data.update(captcha_token=token, captcha_answer=answer(question), csrf_token=csrf_token(page))
    accepted = client.post("/inscription", data=data)
    assert accepted.status_code == 200
    assert altcha_app.extensions["portail"].repos.accounts.by_identifiant("camille01") is not None


def test_recaptcha_backend_asks_google_only_when_configured(monkeypatch):
    import io

    from runtime.captcha import RecaptchaCaptcha

    calls = []

    def fake_urlopen(url, data, timeout):
        calls.append((url, data))
        return io.BytesIO(b'{"success": true}')

    monkeypatch.setattr("urllib.request.urlopen", fake_urlopen)
    backend = make_captcha(
        {"CAPTCHA_BACKEND": "recaptcha", "RECAPTCHA_SITE_KEY": "site", "RECAPTCHA_SECRET_KEY": "s"}
    )
    assert isinstance(backend, RecaptchaCaptcha)
    assert backend.widget_context() == {"backend": "recaptcha", "site_key": "site"}
    assert backend.verify({}, "1.2.3.4") is False and calls == []
    assert backend.verify({"g-recaptcha-response": "r"}, "1.2.3.4") is True
    assert calls[0][0] == "https://www.google.com/recaptcha/api/siteverify" and b"secret=s" in calls[0][1]
