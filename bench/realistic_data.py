"""A realistic data set, built through the portal's own code (issue 11).

    .venv/bin/python bench/realistic_data.py 10000            # /tmp/portail-bench/10000
    .venv/bin/python bench/realistic_data.py 100 --force      # rebuild even if cached

N demandes of real size over the shipped téléservices (``specs/teleservices``):
~75 % transmitted (a share of them taken into instruction, accepted, refused…),
the rest drafts stopped at some step; ~0.15 accounts per demande; Tiers of
1–20 demandes and six communes of 500 to 2,000 demandes at 100,000 (scaled
down for small sizes: the biggest Tiers has ~10 at 100). Every write goes
through ``create_app`` and its services: accounts by ``AccountRepository``,
Tiers by ``services().tiers_service.create_from_demande``, demandes by
``DemandeService.start``/``save_page``/``transmit`` after the same page
validation as the web layer (``validate_page``), staff transitions by
``workflow.transition_changes`` and the staff index by
``services().staff_index.reindex``. Nothing writes a partition file itself,
so the generator keeps working when the storage layout changes.

Speed: the store is built in ``/dev/shm`` (renames there cost microseconds, not
milliseconds on a busy disk), with ``STORE_FSYNC`` off, then moved under the cache.
Two processes (forked after the accounts are created) fill half of the Tiers each,
by batches: a worker first drafts its batch's demandes (step saves and their
validation, the bulk of the CPU, touching only its own partitions), then files
them (transmission, instruction, staff index) and creates the next batch's Tiers
while holding open the transactions of the partitions every filing touches
(``hot_partitions``: registry, index counters, buckets, shards, text index):
nested transactions join the open one, each file is written once per batch, and
the two workers take turns on them. Holding is only an optimisation: with another
layout the held names are simply unused. Only ``hot_partitions``,
``Generator.tiers_partitions``, ``Generator.account_partitions`` and
``Generator.demandes_of`` name partitions.

Cost, measured on the shared 2-core machine (load average 12): 23 ms of CPU per
demande for a worker's first 5,000 (the portal validates every step at each save,
and indexes each transmission and decision for the staff listing and its text
search), about 45 ms in a commune of 2,000 demandes; so 100,000 demandes need
about 40 minutes of CPU, 20 of each core on an idle machine. Each worker prints
its rate and CPU per demande after each batch.

The folder is cached in ``/tmp/portail-bench/<size>`` (``PORTAIL_BENCH_CACHE`` names
another folder; re-used if present, ``--force`` rebuilds). ``manifest.json`` there names the accounts, Tiers and
demandes the driver (``bench/realistic.py``) measures, and the passwords.
"""
from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import random
import shutil
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from runtime.app import create_app
from runtime.clock import Clock
from runtime.domain import workflow
from runtime.domain.demandes import DemandeService
from runtime.forms.registry import field_type
from runtime.forms.wizard import raw_from_answers, validate_page
from runtime.passwords import hash_password
from runtime.storage.index import COUNTS, DemandeIndex
from runtime.storage.repositories.accounts import KEYS_PREFIX
from runtime.storage.repositories.demandes import counts_partition, shard_partition
from runtime.storage.repositories.tiers import normalise_siret
from tests.demandes.samples import sample_answer  # the tests' valid answers of any spec

CACHE = Path(os.environ.get("PORTAIL_BENCH_CACHE") or "/tmp/portail-bench")  # shared by the benches of a machine
PASSWORD = "Motdepasse1!"  # every generated applicant account
SEED = 11
TRANSMITTED_SHARE = 0.75
ACCOUNTS_PER_DEMANDE = 0.15
COMMUNE_SIZES = (2000, 1700, 1400, 1100, 800, 500)  # at 100,000 demandes
FULL_SIZE = 100_000
SMALL_MAX = 20
TRANSMIT_PROBES = 30  # small Tiers with a draft ready to transmit, one per timed round
MONTHS_OF_HISTORY = 36
PROBE_TELESERVICE = "patrimoine"  # the téléservice of the drafts the driver measures
BATCH_DEMANDES = 5000  # demandes written per batch of held transactions
BIG_TIERS = 50  # from this many demandes a Tiers' month shards are held while it is filled
# Instruction statuses of transmitted demandes (the rest stays "transmise").
STATUS_SHARES = (
    (workflow.EN_INSTRUCTION, 0.25),
    (workflow.ACCEPTEE, 0.20),
    (workflow.REFUSEE, 0.08),
    (workflow.COMPLEMENT_DEMANDE, 0.04),
    (workflow.CLASSEE_SANS_SUITE, 0.03),
)

