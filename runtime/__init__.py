"""Portail des subventions de la Métropole: a form runtime driven by YAML specs."""
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
