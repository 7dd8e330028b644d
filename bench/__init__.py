"""Benchmarks: `make bench` (python -m bench) runs every scenario on throwaway SQLite and PostgreSQL
databases, side by side in one run, and writes docs/benchmarks.md. Speed is never asserted in tests."""
