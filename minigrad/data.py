"""Small datasets for training from scratch, and minibatch iteration.

    from minigrad.data import load_dataset, batches
    data = load_dataset("digits", seed=0)                 # train / test splits, standardized
    for xb, yb in batches(*data.train, batch_size=32, rng=0):
        ...

``load_dataset`` knows the datasets scikit-learn ships with (no download) and four of its
seeded generators. Every dataset is split the same way:

- test (and, if asked, validation) rows are set aside first, stratified by class for
  classification, with ``seed`` fixing the split (and the synthetic data);
- each feature is standardized, x' = (x − μ) / σ, with μ and σ measured on the *training*
  rows only (a constant feature keeps σ = 1), so nothing about the test rows leaks into
  training;
- classification labels are integer arrays of shape (N,) in 0 … n_classes−1, ready for
  ``CrossEntropyLoss``; regression targets are float arrays of shape (N, K) (K = 1 unless a
  generator is asked for more targets, e.g. ``n_targets=2``), ready for ``MSELoss`` against a
  model with K outputs, and each column is standardized the same way (``target_mean`` and
  ``target_scale`` undo it: y = y'·σ_y + μ_y).

scikit-learn is imported only when a dataset is loaded, so ``import minigrad`` stays fast.
"""

from __future__ import annotations

import argparse
import inspect
import math
import reprlib
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import numpy as np

from minigrad.checks import as_real, check_flag, is_int
from minigrad.dtypes import get_default_dtype
from minigrad.random import as_generator

Split = tuple[np.ndarray, np.ndarray]

# Name → (task, the sklearn.datasets function, its default keyword arguments). The four
# generators are seeded through ``random_state``; the shipped datasets take no arguments.
_SOURCES: dict[str, tuple[str, str, dict[str, Any]]] = {
    "digits": ("classification", "load_digits", {}),
    "iris": ("classification", "load_iris", {}),
    "wine": ("classification", "load_wine", {}),
    "breast_cancer": ("classification", "load_breast_cancer", {}),
    "diabetes": ("regression", "load_diabetes", {}),
    "moons": ("classification", "make_moons", {"n_samples": 1000, "noise": 0.2}),
    "circles": ("classification", "make_circles", {"n_samples": 1000, "noise": 0.1, "factor": 0.5}),
    "classification": ("classification", "make_classification",
                       {"n_samples": 1000, "n_features": 20, "n_informative": 10, "n_classes": 3}),
    "regression": ("regression", "make_regression",
                   {"n_samples": 1000, "n_features": 10, "n_informative": 5, "noise": 10.0}),
}

DATASETS: tuple[str, ...] = tuple(_SOURCES)
MAX_SEED = 2**32 - 1  # the largest seed scikit-learn's random_state takes
_SEEDS = f"an integer from 0 to 2**32 - 1 = {MAX_SEED}"


def check_seed(seed: Any) -> int:
    """``seed`` as an int if it is an integer from 0 to ``MAX_SEED``; otherwise a ValueError."""
    if not (is_int(seed, 0) and seed <= MAX_SEED):
        raise ValueError(f"seed must be {_SEEDS}, got {seed!r}")
    return int(seed)


