"""What a newcomer meets first: the README's commands and `portail serve`."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

from tests import prepare_machine

PORTAIL = str(Path(sys.executable).with_name("portail"))


def _serve(tmp_path, *args):
    env = {**os.environ, "PORTAIL_DATA": str(tmp_path / "data")}
    return subprocess.Popen([PORTAIL, "serve", "--no-demo", *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_serve_on_a_free_port_prints_a_url_that_answers(tmp_path):
    server = _serve(tmp_path, "--port", "0")
    try:
        first = server.stdout.readline()
        assert first.startswith("Portail des subventions : http://127.0.0.1:")
        url = first.split(" : ", 1)[1].strip()
        assert not url.endswith(":0/")
        with urllib.request.urlopen(url + "connexion", timeout=10) as response:
            assert response.status == 200
    finally:
        server.terminate()
        server.wait(10)


def test_serve_on_a_taken_port_says_so_and_prints_no_url(tmp_path):
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    try:
        server = _serve(tmp_path, "--port", str(taken.getsockname()[1]))
        out, err = server.communicate(timeout=30)
    finally:
        taken.close()
    assert server.returncode == 1
    assert "http://" not in out
    assert "Impossible d'écouter sur 127.0.0.1:" in err and "--port" in err


def test_without_chromium_and_no_right_to_install_it_the_one_command_is_given(tmp_path, monkeypatch):
    monkeypatch.setattr(prepare_machine, "install_command", lambda package="chromium": None)
    problem = prepare_machine.ensure_chromium(tmp_path / "chromium")
    assert "sudo apt-get install -y chromium" in problem
    assert "playwright install" not in problem


def test_with_chromium_present_nothing_is_installed(tmp_path, monkeypatch):
    present = tmp_path / "chromium"
    present.write_text("")
    monkeypatch.setattr(prepare_machine, "install_command", lambda package="chromium": (_ for _ in ()).throw(AssertionError))
    assert prepare_machine.ensure_chromium(present) is None


def test_ci_runs_the_readme_test_command_and_nothing_else():
    root = Path(__file__).resolve().parent.parent
    ci = (root / ".ci" / "run").read_text()
    readme = (root / "README.md").read_text()
    assert "apt-get" not in ci
    assert "tests/prepare_machine.py && .venv/bin/python -m pytest" in readme
