"""The ``portail`` command."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from . import ROOT


@click.group()
def main() -> None:
    """Portail des subventions de la Métropole."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option("--demo/--no-demo", default=True, show_default=True, help="Données de démonstration si le dossier de données est vide.")
def serve(host: str, port: int, demo: bool) -> None:
    """Development server (embedded TinyDB store, mails in the outbox)."""
    from .app import create_app
    from .demo import seed_demo_data

    base_url = f"http://{host}:{port}"
    app = create_app({"BASE_URL": base_url, "DEV_PAGES": True})
    if demo:
        for line in seed_demo_data(app):
            click.echo(line)
    click.echo(f"Portail des subventions : {base_url}/")
    click.echo(f"Courriels envoyés (développement) : {base_url}/dev/outbox")
    app.run(host=host, port=port, debug=False, use_reloader=False, threaded=True)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
def lint(paths: tuple[Path, ...]) -> None:
    """Check specs (default: every spec under specs/); exit 1 on any error."""
    from .spec.lint import lint_paths

    errors = lint_paths(list(paths) or [ROOT / "specs"])
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
