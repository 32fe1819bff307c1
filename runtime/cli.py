"""The ``portail`` command."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from . import ROOT
from .vocabulary import StaffRole


class _Portail(click.Group):
    def invoke(self, ctx):
        from .storage.pg_schema import SchemaOutdated

        try:
            return super().invoke(ctx)
        except SchemaOutdated as refused:  # the app refuses an old schema: say which command to run
            click.echo(str(refused), err=True)
            sys.exit(1)


@click.group(cls=_Portail)
def main() -> None:
    """Portail des subventions de la Métropole."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, help="0 : un port libre, affiché.")
@click.option("--demo/--no-demo", default=True, show_default=True, help="Données de démonstration si le dossier de données est vide.")
def serve(host: str, port: int, demo: bool) -> None:
    """Development server (embedded TinyDB store, mails in the outbox)."""
    from werkzeug.serving import make_server

    from .app import create_app
    from .demo import seed_demo_data
    from .worker import start_in_thread

    listener = _bind(host, port)
    base_url = f"http://{host}:{listener.getsockname()[1]}"
    app = create_app({"BASE_URL": base_url, "DEV_PAGES": True})
    if demo:
        for line in seed_demo_data(app):
            click.echo(line)
    start_in_thread(app)  # mails and index rows left by a failed attempt, exports, index rebuilds
    server = make_server(host, 0, app, threaded=True, fd=listener.fileno())
    # The URL is printed only now: the port is bound and listening.
    click.echo(f"Portail des subventions : {base_url}/")
    click.echo(f"Courriels envoyés (développement) : {base_url}/dev/outbox")
    server.serve_forever()


def _bind(host: str, port: int):
    """A listening socket, or a French message and exit 1 when the port is taken."""
    import socket

    listener = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError as error:
        listener.close()
        click.echo(f"Impossible d'écouter sur {host}:{port} : {error.strerror}. "
                   "Choisissez un autre port avec --port (0 : un port libre).", err=True)
        sys.exit(1)
    listener.listen(128)
    listener.set_inheritable(True)
    return listener


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
def lint(paths: tuple[Path, ...]) -> None:
    """Check specs (default: the served specs folder, PORTAIL_SPECS_DIR or specs/); exit 1 on any error.

    The same gate as start-up and ``portail reload``; a file is checked against the rest of its catalogue."""
    from .spec.lint import default_specs_dir, lint_paths

    errors = lint_paths(list(paths) or [default_specs_dir()])
    for error in errors:
        click.echo(str(error), err=True)
    if errors:
        click.echo(f"{len(errors)} erreur(s).", err=True)
        sys.exit(1)
    click.echo("Aucune erreur.")


@main.command()
@click.argument("teleservice_id")
def schema(teleservice_id: str) -> None:
    """Print the JSON Schema of a téléservice's answers."""
    import json

    from .spec.answers_schema import answers_schema
    from .spec.catalog import Catalog

    catalog = Catalog.load(ROOT / "specs")
    spec = catalog.get(teleservice_id)
    if spec is None:
        click.echo(f"Téléservice inconnu : {teleservice_id}", err=True)
        sys.exit(1)
    click.echo(json.dumps(answers_schema(spec), ensure_ascii=False, indent=2))


def _open_storage():
    from .config import load_config
    from .storage import open_file_store, open_store

    config = load_config()
    store = open_store(config)
    return store, open_file_store(config, store)


@main.group()
def storage() -> None:
    """Data store maintenance."""


@storage.command("check")
@click.option("--effects-older-than-minutes", default=15, show_default=True,
              help="Signaler les effets (courriels, index) en attente depuis plus longtemps.")
def storage_check(effects_older_than_minutes: int) -> None:
    """Report unreadable partitions (exit 1); otherwise clean temp files and recount the index;
    report effects pending too long and index rows missing or stale (exit 1)."""
    from datetime import UTC, datetime, timedelta

    from .domain.effects import pending_effects, repair_hints
    from .domain.indexing import index_problems
    from .storage.maintenance import check_store

    store = _open_storage()[0]
    report = check_store(store)
    for problem in report.corrupt:
        click.echo(f"Partition illisible : {problem}", err=True)
    if report.corrupt:
        click.echo("Restaurez chaque fichier depuis sa copie .bak (voir docs/storage.md).", err=True)
        sys.exit(1)
    for path in report.removed_temp_files:
        click.echo(f"Fichier temporaire abandonné supprimé : {path}")
    if report.index_repaired:
        click.echo("Compteurs de l'index des demandes recalculés.")
    now = datetime.now(UTC)
    late = pending_effects(store, (now - timedelta(minutes=effects_older_than_minutes)).isoformat(timespec="seconds"))
    for effect in late:
        error = f" ; dernière erreur : {effect.last_error}" if effect.last_error else ""
        click.echo(f"Effet en attente depuis le {effect.created_at} : {effect.kind} {effect.id} dans "
                   f"{effect.partition} ({effect.attempts} tentative(s){error})", err=True)
    if repair_hints(store, late, now):
        click.echo("Effets en attente signalés de nouveau au worker.", err=True)
    problems = index_problems(store)
    for numero in problems.missing:
        click.echo(f"Demande transmise absente de l'index : {numero}", err=True)
    for numero in problems.stale:
        click.echo(f"Ligne d'index périmée : {numero}", err=True)
    if late or problems.missing or problems.stale:
        if late:
            click.echo("Des effets sont en attente : vérifiez que « portail worker » tourne et que le serveur "
                       "de courriel répond.", err=True)
        if problems.missing or problems.stale:
            click.echo("Réparez l'index avec : portail index rebuild", err=True)
        sys.exit(1)
    click.echo("Stockage en bon état.")


