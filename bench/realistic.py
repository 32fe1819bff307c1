"""The realistic bench of issue 11: the real portal at two sizes, alternated.

    .venv/bin/python bench/realistic.py --quick            # 100 and 1,000 demandes, < 2 minutes
    .venv/bin/python bench/realistic.py --big 10000        # 100 and 10,000
    .venv/bin/python bench/realistic.py                    # 100 and 100,000 (the reference figures)
    .venv/bin/python bench/realistic.py --cpu ...          # in process, CPU time of each request (loaded machine)

Data sets come from ``bench/realistic_data.py`` (built through the portal's
own code, cached under /tmp/portail-bench/<size>). Then:

1. In process (Flask test client; real logins with the CSRF token read from
   the page, full requests): for each round, every route at the small size
   then at the big one, so the load of a shared machine weighs the same on
   both; median / p95 per route and the ratio big/small. Routes: a step GET
   and its save (POST), a transmission, the tableau de bord, Mes
   sollicitations, Mes aides, for a small Tiers (2 demandes) and for the
   biggest commune; the staff listing with each filter; a hand-written Flask +
   Flask-WTF + Flask-Login page of the same size (``bench/reference_app.py``).
2. Exports CSV and XLSX of the biggest téléservice, each in a subprocess: rows,
   time, peak RSS (with a time limit).
3. gunicorn -w 4 on a free 127.0.0.1 port per size: cold start (process start
   to first 200), 20 clients (each logged in by Python, with its own session)
   for a few seconds: p50/p95/p99 per route; at the big size 10 clients on
   small Tiers alone, then with 10 more clients hammering the commune; worker
   RSS. The load comes from Debian's wrk (``--load wrk``, the default when
   /usr/bin/wrk exists: C, one connection per client, timed per route by its
   Lua hooks) or from Python threads (``--load python``, which share the cores
   and the GIL with what they measure: their own waits end up in the figures).

Each figure is printed beside its goal from issue 11 ("Numbers to reach").
Figures are printed, never asserted.
"""
from __future__ import annotations

import argparse
import csv
import html
import io
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from contextlib import contextmanager
from datetime import date, timedelta
from http.client import HTTPConnection
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

import realistic_data as data
from reference_app import LOGIN as REF_LOGIN
from reference_app import PASSWORD as REF_PASSWORD
from reference_app import STEP_POST, create_reference_app

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
STEP_PAGE = "projet"  # a mid-sized step of the probe téléservice (patrimoine)
APPLICANT_ROUTES = ("step GET", "step save", "transmission", "tableau de bord", "Mes sollicitations", "Mes aides")
GOALS = {
    "ratio": "≤ 1.3×",
    "commune": "≤ 2×",
    "listing": "< 50 ms à 100 000",
    "reference": "≤ 1.5×",
    "p95": "p95 < 50 ms",
}


# In process, a request runs in this thread: its CPU time (``--cpu``) is what the
# portal spent on it, whatever else the machine runs; wall time counts the waits too.
request_clock = time.perf_counter
# Under gunicorn: "wrk" (C, beside the workers without taking their cores) when Debian's wrk is
# installed, else "python" (threads, http.client; they share the cores with the workers).
WRK = Path("/usr/bin/wrk")
load_generator = "wrk" if WRK.exists() else "python"


def csrf_token(page: str) -> str:
    match = CSRF.search(page)
    if not match:
        raise RuntimeError("aucun jeton CSRF dans la page")
    return html.unescape(match.group(1) or match.group(2))


def ms(seconds: float) -> float:
    return seconds * 1000


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def med_p95(values: list[float]) -> str:
    return f"{ms(statistics.median(values)):7.1f} / {ms(percentile(values, 0.95)):7.1f}" if values else "      –"


# --- one size, in process -------------------------------------------------------


def step_post_data(app, size_probe_tiers: dict, page_id: str = STEP_PAGE) -> dict[str, list[str]]:
    """What a browser posts for the step ``page_id`` of the probe téléservice, filled with plausible answers."""
    from runtime.forms.wizard import raw_from_answers

    with app.app_context():
        spec = app.extensions["portail"].catalog.get(data.PROBE_TELESERVICE)
        plan = data.TiersPlan(0, "association", size_probe_tiers["name"], "Allauch", 1)
        files = {f.id: {"file_id": "x" * 32, "filename": "a.pdf"} for f in spec.fields() if f.type == "file"}
        answers = data.answers_for(spec, random.Random(1), plan, files)
        raw = raw_from_answers(spec.page(page_id), answers)
    return {key: raw.getlist(key) for key in raw}


def probe_draft(probe: dict) -> str:
    """The probe's draft of the measured téléservice."""
    return next(d["id"] for d in probe["drafts"] if d["teleservice"] == data.PROBE_TELESERVICE)


