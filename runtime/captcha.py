"""Anti-robot check backends (owner: accounts domain), built in ``Services`` with their
dependencies (no Flask here: the web layer only renders the widget and passes the form).

``make_captcha(config, clock, tokens)`` returns a backend with ``.widget_context()`` (for
``templates/accounts/_captcha.html``) and ``.verify(form_data, remote_ip)``.

- ``altcha``: self-hosted proof of work in the style of ALTCHA. The server
  issues an HMAC-signed challenge; ``static/js/portail/accounts.js`` finds the number
  whose sha256 matches and fills a hidden field. Without JavaScript (or if
  the user prefers), a simple arithmetic question written in French words,
  signed in the same challenge, passes as well. Each challenge serves once.
- ``recaptcha``: Google reCAPTCHA v2, for a deployment that wants it (its
  script and request go to Google; the CSP must then be widened).
- ``test``: accepts the value ``ok`` in the field ``captcha`` (tests only).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import urllib.parse
import urllib.request
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from .clock import Clock

log = logging.getLogger("portail.captcha")

NUMBER_WORDS = ("zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix")
CHALLENGE_TTL = timedelta(minutes=30)


def make_captcha(config: Mapping[str, Any], clock: Clock | None = None, tokens: Any = None):
    """The backend named by ``CAPTCHA_BACKEND``; ``altcha`` needs the clock and the
    tokens repository (``runtime.storage.repositories.tokens``) to refuse a replayed challenge."""
    backends = {"altcha": AltchaCaptcha, "recaptcha": RecaptchaCaptcha, "test": FixedAnswerCaptcha}
    try:
        backend = backends[config["CAPTCHA_BACKEND"]]
    except KeyError:
        raise ValueError(f"CAPTCHA_BACKEND inconnu : {config['CAPTCHA_BACKEND']!r}") from None
    return backend(config, clock, tokens)


class FixedAnswerCaptcha:
    name = "test"

    def __init__(self, config: Mapping[str, Any], clock: Clock | None = None, tokens: Any = None):
        self.config = config

    def widget_context(self) -> dict[str, Any]:
        return {"backend": self.name}

    def verify(self, form_data: Mapping[str, str], remote_ip: str | None) -> bool:
        return form_data.get("captcha") == "ok"


class AltchaCaptcha:
    name = "altcha"

    def __init__(self, config: Mapping[str, Any], clock: Clock | None = None, tokens: Any = None):
        if clock is None or tokens is None:
            raise ValueError("le captcha altcha a besoin de l'horloge et du registre des jetons")
        self.config = config
        self.clock, self.tokens = clock, tokens
        self.max_number = int(config["CAPTCHA_DIFFICULTY"])
        self._key = hashlib.sha256(f"captcha:{config['SECRET_KEY']}".encode()).digest()

    def _now(self) -> datetime:
        return self.clock.now()

    def _mark_used(self, challenge_id: str, expires: datetime) -> bool:
        return self.tokens.mark_used(f"captcha:{challenge_id}", expires)

    def _sign(self, payload: Mapping[str, Any]) -> str:
        body = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
        return hmac.new(self._key, body, hashlib.sha256).hexdigest()

    def _answer_mac(self, challenge_id: str, answer: int) -> str:
        return hmac.new(self._key, f"{challenge_id}:{answer}".encode(), hashlib.sha256).hexdigest()

    def new_challenge(self) -> tuple[dict[str, Any], str]:
        """A signed challenge and the French question of its fallback."""
        challenge_id = secrets.token_hex(12)
        salt = secrets.token_hex(12)
        number = secrets.randbelow(self.max_number + 1)
        a, b = secrets.randbelow(9) + 1, secrets.randbelow(9) + 1
        payload = {
            "id": challenge_id,
            "algorithm": "SHA-256",
            "salt": salt,
            "challenge": hashlib.sha256(f"{salt}{number}".encode()).hexdigest(),
            "maxnumber": self.max_number,
            "expires": int((self._now() + CHALLENGE_TTL).timestamp()),
            "answer": self._answer_mac(challenge_id, a + b),
        }
        payload["signature"] = self._sign(payload)
        return payload, f"Combien font {NUMBER_WORDS[a]} plus {NUMBER_WORDS[b]} ? (en chiffres)"

    def widget_context(self) -> dict[str, Any]:
        payload, question = self.new_challenge()
        public = {k: payload[k] for k in ("algorithm", "salt", "challenge", "maxnumber")}
        return {
            "backend": self.name,
            "token": base64.urlsafe_b64encode(json.dumps(payload).encode()).decode(),
            "challenge_json": json.dumps(public),
            "question": question,
        }

    def verify(self, form_data: Mapping[str, str], remote_ip: str | None) -> bool:
        payload = self._decode(form_data.get("captcha_token", ""))
        if payload is None:
            return False
        expires = datetime.fromtimestamp(payload["expires"], UTC)
        if expires < self._now():
            return False
        if not (self._solved(payload, form_data) or self._answered(payload, form_data)):
            return False
        return self._mark_used(payload["id"], expires)

    def _decode(self, token: str) -> dict[str, Any] | None:
        try:
            payload = json.loads(base64.urlsafe_b64decode(token.encode("ascii")))
            signature = payload.pop("signature")
            if not isinstance(payload["expires"], int):
                return None
        except (ValueError, TypeError, KeyError, AttributeError, UnicodeError):
            return None
        if not hmac.compare_digest(str(signature), self._sign(payload)):
            return None
        return payload

    @staticmethod
    def _solved(payload: Mapping[str, Any], form_data: Mapping[str, str]) -> bool:
        solution = form_data.get("captcha_solution", "").strip()
        if not solution.isdigit() or int(solution) > payload["maxnumber"]:
            return False
        digest = hashlib.sha256(f"{payload['salt']}{int(solution)}".encode()).hexdigest()
        return hmac.compare_digest(digest, payload["challenge"])

    def _answered(self, payload: Mapping[str, Any], form_data: Mapping[str, str]) -> bool:
        answer = form_data.get("captcha_answer", "").strip()
        if not answer.isdigit() or len(answer) > 3:
            return False
        return hmac.compare_digest(self._answer_mac(payload["id"], int(answer)), payload["answer"])


class RecaptchaCaptcha:
    name = "recaptcha"
    VERIFY_URL = "https://www.google.com/recaptcha/api/siteverify"

    def __init__(self, config: Mapping[str, Any], clock: Clock | None = None, tokens: Any = None):
        self.config = config

    def widget_context(self) -> dict[str, Any]:
        return {"backend": self.name, "site_key": self.config["RECAPTCHA_SITE_KEY"]}

    def verify(self, form_data: Mapping[str, str], remote_ip: str | None) -> bool:
        response = form_data.get("g-recaptcha-response", "")
        if not response:
            return False
        data = urllib.parse.urlencode(
            {"secret": self.config["RECAPTCHA_SECRET_KEY"], "response": response, "remoteip": remote_ip or ""}
        ).encode()
        try:
            with urllib.request.urlopen(self.VERIFY_URL, data=data, timeout=10) as reply:
                return bool(json.load(reply).get("success"))
        except (OSError, ValueError) as error:
            log.warning("Vérification reCAPTCHA impossible : %s", error)
            return False
