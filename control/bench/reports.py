"""``hotline bench reports``: see reports/bench.py."""
from __future__ import annotations


def main(argv: list[str]) -> int:
    from reports.bench import main as bench_main

    return bench_main(argv)
