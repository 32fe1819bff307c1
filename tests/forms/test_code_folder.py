"""Compiled templates kept on disk (runtime/forms/code_folder.py): the next process finds a page
compiled, never the code of another source, another spec version or another version of the
portal's code."""
from __future__ import annotations

from jinja2 import Environment

from runtime.forms import code_folder
from runtime.forms.code_folder import CodeFolder
from runtime.forms.templating import SharedCode

KEY = (("options",), "base.html", None)


def compiled(source: str):
    env = Environment()
    return env.compile(env.parse(source))


def test_code_saved_by_one_process_is_found_by_the_next(tmp_path):
    code = compiled("Bonjour {{ nom }}")
    CodeFolder(tmp_path).save(KEY, "checksum-1", code)
    found = CodeFolder(tmp_path).load(KEY, "checksum-1")  # another process: a folder of its own
    assert found is not None
    env = Environment()
    assert env.template_class.from_code(env, found, env.make_globals(None), None).render(nom="Camille") == (
        "Bonjour Camille")


def test_another_source_name_or_option_finds_nothing(tmp_path):
    folder = CodeFolder(tmp_path)
    folder.save(KEY, "checksum-1", compiled("a"))
    assert folder.load(KEY, "checksum-2") is None
    assert folder.load((("options",), "layout.html", None), "checksum-1") is None
    assert folder.load((("other options",), "base.html", None), "checksum-1") is None


def test_an_unreadable_entry_is_compiled_again(tmp_path):
    folder = CodeFolder(tmp_path)
    folder.save(KEY, "checksum-1", compiled("a"))
    for entry in folder.folder.glob("*.code"):
        entry.write_bytes(b"\x00 tronque")
    assert folder.load(KEY, "checksum-1") is None


def test_forgetting_a_spec_version_removes_its_pages_only(tmp_path):
    folder = CodeFolder(tmp_path)
    folder.save((("o",), ("page", "essai@1#aaa", "identite"), None), "c", compiled("a"))
    folder.save((("o",), ("page", "essai@1#bbb", "identite"), None), "c", compiled("b"))
    folder.save(KEY, "c", compiled("c"))
    folder.forget(("page", "essai@1#aaa"))
    assert folder.load((("o",), ("page", "essai@1#aaa", "identite"), None), "c") is None
    assert folder.load((("o",), ("page", "essai@1#bbb", "identite"), None), "c") is not None
    assert folder.load(KEY, "c") is not None


def test_the_stamp_follows_the_portal_code_and_templates(tmp_path, monkeypatch):
    (tmp_path / "runtime").mkdir()
    (tmp_path / "templates").mkdir()
    (tmp_path / "runtime" / "module.py").write_text("X = 1\n")
    (tmp_path / "templates" / "page.html").write_text("{{ x }}")
    monkeypatch.setattr(code_folder, "ROOT", tmp_path)
    stamps = [code_folder.code_stamp.__wrapped__()]
    (tmp_path / "runtime" / "module.py").write_text("X = 2\n")
    stamps.append(code_folder.code_stamp.__wrapped__())
    (tmp_path / "templates" / "page.html").write_text("{{ y }}")
    stamps.append(code_folder.code_stamp.__wrapped__())
    assert len(set(stamps)) == 3


def test_a_process_renders_a_page_another_compiled(tmp_path):
    """Two caches (two processes) on one folder: the second renders without compiling."""
    first, second = SharedCode(), SharedCode()
    folder = CodeFolder(tmp_path)
    env_one, env_two = Environment(bytecode_cache=first), Environment(bytecode_cache=second)
    first.keep_on_disk(env_one, folder)
    second.keep_on_disk(env_two, folder)
    source = "{% for x in items %}{{ x }}, {% endfor %}"
    calls = []

    def compile_source(env):
        def build():
            calls.append(env)
            return env.compile(env.parse(source))
        return build

    code = first.code(env_one, ("page", "essai@1#aaa", "budget"), source, compile_source(env_one))
    again = second.code(env_two, ("page", "essai@1#aaa", "budget"), source, compile_source(env_two))
    assert calls == [env_one]
    assert env_two.template_class.from_code(env_two, again, env_two.make_globals(None), None).render(
        items=[1, 2]) == "1, 2, "
    assert code.co_filename == again.co_filename


def test_only_old_folders_of_other_stamps_are_dropped(tmp_path):
    import os
    import time

    old_stamp, recent_stamp, other = tmp_path / "0123456789abcdef", tmp_path / "fedcba9876543210", tmp_path / "exports"
    for folder in (old_stamp, recent_stamp, other):
        folder.mkdir()
    two_days_ago = time.time() - 2 * 86_400
    for folder in (old_stamp, other):
        os.utime(folder, (two_days_ago, two_days_ago))
    current = CodeFolder(tmp_path)
    assert current.folder.is_dir()
    assert not old_stamp.exists()
    assert recent_stamp.exists() and other.exists()  # another server's, and not a stamp's


def test_a_folder_that_cannot_be_made_leaves_the_portal_working(make_app, tmp_path, caplog):
    taken = tmp_path / "un-fichier"
    taken.write_text("pas un dossier")
    app = make_app(TEMPLATE_CACHE_DIR=str(taken / "templates"))
    response = app.test_client().get("/connexion")
    assert response.status_code == 200 and "Se connecter" in response.get_data(as_text=True)
    assert "Gabarits compilés gardés en mémoire seulement" in caplog.text
