"""The study's data, all shipped with scikit-learn (no download), all float64.

- ``digits``: 8×8 images of handwritten digits (1797 samples, 64 features, 10 classes), split
  stratified into train, validation and test by the seed, each feature standardized with the
  training rows' mean and standard deviation (``minigrad.data``). Settings are chosen on the
  validation rows; the test rows only report.
- ``least_squares``: a regression problem (X, y) with standardized columns and centred y, so a
  model without intercept fits it: ``diabetes`` (442 × 10) or a seeded ``synthetic`` one whose
  true coefficients span two orders of magnitude.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from minigrad.data import Dataset, load_dataset

TEST_FRACTION = 0.25
VAL_FRACTION = 0.15


def _standardize(x: np.ndarray) -> np.ndarray:
    """(x − μ)/σ column by column; a constant column keeps σ = 1."""
    sigma = x.std(axis=0)
    return (x - x.mean(axis=0)) / np.where(sigma > 0, sigma, 1.0)


@lru_cache(maxsize=4)
def digits(seed: int) -> Dataset:
    """The digits from ``minigrad.data.load_dataset``: split by ``seed`` (stratified, 25 % test,
    15 % validation), standardized with the training rows' statistics, float64."""
    return load_dataset("digits", test_size=TEST_FRACTION, val_size=VAL_FRACTION, seed=seed, dtype=np.float64)


def least_squares(problem: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(X, y) of a least-squares problem: standardized columns of X, centred y.

    ``"diabetes"``: scikit-learn's diabetes data, y also scaled to unit variance.
    ``"synthetic"``: n = 200 rows of correlated Gaussian features (d = 8), y = Xθ* + noise with
    θ* = (3, −2, 1.5, −1, 0.5, −0.25, 0.1, 0), so that a box |θ_i| ≤ b cuts some coefficients
    and leaves others free. ``seed`` draws X and the noise (diabetes ignores it).
    """
    if problem == "diabetes":
        from sklearn.datasets import load_diabetes

        x, y = load_diabetes(return_X_y=True)
    elif problem == "synthetic":
        rng = np.random.default_rng(seed)
        theta = np.array([3.0, -2.0, 1.5, -1.0, 0.5, -0.25, 0.1, 0.0])
        shared = rng.standard_normal((200, 1))
        x = rng.standard_normal((200, theta.size)) + 0.5 * shared
        y = x @ theta + 0.5 * rng.standard_normal(200)
    else:
        raise ValueError(f"unknown least-squares problem {problem!r}: use 'diabetes' or 'synthetic'")
    x = _standardize(x)
    y = y - y.mean()
    if problem == "diabetes":
        y = y / y.std()
    return x, y