def parse_seed(text: str) -> int:
    """An argparse ``type`` for a ``--seed`` option: the integer ``text``, checked by
    ``check_seed``, so that a bad seed is refused before any work starts."""
    try:
        return check_seed(int(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be {_SEEDS}, got {text!r}") from None


@dataclass(frozen=True, eq=False)
class Dataset:
    """Standardized train / test (and optional validation) splits of one dataset.

    ``train``, ``val`` and ``test`` give (X, y) pairs, the form ``fit`` and ``evaluate`` take.
    ``X_val`` and ``y_val`` are None unless a validation split was asked for. ``n_classes`` is
    0 for regression. ``feature_mean`` and ``feature_scale`` are the training statistics used
    to standardize the features (apply them to new rows the same way); ``target_mean`` and
    ``target_scale`` those of the regression targets: floats for one target column, arrays of
    one value per column for several.
    """

    name: str
    task: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    X_val: np.ndarray | None
    y_val: np.ndarray | None
    n_classes: int
    feature_names: tuple[str, ...]
    feature_mean: np.ndarray
    feature_scale: np.ndarray
    target_mean: float | np.ndarray = 0.0
    target_scale: float | np.ndarray = 1.0

    @property
    def n_features(self) -> int:
        return self.X_train.shape[1]

    @property
    def n_outputs(self) -> int:
        """The width of a model's output layer: one logit per class, or one value per
        regression target column."""
        return self.n_classes if self.task == "classification" else self.y_train.shape[1]

    @property
    def train(self) -> Split:
        return self.X_train, self.y_train

    @property
    def test(self) -> Split:
        return self.X_test, self.y_test

    @property
    def val(self) -> Split | None:
        return None if self.X_val is None else (self.X_val, self.y_val)

    def __repr__(self) -> str:
        sizes = f"train={len(self.X_train)}, test={len(self.X_test)}"
        if self.X_val is not None:
            sizes += f", val={len(self.X_val)}"
        kind = f"{self.n_classes} classes" if self.task == "classification" else "regression"
        return f"Dataset({self.name!r}, {kind}, {self.n_features} features, {sizes})"


def load_dataset(
    name: str,
    *,
    test_size: float = 0.2,
    val_size: float = 0.0,
    seed: int = 0,
    dtype: Any = None,
    **options: Any,
) -> Dataset:
    """Load dataset ``name`` (one of ``DATASETS``), split and standardize it.

    ``test_size`` and ``val_size`` are fractions of all rows; the validation split is empty
    unless ``val_size > 0``; a classification split must get at least one row of each class
    (a ValueError names the smallest fraction that gives it). ``seed`` (``check_seed``) fixes
    the split and, for the generated datasets, the data. ``dtype`` is that of the features
    (default: minigrad's default dtype, float32) and of regression targets; it must be a
    floating-point type. ``options`` go to the
    scikit-learn generator of a synthetic dataset (``n_samples``, ``noise``, ``n_classes``,
    ``n_targets``, …) and are refused for shipped ones.
    """
    if name not in _SOURCES:
        raise ValueError(f"unknown dataset {name!r}; known datasets: {', '.join(DATASETS)}")
    test_size, val_size = _as_fraction("test_size", test_size), _as_fraction("val_size", val_size)
    if not 0 < test_size < 1 or not 0 <= val_size < 1 or test_size + val_size >= 1:
        raise ValueError(
            f"need 0 < test_size, 0 <= val_size and test_size + val_size < 1; "
            f"got test_size={test_size}, val_size={val_size}"
        )
    check_seed(seed)
    dtype = np.dtype(get_default_dtype() if dtype is None else dtype)
    if dtype.kind != "f":
        raise ValueError(f"dtype must be a floating-point type (standardized values are fractions), got {dtype}")
    task, function_name, defaults = _SOURCES[name]
    X, y, feature_names = _read_source(name, function_name, defaults, options, seed)
    classification = task == "classification"
    if classification:
        y = y.astype(np.int64)
        _check_class_rows(name, y, test_size, val_size)
    else:
        y = y.astype(np.float64).reshape(len(y), -1)

    rest, test = _split(X, y, test_size, classification, seed)
    train, val = rest, None
    if val_size > 0:
        train, val = _split(*rest, val_size / (1 - test_size), classification, seed)

    mean, scale = _standardizer(train[0])
    target_mean, target_scale = (0.0, 1.0)
    if not classification:
        target_mean, target_scale = (_per_target(v) for v in _standardizer(train[1]))

    def prepare(split: Split) -> Split:
        features = ((split[0] - mean) / scale).astype(dtype)
        if classification:
            return features, split[1]
        return features, ((split[1] - target_mean) / target_scale).astype(dtype)

    X_train, y_train = prepare(train)
    X_val, y_val = prepare(val) if val is not None else (None, None)
    X_test, y_test = prepare(test)
    return Dataset(
        name=name, task=task, X_train=X_train, y_train=y_train, X_test=X_test, y_test=y_test,
        X_val=X_val, y_val=y_val, n_classes=int(y.max()) + 1 if classification else 0,
        feature_names=feature_names, feature_mean=mean, feature_scale=scale,
        target_mean=target_mean, target_scale=target_scale,
    )


def _as_fraction(option: str, value: Any) -> float:
    """``value``, the fraction of the rows given as ``option``, as a float (scikit-learn takes
    no numpy float32 or 0-d array); a ValueError naming ``option`` unless it is a number (int
    or float, Python or numpy, or a 0-d array of one; not bool, not NaN)."""
    fraction = as_real(value)
    if math.isnan(fraction):
        raise ValueError(f"{option} must be a number (a fraction of the rows), got {value!r}")
    return fraction


def _read_source(name: str, function_name: str, defaults: dict[str, Any], options: dict[str, Any],
                 seed: int) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """The raw features, targets and feature names, from scikit-learn."""
    import sklearn.datasets

    source: Callable[..., Any] = getattr(sklearn.datasets, function_name)
    if function_name.startswith("load_"):
        if options:
            raise TypeError(f"dataset {name!r} takes no options, got {', '.join(options)}")
        bunch = source()
        return bunch.data, bunch.target, tuple(str(f) for f in bunch.feature_names)
    if "random_state" in options:
        raise TypeError(f"load_dataset takes the generator's seed as seed=, not random_state= "
                        f"(got random_state={options['random_state']!r})")
    known = [option for option in inspect.signature(source).parameters if option != "random_state"]
    unknown = [option for option in options if option not in known]
    if unknown:
        raise TypeError(f"dataset {name!r} (sklearn.datasets.{function_name}) has no option {unknown[0]!r}; "
                        f"its options: {', '.join(known)}")
    X, y = source(**{**defaults, **options}, random_state=seed)
    return X, y, tuple(f"x{i}" for i in range(X.shape[1]))


def _check_class_rows(name: str, y: np.ndarray, test_size: float, val_size: float) -> None:
    """Refuse fractions that give a split fewer rows than there are classes (a stratified split
    needs a row of each), naming the smallest fraction that works."""
    n_classes = len(np.unique(y))
    n_test = math.ceil(test_size * len(y))  # rounded up, as train_test_split does
    rest = len(y) - n_test
    n_val = math.ceil(val_size / (1 - test_size) * rest)
    for option, split, fraction, rows, rows_per_unit in (
        ("test_size", "test", test_size, n_test, len(y)),
        ("val_size", "validation", val_size, n_val, rest / (1 - test_size)),
    ):
        if fraction > 0 and rows < n_classes:
            raise ValueError(f"{option}={fraction} gives {rows} {split} rows of {name!r}, fewer than its "
                             f"{n_classes} classes (a stratified split needs one of each); use at least "
                             f"{_round_up((n_classes - 1 + 1e-6) / rows_per_unit)}")
    if rest - n_val < n_classes:
        raise ValueError(f"test_size={test_size} and val_size={val_size} leave {rest - n_val} training rows of "
                         f"{name!r}, fewer than its {n_classes} classes")


def _round_up(value: float) -> float:
    """``value`` rounded up to two significant digits."""
    scale = 10.0 ** (1 - math.floor(math.log10(value)))
    return math.ceil(value * scale) / scale


def _split(X: np.ndarray, y: np.ndarray, fraction: float, stratified: bool, seed: int) -> tuple[Split, Split]:
    """(kept, set aside): ``fraction`` of the rows set aside, by class when ``stratified``."""
    from sklearn.model_selection import train_test_split

    X_keep, X_out, y_keep, y_out = train_test_split(
        X, y, test_size=fraction, random_state=seed, stratify=y if stratified else None
    )
    return (X_keep, y_keep), (X_out, y_out)


def _standardizer(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column means μ and standard deviations σ (σ = 1 where a column is constant: where σ is
    within the rounding error of n values' mean, n·ε·|μ|, as scikit-learn's StandardScaler
    judges it; a column of 0.1s has a computed σ of about 1e-17 to 1e-15, not 0)."""
    mean = values.mean(axis=0)
    scale = values.std(axis=0)
    scale[scale <= len(values) * np.finfo(scale.dtype).eps * np.abs(mean)] = 1.0
    return mean, scale


def _per_target(values: np.ndarray) -> float | np.ndarray:
    """A float for a single target column, else the array of one value per column."""
    return float(values[0]) if len(values) == 1 else values


def _rows(name: str, value: Any) -> np.ndarray:
    """``value`` (the argument ``name``) as an array (lists too: rows are picked by arrays of
    positions), once it is a rectangular one with rows."""
    try:
        array = np.asarray(value)
    except (TypeError, ValueError):  # (numpy: "setting an array element with a sequence")
        raise ValueError(f"{name} must be a rectangular array of rows, got {reprlib.repr(value)}") from None
    if array.ndim == 0:
        raise TypeError(f"{name} must be an array (or list) of rows, got {reprlib.repr(value)}")
    return array


def batches(
    X: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    shuffle: bool = True,
    rng: np.random.Generator | int | None = None,
    drop_last: bool = False,
) -> Iterator[Split]:
    """Yield (X_batch, y_batch) pairs that together cover the rows of X and y (arrays, or lists
    made arrays) once.

    With ``shuffle`` the row order is a fresh permutation drawn from ``rng`` (a Generator,
    whose state advances, an int seed, or None for minigrad's default generator); without it
    the rows come in order and ``rng`` is not touched. The last batch holds the remaining
    N mod batch_size rows, unless ``drop_last`` leaves it out. The arguments are checked and
    the permutation drawn at the call, not at the first batch: X and y must be rectangular
    arrays of at least one dimension, ``shuffle`` and ``drop_last`` True or False.
    """
    if not is_int(batch_size, 1):
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    check_flag("shuffle", shuffle)
    check_flag("drop_last", drop_last)
    X, y = _rows("X", X), _rows("y", y)
    n = len(X)
    if len(y) != n:
        raise ValueError(f"X has {n} rows but y has {len(y)}")
    order = as_generator(rng).permutation(n) if shuffle else np.arange(n)
    stop = n - n % batch_size if drop_last else n
    return ((X[order[i:i + batch_size]], y[order[i:i + batch_size]]) for i in range(0, stop, batch_size))
