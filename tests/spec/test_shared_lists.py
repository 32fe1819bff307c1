"""Shared lists: the communes of the Métropole come from Etalab's découpage administratif through
tools/listes/communes.py, with their real INSEE codes; a list that declares ``insee_departments``
has each code linted (5 characters, one of its départements, no duplicate) at its line."""
from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys

import yaml

from runtime import ROOT
from runtime.spec.lint import lint_paths

TOOL = ROOT / "tools" / "listes" / "communes.py"
COMMUNES = ROOT / "specs" / "listes" / "communes.yaml"


def _tool():
    spec = importlib.util.spec_from_file_location("communes_tool", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_communes_are_the_92_of_the_metropole_with_their_insee_codes():
    data = yaml.safe_load(COMMUNES.read_text(encoding="utf-8"))
    codes = {c["value"]: c["label"] for c in data["choices"]}
    assert len(data["choices"]) == len(codes) == 92
    assert data["insee_departments"] == ["13", "83", "84"]
    assert codes["13055"] == "Marseille" and codes["13001"] == "Aix-en-Provence"
    assert codes["84089"] == "Pertuis" and codes["83120"] == "Saint-Zacharie"
    assert sum(code.startswith("13") for code in codes) == 90
    assert lint_paths([COMMUNES]) == []


def test_generator_keeps_the_epci_members_sorted_as_a_french_reader_expects():
    tool = _tool()
    epcis = [{"code": "200054807", "nom": "Métropole", "membres": [
        {"code": "13069", "nom": "Pélissanne"}, {"code": "13079", "nom": "Puyloubier"},
        {"code": "13032", "nom": "Éguilles"}, {"code": "84089", "nom": "Pertuis"}]}]
    communes = [{"code": "13069", "nom": "Pélissanne", "departement": "13", "type": "commune-actuelle"},
                {"code": "13079", "nom": "Puyloubier", "departement": "13", "type": "commune-actuelle"},
                {"code": "13032", "nom": "Éguilles", "departement": "13", "type": "commune-actuelle"},
                {"code": "84089", "nom": "Pertuis", "departement": "84", "type": "commune-actuelle"},
                {"code": "13032", "nom": "Éguilles (ancienne)", "departement": "13", "type": "commune-deleguee"}]
    found = tool.members(epcis, communes, "200054807")
    assert [c["nom"] for c in found] == ["Éguilles", "Pélissanne", "Pertuis", "Puyloubier"]
    text = tool.render("Métropole", found, {"13": "Bouches-du-Rhône", "84": "Vaucluse"}, "6.0.0")
    assert "3 des Bouches-du-Rhône, 1 de Vaucluse" in text
    assert 'insee_departments: ["13", "84"]' in text
    assert '  - {value: "13032", label: "Éguilles"}' in text


def test_committed_communes_match_the_maintained_data():
    """``communes.py --check`` against the npm package pinned by tools/listes/package-lock.json."""
    folder = TOOL.parent
    if not (folder / "node_modules" / "@etalab" / "decoupage-administratif").exists():
        npm = shutil.which("npm")
        assert npm, "npm est introuvable : apt-get install -y npm"
        installed = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=folder, capture_output=True, text=True, check=False)
        assert installed.returncode == 0, installed.stdout + installed.stderr
    result = subprocess.run([sys.executable, str(TOOL), "--check"], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


LIST = """id: communes-test
title: Communes
insee_departments: ["13", "83"]
choices:
  - {value: "13055", label: Marseille}
  - {value: "1305", label: Trop court}
  - {value: "06088", label: Nice}
  - {value: "13055", label: Marseille encore}
  - {value: "2A004", label: Ajaccio}
"""


def test_insee_codes_are_linted_at_their_line(tmp_path):
    path = tmp_path / "listes" / "communes-test.yaml"
    path.parent.mkdir()
    path.write_text(LIST, encoding="utf-8")
    errors = {(e.line, e.message) for e in lint_paths([path])}
    assert (6, ("« 1305 » n'est pas un code INSEE de commune (5 caractères : le département puis la commune, "
               'par exemple "13055")')) in errors
    assert (7, ("le code INSEE « 06088 » n'est dans aucun des départements de la liste "
               "(insee_departments : 13, 83)")) in errors
    assert (8, "valeur de choix « 13055 » en double") in errors
    assert (9, ("le code INSEE « 2A004 » n'est dans aucun des départements de la liste "
               "(insee_departments : 13, 83)")) in errors
    assert len(errors) == 4
    path.write_text(LIST.replace('["13", "83"]', "[13, 83]"), encoding="utf-8")
    assert next(e.line for e in lint_paths([path]) if "insee_departments" in e.message) == 3
