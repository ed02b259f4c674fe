"""models.estimators: scikit-learn's own estimator checks, the estimators inside Pipeline,
cross_val_score, GridSearchCV and clone, accuracy on digits against scikit-learn's MLP,
reproducibility, labels of any type, partial_fit, early stopping, and the grid-search example."""

from __future__ import annotations

import ast
import importlib.util
import json
import math
import pickle
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV, ParameterGrid, cross_val_score, train_test_split
from sklearn.neural_network import MLPClassifier as SklearnMLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import models
import optim
from minigrad import manual_seed
from minigrad.random import as_generator
from minigrad.train import History, TrainingDivergedError
from models.estimators import EXPECTED_FAILED_CHECKS, MLPClassifier, MLPRegressor, _EarlyStopping

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "sklearn_gridsearch.py"
SMALL = dict(hidden_layer_sizes=(16,), epochs=20, lr=1e-2, random_state=0)


@pytest.fixture(scope="module")
def digits():
    """Standardized digits: X_train, X_test, y_train, y_test (a stratified quarter for test)."""
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


@pytest.fixture(scope="module")
def raw_digits():
    return load_digits(return_X_y=True)


# ------------------------------------------------------------------ scikit-learn's checks
@parametrize_with_checks(
    [
        MLPClassifier(**SMALL),
        MLPRegressor(**SMALL),
        MLPClassifier(**{**SMALL, "epochs": 50, "lr": 0.1}, optimizer="sgd", schedule="warmup-cosine",
                      l2=1e-3, batch_size=None, early_stopping=True),
        MLPRegressor(**{**SMALL, "epochs": 50, "lr": 2e-2}, optimizer="muon", schedule="cosine",
                     early_stopping=True),
    ],
    expected_failed_checks=lambda estimator: EXPECTED_FAILED_CHECKS,
)
def test_passes_sklearn_estimator_check(estimator, check):
    check(estimator)


# ------------------------------------------------------------- in scikit-learn's machinery
def test_works_in_a_pipeline_with_cross_val_score_and_grid_search(raw_digits):
    X, y = raw_digits
    pipeline = make_pipeline(StandardScaler(), MLPClassifier((32,), epochs=10, lr=3e-3, random_state=0))
    assert cross_val_score(pipeline, X, y, cv=3).mean() > 0.9
    grid = {"mlpclassifier__optimizer": ["adam", "adamw"], "mlpclassifier__lr": [1e-3, 3e-3]}
    search = GridSearchCV(pipeline, grid, cv=3).fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    assert search.best_score_ > 0.9
    assert search.best_estimator_[-1].optimizer == search.best_params_["mlpclassifier__optimizer"]
    assert search.score(X, y) > 0.95


def documented_defaults(docstring: str) -> dict:
    """{parameter: default} read from the "name : type, default value" lines of the Parameters
    section of a numpydoc docstring."""
    section = docstring.split("Parameters\n")[1].split("Attributes\n")[0]
    return {match["name"]: ast.literal_eval(match["default"])
            for match in re.finditer(r"^ *(?P<name>\w+) : .*, default (?P<default>.+)$", section, re.MULTILINE)}


def test_every_parameter_defaults_to_what_the_docstring_states():
    documented = documented_defaults(MLPClassifier.__doc__)
    assert MLPClassifier().get_params() == documented
    assert MLPRegressor().get_params() == documented  # "The parameters are those of MLPClassifier"


def test_clone_copies_the_parameters_and_not_the_fit(digits):
    X_train, _, y_train, _ = digits
    fitted = MLPClassifier((8,), epochs=1, optimizer="nadam", weight_decay=0.3, random_state=4).fit(X_train, y_train)
    copy = clone(fitted)
    assert copy.get_params() == fitted.get_params()
    assert not hasattr(copy, "model_")


def test_reaches_95_percent_on_digits_like_sklearns_own_mlp(digits):
    """Same architecture (one hidden layer of 100 ReLUs), batch size and number of epochs."""
    X_train, X_test, y_train, y_test = digits
    ours = MLPClassifier(random_state=0).fit(X_train, y_train).score(X_test, y_test)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reference = SklearnMLPClassifier((100,), batch_size=32, max_iter=50, random_state=0)
        theirs = reference.fit(X_train, y_train).score(X_test, y_test)
    assert ours >= 0.95
    assert ours >= theirs - 0.02


# -------------------------------------------------------------------------- reproducibility
def test_the_same_random_state_gives_bit_identical_refits(digits):
    X_train, X_test, y_train, _ = digits
    estimator = MLPClassifier((32,), epochs=4, early_stopping=True, random_state=7)
    first = estimator.fit(X_train, y_train).predict_proba(X_test)
    assert np.array_equal(estimator.fit(X_train, y_train).predict_proba(X_test), first)
    assert np.array_equal(clone(estimator).fit(X_train, y_train).predict_proba(X_test), first)
    other = clone(estimator).set_params(random_state=8).fit(X_train, y_train)
    assert not np.array_equal(other.predict_proba(X_test), first)


# ------------------------------------------------------------------------------ targets
def test_string_labels_come_back_as_predictions(digits):
    X_train, X_test, y_train, y_test = digits
    names = np.array(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])
    classifier = MLPClassifier((32,), epochs=10, random_state=0).fit(X_train, names[y_train])
    assert list(classifier.classes_) == sorted(names)
    predicted = classifier.predict(X_test)
    assert np.mean(predicted == names[y_test]) > 0.9
    probabilities = classifier.predict_proba(X_test)
    assert probabilities.shape == (len(X_test), 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, rtol=1e-12)
    assert np.array_equal(classifier.classes_[probabilities.argmax(axis=1)], predicted)
    assert classifier.score(X_test, names[y_test]) == np.mean(predicted == names[y_test])


