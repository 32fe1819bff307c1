"""Regenerate specs/listes/communes.yaml: the member communes of the Métropole d'Aix-Marseille-Provence
(EPCI SIREN 200054807) with their INSEE code, from Etalab's « découpage administratif » (npm package
@etalab/decoupage-administratif, maintained from the INSEE's Code officiel géographique).

    cd tools/listes && npm ci --no-audit --no-fund && python3 communes.py          # rewrite the list
    python3 tools/listes/communes.py --check                                        # exit 1 if it differs

Standard library only; the output is sorted by name as a French reader expects (accents ignored).
"""
from __future__ import annotations

import argparse
import json
import sys
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "node_modules" / "@etalab" / "decoupage-administratif"
TARGET = HERE.parent.parent / "specs" / "listes" / "communes.yaml"
METROPOLE = "200054807"  # SIREN of the Métropole d'Aix-Marseille-Provence


def sort_key(name: str) -> tuple[str, str]:
    plain = "".join(c for c in unicodedata.normalize("NFD", name) if not unicodedata.combining(c))
    return plain.casefold().replace("-", " ").replace("'", " "), name


def members(epcis: list[dict], communes: list[dict], siren: str) -> list[dict]:
    """The current communes of the EPCI ``siren``: code, name, département (from the communes file)."""
    epci = next((e for e in epcis if e["code"] == siren), None)
    if epci is None:
        raise SystemExit(f"EPCI {siren} absent des données")
    by_code = {c["code"]: c for c in communes if c.get("type") == "commune-actuelle"}
    found = []
    for member in epci["membres"]:
        commune = by_code.get(member["code"])
        if commune is None:
            raise SystemExit(f"commune {member['code']} ({member['nom']}) absente des communes actuelles")
        found.append({"code": commune["code"], "nom": commune["nom"], "departement": commune["departement"]})
    return sorted(found, key=lambda c: sort_key(c["nom"]))


def render(epci_name: str, found: list[dict], departments: dict[str, str], version: str) -> str:
    counts = {}
    for commune in found:
        counts[commune["departement"]] = counts.get(commune["departement"], 0) + 1
    spread = ", ".join(f"{n} {_in(departments[d])}" for d, n in sorted(counts.items(), key=lambda kv: -kv[1]))
    lines = [
        "# yaml-language-server: $schema=../../runtime/spec/schema/list.schema.json",
        ("# Généré par tools/listes/communes.py depuis @etalab/decoupage-administratif "
        f"{version} ; une modification à la main est remplacée à la prochaine génération."),
        "id: communes",
        "title: Communes de la Métropole Aix-Marseille-Provence",
        "description: >-",
        f"  Les {len(found)} communes membres de la {epci_name} (SIREN {METROPOLE}) : {spread} ;",
        "  la valeur enregistrée est le code INSEE.",
        "insee_departments: [" + ", ".join(f'"{d}"' for d in sorted(counts)) + "]",
        "choices:",
    ]
    lines += [f'  - {{value: "{c["code"]}", label: {json.dumps(c["nom"], ensure_ascii=False)}}}' for c in found]
    return "\n".join(lines) + "\n"


def _in(department: str) -> str:
    """« des Bouches-du-Rhône », « du Var », « de Vaucluse »: the usual French form."""
    if department.startswith("Bouches"):
        return f"des {department}"
    if department == "Vaucluse":
        return "de Vaucluse"
    return f"du {department}"


def generate(data: Path = DATA) -> str:
    load = lambda name: json.loads((data / "data" / f"{name}.json").read_text(encoding="utf-8"))
    epcis = load("epci")
    found = members(epcis, load("communes"), METROPOLE)
    name = next(e["nom"] for e in epcis if e["code"] == METROPOLE)
    departments = {d["code"]: d["nom"] for d in load("departements")}
    version = json.loads((data / "package.json").read_text(encoding="utf-8"))["version"]
    return render(name, found, departments, version)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed list, write nothing")
    args = parser.parse_args(argv)
    if not DATA.exists():
        print(f"{DATA} absent : lancez « npm ci » dans {HERE}", file=sys.stderr)
        return 2
    text = generate()
    if args.check:
        same = TARGET.read_text(encoding="utf-8") == text
        print("specs/listes/communes.yaml est à jour" if same else "specs/listes/communes.yaml diffère des données")
        return 0 if same else 1
    TARGET.write_text(text, encoding="utf-8")
    print(f"specs/listes/communes.yaml : {text.count('value:')} communes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
