"""Probes: one-off experiments on the benchmarks, not library features."""
