"""The services of one portal instance, kept in ``app.extensions["portail"]``.

Views reach storage, mail, specs and forms only through ``services()``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app

from .clock import Clock


@dataclass
class Services:
    config: dict[str, Any]
    clock: Clock
    store: Any  # runtime.storage.base.Store
    repos: Any  # runtime.storage.repositories.Repositories
    files: Any  # runtime.storage.files.FileStore
    mailer: Any  # runtime.mail.Mailer
    catalog: Any  # runtime.spec.catalog.Catalog
    captcha: Any  # runtime.web.captcha backend


def services() -> Services:
    return current_app.extensions["portail"]
