"""Contact-center KPIs: pure definitions (kpis.py, agents.py), SQL queries (queries.py), CSV export
(export.py) and the 1M-row benchmark (bench.py). The definitions are written down in docs/kpis.md."""
