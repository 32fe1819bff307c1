"""The PostgreSQL schema: yoyo-migrations files in ``runtime/storage/migrations/``.

``portail db upgrade`` applies the missing ones (``upgrade``); the portal checks at start-up
(``require_current``) that none is missing and refuses to start otherwise. Nothing creates
tables at start-up.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

MIGRATIONS = Path(__file__).with_name("migrations")
YOYO_TABLE = "_yoyo_migration"


class SchemaOutdated(RuntimeError):
    """The database lacks migrations the code needs."""

    @classmethod
    def for_missing(cls, missing: list[str]) -> SchemaOutdated:
        return cls(
            "Le schéma de la base PostgreSQL est plus ancien que le code du portail "
            f"(migration(s) manquante(s) : {', '.join(missing)}). "
            "Appliquez-les avec la commande : portail db upgrade"
        )


def known_migrations() -> list[str]:
    return sorted(p.stem for p in MIGRATIONS.glob("*.sql") if not p.name.endswith(".rollback.sql"))


def yoyo_url(url: str) -> str:
    """yoyo names the psycopg 3 driver ``postgresql+psycopg``."""
    scheme, _sep, rest = url.partition("://")
    return f"postgresql+psycopg://{rest}" if scheme in ("postgresql", "postgres") else url


def upgrade(url: str) -> list[str]:
    """Apply the missing migrations; returns their ids."""
    from yoyo import get_backend, read_migrations

    backend = get_backend(yoyo_url(url))
    migrations = read_migrations(str(MIGRATIONS))
    with backend.lock():
        pending = backend.to_apply(migrations)
        backend.apply_migrations(pending)
    return [m.id for m in pending]


def applied_migrations(conn: Any) -> set[str]:
    exists = conn.execute("SELECT to_regclass(%s)", (YOYO_TABLE,)).fetchone()[0]
    if exists is None:
        return set()
    return {row[0] for row in conn.execute(f"SELECT migration_id FROM {YOYO_TABLE}")}


def missing_migrations(conn: Any) -> list[str]:
    applied = applied_migrations(conn)
    return [m for m in known_migrations() if m not in applied]


def require_current(conn: Any) -> None:
    missing = missing_migrations(conn)
    if missing:
        raise SchemaOutdated.for_missing(missing)
