"""Mail layer: outbox copies, a real SMTP server on 127.0.0.1, SMTP down, dev outbox page."""

from __future__ import annotations

import email
import email.policy
import logging
import socket

import pytest
from aiosmtpd.controller import Controller

from runtime.app import create_app
from runtime.mail import MailError
from tests.helpers import create_account, csrf_token, last_mail, links_in, outbox, page_text, register

FAST = {"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024, "ARGON2_PARALLELISM": 1}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_app(tmp_path, clock, **overrides):
    config = {
        "TESTING": True,
        "DATA_DIR": str(tmp_path / "data"),
        "BASE_URL": "http://portail.test",
        "CLOCK": clock,
        "SECRET_KEY": "test-secret",
        "CAPTCHA_BACKEND": "test",
        **FAST,
        **overrides,
    }
    return create_app(config)


class Inbox:
    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


def test_mailer_writes_a_multipart_eml_in_the_outbox(app, services):
    with app.app_context():
        path = services.mailer.send(
            "camille@exemple.fr",
            "accounts/identifiant",
            name="Camille Martin",
            identifiant="camille01",
            login_link="http://portail.test/connexion",
            forgot_link="http://portail.test/mot-de-passe-oublie",
        )
    assert path.parent.name == "outbox" and path.suffix == ".eml"
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert message.get_content_type() == "multipart/alternative"
    assert message["Subject"] == "Vos identifiants de connexion au Portail des subventions"
    assert message["From"] == services.config["MAIL_SENDER"]
    assert "Bonjour Camille Martin," in message.get_body(("plain",)).get_content()
    assert "<strong>camille01</strong>" in message.get_body(("html",)).get_content()
    assert not list(path.parent.glob(".*.tmp"))


def test_html_part_escapes_what_users_typed(app, services):
    with app.app_context():
        services.mailer.send(
            "x@exemple.fr",
            "accounts/identifiant",
            name="<script>alert(1)</script>",
            identifiant="a",
            login_link="l",
            forgot_link="f",
        )
    mail = last_mail(services)
    assert "<script>" not in mail.html and "&lt;script&gt;" in mail.html


def test_activation_mail_through_a_real_smtp_server(tmp_path, clock, smtp_server):
    controller, inbox = smtp_server
    app = make_app(tmp_path, clock, MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port)
    client = app.test_client()
    response = register(client)
    assert response.status_code == 200
    assert len(inbox.envelopes) == 1
    envelope = inbox.envelopes[0]
    assert envelope.rcpt_tos == ["camille@exemple.fr"]
    received = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert received["Subject"] == "Activez votre compte sur le Portail des subventions"
    link = links_in(received.get_body(("plain",)).get_content())[0]
    assert link.startswith("http://portail.test/activation/")
    assert outbox(app.extensions["portail"])[0].subject == received["Subject"]  # a copy stays in the outbox


def test_smtp_down_tells_the_user_and_keeps_the_account(tmp_path, clock):
    app = make_app(
        tmp_path, clock, MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=free_port(), SMTP_TIMEOUT=2
    )
    client = app.test_client()
    response = register(client)
    page = page_text(response)
    assert response.status_code == 503
    assert (
        "Votre compte est créé, mais le courriel d'activation n'a pas pu être envoyé pour le moment." in page
    )
    assert "Traceback" not in page and "ConnectionRefused" not in page
    assert app.extensions["portail"].repos.accounts.by_identifiant("camille01") is not None


@pytest.mark.parametrize("path", ["/mot-de-passe-oublie", "/recuperer-identifiants", "/activation/renvoyer"])
def test_smtp_down_answers_the_same_for_known_and_unknown_addresses(tmp_path, clock, caplog, path):
    app = make_app(
        tmp_path, clock, MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=free_port(), SMTP_TIMEOUT=2
    )
    account = create_account(app.extensions["portail"], active=False)  # every page mails it
    client = app.test_client()
    with caplog.at_level(logging.ERROR, logger="portail.accounts"):
        known = post_address(client, path, "camille@exemple.fr")
        unknown = post_address(client, path, "personne@exemple.fr")
    assert known.status_code == unknown.status_code == 200
    assert page_text(known) == page_text(unknown)
    assert "refaites la demande" in page_text(known) and "n'a pas pu être envoyé" not in page_text(known)
    assert f"non envoyé au compte {account['id']} : serveur d'envoi indisponible" in caplog.text
    assert "camille@exemple.fr" not in caplog.text


def post_address(client, path, address):
    return client.post(path, data={"csrf_token": csrf_token(client.get(path)), "email": address})


def test_mailer_raises_mail_error_when_smtp_is_down(tmp_path, clock):
    app = make_app(tmp_path, clock, MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=free_port())
    with app.app_context(), pytest.raises(MailError):
        app.extensions["portail"].mailer.send(
            "a@exemple.fr", "accounts/password_changed", name="A", forgot_link="http://portail.test/x"
        )


def test_dev_outbox_lists_mails_with_clickable_links(tmp_path, clock):
    app = make_app(tmp_path, clock, DEV_PAGES=True)
    client = app.test_client()
    register(client)
    page = client.get("/dev/outbox").get_data(as_text=True)
    link = links_in(last_mail(app.extensions["portail"]).text)[0]
    assert f'<a class="govuk-link" href="{link}">{link}</a>' in page
    assert "Activez votre compte sur le Portail des subventions" in page


def test_dev_outbox_is_hidden_by_default(client):
    assert client.get("/dev/outbox").status_code == 404
