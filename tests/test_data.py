"""minigrad.data: datasets split, standardized on training rows only, stratified, seeded; batches."""

import argparse
import re
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.datasets import load_iris

from minigrad.data import DATASETS, MAX_SEED, batches, check_seed, load_dataset, parse_seed
from minigrad.dtypes import get_default_dtype, set_default_dtype


def raw_rows(data, X):
    """Undo the feature standardization."""
    return X.astype(np.float64) * data.feature_scale + data.feature_mean


@pytest.mark.parametrize("name", DATASETS)
def test_every_dataset_loads_with_consistent_shapes_and_types(name):
    data = load_dataset(name, val_size=0.1, seed=0)
    for X, y in (data.train, data.val, data.test):
        assert X.dtype == np.float32 and X.ndim == 2 and X.shape[1] == data.n_features
        assert len(y) == len(X)
        if data.task == "classification":
            assert y.dtype == np.int64 and y.shape == (len(X),)
            assert set(np.unique(y)) <= set(range(data.n_classes))
        else:
            assert y.dtype == np.float32 and y.shape == (len(X), 1)
    assert len(data.feature_names) == data.n_features
    assert data.n_outputs == (data.n_classes if data.task == "classification" else 1)


def test_split_sizes_follow_the_fractions_and_partition_the_rows():
    data = load_dataset("iris", test_size=0.2, val_size=0.2, seed=3)
    assert (len(data.X_train), len(data.X_val), len(data.X_test)) == (90, 30, 30)
    rows = np.vstack([raw_rows(data, X) for X in (data.X_train, data.X_val, data.X_test)])
    assert np.allclose(np.sort(rows, axis=0), np.sort(load_iris().data, axis=0), atol=1e-5)


@pytest.mark.parametrize("val_size, val, sizes", [
    (0.0, None, "train=120, test=30"),
    (0.2, 30, "train=90, test=30, val=30"),
])
def test_val_is_none_without_a_validation_split_and_the_repr_counts_each_split(val_size, val, sizes):
    """``val`` is None (not a pair of Nones) unless a validation split was asked for, and the repr
    gives each split's rows (iris: 150 rows, 4 features, 3 classes)."""
    data = load_dataset("iris", val_size=val_size, seed=0)
    if val is None:
        assert data.val is None and data.X_val is None and data.y_val is None
    else:
        assert len(data.val[0]) == len(data.val[1]) == val
    assert repr(data) == f"Dataset('iris', 3 classes, 4 features, {sizes})"


def test_the_repr_of_a_regression_dataset_names_its_task():
    assert repr(load_dataset("diabetes", seed=0)) == "Dataset('diabetes', regression, 10 features, train=353, test=89)"


def test_features_are_standardized_with_training_statistics_only():
    data = load_dataset("iris", seed=0)
    train_rows = raw_rows(data, data.X_train)
    assert np.allclose(data.feature_mean, train_rows.mean(axis=0))
    assert np.allclose(data.feature_scale, train_rows.std(axis=0))
    assert np.allclose(data.X_train.mean(axis=0), 0, atol=1e-6)
    assert np.allclose(data.X_train.std(axis=0), 1, atol=1e-5)
    assert not np.allclose(data.X_test.mean(axis=0), 0, atol=1e-3)
    # with a validation split too, the statistics are the training rows' alone, not train + val's
    data = load_dataset("iris", val_size=0.3, seed=0)
    assert np.allclose(data.X_train.mean(axis=0), 0, atol=1e-6)
    assert not np.allclose(data.X_val.mean(axis=0), 0, atol=1e-3)


def test_constant_features_are_left_at_zero_not_divided_by_zero():
    data = load_dataset("digits", seed=0)
    constant = data.feature_scale == 1.0
    assert constant.any()
    assert np.isfinite(data.X_test).all() and np.all(data.X_train[:, constant] == 0)


def test_regression_targets_are_standardized_and_can_be_restored():
    data = load_dataset("diabetes", seed=0)
    assert abs(data.y_train.mean()) < 1e-5 and abs(data.y_train.std() - 1) < 1e-5
    targets = data.y_train * data.target_scale + data.target_mean
    assert 25 <= targets.min() and targets.max() <= 346  # the diabetes progression scores


def test_classification_splits_are_stratified():
    data = load_dataset("breast_cancer", test_size=0.25, val_size=0.15, seed=0)
    overall = np.bincount(np.concatenate([data.y_train, data.y_val, data.y_test])) / 569
    for y in (data.y_train, data.y_val, data.y_test):
        assert np.allclose(np.bincount(y) / len(y), overall, atol=1.5 / len(y))