COMMUNES = (
    "Marseille", "Aix-en-Provence", "Martigues", "Aubagne", "Istres", "Salon-de-Provence", "Vitrolles",
    "Marignane", "La Ciotat", "Miramas", "Gardanne", "Les Pennes-Mirabeau", "Allauch", "Châteauneuf-les-Martigues",
    "Pertuis", "Septèmes-les-Vallons", "Berre-l'Étang", "Fos-sur-Mer", "Trets", "Cassis",
)
THEMES = (
    "du Patrimoine", "des Arts et Traditions", "Sportive", "de Quartier", "des Parents d'Élèves", "Culturelle",
    "des Amis du Vieux Village", "de Sauvegarde de la Chapelle", "Musicale", "de Théâtre", "des Jardins Partagés",
    "Solidaire", "des Randonneurs", "de Danse", "du Cinéma", "des Anciens Combattants", "de Plongée",
)
FIRST_NAMES = ("Camille", "Léa", "Hugo", "Nadia", "Karim", "Sophie", "Lucas", "Inès", "Marc", "Julie", "Paul",
               "Yasmine", "Thomas", "Chloé", "Mehdi", "Claire", "Antoine", "Sarah", "Nicolas", "Élodie")
LAST_NAMES = ("Martin", "Bernard", "Garcia", "Rossi", "Benali", "Durand", "Lefebvre", "Moreau", "Fabre", "Roux",
              "Blanc", "Guerin", "Mercier", "Bonnet", "Chevalier", "Meyer", "Gauthier", "Perrin", "Robin", "Aubert")
SENTENCES = (
    "Le projet est mené avec les habitants du quartier et les écoles de la commune.",
    "Les travaux portent sur la toiture, les enduits de façade et la reprise des menuiseries anciennes.",
    "Une médiation est prévue pour les scolaires, avec des visites guidées chaque mercredi.",
    "L'association mobilise une quarantaine de bénévoles tout au long de l'année.",
    "Le budget a été établi à partir de trois devis d'entreprises qualifiées.",
    "Les publics éloignés de l'offre culturelle sont accueillis gratuitement.",
    "Un comité de suivi réunit la commune, l'architecte et les représentants des usagers.",
    "L'opération s'inscrit dans le plan pluriannuel d'investissement voté par le conseil municipal.",
    "La mise en accessibilité du site est prévue dans la même tranche de travaux.",
    "Les résultats seront présentés lors des Journées européennes du patrimoine.",
)


# --- the plan: who has how many demandes -------------------------------------


@dataclass
class TiersPlan:
    key: int
    famille: str  # "association" | "commune"
    name: str
    commune: str
    demandes: int
    role: str = ""  # "small" (measured), "transmit" (transmission probe), "commune" (biggest), ""
    admin: int = 0  # index of the administrator account
    members: list[int] = field(default_factory=list)  # other accounts, attached by rattachement


def commune_sizes(size: int) -> list[int]:
    """Six communes of 500 to 2,000 demandes at 100,000; the biggest has ~10 at 100."""
    return [max(round(base * size / FULL_SIZE), round(base / 200)) for base in COMMUNE_SIZES]


def small_sizes(total: int, biggest: int, rng: random.Random) -> list[int]:
    """Tiers of 1–20 demandes (mostly small: mean ~6), filling ``total``."""
    top = max(1, min(SMALL_MAX, biggest))
    weights = [math.exp(-k / 7) for k in range(1, top + 1)]
    sizes = []
    while total > 0:
        n = min(rng.choices(range(1, top + 1), weights)[0], total)
        sizes.append(n)
        total -= n
    return sizes


