"""The services of one portal instance, kept in ``app.extensions["portail"]``.

Built once by the application factory (``runtime/app.py``), each with its
dependencies given explicitly; the domain services never look up the app.
Views reach storage, mail, specs and the domain only through ``services()``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import current_app

from .clock import Clock

if TYPE_CHECKING:
    from .captcha import AltchaCaptcha, FixedAnswerCaptcha, RecaptchaCaptcha
    from .domain.effects import Outbox
    from .domain.indexing import StaffIndexer
    from .domain.jobs import Jobs
    from .domain.staff_accounts import StaffAccounts
    from .domain.tiers import TiersService
    from .mail import Mailer
    from .spec.catalog import Catalog
    from .storage.base import Store
    from .storage.files import FileStore
    from .storage.repositories import Repositories


@dataclass
class Services:
    config: dict[str, Any]
    clock: Clock
    store: Store
    repos: Repositories
    files: FileStore
    mailer: Mailer
    catalog: Catalog
    captcha: AltchaCaptcha | RecaptchaCaptcha | FixedAnswerCaptcha
    tiers_service: TiersService
    staff_accounts: StaffAccounts
    staff_index: StaffIndexer
    outbox: Outbox
    jobs: Jobs


def services() -> Services:
    return current_app.extensions["portail"]