class Applicant:
    """A logged-in applicant of one data set, through the Flask test client."""

    def __init__(self, app, probe: dict, password: str):
        self.app, self.probe = app, probe
        self.client = app.test_client()
        page = self.client.get("/connexion").get_data(as_text=True)
        response = self.client.post("/connexion", data={"csrf_token": csrf_token(page),
                                                        "login": probe["identifiant"], "password": password})
        if response.status_code != 302:
            raise RuntimeError(f"connexion refusée pour {probe['identifiant']} : {response.status_code}")
        self.token = csrf_token(self.client.get("/mon-compte").get_data(as_text=True))
        self.step_url = f"/demandes/{probe_draft(probe)}/etape/{STEP_PAGE}"

    def timed(self, method: str, url: str, data: Any = None, expect=None) -> float:
        expect = expect or ((200,) if method == "GET" else (302,))  # a save that fails re-renders with 200
        started = request_clock()
        response = self.client.open(url, method=method, data=data)
        elapsed = request_clock() - started
        if response.status_code not in expect:
            raise RuntimeError(f"{method} {url} : {response.status_code}")
        return elapsed


class Staff:
    def __init__(self, app, identifiant: str, password: str):
        self.client = app.test_client()
        page = self.client.get("/agents/connexion").get_data(as_text=True)
        response = self.client.post("/agents/connexion", data={"csrf_token": csrf_token(page),
                                                               "identifiant": identifiant, "password": password})
        if response.status_code != 302:
            raise RuntimeError(f"connexion agent refusée : {response.status_code}")

    def timed(self, url: str) -> tuple[float, int]:
        started = request_clock()
        response = self.client.get(url)
        elapsed = request_clock() - started
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} : {response.status_code}")
        rows = response.get_data(as_text=True).count('<tr class="govuk-table__row"') - 1
        return elapsed, rows


def listing_filters(manifest: dict) -> dict[str, str]:
    today = date.today()
    small = manifest["small"]
    word = small["name"].split()[-1]  # "Lavoir"
    return {
        "listing, aucun filtre": "",
        "listing, téléservice": f"teleservice={data.PROBE_TELESERVICE}",
        "listing, statut": "status=en_instruction",
        "listing, dates": urlencode({"date_from": (today - timedelta(days=400)).isoformat(),
                                     "date_to": (today - timedelta(days=200)).isoformat()}),
        "listing, Tiers (SIRET)": urlencode({"tiers": small["siret"]}),
        "listing, recherche texte": urlencode({"q": word}),
    }


class Subject:
    """One data set, its app and its logged-in clients."""

    def __init__(self, size: int, force: bool = False):
        self.size = size
        folder = data.build(size, force)
        self.data_dir = folder / "data"
        self.manifest = json.loads((folder / "manifest.json").read_text())
        self.app = data.app_for(self.data_dir)
        password = self.manifest["password"]
        self.small = Applicant(self.app, self.manifest["small"], password)
        self.commune = Applicant(self.app, self.manifest["commune"], password)
        self.probes: dict[int, Applicant] = {}  # logged in when first used: argon2id takes its time
        staff = self.manifest["staff"]
        self.staff = Staff(self.app, staff["identifiant"], staff["password"])
        self.post = step_post_data(self.app, self.manifest["small"])
        self.filters = listing_filters(self.manifest)
        self.listing_rows: dict[str, int] = {}
        self.round = 0

    def probe(self, number: int) -> Applicant:
        probes = self.manifest["transmit"]
        number %= len(probes)
        if number not in self.probes:
            self.probes[number] = Applicant(self.app, probes[number], self.manifest["password"])
        return self.probes[number]

    def applicant_round(self, who: Applicant, results: dict[str, list[float]], prefix: str) -> None:
        results[f"{prefix}step GET"].append(who.timed("GET", who.step_url))
        results[f"{prefix}step save"].append(
            who.timed("POST", who.step_url, {**self.post, "csrf_token": who.token, "action": "save"}))
        results[f"{prefix}tableau de bord"].append(who.timed("GET", "/espace/"))
        results[f"{prefix}Mes sollicitations"].append(who.timed("GET", "/espace/sollicitations"))
        results[f"{prefix}Mes aides"].append(who.timed("GET", "/espace/aides"))

    def transmission(self, results: dict[str, list[float]], prefix: str, probe: Applicant) -> None:
        draft = data.ready_draft(self.app, probe.probe)  # set-up, not timed
        url = f"/demandes/{draft['id']}/transmettre"
        results[f"{prefix}transmission"].append(
            probe.timed("POST", url, {"csrf_token": probe.token, "attestation": "y"}, expect=(302,)))

    def run_round(self, results: dict[str, list[float]], transmit: bool) -> None:
        self.applicant_round(self.small, results, "")
        self.applicant_round(self.commune, results, "commune: ")
        if transmit:
            self.transmission(results, "", self.probe(self.round))
        for name, query in self.filters.items():
            elapsed, rows = self.staff.timed("/agents/demandes" + (f"?{query}" if query else ""))
            results[name].append(elapsed)
            self.listing_rows[name] = rows
        self.round += 1


