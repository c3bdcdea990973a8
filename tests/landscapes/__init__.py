"""Synthetic landscapes standing in for the MD in tests and benchmarks (not part of the shipped package)."""
