"""The layer rules (import-linter contracts of pyproject.toml), ruff and ESLint (static/js,
eslint.config.js, installed by `npm ci` from package-lock.json) run with the suite, so the
README's test command is also the CI's lint."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from runtime import ROOT

BIN = Path(sys.executable).parent


def run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, check=False, cwd=ROOT, capture_output=True, text=True, timeout=240)


def test_import_contracts_are_kept():
    result = run(str(BIN / "lint-imports"), "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_ruff_finds_nothing():
    result = run(sys.executable, "-m", "ruff", "check", "--no-cache", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_eslint_finds_nothing_in_static_js():
    npm = shutil.which("npm")
    assert npm, "npm est introuvable : apt-get install -y npm (ESLint vérifie static/js)"
    installed = ROOT / "node_modules" / ".package-lock.json"
    lock = ROOT / "package-lock.json"
    if not installed.exists() or installed.stat().st_mtime < lock.stat().st_mtime:
        result = run(npm, "ci", "--no-audit", "--no-fund")
        assert result.returncode == 0, result.stdout + result.stderr
    result = run(str(ROOT / "node_modules" / ".bin" / "eslint"), "static/js")
    assert result.returncode == 0, result.stdout + result.stderr
