"""Safe YAML reading with the position of every node.

Stricter than ``yaml.safe_load``: duplicate keys, custom tags, anchors and
aliases are refused; only ``true``/``false`` are booleans (``no``, ``oui``,
``off`` stay texts); dates stay ISO texts; ``0123`` stays a text; files above
``MAX_BYTES`` are refused.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

MAX_BYTES = 512 * 1024
Path = tuple[Any, ...]

_TAG = "tag:yaml.org,2002:"
ALLOWED_TAGS = {_TAG + name for name in ("str", "int", "float", "bool", "null", "map", "seq")}


# libyaml's C parser when present (several times faster), same resolvers and checks.
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class SpecYAMLLoader(_BaseLoader):
    """YAML 1.2-like implicit typing: no yes/no booleans, no dates, no octal."""


SpecYAMLLoader.yaml_implicit_resolvers = {}
for _tag, _regexp, _first in (
    ("bool", r"^(?:true|false)$", "tf"),
    ("int", r"^[-+]?(?:0|[1-9][0-9]*)$", "-+0123456789"),
    ("float", r"^[-+]?(?:(?:0|[1-9][0-9]*)\.[0-9]+)(?:[eE][-+]?[0-9]+)?$", "-+0123456789"),
    ("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
):
    SpecYAMLLoader.add_implicit_resolver(_TAG + _tag, re.compile(_regexp), list(_first))


class YAMLProblem(Exception):
    def __init__(self, line: int, column: int, message: str):
        self.line, self.column, self.message = line, column, message
        super().__init__(message)


@dataclass
class Document:
    """Plain data plus the (line, column) of every value and every mapping key."""

    data: Any
    positions: dict[Path, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[Path, tuple[int, int]] = field(default_factory=dict)
    styles: dict[Path, str | None] = field(default_factory=dict)  # scalar style: None (plain), '"', "'", '|', '>'
    lines: list[str] = field(default_factory=list)

    def position_in_value(self, path: Path, offset: int) -> tuple[int, int]:
        """Position of the character ``offset`` of the text value at ``path`` (a formula's token).

        Exact for a value on one line (plain or quoted, without escapes) and for the first line of a
        block (``>-``, ``|``); otherwise the start of the value."""
        path = tuple(path)
        line, column = self.position(path)
        if path not in self.styles:
            return line, column
        style = self.styles[path]
        if style in ("|", ">"):
            following = self.lines[line:line + 1]
            if not following:
                return line, column
            content = following[0]
            return line + 1, len(content) - len(content.lstrip(" ")) + 1 + offset
        return line, column + offset + (1 if style in ('"', "'") else 0)

    def position(self, path: Path, key: bool = False) -> tuple[int, int]:
        """Position of the value at ``path`` (or of its key), else of the nearest parent."""
        path = tuple(path)
        if key and path in self.key_positions:
            return self.key_positions[path]
        while path not in self.positions and path:
            path = path[:-1]
        return self.positions.get(path, (1, 1))


ANCHORS = "les ancres et alias YAML (& et *) ne sont pas permis ; un texte commençant par & ou * se met entre guillemets"
_COLON = ("« : » inattendu ; un texte contenant « : » (deux-points suivi d'une espace) doit être placé "
          "entre guillemets")
_TAB = "tabulation interdite : indentez avec des espaces"
# Messages of PyYAML's Python parser and of libyaml's C parser.
_PROBLEMS = {
    "mapping values are not allowed here": _COLON,
    "mapping values are not allowed in this context": _COLON,
    "found character '\\t' that cannot start any token": _TAB,
    "found a tab character that violates indentation": _TAB,
    "found character that cannot start any token": "caractère inattendu (tabulation, @ ou ` en début de texte ?)",
    "did not find expected key": "indentation incohérente ou clé attendue",
    "did not find expected '-' indicator": "élément de liste mal indenté",
    "did not find expected ',' or ']'": "liste entre crochets mal fermée (« ] » ou « , » attendu)",
    "did not find expected ',' or '}'": "ensemble entre accolades mal fermé (« } » ou « , » attendu) ; mettez les "
    "textes contenant « : », « ? » ou « , » entre guillemets",
    "found unexpected end of stream": "fin de fichier inattendue (guillemet ou crochet non fermé ?)",
    "found undefined alias": "alias YAML (*) non permis",
    "found undefined tag handle": "étiquette YAML non permise",
    "could not find expected ':'": "« : » attendu après la clé",
    "expected <block end>, but found '-'": "élément de liste mal indenté",
    "expected <block end>, but found '<block mapping start>'": "indentation incohérente",
    "expected the node content, but found '<stream end>'": "fin de fichier inattendue (crochet non fermé ?)",
    "but found another document": "un seul document par fichier : retirez la ligne « --- » et ce qui la suit",
    "did not find expected node content": "valeur attendue à cet endroit (accolade ou crochet mal placé ? un texte "
    "commençant par { ou [ se met entre guillemets)",
}
_QUOTE_CONTEXTS = ("while scanning a quoted scalar", "while scanning a double-quoted scalar")


def _french(problem: str) -> str:
    """PyYAML's problem in French; one it does not know keeps its English words as a detail."""
    return _PROBLEMS.get(problem) or f"syntaxe YAML incorrecte (détail technique : {problem})"


def _refuse_anchors(text: str) -> None:
    """An anchor (``&name``) is refused even when no alias uses it: ``title: &Budget`` is a
    slip for a text, not an empty title. The C parser's nodes do not keep anchors: scan the
    tokens, only when the text holds a ``&``."""
    if "&" not in text:
        return
    for token in yaml.scan(text, Loader=yaml.SafeLoader):
        if isinstance(token, yaml.AnchorToken):
            raise YAMLProblem(token.start_mark.line + 1, token.start_mark.column + 1, ANCHORS)


def _reader_problem(text: str, error: yaml.reader.ReaderError) -> YAMLProblem:
    """A character YAML refuses (a control character pasted with a text): where it is, and which."""
    before = text[: error.position]
    line, column = before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1
    code = error.character if isinstance(error.character, int) else ord(str(error.character)[:1] or "\0")
    return YAMLProblem(line, column, f"caractère de contrôle invisible (U+{code:04X}) non permis : retirez-le")


_KEY_LINE = re.compile(r"^( *)(- +)?([A-Za-z_][\w-]*):( |$)")


def _misindented_key(lines: list[str], line: int) -> tuple[int, int, str] | None:
    """A key indented differently from the key just above it (a common slip): say so, not « : » inattendu."""
    if not 1 <= line <= len(lines):
        return None
    here = _KEY_LINE.match(lines[line - 1])
    if not here or here.group(2):
        return None
    for previous in reversed(lines[:line - 1]):
        if not previous.strip() or previous.lstrip().startswith("#"):
            continue
        above = _KEY_LINE.match(previous)
        if not above:
            return None
        expected = len(above.group(1)) + len(above.group(2) or "")
        indent = len(here.group(1))
        if indent == expected:
            return None
        message = (f"clé « {here.group(3)} » mal indentée : alignez-la sur « {above.group(3)} » de la ligne "
                   f"au-dessus ({expected} espaces en début de ligne, et non {indent})")
        return line, indent + 1, message
    return None


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def parse(text: str) -> Document:
    """Parse one YAML document; raise ``YAMLProblem`` with a French message."""
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise YAMLProblem(1, 1, f"fichier trop volumineux (plus de {MAX_BYTES // 1024} Ko)")
    loader = SpecYAMLLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.reader.ReaderError as exc:
        raise _reader_problem(text, exc) from None
    except yaml.MarkedYAMLError as exc:
        # an unclosed quote is found where the file ends: say where the quote opens
        quote_opened = exc.context in _QUOTE_CONTEXTS and exc.context_mark
        mark = exc.context_mark if quote_opened else exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        misplaced = _misindented_key(text.splitlines(), line)
        if misplaced:
            raise YAMLProblem(*misplaced) from None
        problem = "guillemet ouvert ici et jamais fermé" if quote_opened else _french(exc.problem or exc.context or "")
        raise YAMLProblem(line, column, f"YAML invalide : {problem}") from None
    except yaml.YAMLError as exc:
        raise YAMLProblem(1, 1, f"YAML invalide : {exc}") from None
    finally:
        loader.dispose()
    _refuse_anchors(text)
    document = Document(None, lines=text.splitlines())
    if node is None:
        return document
    document.data = _Builder(loader, document).build(node, ())
    return document


class _Builder:
    def __init__(self, loader: SpecYAMLLoader, document: Document):
        self.loader, self.document, self.seen = loader, document, set()

    def build(self, node: yaml.Node, path: Path) -> Any:
        if id(node) in self.seen:
            raise YAMLProblem(*_mark(node), ANCHORS)
        self.seen.add(id(node))
        if node.tag not in ALLOWED_TAGS:
            raise YAMLProblem(*_mark(node), f"étiquette YAML non permise « {node.tag.replace(_TAG, '!!')} »")
        self.document.positions[path] = _mark(node)
        if isinstance(node, yaml.MappingNode):
            return self.build_mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
        self.document.styles[path] = node.style
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            raise YAMLProblem(*_mark(node), f"valeur YAML invalide : {exc}") from None

    def build_mapping(self, node: yaml.MappingNode, path: Path) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _TAG + "merge" or (isinstance(key_node, yaml.ScalarNode) and key_node.value == "<<"):
                raise YAMLProblem(*_mark(key_node), "la fusion YAML (<<) n'est pas permise")
            key = self.build(key_node, path + ("<key>",))
            if not isinstance(key, str):
                raise YAMLProblem(*_mark(key_node), f"clé non textuelle « {key} »")
            if key in result:
                first = self.document.key_positions[path + (key,)][0]
                raise YAMLProblem(*_mark(key_node), f"clé « {key} » en double (déjà définie ligne {first})")
            self.document.key_positions[path + (key,)] = _mark(key_node)
            result[key] = self.build(value_node, path + (key,))
        return result