class Reference:
    def __init__(self):
        self.app = create_reference_app()
        self.client = self.app.test_client()
        page = self.client.get("/connexion").get_data(as_text=True)
        self.client.post("/connexion", data={"csrf_token": csrf_token(page), "login": REF_LOGIN,
                                             "password": REF_PASSWORD})
        self.token = csrf_token(self.client.get("/etape").get_data(as_text=True))

    def run_round(self, results: dict[str, list[float]]) -> None:
        for method, payload, name in (("GET", None, "page écrite à la main, GET"),
                                      ("POST", {**STEP_POST, "csrf_token": self.token}, "page écrite à la main, save")):
            started = request_clock()
            response = self.client.open("/etape", method=method, data=payload)
            results[name].append(request_clock() - started)
            if response.status_code != (200 if method == "GET" else 302):
                raise RuntimeError(f"page de référence, {method} : {response.status_code}")


def in_process(small: Subject, big: Subject, rounds: int) -> dict[int, dict[str, list[float]]]:
    reference = Reference()
    results = {small.size: defaultdict(list), big.size: defaultdict(list)}
    ref_results: dict[str, list[float]] = defaultdict(list)
    transmissions = min(len(small.manifest["transmit"]), len(big.manifest["transmit"]))
    for number in range(rounds + 1):
        for subject in (small, big):
            target = results[subject.size] if number else defaultdict(list)  # round 0 warms up
            subject.run_round(target, transmit=number and number <= transmissions)
        reference.run_round(ref_results if number else defaultdict(list))
    results["reference"] = ref_results
    return results


def print_in_process(small: Subject, big: Subject, results) -> None:
    s, b = results[small.size], results[big.size]
    clock = "temps CPU du processus" if request_clock is time.process_time else "temps écoulé"
    print(f"\n== En processus (client de test Flask), ms médiane / p95 ({clock}), {len(s['step GET'])} tours alternés ==")
    print(f"{'route':38} {small.size:>7} demandes   {big.size:>7} demandes   ratio   objectif")
    for prefix, label in (("", "petit Tiers (2 demandes)"), ("commune: ", "commune la plus grosse")):
        print(f"-- {label}")
        for route in APPLICANT_ROUTES:
            key = prefix + route
            if not s.get(key) or not b.get(key):
                continue
            ratio = statistics.median(b[key]) / statistics.median(s[key])
            goal = GOALS["ratio"] if not prefix else ""
            print(f"  {route:36} {med_p95(s[key])}   {med_p95(b[key])}   {ratio:5.2f}×  {goal}")
    print(f"-- commune la plus grosse ({big.manifest['communes'][0]} demandes) / petit Tiers, même magasin "
          f"({big.size} demandes)")
    for route in APPLICANT_ROUTES:
        if b.get("commune: " + route) and b.get(route):
            ratio = statistics.median(b["commune: " + route]) / statistics.median(b[route])
            print(f"  {route:36} {ratio:5.2f}×  {GOALS['commune']}")
    print("-- liste des demandes (agent), page 1")
    for name in small.filters:
        ratio = statistics.median(b[name]) / statistics.median(s[name])
        print(f"  {name:36} {med_p95(s[name])}   {med_p95(b[name])}   {ratio:5.2f}×  "
              f"{GOALS['listing']} ({big.listing_rows.get(name, 0)} lignes)")
    ref = results["reference"]
    print("-- page écrite à la main (Flask + Flask-WTF + Flask-Login, même taille de formulaire)")
    for name, route in (("page écrite à la main, GET", "step GET"), ("page écrite à la main, save", "step save")):
        ratio = statistics.median(s[route]) / statistics.median(ref[name])
        print(f"  {name:36} {med_p95(ref[name])}   {route} du portail à {small.size} : {ratio:5.2f}×  "
              f"{GOALS['reference'] if route == 'step GET' else ''}")


# --- what a request reads ----------------------------------------------------------


class ReadCounter:
    """Counts the partitions each request reads (``store.read`` and outermost
    transactions) and their size on disk, by wrapping the methods of one store."""

    def __init__(self, store):
        self.store, self.calls = store, []
        read, transaction = store.read, store.transaction

        def counted_read(partition):
            self.calls.append(partition)
            return read(partition)

        @contextmanager
        def counted_transaction(partition):
            active = getattr(store, "_active", dict)()
            if partition not in active:  # a nested transaction joins the open one: no read
                self.calls.append(partition)
            with transaction(partition) as part:
                yield part

        store.read, store.transaction = counted_read, counted_transaction

    def take(self) -> tuple[int, int, float]:
        """(reads, distinct partitions, MB parsed: each read counts) since the last call."""
        calls, self.calls = self.calls, []
        sizes = {name: self._size(name) for name in set(calls)}
        return len(calls), len(sizes), sum(sizes[name] for name in calls) / 1e6

    def _size(self, partition: str) -> int:
        try:
            return self.store.path(partition).stat().st_size
        except (AttributeError, OSError, ValueError):
            return 0