@storage.command("upgrade")
def storage_upgrade() -> None:
    """Move a data folder of the round-2 layout to the current one (portal stopped; idempotent)."""
    from .domain.upgrade import upgrade_layout
    from .services import services

    app = _app_for_command()
    with app.app_context():
        report = upgrade_layout(services().store, services().clock, services().catalog)
    click.echo(f"Stockage mis à jour : {report.accounts} compte(s), {report.demandes} demande(s), "
               f"{report.messages} message(s) déplacé(s).")


@main.group()
def files() -> None:
    """Uploaded files."""


@files.command("sweep")
@click.option("--older-than-hours", default=24, show_default=True, help="Délai de grâce après le dépôt.")
def files_sweep(older_than_hours: int) -> None:
    """Remove uploaded files that no document references."""
    from datetime import timedelta

    from .storage.base import CorruptPartition
    from .storage.maintenance import sweep_files

    store, file_store = _open_storage()
    try:
        removed = sweep_files(store, file_store, timedelta(hours=older_than_hours))
    except CorruptPartition as problem:
        click.echo(f"Nettoyage refusé, partition illisible : {problem}", err=True)
        sys.exit(1)
    for name in removed:
        click.echo(f"Supprimé : {name}")
    click.echo(f"{len(removed)} fichier(s) supprimé(s).")


def _app_for_command():
    from .app import create_app

    return create_app()


@main.group()
def staff() -> None:
    """Comptes des agents de la Métropole."""


@staff.command("add")
@click.argument("identifiant")
@click.option("--email", required=True, help="Adresse électronique de l'agent.")
@click.option("--role", type=click.Choice([role.value for role in StaffRole]), default="instructeur",
              show_default=True)
@click.option("--teleservice", "teleservices", multiple=True, help="Téléservice instruit (répétable).")
@click.option("--nom", default="", help="Nom affiché dans l'historique des demandes.")
def staff_add(identifiant: str, email: str, role: str, teleservices: tuple[str, ...], nom: str) -> None:
    """Create a staff account; its generated password is printed once."""
    from .domain.staff_accounts import CLI_ACTOR
    from .storage.repositories.staff import DuplicateIdentifiant

    app = _app_for_command()
    with app.app_context():
        unknown = [t for t in teleservices if app.extensions["portail"].catalog.get(t) is None]
        if unknown:
            click.echo(f"Téléservice inconnu : {', '.join(unknown)}", err=True)
            sys.exit(1)
        try:
            _, password = app.extensions["portail"].staff_accounts.create(
                identifiant, email, role, list(teleservices), nom, actor=CLI_ACTOR)
        except DuplicateIdentifiant:
            click.echo(f"L'identifiant {identifiant} est déjà utilisé.", err=True)
            sys.exit(1)
    click.echo(f"Agent {identifiant} créé ({role}). Mot de passe : {password}")


@staff.command("list")
def staff_list() -> None:
    """List staff accounts: identifiant, role, state, téléservices."""
    app = _app_for_command()
    with app.app_context():
        agents = app.extensions["portail"].repos.staff.list()
    for agent in agents:
        state = "actif" if agent.get("active", True) else "désactivé"
        teleservices = "tous" if agent["role"] == StaffRole.ADMINISTRATEUR else ", ".join(agent.get("teleservices") or [])
        click.echo(f"{agent['identifiant']}\t{agent['role']}\t{state}\t{teleservices or '-'}")
    click.echo(f"{len(agents)} agent(s).")


@staff.command("deactivate")
@click.argument("identifiant")
def staff_deactivate(identifiant: str) -> None:
    """Deactivate a staff account: no more login, open sessions end (written to the audit trail)."""
    from .domain.staff_accounts import CLI_ACTOR
    from .storage.repositories.staff import LastAdministrateur

    app = _app_for_command()
    with app.app_context():
        agent = app.extensions["portail"].repos.staff.find_by_identifiant(identifiant)
        if agent is None:
            click.echo(f"Agent inconnu : {identifiant}", err=True)
            sys.exit(1)
        try:
            app.extensions["portail"].staff_accounts.set_active(agent["id"], False, CLI_ACTOR)
        except LastAdministrateur as error:
            click.echo(str(error), err=True)
            sys.exit(1)
    click.echo(f"Compte {agent['identifiant']} désactivé : l'agent ne peut plus se connecter.")


@main.group()
def index() -> None:
    """Index des demandes transmises (liste des agents)."""


