"""Helpers of the outbox tests."""
from __future__ import annotations

from runtime.app import create_app
from runtime.domain import effects
from runtime.storage.index import DemandeIndex
from tests.helpers import outbox


def pending(services, partition: str) -> list[dict]:
    """Effects still waiting in a partition."""
    return services.store.read(partition).table(effects.OUTBOX).all()


def receipts(services, numero: str | None = None) -> list:
    return [m for m in outbox(services) if "Accusé de réception" in m.subject
            and (numero is None or numero in m.subject)]


def index_row(services, demande_id: str):
    return DemandeIndex(services.store).get(demande_id)


def crash_after_commit(monkeypatch) -> None:
    """The process dies right after the business write committed: no after-commit delivery."""
    monkeypatch.setattr(effects.Outbox, "deliver_recorded",
                        lambda self, partition, recorded, written=None: effects.Outcome())


def restarted_app(app):
    """A new process over the same data folder and clock (what runs after a crash)."""
    keep = ("DATA_DIR", "STORE", "SPECS_DIR", "BASE_URL", "CLOCK", "SECRET_KEY", "CAPTCHA_BACKEND", "TESTING")
    return create_app({key: app.config[key] for key in keep})
