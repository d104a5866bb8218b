"""Benchmarks that measure netwarden against the tools it replaces (see bench/README.md)."""
