"""Demo data: a deterministic dataset in the true InfraZen shapes (contract §2), for `make demo`,
the tests and the benchmarks. Never loaded in production (`AGENT_ENV=prod` refuses it).

The data are tables: who the personas are and what they connected (`personas.py`), what runs
in their clouds (`resources.py`), what the rule engine and the seed scripts said about it
(`recommendations.py`) and the global price catalogue (`prices.py`). One seeder walks them
(`seed.py`), building each row in its provider's shape (`shapes.py`, `rules.py`, `syncs.py`).
"""