def test_regressor_fits_one_target_or_several():
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, size=(400, 2))
    y = np.sin(X[:, 0]) + 0.5 * X[:, 1] ** 2
    regressor = MLPRegressor((32,), epochs=60, lr=1e-2, random_state=0)
    assert regressor.fit(X, y).predict(X).shape == (400,)
    assert regressor.score(X, y) > 0.95
    Y = np.column_stack([y, -2 * y])
    assert regressor.fit(X, Y).predict(X).shape == (400, 2)
    assert regressor.n_outputs_ == 2
    assert regressor.score(X, Y) > 0.95


def test_regressor_takes_boolean_targets_as_0_and_1():
    X = np.random.default_rng(0).normal(size=(40, 3))
    y = X[:, 0] > 0
    taken = MLPRegressor((4,), epochs=2, random_state=0).fit(X, y).predict(X)
    assert np.array_equal(taken, MLPRegressor((4,), epochs=2, random_state=0).fit(X, y.astype(float)).predict(X))


def test_regressor_refuses_targets_that_overflow_the_dtype_it_trains_in():
    """1e39 is finite in float64 and inf in float32: training on it used to fail with "the loss
    became inf ... try a smaller learning rate"."""
    X = np.random.default_rng(0).normal(size=(40, 3)).astype(np.float32)
    message = "y holds values that overflow float32, .* the largest [|]y[|] is 1e[+]39"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and no RuntimeWarning of the cast
        with pytest.raises(ValueError, match=message):
            MLPRegressor((4,), epochs=1, random_state=0).fit(X, np.full((40, 1), -1e39))
        regressor = MLPRegressor((4,), epochs=1, random_state=0).fit(X, X.sum(axis=1))
        _assert_failed_refit_leaves_the_fit(regressor, X, X, np.full(40, 1e39), ValueError, message)
        with pytest.raises(ValueError, match=message):  # partial_fit casts to the network's float32, whatever X is
            regressor.partial_fit(X.astype(np.float64), np.full(40, 1e39))
    assert regressor.n_iter_ == 1
    assert MLPRegressor((4,), epochs=1, random_state=0).fit(X.astype(np.float64), np.full(40, 1e39)).n_iter_ == 1


@pytest.mark.parametrize("dtype, trained", [(np.float32, np.float32), (np.float64, np.float64),
                                            (np.int64, np.float64)])
def test_float32_input_trains_in_float32_anything_else_in_float64(digits, dtype, trained):
    X_train, X_test, y_train, _ = digits
    classifier = MLPClassifier((8,), epochs=1, random_state=0).fit(X_train.astype(dtype), y_train)
    assert all(p.dtype == trained for p in classifier.model_.parameters())
    assert classifier.predict_proba(X_test).dtype == trained


# ------------------------------------------------------------------------- regularization
@pytest.mark.parametrize("name, cls", [("adam", optim.Adam), ("adamw", optim.AdamW), ("sgd", optim.SGD),
                                       ("lion", optim.Lion)])
def test_weight_decay_goes_to_the_optimizer_for_the_weights_only(digits, name, cls):
    X_train, _, y_train, _ = digits
    classifier = MLPClassifier((8, 8), epochs=1, optimizer=name, weight_decay=0.05, random_state=0)
    classifier.fit(X_train, y_train)
    assert type(classifier.optimizer_) is cls
    decay = {id(p): group["weight_decay"] for group in classifier.optimizer_.param_groups for p in group["params"]}
    for parameter_name, p in classifier.model_.named_parameters():
        assert decay[id(p)] == (0.05 if parameter_name.endswith("weight") else 0.0)


def test_l2_penalty_in_the_loss_shrinks_the_weights(digits):
    X_train, _, y_train, _ = digits

    def weight_norm(l2: float) -> float:
        classifier = MLPClassifier((16,), epochs=5, weight_decay=0.0, l2=l2, random_state=0).fit(X_train, y_train)
        return sum(float(np.sum(p.data ** 2)) for name, p in classifier.model_.named_parameters() if "weight" in name)

    assert weight_norm(0.1) < 0.5 * weight_norm(0.0)


def test_muon_trains_the_weight_matrices_and_adamw_the_biases(digits):
    X_train, X_test, y_train, y_test = digits
    classifier = MLPClassifier((32,), epochs=5, optimizer="muon", random_state=0).fit(X_train, y_train)
    named = dict(classifier.model_.named_parameters())
    by_muon = [{id(p) for p in group["params"]} for group in classifier.optimizer_.param_groups
               if group["use_muon"]]
    assert set().union(*by_muon) == {id(p) for name, p in named.items() if name.endswith("weight")}
    for name, p in named.items():
        state = classifier.optimizer_.state[p]
        assert state["step"] > 0 and ("momentum_buffer" in state) == name.endswith("weight")
    assert classifier.score(X_test, y_test) > 0.9


# ------------------------------------------------------------ scikit-learn's MLP attributes
SKLEARN_MLP_ATTRIBUTES = ("coefs_", "intercepts_", "n_layers_", "out_activation_")
ACTIVATIONS = {"relu": lambda z: np.maximum(z, 0), "tanh": np.tanh, "identity": lambda z: z}


def network_by_hand(estimator, X: np.ndarray) -> np.ndarray:
    """The outputs of ``estimator``'s network computed from its coefs_, intercepts_ and the
    activation, as scikit-learn's MLP computes them (before the out_activation_)."""
    hidden = ACTIVATIONS[estimator.activation]
    for W, b in zip(estimator.coefs_[:-1], estimator.intercepts_[:-1]):
        X = hidden(X @ W + b)
    return X @ estimator.coefs_[-1] + estimator.intercepts_[-1]