def test_the_same_seed_gives_the_same_data_and_another_seed_another_split():
    first, again, other = (load_dataset("moons", seed=s) for s in (7, 7, 8))
    assert np.array_equal(first.X_train, again.X_train) and np.array_equal(first.y_test, again.y_test)
    assert not np.array_equal(first.X_train, other.X_train)


@pytest.mark.parametrize("name, options", [
    ("moons", {"noise": 0.2}),
    ("circles", {"noise": 0.1, "factor": 0.5}),
    ("classification", {"n_features": 5, "n_informative": 3, "n_classes": 3}),
    ("regression", {"n_features": 4, "n_informative": 2, "noise": 10.0}),
])
def test_a_generated_dataset_holds_the_rows_scikit_learns_generator_gives_for_the_seed(name, options):
    import sklearn.datasets

    X, y = getattr(sklearn.datasets, f"make_{name}")(n_samples=60, **options, random_state=5)
    data = load_dataset(name, seed=5, dtype=np.float64, n_samples=60, **options)
    rows = np.vstack([raw_rows(data, data.X_train), raw_rows(data, data.X_test)])
    targets = np.concatenate([data.y_train, data.y_test])
    if data.task == "regression":
        targets = (targets * data.target_scale + data.target_mean).ravel()
    ours, theirs = np.lexsort(rows.T), np.lexsort(X.T)  # (the order that sorts each set of rows)
    np.testing.assert_allclose(rows[ours], X[theirs], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(targets[ours], y[theirs], rtol=1e-12, atol=1e-12)


def test_generator_options_reach_scikit_learn():
    data = load_dataset("classification", n_samples=200, n_classes=4, n_informative=6, seed=0)
    assert data.n_classes == 4 and len(data.X_train) + len(data.X_test) == 200


def test_shipped_datasets_refuse_generator_options():
    with pytest.raises(TypeError, match="takes no options"):
        load_dataset("iris", n_samples=10)


def test_generated_datasets_name_an_option_their_generator_lacks_and_list_its_options():
    # the whole list, ending there: random_state, which load_dataset refuses, is not among the options
    with pytest.raises(TypeError, match=re.escape("dataset 'moons' (sklearn.datasets.make_moons) has no option "
                                                  "'bogus'; its options: n_samples, shuffle, noise") + "$"):
        load_dataset("moons", noise=0.1, bogus=1)


def test_an_unknown_name_lists_the_known_datasets():
    with pytest.raises(ValueError, match="unknown dataset 'mnist'") as error:
        load_dataset("mnist")
    assert all(name in str(error.value) for name in DATASETS)


@pytest.mark.parametrize("test_size, val_size", [(0.0, 0.0), (1.0, 0.0), (0.5, 0.5), (0.2, -0.1)])
def test_impossible_split_fractions_are_refused(test_size, val_size):
    message = ("need 0 < test_size, 0 <= val_size and test_size + val_size < 1; "
               f"got test_size={test_size}, val_size={val_size}")
    with pytest.raises(ValueError, match=re.escape(message)):
        load_dataset("iris", test_size=test_size, val_size=val_size)


@pytest.mark.parametrize("name, sizes, message", [
    ("digits", {"val_size": 0.001}, "val_size=0.001 gives 2 validation rows of 'digits', fewer than its 10 classes"),
    ("digits", {"val_size": 0.005}, "val_size=0.005 gives 9 validation rows"),
    ("digits", {"test_size": 0.001}, "test_size=0.001 gives 2 test rows of 'digits'"),
    ("iris", {"val_size": 0.013}, "val_size=0.013 gives 2 validation rows of 'iris', fewer than its 3 classes"),
])
def test_a_split_with_fewer_rows_than_classes_is_refused_naming_the_smallest_fraction_that_works(name, sizes,
                                                                                               message):
    with pytest.raises(ValueError, match=message) as error:
        load_dataset(name, **sizes)
    smallest = float(str(error.value).rsplit("use at least ", 1)[1])
    (option,) = sizes
    data = load_dataset(name, **{**sizes, option: smallest})  # the fraction named works ...
    n_classes = data.n_classes
    split = data.y_val if option == "val_size" else data.y_test
    assert set(split) == set(range(n_classes))  # ... and gives a row of each class
    below = round(smallest - (0.001 if smallest >= 0.01 else 0.0001), 4)  # the next smaller 2-digit fraction
    with pytest.raises(ValueError, match="fewer than its"):
        load_dataset(name, **{**sizes, option: below})


not_numbers = st.one_of(st.text(), st.none(), st.booleans(), st.lists(st.floats(0.1, 0.3), max_size=2),
                       st.complex_numbers(min_magnitude=0.1, max_magnitude=0.3, allow_infinity=False),
                       st.fractions(0.1, 0.3), st.decimals("0.1", "0.3"), st.just(np.nan), st.just(np.array("0.2")))


@pytest.mark.parametrize("option", ["test_size", "val_size"])
@given(value=not_numbers)
def test_a_split_fraction_that_is_not_a_number_is_refused_by_name(option, value):
    with pytest.raises(ValueError, match=rf"^{option} must be a number \(a fraction of the rows\), got "):
        load_dataset("iris", **{option: value})


@pytest.mark.parametrize("test_size", [0.25, np.float64(0.25), np.float32(0.25), np.array(0.25)])
@pytest.mark.parametrize("val_size", [0, np.int64(0), 0.125, np.float32(0.125), np.array(0.125)])
def test_split_fractions_are_any_real_numbers_python_or_numpy(test_size, val_size):
    data = load_dataset("iris", test_size=test_size, val_size=val_size)
    expected = load_dataset("iris", test_size=0.25, val_size=float(val_size))
    np.testing.assert_array_equal(data.y_test, expected.y_test)
    np.testing.assert_array_equal(data.y_train, expected.y_train)
    assert len(data.y_test) == 38 and (data.y_val is None) == (val_size == 0)


def test_fractions_that_leave_fewer_training_rows_than_classes_are_refused():
    with pytest.raises(ValueError, match="test_size=0.5 and val_size=0.49 leave 1 training rows of 'iris'"):
        load_dataset("iris", test_size=0.5, val_size=0.49)


def test_fractions_that_leave_exactly_one_training_row_per_class_are_accepted():
    """The training split may hold as many rows as there are classes (one of each), not more."""
    # iris: 150 rows; test_size=0.5 sets 75 aside; 0.48 / 0.5 of the other 75 is 72 validation rows
    data = load_dataset("iris", test_size=0.5, val_size=0.48, seed=0)
    assert (len(data.y_train), len(data.y_val), len(data.y_test)) == (3, 72, 75)
    assert sorted(data.y_train) == [0, 1, 2]


@pytest.mark.parametrize("seed", [-1, MAX_SEED + 1, 1.0, True, "0"])
def test_a_seed_scikit_learn_cannot_take_is_refused_by_name(seed):
    with pytest.raises(ValueError, match=r"seed must be an integer from 0 to 2\*\*32 - 1"):
        load_dataset("iris", seed=seed)


def test_the_largest_seed_is_accepted_and_numpy_integers_too():
    """MAX_SEED works for the test split and for the validation split drawn after it."""
    assert check_seed(MAX_SEED) == MAX_SEED and check_seed(np.int64(3)) == 3
    assert len(load_dataset("iris", seed=MAX_SEED).X_test) == 30
    data = load_dataset("iris", val_size=0.2, seed=MAX_SEED)  # (a seed of MAX_SEED + 1 is refused by scikit-learn)
    assert (len(data.X_train), len(data.X_val), len(data.X_test)) == (90, 30, 30)


@pytest.mark.parametrize("text", ["-1", "4294967296", "1.5", "seed"])
def test_parse_seed_refuses_with_an_argparse_message(text):
    with pytest.raises(argparse.ArgumentTypeError, match=rf"must be an integer from 0 to 2\*\*32 - 1 = {MAX_SEED}"):
        parse_seed(text)
    assert parse_seed("4294967295") == MAX_SEED


def test_importing_minigrad_and_its_data_module_does_not_import_scikit_learn():
    code = "import sys, minigrad, minigrad.data; sys.exit('sklearn' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


# ------------------------------------------------------------------------------------ batches
def test_batches_cover_every_row_once_and_keep_the_last_partial_batch():
    X, y = np.arange(20).reshape(10, 2), np.arange(10)
    parts = list(batches(X, y, 4, rng=0))
    assert [len(xb) for xb, _ in parts] == [4, 4, 2]
    assert sorted(np.concatenate([yb for _, yb in parts])) == list(range(10))
    assert all(np.array_equal(xb[:, 0] // 2, yb) for xb, yb in parts)


def test_drop_last_leaves_out_the_partial_batch():
    parts = list(batches(np.zeros((10, 1)), np.zeros(10), 4, rng=0, drop_last=True))
    assert [len(yb) for _, yb in parts] == [4, 4]
    whole = list(batches(np.zeros((9, 1)), np.zeros(9), 3, rng=0, drop_last=True))  # no partial batch
    assert [len(yb) for _, yb in whole] == [3, 3, 3]


def test_shuffling_is_seeded_and_advances_a_generator():
    y = np.arange(50)

    def order(rng):
        return np.concatenate([yb for _, yb in batches(y, y, 8, rng=rng)])

    assert np.array_equal(order(3), order(3))
    generator = np.random.default_rng(3)
    first, second = order(generator), order(generator)
    assert np.array_equal(first, order(3)) and not np.array_equal(first, second)


def test_without_shuffle_rows_come_in_order_and_the_generator_is_untouched():
    generator = np.random.default_rng(0)
    state = generator.bit_generator.state
    y = np.arange(7)
    parts = list(batches(y, y, 3, shuffle=False, rng=generator))
    assert [list(yb) for _, yb in parts] == [[0, 1, 2], [3, 4, 5], [6]]
    assert generator.bit_generator.state == state


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, True])
def test_a_bad_batch_size_is_refused_at_the_call(batch_size):
    with pytest.raises(ValueError, match="batch_size"):
        batches(np.zeros((4, 1)), np.zeros(4), batch_size)


def test_rows_of_x_and_y_must_match():
    with pytest.raises(ValueError, match="X has 4 rows but y has 3"):
        batches(np.zeros((4, 1)), np.zeros(3), 2)


@pytest.mark.parametrize("option", ["shuffle", "drop_last"])
@pytest.mark.parametrize("value", ["no", 0, None, np.array([True])])
def test_shuffle_and_drop_last_must_be_true_or_false(option, value):
    # "no" counted as True: drop_last="no" dropped rows, shuffle="no" shuffled
    with pytest.raises(TypeError, match=re.escape(f"Invalid {option}: {value!r} (expected True or False)")):
        batches(np.zeros((4, 1)), np.zeros(4), 3, **{option: value})


def test_numpy_bools_are_taken_as_shuffle_and_drop_last():
    parts = list(batches(np.arange(5), np.arange(5), 2, shuffle=np.False_, drop_last=np.True_))
    assert [list(xb) for xb, _ in parts] == [[0, 1], [2, 3]]


@pytest.mark.parametrize("X, y, error, message", [
    (None, None, TypeError, "X must be an array (or list) of rows, got None"),  # was "len() of unsized object"
    (np.zeros((4, 1)), 7, TypeError, "y must be an array (or list) of rows, got 7"),
    ([[1.0], [2.0, 3.0]], [0, 1], ValueError, "X must be a rectangular array of rows, got [[1.0], [2.0, 3.0]]"),
])
def test_x_and_y_that_are_not_arrays_of_rows_are_named(X, y, error, message):
    with pytest.raises(error, match=re.escape(message)):
        batches(X, y, 3)


def test_batches_take_lists_as_arrays():
    given = list(batches([[1.0], [2.0], [3.0]], [1, 2, 3], 2, shuffle=False))
    expected = list(batches(np.array([[1.0], [2.0], [3.0]]), np.array([1, 2, 3]), 2, shuffle=False))
    np.testing.assert_equal(given, expected)


def test_load_dataset_names_random_state_given_for_seed():
    message = r"takes the generator's seed as seed=, not random_state= \(got random_state=3\)"
    with pytest.raises(TypeError, match=message):
        load_dataset("moons", random_state=3)


def test_two_regression_targets_give_two_columns_each_standardized():
    data = load_dataset("regression", n_targets=2, n_samples=200, val_size=0.1, seed=0)
    for X, y in (data.train, data.val, data.test):
        assert y.shape == (len(X), 2)
    assert data.n_outputs == 2
    np.testing.assert_allclose(data.y_train.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(data.y_train.std(axis=0), 1, atol=1e-5)
    assert data.target_mean.shape == data.target_scale.shape == (2,)


def test_without_a_dtype_the_features_take_minigrads_default_dtype():
    previous = get_default_dtype()
    set_default_dtype(np.float64)
    try:
        data = load_dataset("iris", seed=0)
    finally:
        set_default_dtype(previous)
    assert data.X_train.dtype == data.X_test.dtype == np.float64


@pytest.mark.parametrize("dtype", [np.int32, "int64", bool])
def test_a_dtype_that_is_not_floating_point_is_refused(dtype):
    with pytest.raises(ValueError, match="dtype must be a floating-point type"):
        load_dataset("iris", dtype=dtype)


def test_a_constant_column_whose_value_is_not_exact_in_binary_standardizes_to_zero():
    from minigrad.data import _standardizer

    values = np.column_stack([np.full(1000, 0.1), np.arange(1000.0)])
    mean, scale = _standardizer(values)
    assert scale[0] == 1.0 and scale[1] == pytest.approx(np.arange(1000.0).std())
    assert np.all(np.abs((values - mean) / scale)[:, 0] < 1e-12)
