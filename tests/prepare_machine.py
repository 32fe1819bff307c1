"""Set-up the test suite needs beyond pip: Debian's Chromium for the browser journeys, npm
for ESLint (tests/test_code_quality.py installs ESLint with ``npm ci``), and wrk for the load
of the realistic bench (its test in tests/test_bench_data.py is skipped without it).

Run by the README's test command (and so by CI) before pytest. Installs the ``chromium``
package when this user may (root, or passwordless sudo); otherwise stops at once with
the one command to run. Never downloads a browser of Playwright's own.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
WRK = Path("/usr/bin/wrk")
INSTALL = "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq {package}"


def install_command(package: str = "chromium") -> list[str] | None:
    """How this user can install a Debian package, or None when it cannot."""
    if not shutil.which("apt-get"):
        return None
    if os.geteuid() == 0:
        return ["sh", "-c", INSTALL.format(package=package)]
    if shutil.which("sudo") and subprocess.run(["sudo", "-n", "true"], capture_output=True, check=False).returncode == 0:
        return ["sudo", "-n", "sh", "-c", INSTALL.format(package=package)]
    return None


def ensure_chromium(chromium: Path = CHROMIUM) -> str | None:
    """None when Chromium is there (installed now if needed), else the French reason to stop."""
    if chromium.exists():
        return None
    command = install_command()
    if command is None:
        return (
            f"Chromium est introuvable à {chromium} et ce compte ne peut pas l'installer.\n"
            "Installez-le une fois en administrateur, puis relancez les tests :\n"
            "    sudo apt-get install -y chromium"
        )
    print("Installation de Chromium (paquet Debian) pour les tests dans le navigateur…", flush=True)
    if subprocess.run(command, check=False).returncode != 0 or not chromium.exists():
        return "L'installation de Chromium a échoué. Lancez : sudo apt-get install -y chromium"
    return None


def ensure_npm() -> str | None:
    """None when npm is there (installed now if needed), else the French reason to stop."""
    if shutil.which("npm"):
        return None
    command = install_command("npm")
    if command is not None:
        print("Installation de npm (paquet Debian) pour ESLint…", flush=True)
        if subprocess.run(command, check=False).returncode == 0 and shutil.which("npm"):
            return None
    return "npm est introuvable (ESLint vérifie static/js). Lancez : sudo apt-get install -y npm"


def ensure_wrk(wrk: Path = WRK) -> None:
    """wrk when this user may install it; without it, the bench's load test is skipped (said)."""
    if wrk.exists():
        return
    command = install_command("wrk")
    if command is None or subprocess.run(command, check=False).returncode != 0 or not wrk.exists():
        print("wrk est introuvable : le test de charge du banc sera sauté (sudo apt-get install -y wrk).",
              file=sys.stderr)


def main() -> int:
    for problem in (ensure_chromium(), ensure_npm()):
        if problem:
            print(problem, file=sys.stderr)
            return 1
    ensure_wrk()
    return 0


if __name__ == "__main__":
    sys.exit(main())
