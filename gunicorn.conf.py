"""gunicorn settings, read from the working directory: ``gunicorn -w 4 runtime.wsgi:app``
run from the repository root (README, docs/deploiement.md, the realistic bench) uses them.

``preload_app``: the master imports the portal once and forks its workers from it. A start
then costs one import of the app (about 0.4 s of CPU) instead of one per worker competing
for the same cores (cold start of ``gunicorn -w 4`` measured by ``bench/realistic.py``:
5.7–6.8 s without, 1.4–1.9 s with, on the shared 2-core machine), and a worker replaced after
a timeout answers at once. It is safe with the embedded store: building the app starts no
thread and keeps no file open (each TinyDB transaction opens its files).

With PostgreSQL (``PORTAIL_DATABASE_URL``) the store opens a connection pool, with its
sockets and threads, when the app is built: those must belong to each worker, so the
workers build their own app, as without this file.
"""
import os

preload_app = not os.environ.get("PORTAIL_DATABASE_URL")
