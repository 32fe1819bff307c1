"""gunicorn settings, read from the working directory: ``gunicorn -w 4 runtime.wsgi:app``
run from the repository root (README, docs/deploiement.md, the realistic bench) uses them.

``preload_app``: the master imports the portal once and forks its workers from it. A start
then costs one import of the app (about 0.4 s of CPU) instead of one per worker competing
for the same cores (cold start of ``gunicorn -w 4`` measured by ``bench/realistic.py``:
5.7–6.8 s without, 1.4–1.9 s with, on the shared 2-core machine), and a worker replaced after
a crash, a timeout or a ``kill -9`` answers at once.

What a process cannot share with its forks, the PostgreSQL store's pool of connections and
its threads, is closed by the master before it forks (``pre_fork``) and opened again by each
worker (``post_fork``); the embedded store keeps no file open between transactions.
"""

preload_app = True


def pre_fork(server, worker):
    from runtime.wsgi import before_fork

    before_fork()


def post_fork(server, worker):
    from runtime.wsgi import after_fork

    after_fork()