@pytest.mark.parametrize("sizes, activation, n_classes", [((16, 8), "relu", 10), ((), "identity", 2),
                                                          ((5,), "tanh", 2)])
def test_coefs_and_intercepts_compute_the_classifiers_probabilities(digits, sizes, activation, n_classes):
    X_train, X_test, y_train, _ = digits
    classifier = MLPClassifier(sizes, activation=activation, epochs=2, random_state=0)
    assert not any(hasattr(classifier, name) for name in SKLEARN_MLP_ATTRIBUTES)
    classifier.fit(X_train, y_train % n_classes)
    widths = [64, *sizes, n_classes]
    assert [W.shape for W in classifier.coefs_] == list(zip(widths, widths[1:]))
    assert [b.shape for b in classifier.intercepts_] == [(width,) for width in widths[1:]]
    assert classifier.n_layers_ == len(sizes) + 2 and classifier.out_activation_ == "softmax"
    logits = network_by_hand(classifier, X_test)
    probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(probabilities, classifier.predict_proba(X_test), rtol=1e-10, atol=1e-15)
    bias = classifier.model_.children()[0].bias.data.copy()
    classifier.coefs_[0][:] = 0  # copies: the network, and so its predictions, do not change
    classifier.intercepts_[0][:] = 0
    np.testing.assert_array_equal(classifier.coefs_[0].T, classifier.model_.children()[0].weight.data)
    np.testing.assert_array_equal(classifier.intercepts_[0], bias)
    np.testing.assert_array_equal(classifier.model_.children()[0].bias.data, bias)
    np.testing.assert_allclose(probabilities, classifier.predict_proba(X_test), rtol=1e-10, atol=1e-15)


