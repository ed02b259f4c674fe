"""Test settings shared by every test file.

Hypothesis runs derandomized (the same examples on every run, so the suite is deterministic)
with a modest number of examples, and without a per-example deadline (CI machines are slow).
"""

from hypothesis import settings

settings.register_profile("minigrad", derandomize=True, max_examples=30, deadline=None)
settings.load_profile("minigrad")
