"""How fast this machine runs Python: the scale of every figure measured on it.

    .venv/bin/python bench/machine_speed.py

Machines of the same kind differ: the same commit's non-browser suite took 38.7 s (median) on one
2-core machine and 94–96 s on the next, its whole suite 3 min 45 s and 9 min 09 s. The suite's time
goals, and the bench's figures, are read beside this one: the median of seven runs of a fixed
single-core workload (integer arithmetic, a Jinja page, JSON), in milliseconds. As measured:

    machine speed   non-browser suite   whole suite
    394–842 ms      74–85 s             7 min 46 s – 7 min 52 s   (2026-11-28)
    210–221 ms      29–33 s             3 min 02 s – 3 min 22 s   (2026-11-29)

A shared machine's speed also drifts within minutes (410 to 840 ms within a quarter of an hour on
the first): run it just before and just after what is measured.
"""
from __future__ import annotations

import json
import statistics
import time

from jinja2 import Environment

PAGE = Environment(autoescape=True).from_string(
    "<ul>{% for row in rows %}<li class='{{ row.kind }}'>{{ row.name }} : {{ '%.2f'|format(row.amount) }} €</li>"
    "{% endfor %}</ul>"
)
ROWS = [{"kind": f"k{n % 7}", "name": f"Demande n° {n} <à échapper>", "amount": n * 1.5} for n in range(2000)]


def workload() -> float:
    started = time.perf_counter()
    sum(i * i for i in range(1_000_000))
    for _ in range(20):
        json.loads(json.dumps(ROWS))
        PAGE.render(rows=ROWS)
    return (time.perf_counter() - started) * 1000


def main() -> None:
    workload()  # warm-up: imports, caches
    runs = [workload() for _ in range(7)]
    print(f"machine speed: {statistics.median(runs):.0f} ms (median of 7, min {min(runs):.0f}, max {max(runs):.0f})")


if __name__ == "__main__":
    main()
