"""Benchmarks (never timed tests): each prints its figures and a ratio against a baseline
measured in the same run. ``python -m etl.bench.<name> --help``."""
