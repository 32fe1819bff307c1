"""Mail layer (owner: accounts domain).

``services().mailer.send(to, template, **context)`` renders
``templates/mails/<template>.subject.txt``, ``.txt`` and ``.html``, writes the
message as an ``.eml`` file in ``<DATA_DIR>/outbox/`` and, when
``MAIL_BACKEND == "smtp"``, sends it over SMTP. Links in mails must be built
from ``base_url`` (given to every template), never from the request.
"""

from __future__ import annotations

from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

from flask import render_template

from .backends import MailError, Outbox, send_smtp

__all__ = ["MailError", "Mailer", "Outbox"]


class Mailer:
    def __init__(self, config: Mapping[str, Any]):
        self.config = config
        self.outbox = Outbox(Path(config["DATA_DIR"]) / "outbox")

    def send(self, to: str, template: str, **context: Any) -> Path:
        """Render and send one mail; return the path of its outbox copy.

        Must run inside an application context. Raises ``MailError`` when
        the SMTP server refuses or cannot be reached (the outbox copy stays).
        """
        message = self.build(to, template, **context)
        path = self.outbox.write(message)
        if self.config["MAIL_BACKEND"] == "smtp":
            send_smtp(self.config, message)
        return path

    def deliver(self, message: EmailMessage, key: str, stamp_ns: int) -> Path:
        """Hand over a mail built earlier (an outbox effect), at most once per ``key``
        in the outbox folder; then to SMTP when configured (raises ``MailError``)."""
        path, _ = self.outbox.write_once(message, key, stamp_ns)
        if self.config["MAIL_BACKEND"] == "smtp":
            send_smtp(self.config, message)
        return path

    def build(self, to: str, template: str, message_id: str | None = None, **context: Any) -> EmailMessage:
        context = {
            "base_url": str(self.config["BASE_URL"]).rstrip("/"),
            "portal_name": self.config["PORTAL_NAME"],
            "metropole_name": self.config["METROPOLE_NAME"],
            "metropole_contact": self.config["METROPOLE_CONTACT"],
            **context,
        }
        subject = render_template(f"mails/{template}.subject.txt", **context)
        message = EmailMessage()
        message["Subject"] = " ".join(subject.split())
        message["From"] = self.config["MAIL_SENDER"]
        message["To"] = to
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = f"<{message_id}@portail.local>" if message_id else make_msgid(domain="portail.local")
        message.set_content(render_template(f"mails/{template}.txt", **context))
        message.add_alternative(render_template(f"mails/{template}.html", **context), subtype="html")
        return message
