"""``portail worker``: delivers the outbox effects and runs the jobs.

One loop, any number of copies (on one or several servers): every step is
claimed under a partition lock, so two workers never deliver the same effect
nor run the same job. SIGTERM or SIGINT ends the loop after the current step
(a job being run is finished first; systemd's ``TimeoutStopSec`` should
exceed the longest job, or the job is taken over by another worker once its
lease runs out).

``portail serve`` (development) runs the same loop in a thread, so the dev
server needs nothing else; under gunicorn run ``portail worker`` beside it.
"""
from __future__ import annotations

import logging
import signal
import threading
from dataclasses import dataclass

from flask import Flask

log = logging.getLogger("portail.worker")


@dataclass
class Pass:
    effects: int = 0
    jobs: int = 0


def run_once(app: Flask) -> Pass:
    """One pass: deliver the effects that are due, run the queued jobs."""
    s = app.extensions["portail"]
    done = Pass()
    with app.app_context():  # mails are rendered with the app's templates
        done.effects = s.outbox.deliver_due()
        while s.jobs.run_next() is not None:
            done.jobs += 1
        s.jobs.prune()
    return done


def run_forever(app: Flask, stop: threading.Event) -> None:
    interval = float(app.extensions["portail"].config["WORKER_INTERVAL_SECONDS"])
    log.info("Worker démarré")
    while not stop.is_set():
        try:
            run_once(app)
        except Exception:  # the loop survives a bad pass; the next one retries
            log.exception("Passe du worker en échec")
        stop.wait(interval)
    log.info("Worker arrêté")


def main(app: Flask) -> None:
    """The ``portail worker`` loop, stopped cleanly by SIGTERM/SIGINT."""
    stop = threading.Event()

    def request_stop(signum, _frame):
        log.info("Signal %s reçu : arrêt après la tâche en cours", signum)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    run_forever(app, stop)


def start_in_thread(app: Flask) -> threading.Event:
    """The development server's worker (daemon thread); set the event to stop it."""
    stop = threading.Event()
    threading.Thread(target=run_forever, args=(app, stop), name="portail-worker", daemon=True).start()
    return stop
