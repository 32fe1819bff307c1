"""Helpers of the browser journeys: the live portal, its outbox, and a
``Journey`` that screenshots and audits (axe-core) every step.

Imported by ``tests/browser/conftest.py`` and by the journey modules; kept out
of the conftest so the journeys can import the names they use.
"""
from __future__ import annotations

import email
import email.policy
import functools
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import unicodedata
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from tests.harness import CHEAP_ARGON2, stop_server
from tests.pg_support import ON_POSTGRES, PgTestDatabase

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
SCREENSHOT_QUALITY = 80  # JPEG: the words of a page stay sharp enough to read back
A11Y_REPORTS = ROOT / "artifacts" / "a11y"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Screenshots of windows this wide or narrower (phones) are of the whole page, others of the window.
PHONE_WIDTH = 480
# axe-core rule tags of WCAG 2.0 and 2.1, levels A and AA (RGAA 4.1 is built on WCAG 2.1 AA).
A11Y_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
LINK_RE = re.compile(r"https?://[^\s<>\"')\]]+")


# --------------------------------------------------------------------------- mails


@dataclass
class Mail:
    path: Path
    to: str
    subject: str
    text: str
    html: str

    @property
    def links(self) -> list[str]:
        """Every http(s) link of the plain-text part, in order."""
        return [link.rstrip(".,;") for link in LINK_RE.findall(self.text)]

    def link(self, contains: str = "") -> str:
        matches = [link for link in self.links if contains in link]
        assert matches, f"Aucun lien contenant {contains!r} dans le courriel {self.subject!r} :\n{self.text}"
        return matches[0]


def read_mail(path: Path) -> Mail:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    return Mail(
        path=path,
        to=str(message["To"]),
        subject=str(message["Subject"]),
        text=plain.get_content() if plain is not None else "",
        html=html.get_content() if html is not None else "",
    )