@index.command("rebuild")
@click.option("--job", "as_job", is_flag=True, help="La confier à « portail worker » au lieu de l'attendre.")
def index_rebuild(as_job: bool) -> None:
    """Rebuild the staff index of transmitted demandes, and the applicants' summaries, from demandes/*."""
    app = _app_for_command()
    with app.app_context():
        if as_job:
            job = app.extensions["portail"].jobs.submit("index_rebuild", {}, "cli")
            click.echo(f"Reconstruction confiée au worker (tâche {job['id']}).")
            return
        report = app.extensions["portail"].staff_index.rebuild()
    click.echo(f"Index reconstruit : {report.indexed} demande(s) transmise(s), "
               f"{report.removed} ligne(s) obsolète(s) retirée(s).")


@main.command()
@click.option("--once", is_flag=True, help="Une seule passe puis s'arrêter (cron, tests).")
def worker(once: bool) -> None:
    """Deliver pending effects (mails, index rows) and run jobs (exports, index rebuilds)."""
    from .logs import configure_logging
    from .worker import main as worker_main
    from .worker import run_once

    configure_logging()
    app = _app_for_command()
    if once:
        done = run_once(app)
        click.echo(f"{done.effects} effet(s) livré(s), {done.jobs} tâche(s) exécutée(s).")
        return
    worker_main(app)


@main.command()
def reload() -> None:
    """Re-read specs/ and make every worker process serve the new versions."""
    app = _app_for_command()
    catalog = app.extensions["portail"].catalog
    errors = catalog.reload()
    catalog.bump_generation()
    for error in errors:
        click.echo(str(error), err=True)
    if errors:
        click.echo(f"{len(errors)} erreur(s) : les versions en erreur sont refusées, la précédente reste en service.",
                   err=True)
        sys.exit(1)
    click.echo(f"Specs rechargées : {len(catalog.all())} spec(s) en service.")


@main.group()
def db() -> None:
    """Base PostgreSQL (PORTAIL_DATABASE_URL)."""


def _database_url() -> str:
    from .config import load_config

    url = load_config()["DATABASE_URL"]
    if not url:
        click.echo("PORTAIL_DATABASE_URL n'est pas défini (postgresql://utilisateur@serveur/base).", err=True)
        sys.exit(1)
    return url


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply the schema migrations the code needs (run before starting a new version)."""
    from .storage.pg_schema import upgrade

    applied = upgrade(_database_url())
    for migration in applied:
        click.echo(f"Migration appliquée : {migration}")
    click.echo("Schéma à jour." if applied else "Schéma déjà à jour.")


@db.command("status")
def db_status() -> None:
    """List the migrations still to apply (exit 1 if any)."""
    import psycopg

    from .storage.pg_schema import missing_migrations

    with psycopg.connect(_database_url()) as conn:
        missing = missing_migrations(conn)
    for migration in missing:
        click.echo(f"À appliquer : {migration}")
    if missing:
        click.echo("Lancez : portail db upgrade", err=True)
        sys.exit(1)
    click.echo("Schéma à jour.")


@main.command()
@click.option("--from", "source", required=True, metavar="tinydb:DOSSIER",
              help="Dossier de données TinyDB (contient db/ et uploads/).")
@click.option("--to", "target", required=True, metavar="postgresql://…", help="Base PostgreSQL cible.")
def migrate(source: str, target: str) -> None:
    """Copy a TinyDB data folder into PostgreSQL (idempotent, resumable, verified)."""
    from .storage.migrate import migrate as run_migration

    kind, _, path = source.partition(":")
    if kind != "tinydb" or not path:
        click.echo("--from attend tinydb:DOSSIER (le dossier de données, par exemple tinydb:/srv/portail/var).",
                   err=True)
        sys.exit(2)
    if not target.startswith(("postgresql://", "postgres://")):
        click.echo("--to attend une adresse postgresql://…", err=True)
        sys.exit(2)
    if not (Path(path) / "db").is_dir():
        click.echo(f"Aucune partition TinyDB sous {Path(path) / 'db'}.", err=True)
        sys.exit(1)
    report = run_migration(Path(path), target, echo=click.echo)
    if report.corrupt:
        for problem in report.corrupt:
            click.echo(f"Partition illisible : {problem}", err=True)
        click.echo("Migration refusée : restaurez d'abord ces partitions (voir docs/storage.md).", err=True)
        sys.exit(1)
    click.echo(f"{report.partitions} partition(s), {report.documents} document(s) : {report.copied} copiée(s), "
               f"{report.skipped} déjà à jour ; {report.index_rows} ligne(s) d'index ; "
               f"{report.files} fichier(s) dont {report.files_copied} copié(s).")
    if report.mismatches:
        for mismatch in report.mismatches:
            click.echo(f"Différence après copie : {mismatch}", err=True)
        sys.exit(1)
    click.echo(f"Vérification : {report.partitions} partition(s) identiques (nombre de documents et empreinte "
               f"SHA-256), {report.files} fichier(s) de même taille.")
