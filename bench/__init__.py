"""Benchmarks for Interface Referee: `python -m bench.run` (see README.md)."""
