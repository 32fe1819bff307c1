"""The YAML of a spec is read safely."""
from __future__ import annotations

import pytest

from runtime.spec.errors import SpecErrors
from runtime.spec.loader import load_spec_file, load_spec_text
from runtime.spec.yaml_source import ANCHORS, MAX_BYTES, YAMLProblem, parse

MINIMAL = """\
id: essai
kind: teleservice
version: 1
title: Essai
pages:
  - id: p1
    title: Page
    fields:
      - id: reponse
        type: choice
        label: Réponse
        choices: [{choices}]
"""


@pytest.mark.parametrize("word", ["no", "N", "off", "oui", "yes", "on", "non", "y", "Yes", "NO", "True"])
def test_yaml_11_booleans_stay_strings(word):
    assert parse(f"a: {word}\n").data == {"a": word}
    spec = load_spec_text(MINIMAL.replace("{choices}", f"{word}, autre"))
    assert [c.value for c in spec.field("reponse").choices] == [word, "autre"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("a: true\nb: false\n", {"a": True, "b": False}),
        ("a: 2026-09-01\n", {"a": "2026-09-01"}),
        ("a: 01000\n", {"a": "01000"}),
        ("a: 12\nb: -3\nc: 1.5\n", {"a": 12, "b": -3, "c": 1.5}),
        ("a: 1:30\n", {"a": "1:30"}),
        ("a: ~\nb:\n", {"a": None, "b": None}),
    ],
)
def test_implicit_types(text, expected):
    assert parse(text).data == expected


def test_duplicate_key_refused_with_both_lines():
    with pytest.raises(YAMLProblem) as info:
        parse("titre: a\nautre: b\ntitre: c\n")
    assert (info.value.line, info.value.column) == (3, 1)
    assert info.value.message == "clé « titre » en double (déjà définie ligne 1)"


@pytest.mark.parametrize(
    "text, message",
    [
        ("a: !!python/object/apply:os.system [ls]\n", "étiquette YAML non permise « !!python/object/apply:os.system »"),
        ("a: !!python/name:os.system\n", "étiquette YAML non permise « !!python/name:os.system »"),
        ("a: !perso 1\n", "étiquette YAML non permise « !perso »"),
        ("a: !!binary aGVsbG8=\n", "étiquette YAML non permise « !!binary »"),
        ("a: &x [1, 2]\nb: *x\n", ANCHORS),
        ("title: &Budget\n", ANCHORS),  # an anchor that no alias uses: a slip for a text
        ("a: {b: 1}\n<<: {c: 2}\n", "la fusion YAML (<<) n'est pas permise"),
        ("? [1, 2]\n: a\n", "clé non textuelle « [1, 2] »"),
    ],
)
def test_unsafe_constructs_refused(text, message):
    with pytest.raises(YAMLProblem) as info:
        parse(text)
    assert info.value.message == message


def test_python_tag_never_executed(tmp_path):
    marker = tmp_path / "executed"
    text = MINIMAL.replace("{choices}", "a, b") + f"description: !!python/object/apply:os.system ['touch {marker}']\n"
    with pytest.raises(SpecErrors):
        load_spec_text(text)
    assert not marker.exists()


def test_size_limit(tmp_path):
    big = "description: >\n" + ("  " + "x" * 99 + "\n") * (MAX_BYTES // 100 + 10)
    with pytest.raises(YAMLProblem) as info:
        parse(big)
    assert info.value.message == "fichier trop volumineux (plus de 512 Ko)"
    path = tmp_path / "gros.yaml"
    path.write_text(big, encoding="utf-8")
    with pytest.raises(SpecErrors) as errors:
        load_spec_file(path)
    assert str(errors.value) == f"{path}:1:1: fichier trop volumineux (plus de 512 Ko)"


def test_several_documents_refused():
    with pytest.raises(SpecErrors) as info:
        load_spec_text("id: a\n---\nid: b\n", "deux.yaml")
    assert str(info.value) == "deux.yaml:2:1: YAML invalide : un seul document par fichier : retirez la ligne « --- » et ce qui la suit"


@pytest.mark.parametrize(("text", "line", "column", "message"), [
    ('id: a\ntitle: "Bud\x07get"\n', 2, 12, "caractère de contrôle invisible (U+0007) non permis : retirez-le"),
    ('id: a\nversion: "1\nkind: x\ntitle: t\n', 2, 10, "YAML invalide : guillemet ouvert ici et jamais fermé"),
    ("id: {{{{\n", 2, 1, ("YAML invalide : valeur attendue à cet endroit (accolade ou crochet mal placé ? un texte "
                          "commençant par { ou [ se met entre guillemets)")),
])
def test_a_slip_is_named_in_french_where_it_is(text, line, column, message):
    with pytest.raises(YAMLProblem) as info:
        parse(text)
    assert (info.value.line, info.value.column, info.value.message) == (line, column, message)


def test_not_a_mapping():
    with pytest.raises(SpecErrors) as info:
        load_spec_text("- a\n- b\n", "liste.yaml")
    assert str(info.value) == "liste.yaml:1:1: la spec doit être un ensemble de clés (id, kind, title, pages...)"


def test_not_utf8(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("title: Métropole\n".encode("latin-1"))
    with pytest.raises(SpecErrors) as info:
        load_spec_file(path)
    assert str(info.value) == f"{path}:1:1: fichier illisible : encodage UTF-8 attendu"


def test_all_schema_errors_of_a_file_reported_at_once():
    text = MINIMAL.replace("{choices}", "a, b").replace("title: Page", "titre: Page").replace("kind: teleservice", "kind: autre")
    with pytest.raises(SpecErrors) as info:
        load_spec_text(text, "s.yaml")
    messages = [str(e) for e in info.value]
    assert messages[0] == "s.yaml:2:1: valeur « autre » non permise (valeurs permises : teleservice, tiers_creation, rattachement)"
    assert any(m.startswith("s.yaml:7:5: clé inconnue « titre »") for m in messages)
    assert "s.yaml:6:5: titre manquant (title)" in messages
