"""Formulas: arithmetic written the way a spreadsheet user writes it.

``montant_sollicite * 20%``, ``min(total_depenses * 80%; 50000)``,
``sum(depenses.montant; depenses.nature = "investissement")``,
``days(date_debut; date_fin) >= 30``. Field and computed ids are the names.

One grammar (Lark), one AST made of plain JSON values, so that the very same
tree is evaluated here and, serialised into the page, by ``static/js/formulas.js``:

    {"n": "12.5"}  {"s": "texte"}  {"b": true}  {"ref": "montant"}
    {"col": ["depenses", "montant"]}  (a column, inside ``sum`` only)
    {"op": "+", "a": [x, y]}   (+ - * / = <> < <= > >= and or)
    {"op": "neg"|"not"|"%", "a": [x]}
    {"fn": "min"|"max"|"round"|"sum"|"days"|"date", "a": [...]}

Every node also carries ``"at"``: the offset of its first character in the
formula text (for lint messages; the evaluators ignore it).

Arithmetic is fixed-point decimal: every number has at most ``PLACES`` digits
after the point, products and quotients are rounded half away from zero (as a
spreadsheet's ROUND); additions are exact. No float, no ``eval``. A missing
value (unanswered field, division by zero) makes the result missing; a
comparison with a missing value is false.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from functools import lru_cache
from typing import Any

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from .field_types import value_types

PLACES = 10
MAX_DIGITS = 30  # numbers of 10^30 and more are refused (treated as missing)
_QUANTUM = Decimal(1).scaleb(-PLACES)

GRAMMAR = r"""
?start: expr
?expr: or_expr
?or_expr: and_expr | or_expr OR and_expr -> logic
?and_expr: not_expr | and_expr AND not_expr -> logic
?not_expr: comparison | NOT not_expr -> unary
?comparison: sum | sum COMPARE sum -> binary
?sum: product | sum ADD product -> binary
?product: unary | product MUL unary -> binary
?unary: postfix | ADD unary -> unary
?postfix: atom | postfix PERCENT -> percent
?atom: NUMBER -> number
     | STRING -> string
     | BOOLEAN -> boolean
     | NAME -> ref
     | NAME "." NAME -> column
     | NAME LPAR [expr (SEP expr)*] ")" -> call
     | LPAR expr ")" -> group