def reads_per_request(subject: Subject) -> None:
    counter = ReadCounter(subject.app.extensions["portail"].store)
    rows: list[tuple[str, tuple[int, int, float]]] = []
    for label, who in (("petit Tiers", subject.small), ("commune", subject.commune)):
        for route, method, url, form in (
            ("step GET", "GET", who.step_url, None),
            ("step save", "POST", who.step_url, {**subject.post, "csrf_token": who.token, "action": "save"}),
            ("tableau de bord", "GET", "/espace/", None),
            ("Mes sollicitations", "GET", "/espace/sollicitations", None),
            ("Mes aides", "GET", "/espace/aides", None),
        ):
            counter.take()
            who.timed(method, url, form)
            rows.append((f"{label}, {route}", counter.take()))
    probe = subject.probe(len(subject.manifest["transmit"]) - 1)
    draft = data.ready_draft(subject.app, probe.probe)
    counter.take()
    probe.timed("POST", f"/demandes/{draft['id']}/transmettre", {"csrf_token": probe.token, "attestation": "y"})
    rows.append(("petit Tiers, transmission", counter.take()))
    for name, query in subject.filters.items():
        counter.take()
        subject.staff.timed("/agents/demandes" + (f"?{query}" if query else ""))
        rows.append((name, counter.take()))
    print(f"\n== Lectures de partitions par requête à {subject.size} demandes "
          "(objectif : chaque partition lue au plus une fois, aucune qui grandisse avec le total) ==")
    for name, (reads, distinct, size) in rows:
        print(f"  {name:40} {reads:4} lectures, {distinct:4} partitions distinctes, {size:7.2f} Mo lus")


# --- exports, each in a subprocess ---------------------------------------------


def export_child(data_dir: str, teleservice: str, fmt: str) -> None:
    """Run one export in this (fresh) process as an agent gets it and print, as JSON, rows,
    seconds, peak RSS and the time of the request itself. ``teleservice`` "*" exports
    everything the agent sees. A small export is the response; a large one (over
    ``EXPORT_INLINE_MAX_ROWS``) is the job the agent submits, run here as ``portail worker`` does."""
    manifest = json.loads((Path(data_dir).parent / "manifest.json").read_text())
    app = data.app_for(Path(data_dir))
    staff = Staff(app, manifest["staff"]["identifiant"], manifest["staff"]["password"])
    url = f"/agents/export.{fmt}" if teleservice == "*" else f"/agents/export/{teleservice}.{fmt}"
    before = proc_status_mb("VmRSS")
    # The peak of the export itself: logging in peaked higher (the password hash is memory-hard).
    Path("/proc/self/clear_refs").write_text("5")
    started = time.perf_counter()
    response = staff.client.get(url)
    body = response.get_data()  # a small export streams its file in the response
    request_seconds = time.perf_counter() - started
    as_job = response.mimetype == "text/html"
    with app.app_context():
        services = app.extensions["portail"]
        if as_job:  # « Préparer l'export »: the agent submits the job, a worker runs it
            staff.client.post(url, data={"csrf_token": csrf_token(body.decode())})
            job = services.jobs.run_next()
            if job is None or job["status"] != "done":
                raise RuntimeError(f"tâche d'export : {job and job.get('error')}")
            opened = services.files.open(job["result"]["file"]["file_id"])
        else:
            opened = io.BytesIO(body)
        elapsed = time.perf_counter() - started
        peak = proc_status_mb("VmHWM")  # this process's peak (ru_maxrss would keep the forking parent's)
        with opened as stream:
            size, rows = file_size(stream), count_rows(stream, fmt)
        if as_job:  # the data set stays as it was built
            forget_job(services, job)
    print(json.dumps({"status": response.status_code, "rows": rows, "seconds": elapsed, "job": as_job,
                      "request_seconds": request_seconds, "rss_before_mb": before, "peak_mb": peak,
                      "bytes": size}))


def forget_job(services, job: dict) -> None:
    from runtime.domain.jobs import PARTITION, TABLE

    services.files.delete(job["result"]["file"]["file_id"])
    with services.store.transaction(PARTITION) as part:
        part.table(TABLE).remove(job["id"])


def file_size(stream) -> int:
    size = stream.seek(0, io.SEEK_END)
    stream.seek(0)
    return size


def count_rows(stream, fmt: str) -> int:
    """Data rows of an export read as a stream (a cell may hold a line break: CSV is parsed)."""
    if fmt == "csv":
        return sum(1 for _ in csv.reader(io.TextIOWrapper(stream, encoding="utf-8-sig", newline=""), delimiter=";")) - 1
    from openpyxl import load_workbook

    # A write-only workbook records no dimensions (max_row is None): count the rows.
    return sum(1 for _ in load_workbook(stream, read_only=True).active.iter_rows()) - 1


