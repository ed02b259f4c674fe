"""Pieces of examples/benchmark.py: the hand-written numpy reference and the timed runners."""
