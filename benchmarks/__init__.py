"""Measurements a test should not time (see docs/development.md, Benchmarks)."""