def proc_status_mb(key: str, pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def biggest_teleservice(subject: Subject) -> tuple[str, int]:
    from runtime.storage.index import DemandeIndex

    with subject.app.app_context():
        counts = DemandeIndex(subject.app.extensions["portail"].store).counts()
    totals = {t: sum(per.values()) for t, per in counts.items()}
    teleservice = max(totals, key=totals.get)
    return teleservice, totals[teleservice]


def exports(subject: Subject, limit: float) -> None:
    """The biggest téléservice, then everything an administrateur sees (75,000 transmitted
    demandes at 100,000), each format in a fresh subprocess; the peak RSS is read when the
    file is complete, before it is read back to count its rows."""
    teleservice, rows = biggest_teleservice(subject)
    for target, title in ((teleservice, f"« {teleservice} » ({rows} demandes transmises)"),
                          ("*", "toutes les demandes transmises")):
        print(f"\n== Export de {title} à {subject.size} demandes, dans un sous-processus, limite {limit:.0f} s ==")
        for fmt, goal in (("csv", "75 000 lignes : < 30 s et < 150 Mo"), ("xlsx", "75 000 lignes : < 120 s")):
            export_once(subject, target, fmt, goal, limit)


def export_once(subject: Subject, target: str, fmt: str, goal: str, limit: float) -> None:
    started = time.perf_counter()
    try:
        out = subprocess.run([sys.executable, __file__, "--export-child", str(subject.data_dir), target, fmt],
                             capture_output=True, text=True, timeout=limit, check=True)
    except subprocess.TimeoutExpired:
        print(f"  {fmt.upper():5} inachevé après {time.perf_counter() - started:.0f} s   objectif {goal}")
        return
    except subprocess.CalledProcessError as error:
        print(f"  {fmt.upper():5} échec : {error.stderr.strip().splitlines()[-1:]}")
        return
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    rate = figures["rows"] / figures["seconds"] if figures["seconds"] else 0
    how = (f"tâche (la requête a répondu en {figures['request_seconds']:.2f} s)" if figures["job"]
           else "dans la requête")
    print(f"  {fmt.upper():5} {figures['rows']:6} lignes en {figures['seconds']:6.2f} s ({rate:,.0f} lignes/s), {how}, "
          f"RSS {figures['rss_before_mb']:.0f} → {figures['peak_mb']:.0f} Mo, "
          f"{figures['bytes'] / 1e6:.1f} Mo   objectif {goal}")


# --- gunicorn and the load generator ------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn -w 4 over a data folder, on a free 127.0.0.1 port."""

    def __init__(self, data_dir: Path, workers: int = 4):
        self.port = free_port()
        env = {**os.environ, "PORTAIL_DATA": str(data_dir), "PORTAIL_SECRET_KEY": "bench-secret",
               "PORTAIL_CAPTCHA_BACKEND": "test", "PORTAIL_BASE_URL": f"http://127.0.0.1:{self.port}"}
        gunicorn = Path(sys.executable).parent / "gunicorn"
        # The server's log (one JSON line per request) goes to a file: a pipe nobody reads fills
        # up after ~400 requests, and then every worker blocks in write() — requests hang.
        self.log_path = data_dir.parent / f"gunicorn-{self.port}.log"
        self.log = open(self.log_path, "wb")  # noqa: SIM115 (closed by stop)
        started = time.perf_counter()
        self.process = subprocess.Popen(
            [str(gunicorn), "-w", str(workers), "-b", f"127.0.0.1:{self.port}", "runtime.wsgi:app"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=self.log, start_new_session=True)
        self.cold_start = self._wait_ready(started)

    def log_tail(self, size: int = 2000) -> str:
        return self.log_path.read_bytes()[-size:].decode("utf-8", "replace")

    def _wait_ready(self, started: float, limit: float = 120) -> float:
        while time.perf_counter() - started < limit:
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn s'est arrêté : " + self.log_tail())
            try:
                conn = HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/connexion")
                if conn.getresponse().status == 200:
                    return time.perf_counter() - started
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("gunicorn ne répond pas")

    def worker_rss_mb(self) -> list[float]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        return [proc_status_mb("VmRSS", pid) for pid in children]

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.log.close()
        self.log_path.unlink(missing_ok=True)


class HttpClient:
    """One browser: a keep-alive connection and its cookies."""

    def __init__(self, port: int):
        self.port = port
        self.conn = HTTPConnection("127.0.0.1", port, timeout=120)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
        except (ConnectionError, OSError):
            self.conn = HTTPConnection("127.0.0.1", self.port, timeout=120)
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        for header in response.msg.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, text

    def login(self, path: str, form: dict) -> str:
        status, page = self.request("GET", path)
        status, _ = self.request("POST", path, {**form, "csrf_token": csrf_token(page)})
        if status != 302:
            raise RuntimeError(f"connexion refusée ({path}) : {status}")
        return csrf_token(self.request("GET", "/agents/demandes" if path.startswith("/agents") else "/mon-compte")[1])


class LoadClient(threading.Thread):
    """Logs in, then runs its routes in a loop until ``stop``; records (route, seconds, status)."""

    def __init__(self, port: int, kind: str, who: dict, password: str, post: dict, stop: threading.Event,
                 record: list, label: str = "", filters: dict | None = None):
        super().__init__(daemon=True)
        self.port, self.kind, self.who, self.password = port, kind, who, password
        self.post, self.stop, self.record, self.label, self.filters = post, stop, record, label, filters or {}
        self.ready = threading.Event()
        self.error: Exception | None = None

    def routes(self, token: str) -> list[tuple[str, str, str, dict | None]]:
        if self.kind == "staff":
            return [(name, "GET", "/agents/demandes" + (f"?{q}" if q else ""), None) for name, q in self.filters.items()]
        step = f"/demandes/{probe_draft(self.who)}/etape/{STEP_PAGE}"
        return [
            ("step GET", "GET", step, None),
            ("step save", "POST", step, {**self.post, "csrf_token": token, "action": "save"}),
            ("tableau de bord", "GET", "/espace/", None),
            ("Mes sollicitations", "GET", "/espace/sollicitations", None),
            ("Mes aides", "GET", "/espace/aides", None),
        ]

    def log_in(self) -> tuple[HttpClient, list[tuple[str, str, str, dict | None]]]:
        """A real login (CSRF token read from the page): the browser and the routes it runs."""
        client = HttpClient(self.port)
        if self.kind == "staff":
            token = client.login("/agents/connexion", {"identifiant": self.who["identifiant"],
                                                       "password": self.who["password"]})
        else:
            token = client.login("/connexion", {"login": self.who["identifiant"], "password": self.password})
        return client, self.routes(token)

    def run(self) -> None:
        try:
            client, routes = self.log_in()
        except Exception as error:  # noqa: BLE001 (reported by the driver)
            self.error = error
            return
        finally:
            self.ready.set()
        self.start_gate.wait()
        index = random.randrange(len(routes))
        while not self.stop.is_set():
            name, method, path, form = routes[index % len(routes)]
            index += 1
            started = time.perf_counter()
            try:
                status, _ = client.request(method, path, form)
            except Exception:  # noqa: BLE001
                status = 0
            self.record.append((self.label + name, time.perf_counter() - started, status))


def run_load(port: int, clients: list[LoadClient], seconds: float, warm_up: float = 2) -> dict[str, list[float]]:
    """Start the clients together; what happens during ``warm_up`` (each worker's
    first templates and forms) is dropped."""
    gate = threading.Event()
    for client in clients:
        client.start_gate = gate
        client.start()
    for client in clients:
        client.ready.wait()
        if client.error:
            raise RuntimeError(f"client {client.who.get('identifiant')} : {client.error}")
    gate.set()
    time.sleep(warm_up)
    del clients[0].record[:]
    time.sleep(seconds)
    clients[0].stop.set()
    for client in clients:
        client.join(timeout=180)
    by_route: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    for record in clients[0].record:
        name, elapsed, status = record
        by_route[name].append(elapsed)
        if status not in (200, 302):
            errors[name] += 1
    by_route["_errors"] = errors  # type: ignore[assignment]
    return by_route


# --- the same load through wrk ---------------------------------------------------------
#
# Python threads sending the requests share the 2 cores with the 4 workers they measure (and
# the GIL with each other): under load their own waits end up in the latencies. wrk is C, one
# epoll loop per thread. Each wrk thread here holds one connection, the browser of one client:
# its own session cookies (logged in by Python, the real login with the CSRF token read from
# the page) and its own routes, in a loop from a random start, as ``LoadClient`` does. Its Lua
# ``request``/``response`` hooks time each request (CLOCK_MONOTONIC through LuaJIT's ffi) and
# keep (route, start, latency, status); ``done`` writes them to a file the driver reads.


WRK_SCRIPT = r"""
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } portail_timespec;
int clock_gettime(int clock, portail_timespec *tp);
]]
local clock = ffi.new("portail_timespec")
local function now_us()
  ffi.C.clock_gettime(1, clock)  -- CLOCK_MONOTONIC
  return tonumber(clock.tv_sec) * 1000000 + math.floor(tonumber(clock.tv_nsec) / 1000)
end

local clients = dofile(CLIENTS_FILE)
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("client_number", #threads)
end

function init(args)
  client = clients[client_number]
  cookies = {}
  for name, value in pairs(client.cookies) do cookies[name] = value end
  position = client.start
  records = {}
  count = 0
end

local function cookie_header()
  local parts = {}
  for name, value in pairs(cookies) do parts[#parts + 1] = name .. "=" .. value end
  return table.concat(parts, "; ")
end

function request()
  current = client.routes[position % #client.routes + 1]
  position = position + 1
  local headers = {Cookie = cookie_header()}
  if current.body then headers["Content-Type"] = "application/x-www-form-urlencoded" end
  started = now_us()
  return wrk.format(current.method, current.path, headers, current.body)
end

function response(status, headers, body)
  local elapsed = now_us() - started
  records[count + 1] = current.route
  records[count + 2] = started
  records[count + 3] = elapsed
  records[count + 4] = status
  count = count + 4
  -- a browser keeps what the server sets (the session after a flash message, say)
  local set_cookie = headers["Set-Cookie"] or headers["set-cookie"]
  if set_cookie then
    local name, value = set_cookie:match("^%s*([^=;]+)=([^;]*)")
    if name then cookies[name] = value end
  end
end

function done(summary, latency, requests)
  local out = assert(io.open(RECORDS_FILE, "w"))
  for _, thread in ipairs(threads) do
    local kept = thread:get("records")
    for i = 1, #kept, 4 do
      out:write(string.format("%d %d %d %d\n", kept[i], kept[i + 1], kept[i + 2], kept[i + 3]))
    end
  end
  local e = summary.errors
  out:write(string.format("errors %d %d %d %d\n", e.connect, e.read, e.write, e.timeout))
  out:close()
end
"""


def lua_literal(value: Any) -> str:
    """``value`` (None, bool, int, str, list, dict) as a Lua expression. Strings must be ASCII
    (cookies, paths and url-encoded bodies are): JSON's escapes are then Lua's."""
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        if not value.isascii():
            raise ValueError(f"texte non ASCII pour wrk : {value!r}")
        return json.dumps(value)
    if isinstance(value, list):
        return "{" + ", ".join(lua_literal(v) for v in value) + "}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"[{lua_literal(str(k))}] = {lua_literal(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"valeur non prévue pour wrk : {value!r}")


def run_wrk(port: int, clients: list[LoadClient], seconds: float, warm_up: float = 2,
            folder: Path | None = None) -> dict[str, list[float]]:
    """The clients' routes through wrk, one connection (and one wrk thread) per client, each
    with its own session; what starts during ``warm_up`` is dropped. Returns the same shape
    as ``run_load`` (latencies per route, ``_errors``: answers neither 2xx nor 3xx), plus
    ``_socket_errors`` (wrk's connect/read/write/timeout counts) when there are any."""
    names: list[str] = []
    lua_clients = []
    for client in clients:  # logged in one after the other: argon2id takes its time on the server
        browser, routes = client.log_in()
        lua_routes = []
        for name, method, path, form in routes:
            label = client.label + name
            if label not in names:
                names.append(label)
            lua_routes.append({"route": names.index(label), "method": method, "path": path,
                               "body": urlencode(form, doseq=True) if form is not None else None})
        lua_clients.append({"cookies": dict(browser.cookies), "routes": lua_routes,
                            "start": random.randrange(len(lua_routes))})
    with tempfile.TemporaryDirectory(prefix="portail-wrk-", dir=folder) as work:
        clients_file, records_file = Path(work) / "clients.lua", Path(work) / "records.txt"
        clients_file.write_text("return " + lua_literal(lua_clients) + "\n", encoding="ascii")
        script = Path(work) / "load.lua"
        script.write_text(f"CLIENTS_FILE = {lua_literal(str(clients_file))}\n"
                          f"RECORDS_FILE = {lua_literal(str(records_file))}\n" + WRK_SCRIPT, encoding="ascii")
        duration = max(1, round(warm_up + seconds))
        subprocess.run([str(WRK), "-t", str(len(clients)), "-c", str(len(clients)), "-d", f"{duration}s",
                        "--timeout", "120s", "-s", str(script), f"http://127.0.0.1:{port}/"],
                       check=True, capture_output=True, text=True, timeout=duration + 300)
        lines = records_file.read_text().splitlines()
    by_route: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    rows = [tuple(map(int, line.split())) for line in lines if not line.startswith("errors")]
    first = min((row[1] for row in rows), default=0)
    for route, started, elapsed, status in rows:
        if started - first < warm_up * 1e6:
            continue
        name = names[route]
        by_route[name].append(elapsed / 1e6)
        if not 200 <= status < 400:
            errors[name] += 1
    by_route["_errors"] = errors  # type: ignore[assignment]
    socket_errors = dict(zip(("connexion", "lecture", "écriture", "délai"),
                             map(int, lines[-1].split()[1:]), strict=True))
    if any(socket_errors.values()):
        by_route["_socket_errors"] = socket_errors  # type: ignore[assignment]
    return by_route


def drive(port: int, clients: list[LoadClient], seconds: float, warm_up: float = 2) -> dict[str, list[float]]:
    """The load of ``clients``, from wrk (``--load wrk``) or from Python threads (``--load python``)."""
    if load_generator == "wrk":
        return run_wrk(port, clients, seconds, warm_up)
    return run_load(port, clients, seconds, warm_up)


def print_load(title: str, by_route, seconds: float, goal: str = "") -> None:
    errors = by_route.pop("_errors", {})
    socket_errors = by_route.pop("_socket_errors", None)
    total = sum(len(v) for v in by_route.values())
    print(f"-- {title}: {total} requêtes en {seconds:.0f} s ({total / seconds:.0f}/s)")
    if socket_errors:
        print(f"  erreurs de connexion (wrk) : {socket_errors}")
    for name in sorted(by_route):
        values = by_route[name]
        print(f"  {name:36} p50 {ms(percentile(values, .5)):7.1f}  p95 {ms(percentile(values, .95)):7.1f}  "
              f"p99 {ms(percentile(values, .99)):7.1f} ms  ({len(values)} req., {errors.get(name, 0)} erreurs)  {goal}")


def applicant_probes(manifest: dict) -> list[dict]:
    return [manifest["small"], *manifest["transmit"]]


def load_clients(subject: Subject, port: int, stop, record, applicants: int, staff: int,
                 who: list[dict] | None = None, label: str = "") -> list[LoadClient]:
    probes = who or applicant_probes(subject.manifest)
    clients = [LoadClient(port, "applicant", probes[n % len(probes)], subject.manifest["password"], subject.post,
                          stop, record, label) for n in range(applicants)]
    filters = {k: v for k, v in subject.filters.items() if k != "listing, dates"}
    clients += [LoadClient(port, "staff", subject.manifest["staff"], "", {}, stop, record, label, filters)
                for _ in range(staff)]
    return clients


def under_gunicorn(subject: Subject, seconds: float, hammer: bool, warm_up: float = 2) -> None:
    print(f"\n== gunicorn -w 4, {subject.size} demandes ==")
    server = Server(subject.data_dir)
    try:
        print(f"  démarrage à froid (lancement → premier 200) : {server.cold_start:.2f} s   objectif < 2 s")
        stop, record = threading.Event(), []
        by_route = drive(server.port, load_clients(subject, server.port, stop, record, 18, 2), seconds, warm_up)
        print_load(f"20 clients (18 usagers sur de petits Tiers, 2 agents ; charge {load_generator})", by_route, seconds,
                   GOALS["p95"] if subject.size <= 100 else "")
        if hammer:
            stop, record = threading.Event(), []
            alone = drive(server.port, load_clients(subject, server.port, stop, record, 10, 0), seconds, warm_up)
            stop, record = threading.Event(), []
            small = load_clients(subject, server.port, stop, record, 10, 0)
            commune = load_clients(subject, server.port, stop, record, 10, 0, who=[subject.manifest["commune"]],
                                   label="commune: ")
            loaded = drive(server.port, small + commune, seconds, warm_up)
            loaded.pop("_errors", None)
            alone.pop("_errors", None)
            small_alone = [v for k, values in alone.items() for v in values]
            small_loaded = [v for k, values in loaded.items() if not k.startswith("commune: ") for v in values]
            hammer_values = [v for k, values in loaded.items() if k.startswith("commune: ") for v in values]
            p_alone, p_loaded = percentile(small_alone, .95), percentile(small_loaded, .95)
            print(f"-- 10 clients sur de petits Tiers, seuls puis pendant que 10 clients martèlent la commune "
                  f"({subject.manifest['communes'][0]} demandes)")
            print(f"  petits Tiers seuls         p95 {ms(p_alone):7.1f} ms ({len(small_alone)} req.)")
            print(f"  petits Tiers + commune     p95 {ms(p_loaded):7.1f} ms ({len(small_loaded)} req.)   "
                  f"{p_loaded / p_alone:5.2f}×  objectif < 2×")
            print(f"  commune (martèlement)      p50 {ms(percentile(hammer_values, .5)):7.1f}  "
                  f"p95 {ms(percentile(hammer_values, .95)):7.1f} ms ({len(hammer_values)} req.)")
        rss = server.worker_rss_mb()
        print(f"  RSS des workers : {', '.join(f'{r:.0f}' for r in rss)} Mo   objectif < 90 Mo à 100 000")
    finally:
        server.stop()


# --- main ----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Le banc réaliste de l'issue 11.")
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--big", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--load-seconds", type=float, default=15)
    parser.add_argument("--export-limit", type=float, default=300, help="seconds before an export is abandoned")
    parser.add_argument("--quick", action="store_true", help="100 and 1,000 demandes, fewer rounds (< 2 minutes)")
    parser.add_argument("--no-gunicorn", action="store_true")
    parser.add_argument("--cpu", action="store_true",
                        help="in process, time requests by CPU time (a shared, loaded machine) instead of wall time")
    parser.add_argument("--no-export", action="store_true")
    parser.add_argument("--no-in-process", action="store_true", help="skip the in-process ratios (e.g. load alone)")
    parser.add_argument("--load", choices=("wrk", "python"), default="wrk" if WRK.exists() else "python",
                        help="load generator under gunicorn: wrk (default when /usr/bin/wrk exists) or Python threads")
    parser.add_argument("--force", action="store_true", help="regenerate the data sets")
    parser.add_argument("--export-child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.export_child:
        export_child(*args.export_child)
        return
    global request_clock, load_generator
    if args.cpu:
        request_clock = time.process_time
    load_generator = args.load
    if args.quick:
        args.big, args.rounds, args.load_seconds, args.export_limit = 1000, 5, 3, 30
    started = time.perf_counter()
    small, big = Subject(args.small, args.force), Subject(args.big, args.force)
    print(f"Données : {args.small} et {args.big} demandes ({big.manifest['accounts']} comptes, "
          f"{big.manifest['tiers']} Tiers, communes {big.manifest['communes']}) ; prêt en "
          f"{time.perf_counter() - started:.0f} s")
    if not args.no_in_process:
        print_in_process(small, big, in_process(small, big, args.rounds))
        reads_per_request(small)
        reads_per_request(big)
    if not args.no_export:
        exports(big, args.export_limit)
    if not args.no_gunicorn:
        warm_up = 1 if args.quick else 2
        under_gunicorn(small, args.load_seconds, hammer=False, warm_up=warm_up)
        under_gunicorn(big, args.load_seconds, hammer=True, warm_up=warm_up)
    print(f"\nDurée totale : {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
