"""PostgreSQL for the tests: a server from ``PORTAIL_TEST_DATABASE_URL`` (else
``PORTAIL_DATABASE_URL``, else the one at 127.0.0.1:5432 when it answers), and one
database per test run (``portail_test_<random>``, migrated, dropped at the end).

Without a server the PostgreSQL tests are skipped with the reason; with
``PORTAIL_REQUIRE_POSTGRES=1`` (set by ``.ci/run``) they fail instead.
"""
from __future__ import annotations

import os
import secrets
from urllib.parse import urlsplit, urlunsplit

import pytest

# PORTAIL_DATABASE_URL set when the run starts: the whole suite runs on PostgreSQL
ON_POSTGRES = bool(os.environ.get("PORTAIL_DATABASE_URL"))
# The store of an app a test builds without naming one (tests/harness.py): the suite's store.
# A test about TinyDB files (durability, data folders, storage upgrade, migration from TinyDB)
# names ``STORE="tinydb"`` explicitly.
SUITE_STORE = "postgresql" if ON_POSTGRES else "tinydb"
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/test"
# In an order DELETE can follow: a table before the one it references (chunks before their
# file), the index before its counters (its trigger updates them as its rows go).
TABLES = ("portail_documents", "portail_partitions", "portail_file_chunks", "portail_files",
          "portail_demande_index", "portail_demande_counts", "portail_settings")


def suite_store(default: str = "memory") -> str:
    """The store of an app built by a test fixture: PostgreSQL when the suite runs on it."""
    return "postgresql" if ON_POSTGRES and default == "memory" else default


def server_url() -> str:
    return os.environ.get("PORTAIL_TEST_DATABASE_URL") or os.environ.get("PORTAIL_DATABASE_URL") or DEFAULT_SERVER


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def unavailable(reason: str):
    if os.environ.get("PORTAIL_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"PostgreSQL exigé (PORTAIL_REQUIRE_POSTGRES=1) mais indisponible : {reason}", pytrace=False)
    pytest.skip(f"pas de serveur PostgreSQL : {reason}")


class PgTestDatabase:
    """The database of this test run, created on first use."""

    def __init__(self):
        self.url: str | None = None
        self.error: str | None = None
        self._admin: str | None = None

    def create(self) -> str:
        if self.url or self.error:
            return self.url
        import psycopg

        from runtime.storage.pg_schema import upgrade

        admin = server_url()
        name = f"portail_test_{secrets.token_hex(6)}"
        try:
            with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
                # like STORE_FSYNC=False for TinyDB: no WAL flush wait per commit (a killed client
                # loses nothing committed; only a power cut of the test server would)
                conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
        except psycopg.Error as error:
            self.error = f"{admin} : {str(error).strip()}"
            return None
        self._admin, self.url = admin, with_database(admin, name)
        upgrade(self.url)
        return self.url

    def drop(self) -> None:
        if not self.url:
            return
        import psycopg

        name = urlsplit(self.url).path.lstrip("/")
        with psycopg.connect(self._admin, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def require(self) -> str:
        url = self.create()
        if url is None:
            unavailable(self.error)
        return url

    def empty(self) -> None:
        import psycopg

        # DELETE, not TRUNCATE: a test leaves a few rows, and TRUNCATE's new files cost 50 ms
        # a test (0.3 ms here), 90 s of a suite run on PostgreSQL.
        with psycopg.connect(self.url, autocommit=True) as conn, conn.transaction():
            for table in TABLES:
                conn.execute(f"DELETE FROM {table}")

    def disconnect_all(self) -> None:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE datname = current_database() AND pid <> pg_backend_pid()")
