"""Semantic checks of a spec that the JSON Schema cannot express.

Run on schema-valid data; each problem is ``(path into the data, message)``,
the loader turns the path into a line and column.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from .computed import computed_dependencies
from .conditions import COMBINATORS, DATE_OPERATORS, NUMERIC_OPERATORS, OPERATORS, is_field_ref
from .field_types import kind_names, type_options
from .formulas import AMOUNT, BOOLEAN, FIELD_TYPES, KEYWORDS, NUMBER, FormulaError, Name, parse, type_of

NUMERIC_TYPES = kind_names(numeric=True)
STATIC_TYPES = kind_names(static=True)
CHOICE_TYPES = kind_names(choices=True)
BOOLEAN_TYPES = kind_names(boolean=True)
COLUMN_TYPES = kind_names(column=True)
_TYPE_OPTIONS = type_options()
# The one list of names a field id may not take, because the runtime's forms already use them.
# Kept in the spec layer (which never imports WTForms); tests/spec/test_reserved.py derives the
# names from the forms code (the step templates' controls, the page form's attributes) and fails
# if one is missing here.
FORM_CONTROLS = frozenset({"csrf_token", "action", "goto", "_action"})  # what a step page posts besides fields
FORM_ATTRIBUTES = frozenset({  # attributes of a page form (WTForms/Flask-WTF and the wizard's own)
    "data", "errors", "form_errors", "extra_validators", "hidden_tag", "is_submitted", "meta", "populate_obj",
    "post_process", "process", "validate", "validate_on_submit",
    "portail_answers", "portail_values", "portail_formdata",
})
RESERVED_FIELD_IDS = FORM_CONTROLS | FORM_ATTRIBUTES | KEYWORDS
_ALL_OPTIONS = {option for options in _TYPE_OPTIONS.values() for option in options}

Problem = tuple  # (path into the data, message) or (path, message, offset in a formula)


def choice_values(field: Mapping[str, Any]) -> list[str]:
    return [c if isinstance(c, str) else c["value"] for c in field.get("choices", ())]


def choice_labels(field: Mapping[str, Any]) -> list[str]:
    return [c if isinstance(c, str) else c.get("label", c["value"]) for c in field.get("choices", ())]


class SpecChecker:
    def __init__(self, data: Mapping[str, Any]):
        self.data = data
        self.problems: list[Problem] = []
        self.fields: dict[str, Mapping[str, Any]] = {}  # top-level field id -> field
        self.page_of: dict[str, int] = {}  # field or computed id -> page index
        self.computed = {c["id"]: c for c in data.get("computed", ())}

    def report(self, path: tuple[Any, ...], message: str, offset: int | None = None) -> None:
        self.problems.append((path, message) if offset is None else (path, message, offset))

    def run(self) -> list[Problem]:
        self.check_dates()
        self.collect_fields()
        self.check_computed()
        for i, page in enumerate(self.data["pages"]):
            if "when" in page:
                self.check_condition(page["when"], ("pages", i, "when"), max_page=i - 1, page_when=True)
            for j, field in enumerate(page["fields"]):
                if "when" in field:
                    self.check_condition(field["when"], ("pages", i, "fields", j, "when"), max_page=i,
                                         itself=field["id"])
        self.check_rules()
        return self.problems

    # -- dates -----------------------------------------------------------------
    def check_dates(self) -> None:
        parsed = {}
        for key in ("opens", "closes"):
            if key in self.data:
                try:
                    parsed[key] = date.fromisoformat(self.data[key])
                except ValueError:
                    self.report((key,), f"date inexistante « {self.data[key]} »")
        if len(parsed) == 2 and parsed["closes"] < parsed["opens"]:
            self.report(("closes",), f"la date de clôture ({self.data['closes']}) précède la date d'ouverture "
                                     f"({self.data['opens']})")

    # -- fields ----------------------------------------------------------------
    def collect_fields(self) -> None:
        page_ids: set[str] = set()
        for i, page in enumerate(self.data["pages"]):
            if page["id"] in page_ids:
                self.report(("pages", i, "id"), f"identifiant de page « {page['id']} » en double")
            page_ids.add(page["id"])
            for j, field in enumerate(page["fields"]):
                path = ("pages", i, "fields", j)
                if field["id"] in self.fields:
                    self.report(path + ("id",), f"identifiant de champ « {field['id']} » en double")
                    continue
                if field["id"] in RESERVED_FIELD_IDS:
                    self.report(path + ("id",), f"identifiant de champ « {field['id']} » réservé par le formulaire "
                                                "du portail (ou par les formules) : choisissez un autre nom, par exemple "
                                                f"« {field['id'].strip('_')}_projet »")
                self.fields[field["id"]] = field
                self.page_of[field["id"]] = i
                self.check_field(field, path)
        self.page_ids = page_ids

    def check_field(self, field: Mapping[str, Any], path: tuple[Any, ...], column_of: str | None = None) -> None:
        kind = field["type"]
        allowed = _TYPE_OPTIONS.get(kind, ())
        for option in field:
            if option in _ALL_OPTIONS and option not in allowed:
                self.report(path + (option,), f"la clé « {option} » ne s'applique pas au type « {kind} »")
        if column_of and kind not in COLUMN_TYPES:
            self.report(path + ("type",), f"type « {kind} » non permis dans une colonne de tableau")
        if field.get("locked") and not field.get("prefill"):
            self.report(path + ("locked",), "« locked » demande un pré-remplissage (prefill)")
        self.check_bounds(field, path)
        if "pattern" in field:
            try:
                re.compile(field["pattern"])
            except re.error as exc:
                self.report(path + ("pattern",), f"expression régulière invalide ({exc.msg})")
            if "pattern_message" not in field:
                self.report(path + ("pattern",), "message manquant pour l'expression régulière (pattern_message)")
        values, labels = choice_values(field), choice_labels(field)
        for k, (value, label) in enumerate(zip(values, labels, strict=True)):
            if value in values[:k]:
                self.report(path + ("choices", k), f"valeur de choix « {value} » en double")
            elif label in labels[:k]:  # the applicant could not tell the two answers apart
                self.report(path + ("choices", k), f"libellé de choix « {label} » en double")
        if kind == "table":
            self.check_table(field, path)

    def check_bounds(self, field: Mapping[str, Any], path: tuple[Any, ...]) -> None:
        for low, high in (("min_length", "max_length"), ("min", "max"), ("min_rows", "max_rows")):
            a, b = field.get(low), field.get(high)
            if a is not None and b is not None and type(a) is type(b) and a > b:
                self.report(path + (high,), f"« {high} » ({b}) est inférieur à « {low} » ({a})")
        for bound in ("min", "max"):
            value = field.get(bound)
            if value is None:
                continue
            if field["type"] == "date":
                if not _is_iso_date(value):
                    self.report(path + (bound,), f"date attendue au format AAAA-MM-JJ (« {value} »)")
            elif isinstance(value, str):
                self.report(path + (bound,), f"nombre attendu (« {value} »)")

    def check_table(self, table: Mapping[str, Any], path: tuple[Any, ...]) -> None:
        columns: dict[str, Mapping[str, Any]] = {}
        for k, column in enumerate(table["columns"]):
            column_path = path + ("columns", k)
            if column["id"] in columns:
                self.report(column_path + ("id",), f"identifiant de colonne « {column['id']} » en double "
                                                   f"dans le tableau « {table['id']} »")
            columns[column["id"]] = column
            self.check_field(column, column_path, column_of=table["id"])
            if "when" in column:
                self.report(column_path + ("when",), "une colonne de tableau ne peut pas avoir de condition")
        for k, name in enumerate(table.get("totals", ())):
            if name not in columns:
                self.report(path + ("totals", k), f"colonne « {name} » inconnue dans le tableau « {table['id']} »")
            elif columns[name]["type"] not in NUMERIC_TYPES:
                self.report(path + ("totals", k), f"total d'une colonne non numérique « {name} » "
                                                  f"(type {columns[name]['type']})")

    # -- computed values -------------------------------------------------------
    def check_computed(self) -> None:
        for k, item in enumerate(self.data.get("computed", ())):
            path = ("computed", k)
            if item["id"] in self.fields:
                self.report(path + ("id",), f"« {item['id']} » est déjà l'identifiant d'un champ")
            if item["id"] in KEYWORDS:
                self.report(path + ("id",), f"« {item['id']} » est un mot réservé des formules")
            if "page" in item and item["page"] not in self.page_ids:
                self.report(path + ("page",), f"page inconnue « {item['page']} »")
            if "sum" in item:
                self.check_sum(item["sum"], path + ("sum",))
            for n, name in enumerate(item.get("difference", ())):
                self.check_numeric_ref(name, path + ("difference", n))
        cyclic = set()
        for k, item in enumerate(self.data.get("computed", ())):
            closing = self.cycle_reference(item["id"])
            if closing is not None:
                cyclic.add(item["id"])
                path, offset = self.reference_path(k, closing)
                self.report(path, f"la valeur calculée « {item['id']} » dépend d'elle-même (par « {closing} »)", offset)
        self.computed_types: dict[str, str] = {}
        for k, item in enumerate(self.data.get("computed", ())):
            if "formula" in item and item["id"] not in cyclic:
                self.check_computed_formula(k, item)
        for item in self.data.get("computed", ()):
            if item["id"] not in cyclic:
                self.page_of.setdefault(item["id"], self.computed_page(item["id"]))

    def reference_path(self, k: int, name: str) -> tuple:
        """Where computed value ``k`` names ``name``: a (path, offset) pair for ``report``."""
        item = self.data["computed"][k]
        if "sum" in item:
            return ("computed", k, "sum"), None
        if "difference" in item:
            return ("computed", k, "difference", item["difference"].index(name)), None
        offset = next((node["at"] for node in _walk_formula(item["formula"])
                       if node.get("ref") == name or node.get("col", [None])[0] == name), None)
        return ("computed", k, "formula"), offset

    def check_computed_formula(self, k: int, item: Mapping[str, Any]) -> None:
        path = ("computed", k, "formula")
        kind = self.formula_type(item["formula"], path)
        if kind is not None and kind not in (NUMBER, AMOUNT):
            self.report(path, f"une valeur calculée doit donner un nombre ou un montant (cette formule donne : {kind})",
                        0)

    def formula_type(self, text: str, path: tuple[Any, ...]) -> str | None:
        """The type of a formula, or None after reporting its problem at the faulty token."""
        try:
            return type_of(parse(text), self.formula_names())
        except FormulaError as error:
            self.report(path, error.message, error.offset)
            return None

    def formula_names(self) -> dict[str, Name]:
        names = {fid: _name(field) for fid, field in self.fields.items()}
        for item in self.data.get("computed", ()):
            # a computed value whose own formula is wrong (reported there) counts as a number: no cascade
            names[item["id"]] = Name(self.computed_type(item["id"], frozenset()) or NUMBER, "valeur calculée")
        return names

    def computed_type(self, computed_id: str, seen: frozenset[str]) -> str | None:
        if computed_id in getattr(self, "computed_types", {}):
            return self.computed_types[computed_id]
        item = self.computed[computed_id]
        if "sum" in item:
            table, _, column = item["sum"].partition(".")
            columns = {c["id"]: c for c in self.fields.get(table, {}).get("columns", ())}
            return AMOUNT if columns.get(column, {}).get("type") == "amount" else NUMBER
        if "difference" in item:
            kinds = [self.computed_type(n, seen | {computed_id}) if n in self.computed and n not in seen
                     else FIELD_TYPES.get(self.fields.get(n, {}).get("type")) for n in item["difference"]]
            return AMOUNT if AMOUNT in kinds else NUMBER
        if computed_id in seen:
            return None
        names = {fid: _name(field) for fid, field in self.fields.items()}
        for other in self.computed:
            if other != computed_id and other not in seen:
                names[other] = Name(self.computed_type(other, seen | {computed_id}) or NUMBER, "valeur calculée")
        try:
            return type_of(parse(item["formula"]), names)
        except FormulaError:
            return None

    def check_sum(self, expression: str, path: tuple[Any, ...]) -> None:
        table_id, _, column_id = expression.partition(".")
        table = self.fields.get(table_id)
        if table is None or table["type"] != "table":
            self.report(path, f"tableau inconnu « {table_id} »")
            return
        column = next((c for c in table["columns"] if c["id"] == column_id), None)
        if column is None:
            self.report(path, f"colonne inconnue « {column_id} » dans le tableau « {table_id} »")
        elif column["type"] not in NUMERIC_TYPES:
            self.report(path, f"somme d'une colonne non numérique « {expression} » (type {column['type']})")

    def check_numeric_ref(self, name: str, path: tuple[Any, ...]) -> None:
        if name in self.computed:
            return
        field = self.fields.get(name)
        if field is None:
            self.report(path, f"champ inconnu « {name} »")
        elif field["type"] not in NUMERIC_TYPES:
            self.report(path, f"le champ « {name} » n'est pas numérique (type {field['type']})")

    def dependencies(self, computed_id: str) -> list[str]:
        return computed_dependencies(self.computed[computed_id])

    def cycle_reference(self, start: str) -> str | None:
        """The reference of ``start`` through which it depends on itself, if any."""
        def reaches(name: str, trail: frozenset[str]) -> bool:
            if name == start:
                return True
            if name in trail or name not in self.computed:
                return False
            return any(reaches(dep, trail | {name}) for dep in self.dependencies(name))

        return next((dep for dep in self.dependencies(start) if reaches(dep, frozenset())), None)

    def computed_page(self, computed_id: str, seen: frozenset[str] = frozenset()) -> int:
        pages = [
            self.computed_page(dep, seen | {computed_id}) if dep in self.computed and dep not in seen
            else self.page_of.get(dep, 0)
            for dep in self.dependencies(computed_id)
        ]
        return max(pages, default=0)

    # -- conditions ------------------------------------------------------------
    def check_condition(self, condition: Mapping[str, Any] | str, path: tuple[Any, ...], max_page: int | None = None,
                        itself: str | None = None, page_when: bool = False) -> None:
        if isinstance(condition, str):
            self.check_formula_condition(condition, path, max_page, itself, page_when)
            return
        combinators = [k for k in condition if k in COMBINATORS]
        if combinators:
            if len(condition) != 1:
                self.report(path, f"« {combinators[0]} » doit être seul dans sa condition")
                return
            key = combinators[0]
            subs = condition[key] if key != "not" else [condition[key]]
            for k, sub in enumerate(subs):
                sub_path = path + (key, k) if key != "not" else path + (key,)
                self.check_condition(sub, sub_path, max_page, itself, page_when)
            return
        operators = [k for k in condition if k in OPERATORS]
        if "field" not in condition:
            self.report(path, "condition sans champ (field)")
            return
        if len(operators) != 1:
            self.report(path, "une condition doit avoir exactement un opérateur (equals, in, greater_than...)"
                        if operators else "condition sans opérateur (equals, in, greater_than...)")
            return
        operator = operators[0]
        names = [condition["field"]] + ([condition[operator]["field"]] if is_field_ref(condition[operator]) else [])
        for name in names:
            if not self.check_reference(name, path + ("field",), max_page, itself, page_when):
                return
        self.check_operand(condition["field"], operator, condition[operator], path + (operator,))

    def check_formula_condition(self, text: str, path: tuple[Any, ...], max_page: int | None, itself: str | None,
                                page_when: bool) -> None:
        try:
            ast = parse(text)
        except FormulaError as error:
            self.report(path, error.message, error.offset)
            return
        for node in _walk_formula(text):
            name = node.get("ref") or node.get("col", [None])[0]
            known = name and (name in self.fields or name in self.computed)
            if known and not self.check_reference(name, path, max_page, itself, page_when, node["at"]):
                return
        kind = self.formula_type(text, path)
        if kind is not None and kind != BOOLEAN:
            self.report(path, f"une condition doit être vraie ou fausse (par exemple « montant > 1000 ») ; cette "
                              f"formule donne : {kind}", ast["at"])

    def check_reference(self, name: str, path: tuple[Any, ...], max_page: int | None, itself: str | None,
                        page_when: bool, offset: int | None = None) -> bool:
        def refuse(message: str) -> bool:
            self.report(path, message, offset)
            return False

        if name not in self.fields and name not in self.computed:
            return refuse(f"champ inconnu « {name} »")
        if name in self.fields and self.fields[name]["type"] in STATIC_TYPES:
            return refuse(f"« {name} » est un bloc de texte sans réponse")
        if name == itself:
            return refuse(f"le champ « {name} » ne peut pas dépendre de lui-même")
        if page_when and self.page_of.get(name, 0) == max_page + 1:
            return refuse(f"« {name} » est sur cette même page : la condition d'une page ne peut dépendre "
                          f"que des réponses des pages précédentes")
        if max_page is not None and self.page_of.get(name, 0) > max_page:
            where = "d'une page précédente" if page_when else "d'une page précédente ou de la même page"
            return refuse(f"la condition porte sur « {name} », qui se trouve sur une page suivante : "
                          f"elle ne peut dépendre que des réponses {where}")
        return True

    def field_type(self, name: str) -> str:
        if name in self.computed:
            return "amount" if self.computed_type(name, frozenset()) == AMOUNT else "decimal"
        return self.fields[name]["type"]

    def check_operand(self, name: str, operator: str, value: Any, path: tuple[Any, ...]) -> None:
        kind = self.field_type(name)
        if operator in NUMERIC_OPERATORS and kind not in NUMERIC_TYPES:
            self.report(path, f"comparaison numérique « {operator} » sur « {name} », qui n'est pas un nombre "
                              f"(type {kind})")
        elif operator in DATE_OPERATORS and kind != "date":
            self.report(path, f"comparaison de dates « {operator} » sur « {name} », qui n'est pas une date "
                              f"(type {kind})")
        elif operator == "contains" and kind != "multiple_choice":
            self.report(path, f"« contains » ne s'applique qu'à un choix multiple (« {name} » est de type {kind})")
        elif kind == "multiple_choice" and operator not in ("contains", "is_filled"):
            self.report(path, f"« {name} » est un choix multiple : écrivez « contains: valeur » (vrai si cette case "
                              f"est cochée, parmi d'autres éventuellement) ; « {operator} » n'a pas de sens sur "
                              f"plusieurs cases")
        elif is_field_ref(value):
            other = value["field"]
            other_kind = self.field_type(other)
            if operator in DATE_OPERATORS and other_kind != "date":
                self.report(path, f"« {other} » n'est pas une date (type {other_kind}) : « {operator} » compare "
                                  "deux dates")
            elif operator in NUMERIC_OPERATORS and other_kind not in NUMERIC_TYPES:
                self.report(path, f"« {other} » n'est pas un nombre (type {other_kind}) : « {operator} » compare "
                                  "deux nombres")
        elif operator in DATE_OPERATORS and not _is_iso_date(value):
            self.report(path, f"date attendue au format AAAA-MM-JJ, entre guillemets (« {value} »)")
        elif operator in ("equals", "not_equals", "in", "not_in", "contains"):
            candidates = value if isinstance(value, list) else [value]
            for candidate in candidates:
                problem = self.impossible_value(name, kind, candidate)
                if problem:
                    self.report(path, problem)
                    return

    def impossible_value(self, name: str, kind: str, value: Any) -> str | None:
        if kind in BOOLEAN_TYPES:
            if not isinstance(value, bool):
                return f"« {name} » vaut true ou false, jamais « {value} »"
        elif kind in CHOICE_TYPES and not self.fields[name].get("__unresolved__"):
            values = choice_values(self.fields[name])
            if value not in values:
                return f"« {name} » ne peut jamais valoir « {value} » (choix possibles : {', '.join(values)})"
        elif kind in NUMERIC_TYPES:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return f"« {name} » est un nombre : « {value} » ne peut pas lui être comparé"
        elif isinstance(value, bool):
            return f"« {name} » (type {kind}) ne vaut jamais « {str(value).lower()} »"
        return None

    # -- rules -----------------------------------------------------------------
    def check_rules(self) -> None:
        seen: set[str] = set()
        for k, rule in enumerate(self.data.get("rules", ())):
            path = ("rules", k)
            if rule["id"] in seen:
                self.report(path + ("id",), f"identifiant de règle « {rule['id']} » en double")
            seen.add(rule["id"])
            self.check_condition(rule["require"], path + ("require",))
            if "when" in rule:
                self.check_condition(rule["when"], path + ("when",))
            if "page" in rule and rule["page"] not in self.page_ids:
                self.report(path + ("page",), f"page inconnue « {rule['page']} »")
            for n, name in enumerate(rule.get("fields", ())):
                if name not in self.fields:
                    self.report(path + ("fields", n), f"champ inconnu « {name} »")


def _name(field: Mapping[str, Any]) -> Name:
    """What a formula may do with a field (or a table's columns)."""
    if field["type"] == "table":
        return Name("table", "table", columns={c["id"]: _name(c) for c in field["columns"]})
    choices = () if field.get("__unresolved__") else tuple(choice_values(field))
    return Name(FIELD_TYPES.get(field["type"]), field["type"], choices)


def _walk_formula(text: str):
    from .formulas import walk

    try:
        return list(walk(parse(text)))
    except FormulaError:
        return []


def _is_iso_date(value: Any) -> bool:
    try:
        date.fromisoformat(str(value))
        return True
    except ValueError:
        return False