OR.2: /(or|ou)\b/
AND.2: /(and|et)\b/
NOT.2: /(not|non)\b/
BOOLEAN.2: /(true|false|vrai|faux)\b/
COMPARE: "<=" | ">=" | "<>" | "!=" | "=" | "<" | ">"
ADD: "+" | "-"
MUL: "*" | "/"
PERCENT: "%"
SEP: ";" | ","
LPAR: "("
NUMBER: /[0-9]+([.,][0-9]+)?/
STRING: /"[^"]*"/ | /'[^']*'/
NAME: /[a-z][a-z0-9_]*/
%ignore /[ \t\r\n]+/
"""

# Function names as written (English and the French of a spreadsheet) -> canonical name.
FUNCTIONS = {
    "min": "min", "max": "max", "round": "round", "arrondi": "round", "sum": "sum", "somme": "sum",
    "days": "days", "jours": "days", "date": "date",
}
KEYWORDS = frozenset({"and", "et", "or", "ou", "not", "non", "true", "false", "vrai", "faux"})
_BOOLEANS = {"true": True, "vrai": True, "false": False, "faux": False}
_LOGIC = {"or": "or", "ou": "or", "and": "and", "et": "and", "not": "not", "non": "not"}


class FormulaError(ValueError):
    """A problem in a formula, at ``offset`` (0-based) of its text."""

    def __init__(self, offset: int, message: str):
        self.offset, self.message = offset, message
        super().__init__(message)


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark(GRAMMAR, parser="lalr", propagate_positions=True, maybe_placeholders=False)


def _at(token: Token) -> int:
    return token.start_pos


@v_args(inline=True)
class _ToAst(Transformer):
    def number(self, token):
        return {"n": str(Decimal(token.replace(",", "."))), "at": _at(token)}

    def string(self, token):
        return {"s": token[1:-1], "at": _at(token)}

    def boolean(self, token):
        return {"b": _BOOLEANS[str(token)], "at": _at(token)}

    def ref(self, token):
        if str(token) in KEYWORDS:
            raise FormulaError(_at(token), f"« {token} » est un mot réservé des formules")
        return {"ref": str(token), "at": _at(token)}

    def column(self, table, column):
        return {"col": [str(table), str(column)], "at": _at(table)}

    def group(self, _lpar, expr):
        return expr

    def binary(self, left, op, right):
        symbol = "<>" if op == "!=" else str(op)
        return {"op": symbol, "a": [left, right], "at": left["at"], "op_at": _at(op)}

    def logic(self, left, op, right):
        return {"op": _LOGIC[str(op)], "a": [left, right], "at": left["at"], "op_at": _at(op)}

    def unary(self, op, operand):
        name = {"-": "neg", "+": "pos"}.get(str(op)) or _LOGIC[str(op)]
        if name == "pos":
            return operand
        return {"op": name, "a": [operand], "at": _at(op)}

    def percent(self, operand, op):
        return {"op": "%", "a": [operand], "at": operand["at"], "op_at": _at(op)}

    def call(self, name, _lpar, *rest):
        args = [item for item in rest if not isinstance(item, Token)]
        canonical = FUNCTIONS.get(str(name))
        if canonical is None:
            known = ", ".join(sorted(set(FUNCTIONS)))
            raise FormulaError(_at(name), f"fonction inconnue « {name} » (fonctions : {known})")
        return {"fn": canonical, "a": args, "at": _at(name)}


def parse(text: str) -> dict[str, Any]:
    """The AST of a formula; raise ``FormulaError`` with a French message."""
    return _parse_cached(text)


@lru_cache(maxsize=1024)
def _parse_cached(text: str) -> dict[str, Any]:
    if not text.strip():
        raise FormulaError(0, "formule vide")
    try:
        tree = _parser().parse(text)
        return _ToAst().transform(tree)
    except VisitError as exc:
        if isinstance(exc.orig_exc, FormulaError):
            raise exc.orig_exc from None
        raise
    except UnexpectedInput as exc:
        raise _syntax_error(text, exc) from None


def _syntax_error(text: str, exc: UnexpectedInput) -> FormulaError:
    if isinstance(exc, UnexpectedEOF) or (isinstance(exc, UnexpectedToken) and exc.token.type == "$END"):
        return FormulaError(len(text.rstrip()), "formule incomplète (une parenthèse ou une valeur manque à la fin)")
    if isinstance(exc, UnexpectedCharacters):
        char = text[exc.pos_in_stream]
        hint = " ; les textes s'écrivent entre guillemets droits \"...\"" if char in "«»“”" else ""
        hint = " ; les identifiants s'écrivent en minuscules, sans accent" if char.isalpha() else hint
        return FormulaError(exc.pos_in_stream, f"caractère inattendu « {char} » dans la formule{hint}")
    token = exc.token
    if token.type == "LPAR" or str(token) == "(":
        return FormulaError(token.start_pos, "« ( » inattendue : un opérateur (+, -, *, /) manque-t-il avant ?")
    return FormulaError(token.start_pos, f"« {token} » inattendu dans la formule")


# --- references -----------------------------------------------------------------


def walk(node: Any):
    """Every node of an AST, depth first."""
    if isinstance(node, Mapping):
        yield node
        for child in node.get("a", ()):
            yield from walk(child)


def references(node: Any) -> list[str]:
    """Ids the formula reads: fields, computed values and the tables of its columns."""
    names: list[str] = []
    for item in walk(node):
        name = item.get("ref") or (item["col"][0] if "col" in item else None)
        if name and name not in names:
            names.append(name)
    return names


def is_formula_condition(condition: Any) -> bool:
    return isinstance(condition, Mapping) and "formula" in condition


# --- evaluation -------------------------------------------------------------------


def _quantize(value: Decimal) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 60
        return value.quantize(_QUANTUM, rounding=ROUND_HALF_UP)


_SCALE = 10 ** PLACES


def _scaled(value: Decimal) -> int:
    """A quantized number as an integer count of 10^-PLACES (exact)."""
    return int(value.scaleb(PLACES))


def _scaled_division(numerator: int, denominator: int) -> Decimal:
    """numerator / denominator (integers, in 10^-PLACES) rounded half away from zero: exact integer
    arithmetic, the same as static/js/formulas.js does with BigInt."""
    quotient, remainder = divmod(abs(numerator), abs(denominator))
    if 2 * remainder >= abs(denominator):
        quotient += 1
    if (numerator < 0) != (denominator < 0):
        quotient = -quotient
    return Decimal(quotient).scaleb(-PLACES)


def to_number(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    elif isinstance(value, str):
        text = value.strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace(",", ".")
        try:
            number = Decimal(text) if text else None
        except InvalidOperation:
            return None
        if number is None:
            return None
    else:
        return None
    if not number.is_finite() or (number and number.adjusted() >= MAX_DIGITS):
        return None  # not a number a form could mean (1e999999): missing, as in static/js/formulas.js
    return _quantize(number)


def to_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, (str, list, tuple, dict)) and len(value) == 0)


def canonical(value: Any) -> Any:
    """A value as the shared corpus writes it: numbers as their shortest text."""
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return "0" if text in ("-0", "0") else text
    return value


Lookup = Callable[[str], Any]


def evaluate(node: Mapping[str, Any], lookup: Lookup) -> Any:
    """Decimal, bool, ISO date text, text or None (missing)."""
    with localcontext() as ctx:
        ctx.prec = 60  # never round before the explicit rounding to PLACES
        return _Evaluator(lookup).value(node)


def evaluate_number(node: Mapping[str, Any], lookup: Lookup) -> Decimal | None:
    result = evaluate(node, lookup)
    return Decimal(canonical(result)) if isinstance(result, Decimal) else None


def holds(node: Mapping[str, Any], lookup: Lookup) -> bool:
    return evaluate(node, lookup) is True


@dataclass
class _Evaluator:
    lookup: Lookup
    row: Mapping[str, Any] | None = None
    table: str | None = None

    def value(self, node: Mapping[str, Any]) -> Any:
        if "n" in node:
            return to_number(node["n"])
        if "s" in node:
            return node["s"]
        if "b" in node:
            return node["b"]
        if "ref" in node:
            return self.reference(self.lookup(node["ref"]))
        if "col" in node:
            table, column = node["col"]
            if self.row is not None and table == self.table:
                return self.reference(self.row.get(column))
            return None
        if "fn" in node:
            return getattr(self, "fn_" + node["fn"])(node["a"])
        return self.operation(node["op"], node["a"])

    @staticmethod
    def reference(raw: Any) -> Any:
        if _missing(raw):
            return None
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, (int, float, Decimal)):
            return to_number(raw)
        if isinstance(raw, date):
            return raw.isoformat()
        return raw

    def number(self, node: Mapping[str, Any]) -> Decimal | None:
        value = self.value(node)
        return value if isinstance(value, Decimal) else to_number(value) if isinstance(value, str) else None

    def operation(self, op: str, args: list) -> Any:
        if op in ("and", "or"):
            left, right = (self.value(a) is True for a in args)
            return (left and right) if op == "and" else (left or right)
        if op == "not":
            return not (self.value(args[0]) is True)
        if op in ("=", "<>", "<", "<=", ">", ">="):
            return compare(op, self.value(args[0]), self.value(args[1]))
        numbers = [self.number(a) for a in args]
        if any(n is None for n in numbers):
            return None
        if op == "neg":
            return -numbers[0]
        if op == "%":
            return _scaled_division(_scaled(numbers[0]), 100)
        a, b = numbers
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return _scaled_division(_scaled(a) * _scaled(b), _SCALE)
        return None if b == 0 else _scaled_division(_scaled(a) * _SCALE, _scaled(b))

    def fn_min(self, args: list) -> Any:
        return self._extreme(args, min)

    def fn_max(self, args: list) -> Any:
        return self._extreme(args, max)

    def _extreme(self, args: list, pick: Callable) -> Any:
        values = [self.value(a) for a in args]
        if any(v is None for v in values):
            return None
        if all(isinstance(v, Decimal) for v in values):
            return pick(values)
        if all(to_date(v) for v in values):
            return pick(values, key=to_date)
        return None

    def fn_round(self, args: list) -> Any:
        value = self.number(args[0])
        places = self.number(args[1]) if len(args) > 1 else Decimal(0)
        if value is None or places is None:
            return None
        return value.quantize(Decimal(1).scaleb(-int(places)), rounding=ROUND_HALF_UP)

    def fn_sum(self, args: list) -> Any:
        table, column = args[0]["col"]
        rows = self.lookup(table)
        total = Decimal(0)
        for row in rows if isinstance(rows, list) else ():
            if not isinstance(row, Mapping):
                continue
            if len(args) > 1 and _Evaluator(self.lookup, row, table).value(args[1]) is not True:
                continue
            amount = to_number(row.get(column))
            if amount is not None:
                total += amount
        return total

    def fn_days(self, args: list) -> Any:
        start, end = (to_date(self.value(a)) for a in args)
        if start is None or end is None:
            return None
        return Decimal((end - start).days)

    def fn_date(self, args: list) -> Any:
        value = to_date(self.value(args[0]))
        return value.isoformat() if value else None


def compare(op: str, left: Any, right: Any) -> bool:
    if left is None or right is None:
        return False
    if isinstance(left, bool) or isinstance(right, bool):
        if not (isinstance(left, bool) and isinstance(right, bool)):
            return False
        a, b = left, right
    elif isinstance(left, Decimal) or isinstance(right, Decimal):
        a, b = to_number(left), to_number(right)
        if a is None or b is None:
            return False
    else:
        a, b = str(left), str(right)
    if op == "=":
        return a == b
    if op == "<>":
        return a != b
    if isinstance(a, bool):
        return False
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


# --- types (lint) -------------------------------------------------------------------

NUMBER, AMOUNT, DATE, TEXT, BOOLEAN = "nombre", "montant", "date", "texte", "oui/non"
# Types of field (spec language) -> type in a formula; absent: not usable in a formula.
# The formula type of each field type, from its descriptor (runtime/spec/field_types.py).
FIELD_TYPES = {name: {"number": NUMBER, "amount": AMOUNT, "date": DATE, "boolean": BOOLEAN, "text": TEXT}[value]
               for name, value in value_types().items()}
_NUMERIC = (NUMBER, AMOUNT)


@dataclass(frozen=True)
class Name:
    """What lint knows of a name: its formula type, or why it cannot be used, and its choices."""

    kind: str | None  # a formula type, "table", or None (not usable)
    field_type: str = ""
    choices: tuple[str, ...] = ()
    columns: Mapping[str, Name] | None = None  # tables


def type_of(node: Mapping[str, Any], names: Mapping[str, Name]) -> str:
    """The type of a formula; raise ``FormulaError`` at the faulty token."""
    return _Typer(names).type(node)


@dataclass
class _Typer:
    names: Mapping[str, Name]
    table: str | None = None  # inside a sum's row filter

    def type(self, node: Mapping[str, Any]) -> str:
        if "n" in node:
            return NUMBER
        if "s" in node:
            return TEXT
        if "b" in node:
            return BOOLEAN
        if "ref" in node:
            return self.ref(node)
        if "col" in node:
            return self.column(node)
        if "fn" in node:
            return getattr(self, "fn_" + node["fn"])(node)
        return self.operation(node)

    def ref(self, node: Mapping[str, Any]) -> str:
        name = self.names.get(node["ref"])
        if name is None:
            raise FormulaError(node["at"], f"champ inconnu « {node['ref']} »")
        if name.kind == "table":
            raise FormulaError(node["at"], f"« {node['ref']} » est un tableau : écrivez sum({node['ref']}.colonne)")
        if name.kind is None:
            extra = " ; pour un choix multiple, utilisez une condition « contains »" \
                if name.field_type == "multiple_choice" else ""
            raise FormulaError(node["at"], f"« {node['ref']} » (type {name.field_type}) ne peut pas figurer "
                                           f"dans une formule{extra}")
        return name.kind

    def column(self, node: Mapping[str, Any]) -> str:
        table, column = node["col"]
        if self.table != table:
            where = f"dans le filtre, seules les colonnes de « {self.table} » sont permises" if self.table \
                else "une colonne de tableau ne s'emploie que dans sum(tableau.colonne)"
            raise FormulaError(node["at"], f"« {table}.{column} » : {where}")
        return self.column_name(node).kind or TEXT

    def column_name(self, node: Mapping[str, Any]) -> Name:
        table, column = node["col"]
        info = self.names.get(table)
        if info is None or info.kind != "table":
            raise FormulaError(node["at"], f"tableau inconnu « {table} »")
        found = (info.columns or {}).get(column)
        if found is None:
            raise FormulaError(node["at"], f"colonne inconnue « {column} » dans le tableau « {table} »")
        if found.kind is None:
            raise FormulaError(node["at"], f"la colonne « {column} » (type {found.field_type}) ne peut pas "
                                           f"figurer dans une formule")
        return found

    def expect(self, node: Mapping[str, Any], allowed: tuple[str, ...], what: str) -> str:
        kind = self.type(node)
        if kind not in allowed:
            raise FormulaError(node["at"], f"{what} attendu, mais cette valeur est de type {kind}")
        return kind

    def operation(self, node: Mapping[str, Any]) -> str:
        op, args = node["op"], node["a"]
        if op in ("and", "or", "not"):
            for arg in args:
                self.expect(arg, (BOOLEAN,), "une condition (oui/non)")
            return BOOLEAN
        if op in ("=", "<>", "<", "<=", ">", ">="):
            return self.comparison(node)
        kinds = [self.expect(a, _NUMERIC + ((DATE,) if op == "-" else ()), "un nombre") for a in args]
        if op in ("neg", "%"):
            return kinds[0]
        if DATE in kinds:
            raise FormulaError(node["op_at"], "soustraction de dates : écrivez days(date_debut; date_fin) "
                                              "pour le nombre de jours")
        if op in ("+", "-"):
            return AMOUNT if AMOUNT in kinds else NUMBER
        if op == "*":
            if kinds == [AMOUNT, AMOUNT]:
                raise FormulaError(node["op_at"], "multiplication de deux montants : l'un des deux doit être "
                                                  "un nombre ou un pourcentage")
            return AMOUNT if AMOUNT in kinds else NUMBER
        return AMOUNT if kinds == [AMOUNT, NUMBER] else NUMBER

    def comparison(self, node: Mapping[str, Any]) -> str:
        op, (left, right) = node["op"], node["a"]
        a, b = self.type(left), self.type(right)
        family = {NUMBER: "n", AMOUNT: "n"}
        if family.get(a, a) != family.get(b, b):
            raise FormulaError(right["at"], f"comparaison impossible : {a} comparé à {b}")
        if op not in ("=", "<>") and a not in _NUMERIC + (DATE,):
            raise FormulaError(node["op_at"], f"« {op} » compare des nombres ou des dates, pas des valeurs de "
                                              f"type {a}")
        for ref, literal in ((left, right), (right, left)):
            self.check_choice(ref, literal)
        return BOOLEAN

    def check_choice(self, ref: Mapping[str, Any], literal: Mapping[str, Any]) -> None:
        if "s" not in literal:
            return
        if "ref" in ref:
            info = self.names.get(ref["ref"])
            name = ref["ref"]
        elif "col" in ref:
            info = self.column_name(ref)
            name = ".".join(ref["col"])
        else:
            return
        if info and info.choices and literal["s"] not in info.choices:
            raise FormulaError(literal["at"], f"« {name} » ne peut jamais valoir « {literal['s']} » "
                                              f"(choix possibles : {', '.join(info.choices)})")

    def arity(self, node: Mapping[str, Any], low: int, high: int, usage: str) -> None:
        if not low <= len(node["a"]) <= high:
            raise FormulaError(node["at"], f"{node['fn']} s'écrit {usage}")

    def fn_min(self, node: Mapping[str, Any]) -> str:
        return self._extreme(node)

    def fn_max(self, node: Mapping[str, Any]) -> str:
        return self._extreme(node)

    def _extreme(self, node: Mapping[str, Any]) -> str:
        self.arity(node, 2, 99, f"{node['fn']}(a; b; ...), avec au moins deux valeurs séparées par « ; »")
        kinds = [self.expect(a, _NUMERIC + (DATE,), "un nombre ou une date") for a in node["a"]]
        if DATE in kinds and set(kinds) != {DATE}:
            raise FormulaError(node["at"], f"{node['fn']} : des dates et des nombres mélangés")
        return AMOUNT if AMOUNT in kinds else kinds[0]

    def fn_round(self, node: Mapping[str, Any]) -> str:
        self.arity(node, 1, 2, "round(valeur) ou round(valeur; décimales)")
        kind = self.expect(node["a"][0], _NUMERIC, "un nombre")
        if len(node["a"]) == 2:
            places = node["a"][1]
            if "n" not in places or not places["n"].isdigit() or int(places["n"]) > PLACES:
                raise FormulaError(places["at"], f"nombre de décimales attendu : un entier de 0 à {PLACES}")
        return kind

    def fn_sum(self, node: Mapping[str, Any]) -> str:
        self.arity(node, 1, 2, "sum(tableau.colonne) ou sum(tableau.colonne; filtre des lignes)")
        target = node["a"][0]
        if "col" not in target:
            raise FormulaError(target["at"], "sum attend une colonne de tableau : sum(tableau.colonne)")
        column = self.column_name(target)
        if column.kind not in _NUMERIC:
            raise FormulaError(target["at"], f"somme d'une colonne non numérique « {'.'.join(target['col'])} » "
                                             f"(type {column.field_type})")
        if len(node["a"]) == 2:
            _Typer(self.names, target["col"][0]).expect(node["a"][1], (BOOLEAN,), "un filtre (condition sur la ligne)")
        return column.kind

    def fn_days(self, node: Mapping[str, Any]) -> str:
        self.arity(node, 2, 2, "days(date_debut; date_fin)")
        for arg in node["a"]:
            self.expect(arg, (DATE,), "une date")
        return NUMBER

    def fn_date(self, node: Mapping[str, Any]) -> str:
        self.arity(node, 1, 1, 'date("AAAA-MM-JJ")')
        arg = node["a"][0]
        if "s" not in arg or to_date(arg["s"]) is None:
            raise FormulaError(arg["at"], 'date attendue sous la forme date("AAAA-MM-JJ")')
        return DATE
