"""Application factory."""
from __future__ import annotations

import logging
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

    from .web import setup as web_setup

    web_setup.init_app(app)
    for module_name in BLUEPRINTS:
        module = __import__(module_name, fromlist=["bp"])
        app.register_blueprint(module.bp)
    return app


def _build_services(config: dict[str, Any]) -> Services:
    from .mail import Mailer
    from .spec.catalog import Catalog
    from .storage import open_store
    from .storage.cache import CachedStore
    from .storage.files import FileStore
    from .storage.repositories import Repositories
    from .web.captcha import make_captcha

    clock = config.get("CLOCK") or Clock()
    # No full check at start: a damaged partition is refused when it is read (CorruptPartition),
    # and `portail storage check` parses everything (see docs/storage.md).
    store = CachedStore(open_store(config))
    return Services(
        config=config,
        clock=clock,
        store=store,
        repos=Repositories(store, clock),
        files=FileStore(Path(config["DATA_DIR"]) / "uploads"),
        mailer=Mailer(config),
        catalog=Catalog.load(Path(config["SPECS_DIR"]), store=store),
        captcha=make_captcha(config),
    )