def test_coefs_and_intercepts_load_into_sklearns_own_mlp_and_predict_the_same(digits):
    X_train, X_test, y_train, _ = digits
    ours = MLPClassifier((16, 8), epochs=2, random_state=0).fit(X_train, y_train)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs = SklearnMLPClassifier((16, 8), max_iter=1, random_state=0).fit(X_train, y_train)
    theirs.coefs_, theirs.intercepts_ = ours.coefs_, ours.intercepts_
    assert (theirs.n_layers_, theirs.out_activation_) == (ours.n_layers_, ours.out_activation_)
    np.testing.assert_allclose(theirs.predict_proba(X_test), ours.predict_proba(X_test), rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("optimizer, n_targets", [("adamw", 1), ("muon", 2)])
def test_coefs_and_intercepts_compute_the_regressors_predictions(optimizer, n_targets):
    X = np.random.default_rng(0).normal(size=(60, 3))
    Y = np.column_stack([X.sum(axis=1), X[:, 0]])[:, :n_targets].squeeze()
    regressor = MLPRegressor((6, 4), optimizer=optimizer, epochs=3, random_state=0)
    assert not any(hasattr(regressor, name) for name in SKLEARN_MLP_ATTRIBUTES)
    regressor.fit(X, Y)
    assert [W.shape for W in regressor.coefs_] == [(3, 6), (6, 4), (4, n_targets)]
    assert (regressor.n_layers_, regressor.out_activation_) == (4, "identity")
    np.testing.assert_allclose(network_by_hand(regressor, X).squeeze(), regressor.predict(X), rtol=1e-10,
                               atol=1e-15)


# ---------------------------------------------------------------------------- partial_fit
def test_partial_fit_continues_the_same_network_and_optimizer(digits):
    X_train, X_test, y_train, y_test = digits
    classifier = MLPClassifier((32,), lr=3e-3, random_state=0)
    with pytest.raises(ValueError, match="classes must be passed"):
        classifier.partial_fit(X_train, y_train)
    halves = np.array_split(np.arange(len(X_train)), 2)
    classifier.partial_fit(X_train[halves[0]], y_train[halves[0]], classes=np.arange(10))
    model, optimizer = classifier.model_, classifier.optimizer_
    for _ in range(3):
        for rows in halves:
            classifier.partial_fit(X_train[rows], y_train[rows])
    assert classifier.model_ is model and classifier.optimizer_ is optimizer
    assert classifier.n_iter_ == len(classifier.loss_curve_) == 7
    assert classifier.t_ == len(halves[0]) + 3 * len(X_train)  # rows seen, one epoch per call
    assert classifier.loss_curve_[-1] < classifier.loss_curve_[0]
    assert classifier.score(X_test, y_test) > 0.9


def test_partial_fit_takes_batches_missing_some_classes_and_refuses_new_labels(digits):
    X_train, _, y_train, _ = digits
    small = y_train < 5
    classifier = MLPClassifier((8,), random_state=0).partial_fit(X_train[small], y_train[small], classes=range(10))
    assert classifier.predict_proba(X_train).shape == (len(X_train), 10)
    with pytest.raises(ValueError, match="not in classes_"):
        classifier.partial_fit(X_train, y_train + 1)
    with pytest.raises(ValueError, match=re.escape("classes=range(0, 11) is not the same as classes_=array([0, 1, 2,")):
        classifier.partial_fit(X_train, y_train, classes=range(11))
    with pytest.raises(ValueError, match="X has 63 features, but MLPClassifier is expecting 64 features as input"):
        classifier.partial_fit(X_train[:, :-1], y_train)


def test_partial_fit_takes_the_same_classes_again_in_any_order():
    # as scikit-learn's own MLP: classes is a set of labels, compared with classes_ once sorted
    X, y = np.random.default_rng(0).normal(size=(30, 2)), np.arange(30) % 3
    classifier = MLPClassifier((4,), random_state=0).partial_fit(X, y, classes=[0, 1, 2])
    classifier.partial_fit(X, y, classes=[2, 0, 1])
    assert classifier.n_iter_ == 2 and classifier.classes_.tolist() == [0, 1, 2]


def test_partial_fit_on_a_batch_missing_a_class_scores_each_row_against_its_own_class():
    # classes 0, 1, 2 and batches of only 0s and 2s: a 2 is class index 2 of classes_, not index
    # 1 as among the batch's own labels. One full batch, so the epoch's loss is the
    # cross-entropy -mean log p(yᵢ) of the probabilities before its one step.
    X, y = np.random.default_rng(0).normal(size=(12, 3)), np.array([0, 2] * 6)
    classifier = MLPClassifier((), batch_size=None, random_state=0).partial_fit(X, y, classes=[0, 1, 2])
    probabilities = classifier.predict_proba(X)
    classifier.partial_fit(X, y)
    expected = -np.log(probabilities[np.arange(12), y]).mean()
    assert classifier.loss_curve_[-1] == pytest.approx(expected, rel=1e-9)


def test_regressor_partial_fit_learns_from_a_stream():
    rng = np.random.default_rng(1)
    regressor = MLPRegressor((16,), lr=1e-2, random_state=0)
    for _ in range(30):
        X = rng.normal(size=(64, 3))
        regressor.partial_fit(X, X @ [1.0, -2.0, 0.5])
    X = rng.normal(size=(200, 3))
    assert regressor.n_iter_ == 30
    assert regressor.score(X, X @ [1.0, -2.0, 0.5]) > 0.95


@pytest.mark.parametrize("params, message", [({"optimizer": "adamx"}, "unknown optimizer 'adamx'"),
                                             ({"schedule": "linear"}, "unknown schedule 'linear'"),
                                             ({"lr": -1.0}, "Invalid learning rate: -1.0")])
def test_partial_fit_checks_the_parameters_even_when_it_continues_a_network(params, message):
    # (it continues with the optimizer it has, but must not let a bad setting pass unseen)
    X, y = np.random.default_rng(0).normal(size=(20, 2)), np.arange(20) % 2
    classifier = MLPClassifier((4,), random_state=0).partial_fit(X, y, classes=[0, 1]).set_params(**params)
    with pytest.raises(ValueError, match=message):
        classifier.partial_fit(X, y)
    assert classifier.n_iter_ == 1


def test_regressor_partial_fit_refuses_another_number_of_target_columns():
    X = np.random.default_rng(0).normal(size=(20, 3))
    regressor = MLPRegressor((4,), random_state=0).partial_fit(X, X[:, 0])
    with pytest.raises(ValueError, match="y has 2 target columns, the network was trained on 1"):
        regressor.partial_fit(X, X[:, :2])
    assert regressor.n_iter_ == 1


def test_an_unpickled_estimator_trains_on_with_partial_fit_like_the_original(digits):
    X_train, X_test, y_train, _ = digits
    original = MLPClassifier((16,), epochs=2, random_state=0).fit(X_train, y_train)
    copy = pickle.loads(pickle.dumps(original))
    original.partial_fit(X_train, y_train)
    copy.partial_fit(X_train, y_train)
    assert np.array_equal(copy.predict_proba(X_test), original.predict_proba(X_test))


# ------------------------------------------------------------------------- early stopping
def test_early_stopping_stops_after_n_iter_no_change_and_keeps_the_best_epoch(digits):
    X_train, _, y_train, _ = digits
    classifier = MLPClassifier((32,), epochs=500, early_stopping=True, n_iter_no_change=3, random_state=0)
    classifier.fit(X_train, y_train)
    scores = classifier.validation_scores_
    best = int(np.argmax(scores))
    assert classifier.n_iter_ == len(scores) == len(classifier.loss_curve_) == best + 1 + 3 < 500
    assert classifier.best_validation_score_ == scores[best] > 0.9
    assert classifier.best_loss_ is None  # (as scikit-learn: the kept epoch is the best-scoring one)
    # the held-out rows, ⌈10 %⌉ (train_test_split rounds the test part up), are not trained on
    assert classifier.t_ == classifier.n_iter_ * (len(X_train) - math.ceil(0.1 * len(X_train)))
    # A run stopped by ``epochs`` at the best epoch has trained exactly the kept weights.
    short = clone(classifier).set_params(epochs=best + 1).fit(X_train, y_train)
    assert np.array_equal(short.predict_proba(X_train), classifier.predict_proba(X_train))


def test_without_early_stopping_every_epoch_runs_and_no_validation_is_kept(digits):
    X_train, _, y_train, _ = digits
    classifier = MLPClassifier((8,), epochs=3, random_state=0).fit(X_train, y_train)
    assert classifier.n_iter_ == 3 and classifier.t_ == 3 * len(X_train)
    assert classifier.validation_scores_ is None and classifier.best_validation_score_ is None


def test_partial_fit_ignores_early_stopping_and_trains_on_every_row():
    X, y = np.random.default_rng(0).normal(size=(40, 3)), np.arange(40) % 2
    classifier = MLPClassifier((4,), early_stopping=True, validation_fraction=0.25, random_state=0)
    classifier.partial_fit(X, y, classes=[0, 1])
    assert classifier.t_ == 40 and classifier.n_iter_ == 1
    assert classifier.validation_scores_ is None and classifier.best_validation_score_ is None


def test_loss_is_the_last_epoch_loss_and_best_loss_the_lowest(digits):
    X_train, _, y_train, _ = digits
    classifier = MLPClassifier((8,), epochs=1, random_state=0)
    for name in ("loss_", "best_loss_", "coefs_"):
        with pytest.raises(NotFittedError):
            getattr(classifier, name)
    classifier.fit(X_train, y_train)
    assert classifier.loss_ == classifier.best_loss_ == classifier.loss_curve_[0]
    classifier.loss_curve_ = [3.0, 1.0, 2.0]  # a curve whose last epoch is not its lowest
    assert (classifier.loss_, classifier.best_loss_) == (2.0, 1.0)


def test_the_validation_split_of_a_classifier_is_stratified():
    X = np.random.default_rng(0).normal(size=(100, 2))
    y = np.repeat([0, 1, 2], [50, 30, 20])
    classifier = MLPClassifier((4,), epochs=1, validation_fraction=0.1, random_state=0).fit(X, y)
    _, _, _, y_val = classifier._validation_split(X, y)
    assert np.bincount(y_val).tolist() == [5, 3, 2]  # a tenth of each class


def test_the_validation_split_is_drawn_from_random_state():
    X, y = np.arange(200.0).reshape(100, 2), np.arange(100) % 2
    held_out = {}
    for random_state in (0, 1, 0):
        classifier = MLPClassifier((4,), epochs=1, random_state=random_state).fit(X, y)
        X_val = classifier._validation_split(X, y)[1]
        assert held_out.setdefault(random_state, X_val.tolist()) == X_val.tolist()  # the same seed, the same rows
    assert held_out[0] != held_out[1]


def test_the_validation_split_of_a_regressor_is_not_stratified():
    # targets of two repeated values could be stratified; the regressor's split is the plain one
    X, y = np.arange(200.0).reshape(100, 2), np.repeat([0.0, 1.0], [90, 10])
    regressor = MLPRegressor((4,), epochs=1, random_state=0).fit(X, y)
    X_val = regressor._validation_split(X, y.reshape(-1, 1))[1]
    _, expected = train_test_split(X, test_size=0.1, random_state=regressor._split_seed)
    assert X_val.tolist() == expected.tolist()


def test_regressor_early_stopping_keeps_the_best_of_scores_that_are_all_negative():
    # R² below 0 (an offset the few tiny steps cannot learn) must still count as a best score
    X = np.random.default_rng(0).normal(size=(60, 2))
    regressor = MLPRegressor((4,), lr=1e-9, epochs=4, early_stopping=True, n_iter_no_change=2,
                             validation_fraction=0.25, random_state=0).fit(X, X[:, 0] + 10)
    assert regressor.best_validation_score_ == max(regressor.validation_scores_) < 0


def test_early_stopping_with_no_scored_epoch_keeps_the_weights_it_has():
    # every validation score NaN (a diverged output): no best epoch to go back to
    model = models.MLP(2, (3,), 1, rng=0)
    before = [p.data.copy() for p in model.parameters()]
    stopper = _EarlyStopping(model, patience=2)
    history = History(metric="r2")
    for epoch in (1, 2):
        history.val_metric.append(math.nan)
        stop = stopper(epoch, history)
    stopper.restore_best()
    assert stop and stopper.best_score == -math.inf
    for p, value in zip(model.parameters(), before):
        np.testing.assert_array_equal(p.data, value)


def test_each_fit_and_partial_fit_shuffles_with_a_seed_drawn_from_random_state(monkeypatch):
    import models.estimators as estimators

    seeds = []
    real_fit = estimators.fit
    monkeypatch.setattr(estimators, "fit", lambda *args, seed, **options: seeds.append(seed) or real_fit(
        *args, seed=seed, **options))
    X, y = np.random.default_rng(0).normal(size=(20, 2)), np.arange(20) % 2
    for random_state in (0, 1):
        classifier = MLPClassifier((4,), epochs=1, random_state=random_state).fit(X, y)
        classifier.partial_fit(X, y)
    assert len(set(seeds)) == 4  # per call, and per random_state


def test_regressor_early_stopping_scores_r2():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    regressor = MLPRegressor((16,), epochs=300, lr=1e-2, early_stopping=True, n_iter_no_change=5, random_state=0)
    regressor.fit(X, X.sum(axis=1))
    assert regressor.n_iter_ < 300
    assert 0.9 < regressor.best_validation_score_ <= 1
    # the best epoch's score, not the last one's (the epochs after it did not improve on it)
    assert regressor.best_validation_score_ == max(regressor.validation_scores_) > regressor.validation_scores_[-1]


# ------------------------------------------------------------------------------- errors
@pytest.mark.parametrize("params, message", [
    ({"hidden_layer_sizes": (16, 0)}, re.escape("hidden_layer_sizes must be a positive integer or a sequence of "
                                                "positive integers, got (16, 0)")),
    ({"hidden_layer_sizes": 64.0}, "hidden_layer_sizes must be a positive integer or a sequence of positive "
                                   "integers, got 64.0"),
    ({"hidden_layer_sizes": None}, "hidden_layer_sizes must be .*, got None"),
    ({"hidden_layer_sizes": np.array(8)}, "hidden_layer_sizes must be .*, got array"),
    ({"epochs": 0}, "epochs must be a positive integer, got 0"),
    ({"optimizer": "adamx"}, "unknown optimizer 'adamx'; known: sgd"),
    ({"schedule": "linear"}, "unknown schedule 'linear'; known: constant"),
    ({"schedule": "warmup-cosine"}, "warmup-cosine needs epochs >= 2"),  # the classifier has epochs=1
    ({"activation": "softplus"}, "unknown activation 'softplus'; known activations: relu"),
    ({"lr": -1.0}, "Invalid learning rate: -1.0"),
    ({"weight_decay": -0.1}, "weight_decay must be a finite number >= 0, got -0.1"),
    ({"l2": -0.1}, "l2 must be a finite number >= 0, got -0.1"),
    ({"l2": None}, "l2 must be a finite number"),
    ({"l2": "0.1"}, "l2 must be a finite number"),
    ({"l2": np.inf}, "l2 must be a finite number"),
    ({"batch_size": 0}, "batch_size must be a positive integer or None, got 0"),
    ({"early_stopping": True, "validation_fraction": 1.5},
     re.escape("validation_fraction must be in (0, 1) with early_stopping, got 1.5")),
    ({"early_stopping": True, "validation_fraction": "x"}, "validation_fraction must be in"),
    ({"early_stopping": True, "n_iter_no_change": 0}, "n_iter_no_change must be a positive integer, got 0"),
    # checked with early stopping off too, as scikit-learn does
    ({"validation_fraction": 7}, re.escape("validation_fraction must be in [0, 1), got 7")),
    ({"validation_fraction": 1.0}, re.escape("validation_fraction must be in [0, 1), got 1.0")),  # (all held out)
    ({"validation_fraction": -0.1}, re.escape("validation_fraction must be in [0, 1), got -0.1")),
    ({"validation_fraction": None}, re.escape("validation_fraction must be in [0, 1), got None")),
    ({"early_stopping": True, "validation_fraction": 0.0},
     re.escape("validation_fraction must be in (0, 1) with early_stopping, got 0.0")),
    ({"hidden_layer_sizes": (n for n in [8])}, "hidden_layer_sizes must be"),  # (read once, it would be gone)
    ({"n_iter_no_change": -5}, "n_iter_no_change must be a positive integer, got -5"),
    ({"n_iter_no_change": 2.0}, "n_iter_no_change must be a positive integer, got 2.0"),
    ({"random_state": -1}, re.escape("random_state must be None, an integer in [0, 2**32 - 1] or a numpy "
                                     "RandomState, got -1")),
    ({"random_state": 2**32}, "random_state must be None, an integer in .*, got 4294967296"),
    ({"random_state": 1.5}, "random_state must be None, an integer in .*, got 1.5"),
    ({"random_state": np.random.default_rng(0)}, "random_state must be None, an integer in .*, got Generator"),
])
def test_bad_parameters_are_refused_by_fit_with_their_name(digits, params, message):
    X_train, _, y_train, _ = digits
    classifier = MLPClassifier((4,), epochs=1, random_state=0).set_params(**params)
    with pytest.raises(ValueError, match=message):
        classifier.fit(X_train, y_train)
    with pytest.raises(NotFittedError):
        classifier.predict(X_train)


@pytest.mark.parametrize("params, message", [({"l2": -0.1}, "l2 must be a finite number >= 0, got -0.1"),
                                             ({"weight_decay": -0.1},
                                              "weight_decay must be a finite number >= 0, got -0.1")])
def test_a_fit_refused_for_a_bad_parameter_draws_nothing_from_the_randomstate_it_was_given(params, message):
    X, y = np.random.default_rng(0).normal(size=(20, 2)), np.arange(20) % 2
    random_state = np.random.RandomState(0)
    with pytest.raises(ValueError, match=re.escape(message)):
        MLPClassifier((4,), epochs=1, random_state=random_state, **params).fit(X, y)
    assert np.array_equal(random_state.random_sample(3), np.random.RandomState(0).random_sample(3))


def test_fit_draws_nothing_from_minigrads_default_generator():
    # (the parameter check builds a probe network too: with its own seed)
    X, y = np.random.default_rng(0).normal(size=(20, 2)), np.arange(20) % 2
    expected = manual_seed(5).random(3)
    manual_seed(5)
    MLPClassifier((4,), epochs=1, random_state=0).fit(X, y)
    assert np.array_equal(as_generator(None).random(3), expected)


def test_validation_fraction_0_is_accepted_without_early_stopping():
    X, y = np.random.default_rng(0).normal(size=(20, 2)), np.arange(20) % 2
    classifier = MLPClassifier((4,), epochs=1, validation_fraction=0.0, random_state=0).fit(X, y)
    assert classifier.n_iter_ == 1 and classifier.t_ == 20


@pytest.mark.parametrize("sizes, widths", [(3, [3]), (np.int64(3), [3]), (np.array([3, 2]), [3, 2]), ([], [])])
def test_hidden_layer_sizes_takes_an_int_or_a_sequence_of_ints(sizes, widths):
    X, y = np.random.default_rng(0).normal(size=(40, 3)), np.arange(40) % 2
    classifier = MLPClassifier(sizes, epochs=1, random_state=0).fit(X, y)
    assert [layer.out_features for layer in classifier.model_.children()[::2]] == [*widths, 2]


@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
@pytest.mark.parametrize("name, value, message", [
    ("early_stopping", "no", "early_stopping must be True or False"),
    ("early_stopping", 1, "early_stopping must be True or False"),
    ("verbose", "yes", "verbose must be True, False or an integer >= 0"),
    ("verbose", None, "verbose must be True, False or an integer >= 0"),
    ("verbose", -1, "verbose must be True, False or an integer >= 0"),
])
def test_switches_must_be_true_or_false(cls, name, value, message):
    """A string such as "no" used to turn early stopping on (it is truthy). verbose takes an
    integer level too, as in scikit-learn."""
    X, y = np.random.default_rng(0).normal(size=(40, 3)), np.arange(40) % 2
    estimator = cls((4,), epochs=1, random_state=0).set_params(**{name: value})
    with pytest.raises(ValueError, match=re.escape(f"{message}, got {value!r}")):
        estimator.fit(X, y)
    assert not hasattr(estimator, "model_")
    cls((4,), epochs=1, random_state=0).set_params(**{name: np.bool_(False)}).fit(X, y)  # numpy's bools are bools
    cls((4,), epochs=1, random_state=0, verbose=0).fit(X, y)


def test_verbose_shows_a_progress_bar_over_the_epochs(digits, capsys):
    X_train, _, y_train, _ = digits
    MLPClassifier((4,), epochs=2, random_state=0).fit(X_train, y_train)
    assert capsys.readouterr().err == ""
    MLPClassifier((4,), epochs=2, verbose=True, random_state=0).fit(X_train, y_train)
    assert "2/2" in capsys.readouterr().err


# ------------------------------------------------------------------------------ example
def test_gridsearch_example_quick_run_prints_a_ranked_table(tmp_path):
    done = subprocess.run([sys.executable, str(EXAMPLE), "--quick", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["rank", "CV", "accuracy", "optimizer", "lr", "weight_decay"]
    assert [line.split()[0] for line in lines[1:5]] == sorted(line.split()[0] for line in lines[1:5])
    assert "±" in lines[1] and "test accuracy" in done.stdout
    assert lines[5].endswith("of the best") or lines[5].endswith("the folds cannot tell them apart")
    assert (tmp_path / "results.json").exists()


def _gridsearch_example():
    spec = importlib.util.spec_from_file_location("sklearn_gridsearch", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gridsearch_example_scores_the_refit_best_setting_on_its_held_out_fifth(raw_digits, tmp_path,
                                                                                 monkeypatch, capsys):
    example = _gridsearch_example()
    searches = []
    monkeypatch.setattr(example, "GridSearchCV", lambda *args, **kwargs: searches.append(
        GridSearchCV(*args, **kwargs)) or searches[-1])
    example.main(["--quick", "--seed", "1", "--out", str(tmp_path)])
    X, y = raw_digits
    _, X_test, _, y_test = train_test_split(X.astype(np.float32), y, test_size=0.2, stratify=y, random_state=1)
    accuracy = np.mean(searches[0].best_estimator_.predict(X_test) == y_test)
    assert json.loads((tmp_path / "results.json").read_text())["test_accuracy"] == accuracy


@pytest.mark.parametrize("grid", ["GRID", "QUICK_GRID"])
def test_gridsearch_example_gives_each_optimizer_weight_decays_where_its_decay_acts(grid):
    settings = list(ParameterGrid(getattr(_gridsearch_example(), grid)))

    def values(name: str, optimizer: str) -> list[float]:
        return sorted({p[name] for p in settings if p["optimizer"] == optimizer})

    decays = {optimizer: values("weight_decay", optimizer) for optimizer in ("adam", "adamw")}
    lrs = {optimizer: values("lr", optimizer) for optimizer in ("adam", "adamw")}
    assert lrs["adam"] == lrs["adamw"]
    assert decays["adamw"][0] > decays["adam"][0] and decays["adamw"][-1] > decays["adam"][-1]
    assert max(lrs["adamw"]) * decays["adamw"][-1] >= 1e-2  # AdamW's shrink per step γλ reaches 1 %


def test_gridsearch_example_says_when_the_top_ranks_are_within_one_cv_std():
    example = _gridsearch_example()
    rows = [{"rank": 1, "mean": 0.978, "std": 0.010}, {"rank": 2, "mean": 0.975, "std": 0.02},
            {"rank": 3, "mean": 0.970, "std": 0.01}, {"rank": 4, "mean": 0.940, "std": 0.01}]
    assert example.resolution(rows) == ("the top 3 settings are within one CV standard deviation (0.0100) of "
                                        "the best: the folds cannot tell them apart")
    rows[0]["std"] = 0.001
    assert example.resolution(rows) == "no other setting is within one CV standard deviation (0.0010) of the best"
    edge = [{"rank": 1, "mean": 0.75, "std": 0.25}, {"rank": 2, "mean": 0.5, "std": 0.1}]  # (exact in binary)
    assert example.near_best(edge) == 2  # exactly one standard deviation below the best is within it


def test_gridsearch_example_has_help():
    done = subprocess.run([sys.executable, str(EXAMPLE), "--help"], capture_output=True, text=True)
    assert done.returncode == 0
    assert all(option in done.stdout for option in ("--quick", "--seed", "--out"))


@pytest.mark.parametrize("params", [{"optimizer": "adamw "}, {"schedule": "cosine "}, {"activation": "relu "},
                                    {"lr": -1.0}, {"weight_decay": -1.0}])
def test_a_refit_with_a_bad_parameter_leaves_the_previous_fit_whole(digits, params):
    X_train, X_test, y_train, _ = digits
    classifier = MLPClassifier((8,), epochs=2, random_state=0).fit(X_train, y_train)
    classes, predictions = classifier.classes_, classifier.predict(X_test)
    with pytest.raises(ValueError):
        classifier.set_params(**params).fit(X_train[:, :10], np.array(list("abcdefghij"))[y_train])
    np.testing.assert_array_equal(classifier.classes_, classes)
    assert classifier.n_features_in_ == X_train.shape[1]
    np.testing.assert_array_equal(classifier.predict(X_test), predictions)


@pytest.mark.parametrize("schedule", ["constant", "step", "cosine", "warmup-cosine", "sgdr"])
def test_a_fitted_estimator_pickles_with_every_schedule(digits, schedule):
    X_train, X_test, y_train, _ = digits
    classifier = MLPClassifier((8,), epochs=3, schedule=schedule, random_state=0).fit(X_train, y_train)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(classifier)).predict(X_test), classifier.predict(X_test))


def _fit_state(estimator) -> dict:
    """Every attribute of ``estimator``, with the loss curve copied (it is a list a fit extends)."""
    return {**vars(estimator), "loss_curve_": list(estimator.loss_curve_)}


def _assert_failed_refit_leaves_the_fit(estimator, X, refit_X, refit_y, error, match):
    """``estimator`` fitted on X keeps every attribute (the same objects) and bit-identical
    predictions after ``fit(refit_X, refit_y)`` fails."""
    before, predictions = _fit_state(estimator), estimator.predict(X)
    with pytest.raises(error, match=match):
        estimator.fit(refit_X, refit_y)
    after = _fit_state(estimator)
    assert after.keys() == before.keys()
    assert [name for name, value in before.items() if after[name] is not value and name != "loss_curve_"] == []
    assert after["loss_curve_"] == before["loss_curve_"]
    np.testing.assert_array_equal(estimator.predict(X), predictions, strict=True)


@pytest.mark.parametrize("cls, bad_y, message", [
    (MLPClassifier, np.linspace(0, 1, 40), "Unknown label type"),
    (MLPRegressor, np.array(list("ab") * 20), "y must hold numbers for a regression, got an array of dtype <U1"),
])
def test_a_refit_on_bad_targets_leaves_the_previous_fit_whole(cls, bad_y, message):
    rng = np.random.default_rng(0)
    X3, X5 = rng.normal(size=(40, 3)), rng.normal(size=(40, 5))
    estimator = cls((4,), epochs=2, random_state=0).fit(X3, rng.integers(0, 3, 40))
    _assert_failed_refit_leaves_the_fit(estimator, X3, X5, bad_y, ValueError, message)


def test_a_refit_failing_after_its_checks_leaves_the_previous_fit_whole(digits):
    X_train, X_test, y_train, _ = digits
    classifier = MLPClassifier((4,), epochs=2, random_state=0).fit(X_train, y_train)
    classifier.set_params(early_stopping=True)  # one row cannot be split into training and validation rows
    _assert_failed_refit_leaves_the_fit(classifier, X_test, X_train[:1, :5], y_train[:1], ValueError,
                                        "train set will be empty")
    regressor = MLPRegressor((4,), epochs=2, random_state=0).fit(X_train, y_train.astype(float))
    regressor.set_params(optimizer="sgd", lr=1e30)  # the loss overflows within the first steps
    _assert_failed_refit_leaves_the_fit(regressor, X_test, X_train[:, :5], y_train * 1e10, TrainingDivergedError,
                                        "the loss became inf")


def test_a_refit_interrupted_by_ctrl_c_leaves_the_previous_fit_whole(monkeypatch):
    import models.estimators as estimators

    X = np.random.default_rng(0).normal(size=(40, 3))
    classifier = MLPClassifier((4,), epochs=2, random_state=0).fit(X, np.arange(40) % 2)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt("Ctrl-C in the first epoch")

    monkeypatch.setattr(estimators, "fit", interrupted)  # (the new network, classes_ and so on are built by then)
    _assert_failed_refit_leaves_the_fit(classifier, X, X, np.arange(40) % 3, KeyboardInterrupt,
                                        "Ctrl-C in the first epoch")


@pytest.mark.parametrize("train", [lambda c, X, y: c.fit(X, y), lambda c, X, y: c.partial_fit(X, y, classes=[0, 1])])
def test_a_failed_first_fit_leaves_the_estimator_unfitted(train):
    classifier = MLPClassifier((4,), epochs=2, random_state=0)
    with pytest.raises(ValueError, match="Unknown label type"):
        train(classifier, np.ones((4, 3)), [0.5, 1.5, 2.5, 3.5])
    assert [name for name in vars(classifier) if name.endswith("_")] == []


@pytest.mark.parametrize("random_state", [np.random.RandomState(0), np.int64(3), 2**32 - 1])
def test_random_state_takes_what_check_random_state_takes(digits, random_state):
    X_train, _, y_train, _ = digits
    assert MLPClassifier((4,), epochs=1, random_state=random_state).fit(X_train, y_train).n_iter_ == 1


@pytest.mark.parametrize("cls, dtype, factor", [(MLPClassifier, np.float64, 1e200), (MLPClassifier, np.float32, 1e30),
                                                (MLPRegressor, np.float64, 1e200)])
def test_outputs_that_overflow_are_refused_not_turned_into_labels_or_values(cls, dtype, factor):
    """A network whose weights blew up gives inf or NaN outputs; predict made class 0 or NaN of them."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 3)).astype(dtype)
    estimator = cls((4,), epochs=1, random_state=0).fit(X, np.arange(30) % 3)
    for p in estimator.model_.parameters():
        p.data *= factor  # (as a diverged run leaves them)
    largest = max(float(np.abs(p.data).max()) for p in estimator.model_.parameters())
    with np.errstate(over="ignore", invalid="ignore"):  # the rows numpy's own forward pass overflows on
        h = X
        for i, (w, b) in enumerate(zip(estimator.coefs_, estimator.intercepts_)):
            h = h @ w + b
            h = np.maximum(h, 0) if i < len(estimator.coefs_) - 1 else h
        bad = int((~np.isfinite(h)).any(axis=1).sum())
    assert bad > 0
    message = (f"the network's outputs are NaN or infinite for {bad} of the 30 rows of X (its largest weight is "
               f"{largest:.3g} in absolute value): the training diverged")
    methods = [estimator.predict] + ([estimator.predict_proba] if cls is MLPClassifier else [])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (and no overflow warning from inside)
        for method in methods:
            with pytest.raises(ValueError, match=re.escape(message)):
                method(X)
        with pytest.raises(ValueError, match=re.escape(message)):
            estimator.score(X, np.arange(30) % 3)


def test_a_row_with_a_single_output_that_is_not_finite_is_refused():
    X = np.random.default_rng(0).normal(size=(30, 3))
    regressor = MLPRegressor((), epochs=1, random_state=0).fit(X, X[:, :2])
    regressor.model_.parameters()[-1].data[0] = np.inf  # the first output's bias: every row's second output is finite
    message = ("the network's outputs are NaN or infinite for 30 of the 30 rows of X (its largest weight is inf in "
               "absolute value): the training diverged")
    with pytest.raises(ValueError, match=re.escape(message)):
        regressor.predict(X)
