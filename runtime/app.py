"""Application factory."""
from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from . import ROOT
from .clock import Clock
from .config import load_config
from .services import Services

log = logging.getLogger("portail")

BLUEPRINTS = (
    "runtime.web.accounts",
    "runtime.web.espace",
    "runtime.web.tiers",
    "runtime.web.demandes",
    "runtime.web.staff",
    "runtime.web.echanges",
    "runtime.web.dev",
    "runtime.web.ops",
)


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Create and configure an instance of the portal."""
    config = load_config(overrides)
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.update(config)
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config["SECURE_COOKIES"],
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=config["SECURE_COOKIES"],
        WTF_CSRF_TIME_LIMIT=None,  # tied to the session; a long form never loses its token
    )
    Path(config["DATA_DIR"]).mkdir(parents=True, exist_ok=True)
    app.extensions["portail"] = _build_services(config)
    if not config["SECRET_KEY"]:  # PostgreSQL without PORTAIL_SECRET_KEY: one key for every server
        config["SECRET_KEY"] = app.config["SECRET_KEY"] = app.extensions["portail"].store.shared_secret_key()

    from .web import setup as web_setup

    web_setup.init_app(app)
    for module_name in BLUEPRINTS:
        module = __import__(module_name, fromlist=["bp"])
        app.register_blueprint(module.bp)
    return app


def log_damaged_partitions(store) -> None:
    """One ERROR line per partition that cannot be read (writes to it are refused)."""
    for problem in store.check():
        log.error("Partition illisible, écritures refusées : %s", problem)


def _build_services(config: dict[str, Any]) -> Services:
    from .captcha import make_captcha
    from .domain.effects import Outbox, Timing
    from .domain.indexing import StaffIndexer
    from .domain.jobs import Jobs
    from .domain.staff_accounts import StaffAccounts
    from .domain.tiers import TiersService
    from .mail import Mailer
    from .spec.catalog import Catalog
    from .storage import open_file_store, open_store
    from .storage.cache import CachedStore
    from .storage.repositories import Repositories

    clock = config.get("CLOCK") or Clock()
    # No full check in the way of the start: a damaged partition is refused when it is read
    # (CorruptPartition); `portail storage check` parses everything (see docs/storage.md).
    store = CachedStore(open_store(config))
    if config.get("STORE_CHECK_AT_START") == "background":
        threading.Thread(target=log_damaged_partitions, args=(store,), name="storage-check", daemon=True).start()
    repos = Repositories(store, clock)
    mailer = Mailer(config)
    catalog = Catalog.load(Path(config["SPECS_DIR"]), store=store)
    files = open_file_store(config, store)
    staff_index = StaffIndexer(store, repos, catalog)
    outbox = Outbox(store, clock, mailer, Timing.from_config(config), staff_index.reindex_effect)
    return Services(
        config=config,
        clock=clock,
        store=store,
        repos=repos,
        files=files,
        mailer=mailer,
        catalog=catalog,
        captcha=make_captcha(config, clock, repos.tokens),
        tiers_service=TiersService(repos, outbox),
        staff_accounts=StaffAccounts(repos.staff, config),
        staff_index=staff_index,
        outbox=outbox,
        jobs=Jobs(store, clock, files, config, handlers={"index_rebuild": staff_index.rebuild_job}),
    )