# --------------------------------------------------------------------------- live server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    """The real portal under gunicorn (2 workers) on 127.0.0.1, with its own data folder."""

    url: str
    data_dir: Path
    specs_dir: Path
    log_path: Path
    process: subprocess.Popen | None = None
    env: dict = field(default_factory=dict, repr=False)
    database: PgTestDatabase | None = field(default=None, repr=False)
    _log_file: object = field(default=None, repr=False)

    @classmethod
    def start(cls, base: Path, workers: int = 2, extra_teleservices: Path | None = None) -> LiveServer:
        """``extra_teleservices``: a folder of téléservice YAML files written for the tests,
        added to the server's copy of ``specs/`` (never to the repository's)."""
        port = free_port()
        data_dir = base / "data"
        specs_dir = base / "specs"
        data_dir.mkdir(parents=True)
        # A copy of specs/: journey 6 drops a new téléservice there without touching the repository.
        shutil.copytree(ROOT / "specs", specs_dir)
        if extra_teleservices is not None:
            for path in sorted(extra_teleservices.glob("*.yaml")):
                target = specs_dir / "teleservices" / path.name
                assert not target.exists(), f"{path.name} existe déjà dans specs/teleservices/"
                shutil.copyfile(path, target)
        server = cls(
            url=f"http://127.0.0.1:{port}",
            data_dir=data_dir,
            specs_dir=specs_dir,
            log_path=base / "gunicorn.log",
        )
        env = dict(os.environ)
        env.update(
            PORTAIL_DATA=str(data_dir),
            PORTAIL_BASE_URL=server.url,
            PORTAIL_SPECS_DIR=str(specs_dir),
            PORTAIL_SECRET_KEY="browser-tests-secret",
            PORTAIL_MAIL_BACKEND="outbox",
            PYTHONUNBUFFERED="1",
            # Every journey registers from 127.0.0.1: lift the per-IP registration limit
            # (5 an hour by default), which the accounts tests check on their own.
            PORTAIL_THROTTLE_REGISTER="500,3600",
            # Passwords hashed at the cost of the other tests: a journey logs in and registers many
            # times, and argon2id at its production cost (runtime/config.py) takes 0.16 s of CPU each.
            **{f"PORTAIL_{key}": str(value) for key, value in CHEAP_ARGON2.items()},
        )
        env.update(server._backend())
        # The real self-hosted anti-robot check (ALTCHA-like) is kept: with JavaScript the
        # browser solves its proof of work, without it the journeys answer its French question.
        env["PORTAIL_CAPTCHA_BACKEND"] = os.environ.get("PORTAIL_BROWSER_CAPTCHA", "altcha")
        server.env = env
        gunicorn = Path(sys.executable).parent / "gunicorn"
        server._log_file = open(server.log_path, "wb")  # noqa: SIM115 - closed in stop()
        server.process = subprocess.Popen(
            [str(gunicorn), "-w", str(workers), "-b", f"127.0.0.1:{port}", "--timeout", "60", "runtime.wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=server._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, killed as a whole
        )
        try:
            server.wait_until_up()
        except Exception:
            server.stop()
            raise
        return server

    def _backend(self) -> dict[str, str]:
        """TinyDB files shared by the workers; with PORTAIL_DATABASE_URL set (the suite on
        PostgreSQL), a database of this server's own, migrated here and dropped by ``stop``
        (the run's database is emptied before every test, this server's data lives across tests)."""
        if not ON_POSTGRES:
            return {"PORTAIL_STORE": "tinydb"}
        self.database = PgTestDatabase()
        return {"PORTAIL_STORE": "postgresql", "PORTAIL_DATABASE_URL": self.database.require(),
                "PORTAIL_FILE_STORE": "postgresql"}

    def wait_until_up(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn s'est arrêté (code {self.process.returncode}) :\n{self.log()}")
            try:
                with urllib.request.urlopen(self.url + "/", timeout=2):
                    return
            except urllib.error.HTTPError:
                return  # it answers, whatever the status
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"Le portail ne répond pas sur {self.url} après {timeout} s :\n{self.log()}")

    def stop(self) -> None:
        if self.process is not None:
            stop_server(self.process, grace_seconds=10)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        if self.database is not None:
            self.database.drop()
            self.database = None

    def portail(self, *args: str) -> str:
        """Run the ``portail`` command on this server's data folder and specs; return its output."""
        # ``python -c`` (not the ``portail`` script) so the repository's ``runtime`` package is
        # imported from the working directory whatever the state of the editable install.
        result = subprocess.run(
            [sys.executable, "-c", "from runtime.cli import main; main()", *args],
            check=False, cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=60,
        )
        assert result.returncode == 0, f"portail {' '.join(args)} : {result.stdout}{result.stderr}"
        return result.stdout

    def add_staff(self, identifiant: str, role: str = "administrateur") -> str:
        """A staff account created with ``portail staff add``; returns its generated password."""
        out = self.portail("staff", "add", identifiant, "--email", f"{identifiant}@ampmetropole.fr",
                           "--role", role, "--nom", f"Agent {identifiant}")
        match = re.search(r"Mot de passe : (\S+)", out)
        assert match, out
        return match.group(1)

    def log(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-6000:]
        except OSError:
            return ""

    # -- outbox

    @property
    def outbox_dir(self) -> Path:
        return self.data_dir / "outbox"

    def outbox_mark(self) -> set[str]:
        """Names of the mails already in the outbox, to tell the new ones apart."""
        return {p.name for p in self.outbox_dir.glob("*.eml")} if self.outbox_dir.is_dir() else set()

    def mails(self, to: str | None = None) -> list[Mail]:
        if not self.outbox_dir.is_dir():
            return []
        found = [read_mail(p) for p in sorted(self.outbox_dir.glob("*.eml"))]
        return [m for m in found if to is None or to.lower() in m.to.lower()]

    def wait_for_mail(
        self, to: str, subject: str = "", since: set[str] | None = None, timeout: float = 5.0
    ) -> Mail:
        """The newest mail to ``to`` whose subject contains ``subject``, not in ``since``."""
        since = since or set()
        deadline = time.monotonic() + timeout
        while True:
            matches = [
                m
                for m in self.mails(to)
                if m.path.name not in since and subject.lower() in m.subject.lower()
            ]
            if matches:
                return matches[-1]
            if time.monotonic() > deadline:
                summary = "\n".join(f"  {m.to} | {m.subject}" for m in self.mails())
                raise AssertionError(
                    f"Aucun courriel à {to} dont l'objet contient {subject!r}. Boîte d'envoi :\n{summary}"
                )
            time.sleep(0.1)


# --------------------------------------------------------------------------- journeys


def slug(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "etape"


@dataclass
class Finding:
    step: str
    url: str
    rule: str
    impact: str
    help: str
    nodes: list[str]

    def __str__(self) -> str:
        nodes = "\n".join(f"      - {n}" for n in self.nodes[:8])
        return f"  [{self.rule}] ({self.impact}) {self.help}\n    étape « {self.step} » – {self.url}\n{nodes}"


# What axe-core can judge of a page besides its words: every element's tag, classes, role, type,
# the attributes accessibility rules read (their values where a rule checks them), whether it has
# text, and the id references that point nowhere or twice.
VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
NAMED_ATTRIBUTES = {"alt", "href", "for", "headers", "scope", "title", "tabindex", "hidden", "disabled",
                    "placeholder", "value", "src", "accesskey", "open"}
VALUED_ATTRIBUTES = {"lang", "autocomplete", "role", "type", "scope", "style", "tabindex", "dir", "xml:lang"}
IDREF_ATTRIBUTES = {"for", "headers", "aria-describedby", "aria-labelledby", "aria-controls", "aria-owns",
                    "aria-activedescendant", "aria-errormessage", "aria-details", "aria-flowto"}


class PageShape(HTMLParser):
    """The digest of a page's structure (see above); two pages of one shape on one route, in one
    mode and width, get the same axe-core verdict."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[list[str]] = []
        self.open: list[tuple[str, int]] = []
        self.ids: dict[str, int] = {}
        self.references: list[str] = []

    def handle_starttag(self, tag, attrs):
        described = [tag]
        for name, value in sorted(attrs):
            value = value or ""
            if name == "class":
                described.append("." + ".".join(sorted(value.split())))
            elif name == "id":
                self.ids[value] = self.ids.get(value, 0) + 1
            elif name == "aria-label":
                described.append(f"{name}{'+' if value.strip() else ''}")
            elif name in VALUED_ATTRIBUTES or (name.startswith("aria-") and name not in IDREF_ATTRIBUTES):
                described.append(f"{name}={value}")
            elif name in NAMED_ATTRIBUTES or name.startswith("aria-"):
                described.append(f"{name}{'+' if value.strip() else ''}")
            if name in IDREF_ATTRIBUTES:
                self.references.extend(value.split())
        self.elements.append(described)
        if tag not in VOID_TAGS:
            self.open.append((tag, len(self.elements) - 1))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID_TAGS and self.open:
            self.open.pop()

    def handle_endtag(self, tag):
        for depth in range(len(self.open) - 1, -1, -1):
            if self.open[depth][0] == tag:
                del self.open[depth:]
                return

    def handle_data(self, data):
        if data.strip():
            for _, index in self.open:
                if self.elements[index][-1] != "~text":
                    self.elements[index].append("~text")

    def digest(self) -> str:
        dangling = sorted(ref for ref in self.references if self.ids.get(ref, 0) != 1)
        twice = sorted(name for name, count in self.ids.items() if count > 1)
        text = "\n".join(" ".join(parts) for parts in self.elements) + f"\n{dangling}\n{twice}"
        return hashlib.sha256(text.encode()).hexdigest()


def page_shape(html: str) -> str:
    parser = PageShape()
    parser.feed(html)
    parser.close()
    return parser.digest()


def page_route(url: str) -> str:
    """The page's path and query, each part holding a digit (an id, a number, a token) blanked."""
    rest = re.sub(r"^https?://[^/]+", "", url).split("#")[0]
    return re.sub(r"[^/?&=]*\d[^/?&=]*", "~", rest)


AXE_VIOLATIONS = """options => axe.run(document, options).then(results => results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target, html: n.html, failureSummary: n.failureSummary || ""})),
})))"""

# The audit copy's next page, written into the same window: axe-core, loaded in that window,
# stays (``document.open`` keeps the window since Chromium 79). Resolves once the page's
# stylesheet is applied (the window's load event), as a navigation would.
REWRITE_DOCUMENT = """html => new Promise(resolve => {
    document.open();
    window.addEventListener("load", () => resolve(document.styleSheets.length), {once: true});
    document.write(html);
    document.close();
})"""


@functools.cache
def axe_source() -> str:
    """axe-core's script, as shipped by the ``axe-playwright-python`` package."""
    from axe_playwright_python.sync_playwright import Axe

    return Axe().axe_script


class AuditedShapes:
    """axe-core's findings for each page audited in this run, by (JavaScript, width, route, shape):
    a page of a shape already audited is not audited again, its findings (if any) are the test's
    too. The processes of a run (pytest-xdist workers) share them through one file of JSON lines,
    each appended in one write (``share``): an audit costs a third of a second of Chromium, and
    the two workers' journeys cross the same pages (log-in, espace, choices, recaps)."""

    def __init__(self):
        self.known: dict[tuple, list[dict]] = {}
        self.path: Path | None = None
        self.read_up_to = 0

    def share(self, path: Path) -> None:
        self.path = path

    def get(self, shape: tuple) -> list[dict] | None:
        if shape not in self.known:
            self._read_others()
        return self.known.get(shape)

    def put(self, shape: tuple, violations: list[dict]) -> None:
        self.known[shape] = violations
        if self.path is not None:
            line = (json.dumps([list(shape), violations]) + "\n").encode()
            descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(descriptor, line)
            finally:
                os.close(descriptor)

    def _read_others(self) -> None:
        if self.path is None or not self.path.exists():
            return
        with self.path.open("rb") as lines:
            lines.seek(self.read_up_to)
            data = lines.read()
        complete = data[: data.rfind(b"\n") + 1]  # a line being written is read next time
        self.read_up_to += len(complete)
        for line in complete.splitlines():
            shape, violations = json.loads(line)
            self.known.setdefault(tuple(shape), violations)


AUDITED_SHAPES = AuditedShapes()


class Screens:
    """Numbered screenshots of one test: ``artifacts/screenshots/<test>/NN-step.jpg`` (JPEG: Chromium
    encodes a whole 375 px page in about half the time of a PNG, a tenth of the journeys' CPU)."""

    def __init__(self, test_name: str):
        self.folder = SCREENSHOTS / slug(test_name.replace("[", "-"))
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.count = 0
        self.findings: list[Finding] = []
        self.audited: set[tuple[str, str]] = set()
        self.test_name = test_name

    def next_path(self, label: str) -> Path:
        self.count += 1
        return self.folder / f"{self.count:02d}-{slug(label)}.jpg"


# static/js/portail/start.js sets data-portail-ready on <html> once every module has run (conditions, formulas,
# tables...); a page without the modules (one a test serves itself) has nothing to wait for.
PORTAIL_READY = """() => document.documentElement.hasAttribute('data-portail-ready')
    || !document.querySelector('script[src*="/js/portail/start.js"]')"""


def wait_until_ready(page, js: bool) -> None:
    """Wait until the page shown is complete: parsed and, with JavaScript, in its scripted state.

    A click that submits a form or follows a link returns as soon as the next page is
    committed: it may still be parsing, its deferred scripts not run yet (a conditional
    question not hidden yet, a total not computed). On a page that did not change, this
    returns at once."""
    page.wait_for_load_state("domcontentloaded")
    if js and not page.evaluate(PORTAIL_READY):  # a look is a quarter of a wait's cost
        page.wait_for_function(PORTAIL_READY)


def _settling(method):
    """A Playwright action that may navigate, followed on a journey's page by ``wait_until_ready``."""

    def action(self, *args, **kwargs):
        result = method(self, *args, **kwargs)
        journey = getattr(self.page, "portail_journey", None)
        if journey is not None and not self.page.is_closed():
            wait_until_ready(self.page, journey.js)
        return result

    action.__wrapped__ = method
    action.__doc__ = method.__doc__
    return action


def settle_after_navigation() -> None:
    """Every click or key press on a journey's page waits for the page it leads to (once)."""
    from playwright.sync_api import Locator

    for name in ("click", "press"):
        method = getattr(Locator, name)
        if not hasattr(method, "__wrapped__"):
            setattr(Locator, name, _settling(method))


settle_after_navigation()


class Journey:
    """One person's browser tab: every ``step`` is screenshotted and audited by axe-core.

    After ``goto`` and after every click or key press (see ``settle_after_navigation``), the
    journey waits for the page to be ready (``wait_until_ready``): checks never read a page
    still loading, nor one whose scripts have not run yet."""

    def __init__(self, context, screens: Screens, server: LiveServer, actor: str, js: bool, browser=None):
        self.context = context
        self.browser = browser
        self._audit_context = None
        self._audit_page = None
        self.page = context.new_page()
        self.page.set_default_timeout(10_000)
        self.page.portail_journey = self  # read by the settling click and press
        self.screens = screens
        self.server = server
        self.actor = actor
        self.js = js

    def goto(self, path: str):
        response = self.page.goto(self.server.url + path if path.startswith("/") else path)
        self.ready()
        return response

    def ready(self) -> None:
        wait_until_ready(self.page, self.js)

    def step(self, label: str, audit: bool = True) -> None:
        """Screenshot the page, then audit it (WCAG 2.1 A and AA, see ``audit``)."""
        self.page.wait_for_load_state("load")
        self.ready()
        name = f"{self.actor}-{label}" if self.actor else label
        self.screenshot(self.screens.next_path(name))
        if audit:
            self.audit(name)

    def screenshot(self, path) -> None:
        """An artefact: what the window shows, and the whole page on a phone-sized window (the
        375 px screens of Mes aides, a récapitulatif, a step in error... are read whole). Headless
        Chromium under load sometimes refuses a tall capture ("Unable to capture screenshot"):
        retry once, then keep the viewport. Not an assertion."""
        from playwright.sync_api import Error as PlaywrightError

        width = (self.page.viewport_size or {}).get("width") or PHONE_WIDTH
        tries = (True, True, False) if width <= PHONE_WIDTH else (False,)
        for full_page in tries:
            try:
                self.page.screenshot(path=str(path), full_page=full_page, quality=SCREENSHOT_QUALITY)
                return
            except PlaywrightError:
                if not full_page:
                    raise

    def audit(self, label: str) -> None:
        """axe-core on the page (WCAG 2.1 A and AA), once per (label, address) in a test and once
        per page shape in the run (``AUDITED_SHAPES``): the same template in the same state,
        mode and width is not audited again, and its findings are recorded for this test too."""
        key = (label, self.page.url)
        if key in self.screens.audited:
            return
        self.screens.audited.add(key)
        html = self.page.content()
        width = (self.page.viewport_size or {}).get("width")
        shape = (self.js, width, page_route(self.page.url), page_shape(html))
        violations = AUDITED_SHAPES.get(shape)
        if violations is None:
            violations = self._run_axe(html)
            AUDITED_SHAPES.put(shape, violations)
        for violation in violations:
            self.screens.findings.append(Finding(step=label, url=self.page.url.replace(self.server.url, ""), **violation))

    def _run_axe(self, html: str) -> list[dict]:
        page = self.page if self.js else self._audit_copy(html)
        if not page.evaluate("typeof axe !== 'undefined'"):
            page.evaluate(axe_source())
        # Only the violations cross back to Python: axe's full results (every check that passed,
        # with its nodes) weighed more than running it.
        violations = page.evaluate(AXE_VIOLATIONS, {"runOnly": {"type": "tag", "values": A11Y_TAGS},
                                                    "resultTypes": ["violations"]})
        return [
            {
                "rule": violation["id"],
                "impact": violation["impact"] or "",
                "help": violation["help"],
                "nodes": [
                    f"{', '.join(map(str, n['target']))}: {(n['html'] or '')[:160]}"
                    + (f" → {n['failureSummary'].splitlines()[-1].strip()}" if n["failureSummary"] else "")
                    for n in violation["nodes"]
                ],
            }
            for violation in violations
        ]

    def _audit_copy(self, html: str | None = None):
        """axe-core needs JavaScript: audit the JS-off page's exact HTML in a JS-on page
        where the portal's own scripts are blocked, so the DOM stays the one the user saw.
        The first copy is served from the portal's origin, so the stylesheet (contrast checks)
        loads as in the real page; the next ones are written into that window, where axe-core
        is already loaded (a navigation cost half a second, and axe-core's injection again)."""
        html = self.page.content() if html is None else html
        if self._audit_page is None:
            self._audit_html = html
            self._audit_context = self.browser.new_context(java_script_enabled=True, locale="fr-FR")
            self._audit_context.route("**/*.js", lambda route: route.abort())
            self._audit_context.route(
                self.server.url + "/__audit__", lambda route: route.fulfill(body=self._audit_html, content_type="text/html")
            )
            self._audit_page = self._audit_context.new_page()
            self._audit_page.goto(self.server.url + "/__audit__")
        else:
            self._audit_page.evaluate(REWRITE_DOCUMENT, html)
        return self._audit_page

    def close(self) -> None:
        if self._audit_context is not None:
            self._audit_context.close()
        self.context.close()

    # -- small conveniences on top of Playwright

    def error_messages(self) -> list[str]:
        """Messages beside the fields, whitespace collapsed (no-break spaces become spaces)."""
        return [" ".join(t.split()) for t in self.page.locator(".govuk-error-message").all_inner_texts()]

    def summary_errors(self) -> list[str]:
        return [" ".join(t.split()) for t in self.page.locator(".govuk-error-summary li").all_inner_texts()]


def accessibility_report(screens: Screens) -> str:
    """Violations grouped by rule and elements, each with the steps where they were seen."""
    grouped: dict[tuple, list[Finding]] = {}
    for finding in screens.findings:
        grouped.setdefault((finding.rule, tuple(n.split(":")[0] for n in finding.nodes)), []).append(finding)
    lines = [f"{len(grouped)} violation(s) WCAG 2.1 A/AA distincte(s) dans {screens.test_name} :"]
    for findings in grouped.values():
        first = findings[0]
        lines.append(f"  [{first.rule}] ({first.impact}) {first.help}")
        lines += [f"      - {n}" for n in first.nodes[:8]]
        steps = ", ".join(f"« {f.step} » ({f.url})" for f in findings[:6])
        more = f" et {len(findings) - 6} autre(s)" if len(findings) > 6 else ""
        lines.append(f"    vue aux étapes : {steps}{more}")
    return "\n".join(lines)


def write_accessibility_report(screens: Screens) -> None:
    A11Y_REPORTS.mkdir(parents=True, exist_ok=True)
    path = A11Y_REPORTS / f"{slug(screens.test_name.replace('[', '-'))}.txt"
    if screens.findings:
        path.write_text(accessibility_report(screens) + "\n", encoding="utf-8")
    elif path.exists():
        path.unlink()


def assert_accessible(screens: Screens) -> None:
    """Zero axe-core violations of WCAG 2.1 levels A and AA on every audited step."""
    write_accessibility_report(screens)
    assert not screens.findings, accessibility_report(screens)


FORM_SEMANTICS_JS = r"""
() => {
  const problems = [];
  const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
  const describedBy = (el) => (el.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean);
  const label = (el) => (el.outerHTML.slice(0, 120));
  // Error messages: tied to a control of their form group, which is marked invalid.
  for (const msg of document.querySelectorAll('.govuk-error-message')) {
    if (!visible(msg)) continue;
    if (!msg.id) { problems.push('message d\'erreur sans id : ' + label(msg)); continue; }
    const controls = [...document.querySelectorAll('[aria-describedby]')].filter(
      (el) => describedBy(el).includes(msg.id));
    if (!controls.length) problems.push('message d\'erreur relié à aucun champ : ' + msg.id);
  }
  for (const hint of document.querySelectorAll('.govuk-hint[id]')) {
    if (!visible(hint)) continue;
    const controls = [...document.querySelectorAll('[aria-describedby]')].filter(
      (el) => describedBy(el).includes(hint.id));
    if (!controls.length) problems.push('aide reliée à aucun champ : ' + hint.id);
  }
  for (const group of document.querySelectorAll('.govuk-form-group--error')) {
    // GOV.UK pattern: the error is tied to the control, or to the fieldset of a radio/checkbox group.
    const ctrls = group.querySelectorAll('input:not([type=hidden]), select, textarea, fieldset');
    const errorIds = [...group.querySelectorAll('.govuk-error-message[id]')].map((m) => m.id);
    if (ctrls.length && errorIds.length && ![...ctrls].some((c) => describedBy(c).some((id) => errorIds.includes(id))))
      problems.push('groupe en erreur dont le message n\'est relié à aucun champ : ' + label(group));
  }
  // Radios and checkboxes in groups: inside a fieldset with a legend.
  const names = new Map();
  for (const input of document.querySelectorAll('input[type=radio], input[type=checkbox]')) {
    if (!visible(input)) continue;
    names.set(input.name, (names.get(input.name) || []).concat([input]));
  }
  for (const [name, inputs] of names) {
    if (inputs.length < 2 && inputs[0].type === 'checkbox') continue;
    const fs = inputs[0].closest('fieldset');
    const legend = fs && fs.querySelector('legend');
    if (!legend || !legend.textContent.trim()) problems.push('groupe « ' + name + ' » sans fieldset/legend');
  }
  // Error summary links point at a control of the page.
  for (const a of document.querySelectorAll('.govuk-error-summary a[href^="#"]')) {
    const target = document.getElementById(decodeURIComponent(a.getAttribute('href').slice(1)));
    if (!target) problems.push('lien du récapitulatif d\'erreurs vers une cible absente : ' + a.getAttribute('href'));
  }
  if (document.querySelector('.govuk-error-message') && !document.querySelector('.govuk-error-summary'))
    problems.push('erreurs sans récapitulatif en haut de page');
  return problems;
}
"""


def form_semantics(journey: Journey) -> list[str]:
    """Structure checks of RGAA 11.5, 11.6, 11.10 that axe-core does not make."""
    page = journey.page if journey.js else journey._audit_copy()
    return page.evaluate(FORM_SEMANTICS_JS)
