"""Configuration: defaults, overridden by environment variables ``PORTAIL_*``
and by the mapping given to ``create_app`` (tests)."""
from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import ROOT

DEFAULTS: dict[str, Any] = {
    "DATA_DIR": "./var",
    "SPECS_DIR": str(ROOT / "specs"),
    "BASE_URL": "http://127.0.0.1:5000",
    "STORE": "tinydb",  # or "postgresql" (default when DATABASE_URL is set), "memory" (tests)
    "DATABASE_URL": "",  # postgresql://user@host/base: PostgreSQL store for several app servers
    "DATABASE_POOL_SIZE": 10,  # connections per worker process at most
    "FILE_STORE": "",  # "local" (DATA_DIR/uploads) or "postgresql"; empty: follows the store
    # Full storage check at start: "" (none: `portail storage check` does it) or "background"
    # (a thread of each worker parses every partition and logs the damaged ones; requests go on).
    "STORE_CHECK_AT_START": "",
    "PORTAL_NAME": "Portail des subventions",
    "METROPOLE_NAME": "Métropole Aix Marseille Provence",
    "METROPOLE_CONTACT": "Direction des finances – subventions@ampmetropole.fr – 04 91 99 99 00",
    # Accounts (numbers of the user guide, kept here so they can change)
    "IDENTIFIANT_MIN_LENGTH": 6,
    "IDENTIFIANT_MAX_LENGTH": 32,
    "PASSWORD_MIN_LENGTH": 10,
    "PASSWORD_MAX_LENGTH": 20,
    "PASSWORD_MIN_KINDS": 3,
    "ACTIVATION_TTL_HOURS": 72,
    "RESET_TTL_HOURS": 1,
    "EMAIL_CHANGE_TTL_HOURS": 24,
    "REMEMBER_DAYS": 92,
    # Password hashing (argon2id; argon2-cffi's defaults, RFC 9106 low-memory profile)
    "ARGON2_TIME_COST": 3,
    "ARGON2_MEMORY_COST": 65536,
    "ARGON2_PARALLELISM": 4,
    # Throttling: (max attempts, window in seconds)
    "THROTTLE_LOGIN": (10, 60),
    "THROTTLE_REGISTER": (5, 3600),
    "THROTTLE_RESET": (5, 3600),
    "THROTTLE_SIRET_LOOKUP": (30, 600),  # look-ups in the company directory, per account and per IP
    # Mail
    "MAIL_BACKEND": "outbox",  # "outbox" (files only) or "smtp" (SMTP, and a copy in the outbox)
    "MAIL_SENDER": "Portail des subventions <ne-pas-repondre@ampmetropole.fr>",
    "SMTP_HOST": "localhost",
    "SMTP_PORT": 25,
    "SMTP_TLS": "none",  # "none", "starttls", "ssl"
    "SMTP_USER": "",
    "SMTP_PASSWORD": "",
    "SMTP_TIMEOUT": 10,
    # Anti-robot: "altcha" (self-hosted proof of work) or "recaptcha"
    "CAPTCHA_BACKEND": "altcha",
    "CAPTCHA_DIFFICULTY": 20000,
    "RECAPTCHA_SITE_KEY": "",
    "RECAPTCHA_SECRET_KEY": "",
    # Storage: fsync every write (production). Test suites turn it off (PORTAIL_STORE_FSYNC=0):
    # writes stay atomic against a crashed process, not against a power cut.
    "STORE_FSYNC": True,
    # A write waits at most this long for its partition's lock, then the user gets a French
    # "réessayez" page (503): a request never hangs behind another one (gunicorn's --timeout is 30 s).
    "STORE_LOCK_WAIT_SECONDS": 5.0,
    # Uploads
    "MAX_CONTENT_LENGTH": 30 * 1024 * 1024,
    # Web
    "SECURE_COOKIES": False,  # True when served over HTTPS
    "DEV_PAGES": False,  # /dev/outbox, for development only
    "DEMO_DATA": False,
    # Compiled templates and pages kept for the next processes (runtime/forms/code_folder.py);
    # empty: DATA_DIR/cache/templates
    "TEMPLATE_CACHE_DIR": "",
    "SIRET_LOOKUP_URL": "",  # public company directory adapter, off by default
    "SIRET_LOOKUP_TIMEOUT": 3,  # seconds; past it the applicant types the information
    # Outbox of side effects (runtime/domain/effects.py, docs/outbox.md)
    "OUTBOX_LEASE_SECONDS": 120,  # a new effect belongs to its request that long (> request time budget)
    "OUTBOX_RETRY_BASE_SECONDS": 30,  # then 1 min, 2 min, ... doubling
    "OUTBOX_RETRY_MAX_SECONDS": 3600,
    "OUTBOX_HINT_GRACE_SECONDS": 600,  # a hint with nothing pending is dropped after that
    "HEALTH_EFFECT_MAX_AGE_SECONDS": 900,  # /healthz says "degraded" past it
    # Jobs (runtime/domain/jobs.py): heavy work outside the request
    "EXPORT_INLINE_MAX_ROWS": 5000,  # larger exports become jobs run by `portail worker`
    "JOB_LEASE_SECONDS": 300,  # a running job not heard from that long is taken over
    "JOB_KEEP_DAYS": 7,  # finished jobs and their files are removed after that
    "WORKER_INTERVAL_SECONDS": 1.0,
    "WORKER_IN_PROCESS": False,  # `portail serve` runs the worker loop in a thread
}

ENV_PREFIX = "PORTAIL_"


def _coerce(default: Any, value: str) -> Any:
    if isinstance(default, bool):
        return value.strip().lower() in ("1", "true", "yes", "oui", "on")
    if isinstance(default, int):
        return int(value)
    if isinstance(default, float):
        return float(value)
    if isinstance(default, tuple):
        return tuple(int(v) for v in value.split(","))
    return value


def load_config(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    config = dict(DEFAULTS)
    if "PORTAIL_DATA" in os.environ:
        config["DATA_DIR"] = os.environ["PORTAIL_DATA"]
    for key, default in DEFAULTS.items():
        env = os.environ.get(ENV_PREFIX + key)
        if env is not None:
            config[key] = _coerce(default, env)
    if config["DATABASE_URL"] and ENV_PREFIX + "STORE" not in os.environ:
        config["STORE"] = "postgresql"
    config.update(overrides or {})
    if not config["FILE_STORE"]:
        config["FILE_STORE"] = "postgresql" if config["STORE"] == "postgresql" else "local"
    config["DATA_DIR"] = str(Path(config["DATA_DIR"]).resolve())
    config["SECURE_COOKIES"] = config["SECURE_COOKIES"] or str(config["BASE_URL"]).startswith("https://")
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = os.environ.get(ENV_PREFIX + "SECRET_KEY")
    if not config["SECRET_KEY"] and config["STORE"] != "postgresql":
        # with PostgreSQL the key is shared by every server through the database (see app.py)
        config["SECRET_KEY"] = _secret_key_file(config["DATA_DIR"])
    return config


def _secret_key_file(data_dir: str) -> str:
    """A random secret kept in the data folder, shared by all workers."""
    path = Path(data_dir) / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # Written aside then linked: a concurrent worker sees either no file or the whole key.
        tmp = path.with_name(f".secret_key.{os.getpid()}.{secrets.token_hex(4)}")
        tmp.write_text(secrets.token_hex(32))
        os.chmod(tmp, 0o600)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip()
