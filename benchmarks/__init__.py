"""Benchmark suite of sklearn-rnn: ``python -m benchmarks`` (see ``run.py``)."""
