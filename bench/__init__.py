"""Benchmarks of entkiosk against the limits of issue #6: ``python -m bench`` (see bench/README.md)."""
