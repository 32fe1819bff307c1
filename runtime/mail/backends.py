"""Where mails go: the outbox folder (always) and an SMTP server (optional)."""

from __future__ import annotations

import email
import email.policy
import logging
import os
import re
import secrets
import smtplib
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from pathlib import Path
from typing import Any

# CPython mis-folds long headers mixing ASCII and encoded words at 78 columns (spaces move
# inside the subject); lines up to the RFC 5322 hard limit of 998 avoid folding our subjects.
WIRE_POLICY = email.policy.SMTP.clone(max_line_length=998)

log = logging.getLogger("portail.mail")


class MailError(Exception):
    """The mail could not be handed to the SMTP server."""


@dataclass(frozen=True)
class OutboxMail:
    path: Path
    message: EmailMessage

    @property
    def to(self) -> str:
        return str(self.message["To"])

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        return self.message.get_body(preferencelist=("plain",)).get_content()

    @property
    def html(self) -> str:
        return self.message.get_body(preferencelist=("html",)).get_content()


class Outbox:
    """A folder of ``.eml`` files, one per mail, named so they sort by time."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def write(self, message: EmailMessage) -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        # One clock reading for both parts: names sort in sending order even across a second boundary.
        seconds, nanoseconds = divmod(time.time_ns(), 10**9)
        stamp = time.strftime("%Y%m%dT%H%M%S", time.localtime(seconds))
        name = f"{stamp}-{nanoseconds:09d}-{secrets.token_hex(4)}.eml"
        path = self.root / name
        tmp = self.root / f".{name}.tmp"
        tmp.write_bytes(message.as_bytes(policy=WIRE_POLICY))
        os.replace(tmp, path)
        return path

    def write_once(self, message: EmailMessage, key: str, stamp_ns: int) -> tuple[Path, bool]:
        """Write the mail of event ``key`` unless it is already there: ``(path, written)``.

        The name is derived from the event only (the time it was recorded and
        its id), so a retried delivery finds the copy of a previous attempt and
        the outbox never holds one event twice. Atomic and exclusive: the file
        is written aside, then hard-linked to its name (which fails if it exists).
        """
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", key):
            raise ValueError(f"clé de courriel invalide : {key!r}")
        self.root.mkdir(parents=True, exist_ok=True)
        seconds, nanoseconds = divmod(stamp_ns, 10**9)
        stamp = time.strftime("%Y%m%dT%H%M%S", time.localtime(seconds))
        path = self.root / f"{stamp}-{nanoseconds:09d}-{key}.eml"
        if path.exists():
            return path, False
        tmp = self.root / f".{path.name}.{secrets.token_hex(4)}.tmp"
        tmp.write_bytes(message.as_bytes(policy=WIRE_POLICY))
        try:
            os.link(tmp, path)
        except FileExistsError:
            return path, False
        finally:
            tmp.unlink()
        return path, True

    def messages(self) -> list[OutboxMail]:
        """Every mail of the outbox, oldest first."""
        if not self.root.is_dir():
            return []
        return [self.read(path) for path in sorted(self.root.glob("*.eml"))]

    @staticmethod
    def read(path: Path) -> OutboxMail:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        return OutboxMail(path=path, message=message)


def send_smtp(config: Mapping[str, Any], message: EmailMessage) -> None:
    host, port, timeout = config["SMTP_HOST"], int(config["SMTP_PORT"]), float(config["SMTP_TIMEOUT"])
    tls = config["SMTP_TLS"]
    try:
        if tls == "ssl":
            client = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(host, port, timeout=timeout)
        with client:
            if tls == "starttls":
                client.starttls(context=ssl.create_default_context())
            if config["SMTP_USER"]:
                client.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
            client.sendmail(parseaddr(str(message["From"]))[1], _recipients(message), message.as_bytes(policy=WIRE_POLICY))
    except (OSError, smtplib.SMTPException) as error:
        log.warning("Envoi SMTP impossible vers %s:%s : %s", host, port, error)
        raise MailError(str(error)) from error


def _recipients(message: EmailMessage) -> list[str]:
    return [address for _, address in getaddresses(message.get_all("To", []) + message.get_all("Cc", []))]
