"""Benchmark harness for issue #9: `make bench` (see docs/benchmark.md)."""