def make_plan(size: int, seed: int = SEED) -> tuple[list[TiersPlan], int]:
    """The Tiers of the data set and the number of accounts."""
    rng = random.Random(seed)
    plans: list[TiersPlan] = []

    def add(famille: str, name: str, commune: str, n: int, role: str = "") -> None:
        plans.append(TiersPlan(len(plans), famille, name, commune, n, role))

    communes = commune_sizes(size)
    for rank, n in enumerate(communes):
        add("commune", f"Commune de {COMMUNES[rank]}", COMMUNES[rank], n, "commune" if rank == 0 else "")
    add("association", "Association Les Amis du Lavoir", "Allauch", 2, "small")
    probes = min(TRANSMIT_PROBES, max(3, size // 10))
    for rank in range(probes):
        add("association", f"Association Témoin {rank + 1:02d}", rng.choice(COMMUNES), 2, "transmit")
    rest = size - sum(p.demandes for p in plans)
    for n in small_sizes(max(rest, 0), max(communes), rng):
        commune = rng.choice(COMMUNES)
        add("association", f"Association {rng.choice(THEMES)} de {commune} {len(plans)}", commune, n)
    accounts = assign_accounts(plans, max(math.ceil(size * ACCOUNTS_PER_DEMANDE), 1), rng)
    return plans, accounts


def assign_accounts(plans: list[TiersPlan], wanted: int, rng: random.Random) -> int:
    """One administrator per Tiers (the measured Tiers get their own account);
    accounts left over join the communes and the biggest associations as members."""
    own = [p for p in plans if p.role]
    shared = [p for p in plans if not p.role]
    for number, plan in enumerate(own):
        plan.admin = number
    pool = max(wanted - len(own), 1)
    for number, plan in enumerate(shared):
        plan.admin = len(own) + number % pool
    extra = range(len(own) + len(shared), len(own) + pool) if pool > len(shared) else range(0)
    big = sorted((p for p in plans if p.role != "small" and p.role != "transmit"), key=lambda p: -p.demandes)
    for number, account in enumerate(extra):
        big[number % max(1, min(len(big), 50))].members.append(account)
    return len(own) + pool


# --- plausible answers --------------------------------------------------------


def phrase(rng: random.Random, low: int, high: int) -> str:
    text = rng.choice(SENTENCES)
    while len(text) < low:
        text += " " + rng.choice(SENTENCES)
    return text[:high].rstrip()


def plausible(f, value: Any, rng: random.Random, tiers: TiersPlan) -> Any:
    """A sample answer (valid by construction) made to look like a real one."""
    low, high = f.options.get("min_length") or 0, f.options.get("max_length") or 4000
    if f.type == "textarea":
        return phrase(rng, max(low, rng.randint(120, 420)), high)
    if f.type == "text":
        if "nom" in f.id or "titulaire" in f.id:
            return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"[:high]
        if "commune" in f.id:
            return tiers.commune[:high]
        return phrase(rng, low, min(high, rng.randint(30, 90)))
    if f.type == "address":
        return {"street": f"{rng.randint(1, 120)} {rng.choice(('rue', 'avenue', 'boulevard'))} "
                f"{rng.choice(LAST_NAMES)}", "postcode": f"13{rng.randint(1, 16):03d}", "commune": tiers.commune}
    if f.type == "email":
        return f"{rng.choice(FIRST_NAMES).lower()}.{rng.choice(LAST_NAMES).lower()}@exemple.fr"
    return value


def scale_amounts(f, value: Any, factor: int) -> Any:
    """Every amount times one integer factor: sums and shares stay balanced."""
    if f.type == "amount" and value is not None:
        return str((Decimal(str(value)) * factor).quantize(Decimal("0.01")))
    if f.type == "table" and isinstance(value, list):
        return [{c.id: scale_amounts(c, row.get(c.id), factor) for c in f.columns} for row in value]
    return value


def answers_for(spec, rng: random.Random, tiers: TiersPlan, files: dict[str, dict]) -> dict[str, Any]:
    """Complete, valid-looking answers of every field of ``spec``."""
    ranks = {f.id: rank for rank, f in enumerate(f for f in spec.fields() if f.type == "date")}
    factor = rng.randint(1, 40)
    answers = {}
    for f in spec.fields():
        if field_type(f.type).static or f.locked:
            continue
        if f.type == "file":
            answers[f.id] = files[f.id]
            continue
        value = sample_answer(f, ranks.get(f.id, 0))
        answers[f.id] = scale_amounts(f, plausible(f, value, rng, tiers), factor)
    return answers


# --- the clock of the generator ----------------------------------------------


class BenchClock(Clock):
    """``now()`` is the moment the generator says (a demande created or
    transmitted months ago); ``today()`` stays the real day, so the
    téléservices' opening windows judge transmissions as the portal would today."""

    def __init__(self) -> None:
        super().__init__()
        self.moment: datetime | None = None

    def now(self) -> datetime:
        return self.moment or datetime.now(UTC)

    def today(self):
        return datetime.now(UTC).astimezone().date()


# --- writing through the portal ----------------------------------------------


def hot_partitions(teleservices, now: datetime) -> list[str]:
    """Partitions touched by nearly every operation of a batch, held open so
    each is written once per batch, in the lock order of docs/storage.md:
    registry, then the index counters, its month shards, the text postings of
    each month, the vocabulary."""
    names = ["registry", COUNTS]
    months = history_months(now)
    names += [f"index/{teleservice}/{month}" for teleservice in teleservices for month in months]
    names += [f"index/_text/{month}/{i:02x}" for month in months for i in range(256)]
    names += [f"index/_vocab/{i:03x}" for i in range(16 ** 3)]
    return names


def history_months(now: datetime) -> list[str]:
    """The months (``yyyy-mm``) the generated demandes are created or transmitted in."""
    return sorted({(now - timedelta(days=30.4 * back)).strftime("%Y-%m") for back in range(-1, MONTHS_OF_HISTORY + 3)})


@contextmanager
def held(store, names):
    """Transactions held open on ``names``; nested ones join them."""
    with ExitStack() as stack:
        for name in names:
            stack.enter_context(store.transaction(name))
        yield


@dataclass
class Pending:
    """A complete draft waiting for its transmission (``Generator.file_demande``)."""

    plan: TiersPlan
    tiers: dict
    demande: dict
    spec: Any
    actor: Any
    prefill: dict
    moment: datetime | None


def split_plans(plans: list[TiersPlan], workers: int) -> list[list[TiersPlan]]:
    """Tiers shared among ``workers`` with about as many demandes each (the biggest
    first, each to the least loaded); each share keeps the plan's order."""
    loads, shares = [0] * workers, [[] for _ in range(workers)]
    for plan in sorted(plans, key=lambda p: -p.demandes):
        number = loads.index(min(loads))
        shares[number].append(plan)
        loads[number] += plan.demandes
    return [sorted(share, key=lambda p: p.key) for share in shares]


_FORKED: tuple | None = None  # (generator, shares, report), set by the parent before forking


def _work_in_child(number: int) -> tuple[dict, dict]:
    generator, shares, report = _FORKED
    return generator.work(number, shares[number], report)


class Generator:
    def __init__(self, app, size: int, seed: int = SEED):
        self.app = app
        self.services = app.extensions["portail"]
        self.clock: BenchClock = self.services.clock
        self.size = size
        self.rng = random.Random(seed)
        self.plans, self.n_accounts = make_plan(size, seed) if size else ([], 0)
        self.accounts: list[dict] = []
        self.tiers: dict[int, dict] = {}
        self.files: dict[str, dict[str, dict]] = {}
        self.manifest: dict[str, Any] = {"size": size, "password": PASSWORD}
        s = self.services
        self.demandes = DemandeService(s.repos.demandes, s.catalog, s.clock, s.outbox, index=DemandeIndex(s.store),
                                       tiers_repo=s.repos.tiers)
        self.specs = {spec.id: spec for spec in s.catalog.teleservices()}
        self.now = datetime.now(UTC)
        self.counts = {"demandes": 0, "transmitted": 0}

    # accounts

    def create_accounts(self) -> None:
        repo = self.services.repos.accounts
        password_hash = hash_password(PASSWORD, self.services.config)  # once: argon2id is slow on purpose
        with held(self.services.store, self.account_partitions()):
            for number in range(self.n_accounts):
                first, last = FIRST_NAMES[number % 20], LAST_NAMES[(number // 20) % 20]
                account = repo.create({
                    "civilite": "madame" if number % 2 else "monsieur",
                    "nom": last, "prenom": first,
                    "identifiant": f"usager{number:06d}",
                    "email": f"{first.lower()}.{last.lower()}.{number}@exemple.fr",
                    "password_hash": password_hash,
                    "professionnel": True,
                })
                self.accounts.append(repo.activate(account["id"]))

    # Tiers

    def tiers_answers(self, plan: TiersPlan) -> dict[str, Any]:
        admin = self.accounts[plan.admin]
        data = {
            "famille": plan.famille, "siret": new_siret(self.rng), "raison_sociale": plan.name,
            "adresse": {"street": f"{self.rng.randint(1, 90)} cours {self.rng.choice(LAST_NAMES)}",
                        "postcode": "13100", "commune": plan.commune},
            "representant_civilite": admin["civilite"], "representant_nom": admin["nom"],
            "representant_prenom": admin["prenom"], "representant_fonction": "Président(e)",
            "representant_email": admin["email"], "representant_telephone": "04 91 00 00 00",
            "email": f"contact{plan.key}@exemple.fr", "telephone": "04 91 00 00 01",
        }
        if plan.famille == "association":
            data["rna"] = f"W13{self.rng.randint(1000000, 9999999)}"
        return data

    def create_tiers(self, plan: TiersPlan) -> dict:
        if isinstance(self.clock, BenchClock):  # before any of its demandes
            self.clock.moment = self.now - timedelta(days=30.4 * (MONTHS_OF_HISTORY + 1))
        tiers = self.services.tiers_service.create_from_demande(self.accounts[plan.admin], self.tiers_answers(plan))
        repo = self.services.repos.tiers
        for account in plan.members:
            member = self.accounts[account]
            request, _ = repo.request_rattachement(tiers["id"], member["id"], plan.famille, tiers["siret"], None)
            repo.decide_rattachement(tiers["id"], request["id"], True, "", self.accounts[plan.admin]["id"])
        self.tiers[plan.key] = tiers
        return tiers

    # files: one stored PDF per file field, referenced by every demande

    def stored_files(self, spec) -> dict[str, dict]:
        if spec.id not in self.files:
            import io

            pdf = b"%PDF-1.4\n" + b"%" + b"x" * 40_000 + b"\n%%EOF\n"
            self.files[spec.id] = {
                f.id: self.services.files.save(io.BytesIO(pdf), f"{f.id}.pdf", "application/pdf")
                for f in spec.fields() if f.type == "file"
            }
        return self.files[spec.id]

    # demandes

    def teleservices_for(self, plan: TiersPlan) -> list:
        return [spec for spec in self.specs.values() if plan.famille in spec.families]

    def moment(self, months_back: float) -> datetime:
        return self.now - timedelta(days=30.4 * months_back, seconds=self.rng.randint(0, 86_400))

    def advance(self, **delta: float) -> None:
        if isinstance(self.clock, BenchClock):  # never in the future
            self.clock.moment = min(self.clock.moment + timedelta(**delta), datetime.now(UTC))

    def make_demande(self, plan: TiersPlan, tiers: dict, transmitted: bool, spec=None, complete=False) -> dict:
        pending = self.draft_demande(plan, tiers, transmitted, spec, complete)
        return self.file_demande(pending) if transmitted else pending.demande

    def draft_demande(self, plan: TiersPlan, tiers: dict, transmitted: bool, spec=None,
                      complete=False) -> Pending:
        """Start a demande and save its steps as an applicant would (all of them
        when it is to be transmitted); the transmission comes later (``file_demande``)."""
        spec = spec or self.rng.choice(self.teleservices_for(plan))
        account = self.accounts[self.rng.choice([plan.admin, *plan.members])]
        actor = workflow.Actor(kind="applicant", id=account["id"], name=f"{account['prenom']} {account['nom']}")
        prefill = {"tiers": dict(tiers), "account": dict(account)}
        months_back = self.rng.uniform(0.1, MONTHS_OF_HISTORY) if transmitted else self.rng.uniform(0, 2)
        if isinstance(self.clock, BenchClock):
            self.clock.moment = self.moment(months_back)
        demande = self.demandes.start(spec, actor, tiers)
        target = answers_for(spec, self.rng, plan, self.stored_files(spec))
        complete = complete or transmitted
        pages = spec.pages if complete else spec.pages[: self.rng.randint(1, len(spec.pages))]
        for page in pages:
            self.advance(minutes=self.rng.randint(2, 40))
            demande = self.save_page(demande, spec, page, target, actor, prefill)
        self.counts["demandes"] += 1
        return Pending(plan, tiers, demande, spec, actor, prefill, getattr(self.clock, "moment", None))

    def file_demande(self, pending: Pending) -> dict:
        """Transmit a complete draft, then take it through the staff workflow."""
        if isinstance(self.clock, BenchClock):
            self.clock.moment = pending.moment
        self.advance(hours=self.rng.randint(1, 72))
        demande = self.demandes.transmit(pending.demande, pending.spec, pending.actor, pending.prefill).demande
        self.counts["transmitted"] += 1
        self.instruct(demande, pending.spec)
        return demande

    def save_page(self, demande, spec, page, target, actor, prefill) -> dict:
        """What the web layer does for a posted step: validate the page, then save it."""
        previous = {**(demande.get("answers") or {}),
                    **{f.id: target[f.id] for f in page.fields if f.type == "file" and f.id in target}}
        result = validate_page(spec, page.id, raw_from_answers(page, target), None, previous, prefill,
                               meta={"csrf": False})
        return self.demandes.save_page(demande, spec, page.id, result.answers, actor, prefill) or demande

    def instruct(self, demande: dict, spec) -> None:
        """Take a share of transmitted demandes through the staff workflow."""
        roll, target = self.rng.random(), None
        for status, share in STATUS_SHARES:
            if roll < share:
                target = status
                break
            roll -= share
        if target is None:
            return
        staff = workflow.Actor(kind="staff", id=self.manifest["staff"]["id"], name="Agent instructeur")
        steps = [workflow.EN_INSTRUCTION] if target != workflow.EN_INSTRUCTION else []
        steps.append(target)
        details = {"amount": str(self.rng.randint(5, 200) * 100), "reason": "Dossier hors du cadre du dispositif.",
                   "message": "Merci de joindre le devis signé.", "pages": [spec.pages[-1].id]}
        for status in steps:
            if status == workflow.EN_INSTRUCTION and demande["status"] == workflow.EN_INSTRUCTION:
                continue
            self.advance(days=self.rng.randint(3, 40))
            at = self.clock.now().isoformat(timespec="seconds")
            page_ids = {p.id for p in spec.pages}

            def change(doc, status=status, at=at, page_ids=page_ids):
                doc.update(workflow.transition_changes(doc, status, staff, at, details, page_ids))

            demande = self.services.repos.demandes.modify(demande["partition"], demande["id"], change)
            self.services.staff_index.reindex(demande)

    def fill_tiers(self, plan: TiersPlan, tiers: dict) -> list[Pending]:
        """Every demande of a Tiers drafted; those to transmit are returned, to be filed later."""
        pending = []
        for rank, flag in enumerate(self.transmitted_flags(plan)):
            # the measured drafts are all of one téléservice, so their steps compare
            probe = plan.role and not flag and rank <= 1
            draft = self.draft_demande(plan, tiers, flag, self.specs[PROBE_TELESERVICE] if probe else None)
            if flag:
                pending.append(draft)
        return pending

    def transmitted_flags(self, plan: TiersPlan) -> list[bool]:
        if plan.role in ("small", "transmit"):
            return [True, False]
        if plan.role == "commune":  # its first demande is a draft, for the step figures
            return [False] + [self.rng.random() < TRANSMITTED_SHARE for _ in range(plan.demandes - 1)]
        return [self.rng.random() < TRANSMITTED_SHARE for _ in range(plan.demandes)]

    # the whole run

    def run(self, report=print, workers: int = 1) -> None:
        """Staff and accounts here, then the Tiers and their demandes in ``workers`` processes
        (forked: each fills its own Tiers; see ``work``)."""
        started = time.perf_counter()
        staff, staff_password = self.services.staff_accounts.create(
            "agent01", "agent01@ampmetropole.fr", "administrateur", [], nom="Agent instructeur")
        self.manifest["staff"] = {"id": staff["id"], "identifiant": "agent01", "password": staff_password}
        self.create_accounts()
        report(f"  {self.n_accounts} comptes en {time.perf_counter() - started:.1f} s")
        for spec in self.specs.values():  # the stored PDFs, once, before the workers share them
            self.stored_files(spec)
        shares = split_plans(self.plans, workers)
        if workers <= 1:
            results = [self.work(0, shares[0], report)]
        else:
            global _FORKED
            _FORKED = (self, shares, report)
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                results = pool.map(_work_in_child, range(workers))
        self.counts = {key: sum(counts[key] for counts, _ in results) for key in self.counts}
        for _, tiers in results:
            self.tiers.update(tiers)
        report(f"  {self.counts['demandes']} demandes ({self.counts['transmitted']} transmises) en "
               f"{time.perf_counter() - started:.0f} s")
        self.clock.moment = None
        self.write_manifest()

    def work(self, number: int, plans: list[TiersPlan], report=print) -> tuple[dict, dict]:
        """Fill ``plans``, by batches of about ``BATCH_DEMANDES``: draft the batch's demandes
        (step saves, validation: the bulk of the CPU, touching only the batch's own
        partitions), then file them (transmission, instruction, staff index) and create the
        Tiers of the next batch while holding the partitions shared by every worker
        (``hot_partitions``), so each is written once per batch and two workers
        alternate on them instead of interleaving."""
        self.rng = random.Random(SEED * 1000 + number)
        self.counts = {"demandes": 0, "transmitted": 0}
        store, label = self.services.store, f"  [{number}]"
        started, cpu = time.perf_counter(), time.process_time()
        batches, batch = [], []
        for plan in plans:
            batch.append(plan)
            if sum(p.demandes for p in batch) >= BATCH_DEMANDES:
                batches.append(batch)
                batch = []
        batches += [batch] if batch else []
        # Holding the ~30,000 shared partitions costs more than it saves for a few hundred demandes.
        hot = hot_partitions(sorted(self.specs), self.now) if sum(p.demandes for p in plans) >= 500 else []
        with held(store, hot):
            for plan in batches[0] if batches else ():
                self.create_tiers(plan)
        for rank, batch in enumerate(batches):
            pending: dict[int, list[Pending]] = {}
            for plan in batch:
                tiers = self.tiers[plan.key]
                with held(store, self.tiers_partitions(tiers, plan)):
                    pending[plan.key] = self.fill_tiers(plan, tiers)
            with held(store, hot):
                for plan in batch:
                    with held(store, self.tiers_partitions(self.tiers[plan.key], plan)):
                        for draft in pending[plan.key]:
                            self.file_demande(draft)
                for plan in batches[rank + 1] if rank + 1 < len(batches) else ():
                    self.create_tiers(plan)
            elapsed, used = time.perf_counter() - started, time.process_time() - cpu
            report(f"{label} {self.counts['demandes']} demandes ({self.counts['transmitted']} transmises) : "
                   f"{elapsed:.0f} s, {self.counts['demandes'] / elapsed:.1f} demandes/s ; "
                   f"CPU {used:.0f} s, {1000 * used / max(self.counts['demandes'], 1):.1f} ms CPU/demande")
        roles = {plan.key: self.tiers[plan.key] for plan in plans if plan.role}
        return dict(self.counts), roles

    # The two places that know the storage layout (see docs/storage.md).

    def tiers_partitions(self, tiers: dict, plan: TiersPlan) -> list[str]:
        """Partitions every demande of a Tiers writes, held open while it is filled (speed only):
        its counters, and for a big Tiers (a commune) its month shards of summaries too."""
        owner = f"tiers/{tiers['id']}"
        names = [counts_partition(owner)]
        if plan.demandes >= BIG_TIERS:
            names += sorted({shard_partition(owner, month) for month in history_months(self.now)})
        return names

    def demandes_of(self, tiers: dict) -> list[dict]:
        """Every demande of a Tiers (for the manifest)."""
        return self.services.repos.demandes.list(f"tiers/{tiers['id']}")

    def account_partitions(self) -> list[str]:
        """The key buckets every new account writes, held while the accounts are created (speed only)."""
        return [f"{KEYS_PREFIX}{number:03x}" for number in range(16 ** 3)]

    def write_manifest(self) -> None:
        s = self.services
        by_role = {}
        for plan in self.plans:
            if plan.role:
                by_role.setdefault(plan.role, []).append(self.probe(plan))
        self.manifest.update(
            small=by_role["small"][0],
            commune=by_role["commune"][0],
            transmit=by_role["transmit"],
            accounts=self.n_accounts,
            tiers=len(self.plans),
            demandes=self.counts["demandes"],
            transmitted=self.counts["transmitted"],
            communes=[p.demandes for p in self.plans if p.famille == "commune"],
            teleservices=sorted(self.specs),
            plan=[asdict(p) | {"members": len(p.members)} for p in self.plans[:12]],
        )
        (Path(s.config["DATA_DIR"]) / "manifest.json").write_text(json.dumps(self.manifest, indent=1))

    def probe(self, plan: TiersPlan) -> dict[str, Any]:
        tiers = self.tiers[plan.key]
        account = self.accounts[plan.admin]
        demandes = self.demandes_of(tiers)
        drafts = [{"id": d["id"], "teleservice": d["teleservice"],
                   "pages": [p.id for p in self.specs[d["teleservice"]].pages]}
                  for d in demandes if d["status"] == "brouillon"]
        drafts.sort(key=lambda d: d["teleservice"] != PROBE_TELESERVICE)
        return {"tiers_id": tiers["id"], "siret": tiers["siret"], "name": tiers["raison_sociale"],
                "identifiant": account["identifiant"], "account_id": account["id"], "demandes": len(demandes),
                "drafts": drafts, "demande_ids": [d["id"] for d in demandes],
                "teleservices": sorted({d["teleservice"] for d in demandes})}


def ready_draft(app, probe: dict[str, Any], teleservice: str = PROBE_TELESERVICE) -> dict[str, Any]:
    """A complete draft in a probe's Tiers, ready to transmit (driver's set-up, not timed)."""
    with app.app_context():
        generator = Generator(app, 0)
        repos = generator.services.repos
        generator.accounts = [repos.accounts.get(probe["account_id"])]
        tiers = repos.tiers.get(probe["tiers_id"])
        plan = TiersPlan(0, "association", probe["name"], "Allauch", 1)
        spec = generator.specs[teleservice]
        return generator.make_demande(plan, tiers, transmitted=False, spec=spec, complete=True)


def new_siret(rng: random.Random) -> str:
    """A random SIRET with valid Luhn keys (SIREN and SIRET)."""
    from stdnum import luhn

    siren = "".join(rng.choice("0123456789") for _ in range(8))
    siren += luhn.calc_check_digit(siren)
    body = siren + "".join(rng.choice("0123456789") for _ in range(4))
    return normalise_siret(body + luhn.calc_check_digit(body))


# --- entry points -------------------------------------------------------------


def app_for(data_dir: Path, clock: Clock | None = None, **overrides: Any):
    """The portal over ``data_dir``, as the bench runs it."""
    config = {
        "DATA_DIR": str(data_dir),
        "STORE": "tinydb",
        "SECRET_KEY": "bench-secret",
        "CAPTCHA_BACKEND": "test",
        "BASE_URL": "http://127.0.0.1",
        **overrides,
    }
    if clock is not None:
        config["CLOCK"] = clock
    return create_app(config)


# Bumped when the staff index layout changes: cached data sets are re-indexed, not regenerated.
# 2: text postings per month (index/_text/<yyyy-mm>/<xx>), one locator per demande.
# 3: postings bucketed by 3-letter prefix as sorted strings, status postings, the row copied in its locator.
# 4: per-Tiers postings by month (index/_tiers/<tiers>/<yyyy-mm>) for the Tiers filter.
# 5: the text search without the téléservice's title (nor the row's copy of it).
INDEX_LAYOUT = 5


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def staging_root() -> Path | None:
    """A memory file system to generate in (renames there cost microseconds, not
    milliseconds on a busy disk); the finished folder is then moved under ``CACHE``."""
    shm = Path("/dev/shm")
    return shm / "portail-bench-stage" if shm.is_dir() and os.access(shm, os.W_OK) else None


def build(size: int, force: bool = False, root: Path = CACHE, report=print, workers: int | None = None,
          stage: Path | None = None) -> Path:
    """The data folder of ``size`` demandes, generated unless cached."""
    folder = root / str(size)
    if (folder / "manifest.json").exists() and not force:
        upgrade_index(folder, report)
        return folder
    if folder.exists():
        shutil.rmtree(folder)
    workers = workers or default_workers(size)
    stage = stage or staging_root()
    if stage:  # a folder of its own: two builds (a test and a bench) may run at once
        stage.mkdir(parents=True, exist_ok=True)
        partial = Path(tempfile.mkdtemp(prefix=f"{size}-", dir=stage)) / "partial"
    else:
        partial = folder / "partial"
        shutil.rmtree(partial, ignore_errors=True)
    started, cpu = time.perf_counter(), time.process_time()
    report(f"Génération de {size} demandes dans {folder} ({workers} processus, préparée dans {partial.parent})")
    # a worker waits for the other's held partitions as long as that takes (a batch: minutes)
    app = app_for(partial, BenchClock(), STORE_FSYNC=False, STORE_LOCK_WAIT_SECONDS=86_400)
    with app.app_context():
        Generator(app, size).run(report, workers)
    generated = time.perf_counter() - started
    folder.mkdir(parents=True, exist_ok=True)
    shutil.move(str(partial), str(folder / "data"))
    if stage:
        shutil.rmtree(partial.parent, ignore_errors=True)
    manifest = json.loads((folder / "data" / "manifest.json").read_text())
    manifest["index_layout"] = INDEX_LAYOUT
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1))
    elapsed = time.perf_counter() - started
    children = os.times()
    used = time.process_time() - cpu + children.children_user + children.children_system
    db = folder_size(folder / "data" / "db")
    report(f"{size} demandes ({manifest['transmitted']} transmises), {manifest['accounts']} comptes, "
           f"{manifest['tiers']} Tiers, communes {manifest['communes']} : {elapsed:.0f} s "
           f"(génération {generated:.0f} s, {size / generated:.1f} demandes/s ; CPU {used:.0f} s, "
           f"{1000 * used / max(size, 1):.1f} ms/demande), {db / 1e6:.1f} Mo de données (db/)")
    return folder


def upgrade_index(folder: Path, report=print) -> None:
    """A cached data set of an older staff-index layout gets ``portail index rebuild``
    (derived data: nothing else to regenerate)."""
    manifest = json.loads((folder / "manifest.json").read_text())
    if manifest.get("index_layout") == INDEX_LAYOUT:
        return
    started = time.perf_counter()
    app = app_for(folder / "data", STORE_FSYNC=False)
    with app.app_context():
        result = app.extensions["portail"].staff_index.rebuild()
    manifest["index_layout"] = INDEX_LAYOUT
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1))
    report(f"Index des agents de {folder} reconstruit (disposition {INDEX_LAYOUT}) : {result.indexed} demandes, "
           f"{time.perf_counter() - started:.0f} s")


def default_workers(size: int) -> int:
    """One process per core, two at most (the machine is shared); one for small sets."""
    return 1 if size < 2000 else max(1, min(2, os.cpu_count() or 1))


def data_dir(size: int, root: Path = CACHE) -> Path:
    return root / str(size) / "data"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="+", type=int, help="numbers of demandes, e.g. 100 10000")
    parser.add_argument("--force", action="store_true", help="rebuild even if the folder exists")
    parser.add_argument("--workers", type=int, help="processes (default: 2 from 2,000 demandes, else 1)")
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # progress lines reach a log file as they come
    for size in args.sizes:
        folder = build(size, args.force, workers=args.workers)
        print(f"{folder} : {folder_size(folder / 'data' / 'db') / 1e6:.1f} Mo")


if __name__ == "__main__":
    main()
