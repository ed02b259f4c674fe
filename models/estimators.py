"""scikit-learn estimators backed by minigrad: ``MLPClassifier`` and ``MLPRegressor``.

    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from models.estimators import MLPClassifier

    pipeline = make_pipeline(StandardScaler(), MLPClassifier((64,), epochs=30, random_state=0))
    search = GridSearchCV(pipeline, {"mlpclassifier__optimizer": ["adam", "adamw"],
                                     "mlpclassifier__weight_decay": [1e-4, 1e-2]}, cv=3)
    search.fit(X, y).best_params_

Both are real scikit-learn estimators (``get_params``/``set_params``, ``clone``, ``Pipeline``,
``cross_val_score``, ``GridSearchCV``; they pass ``check_estimator``), and their training is
minigrad's: a ``models.MLP`` trained by ``minigrad.train.fit``, with any optimizer of ``optim``
and any schedule of ``minigrad.recipes.SCHEDULES``. Each epoch visits the training rows once, in
a fresh random order, in minibatches of ``batch_size``, minimizing

    (1/|B|)·Σ_{i∈B} loss_i + λ/2·‖W‖²       (λ = ``l2``; the L2 term only when l2 > 0)

with the softmax cross-entropy (classifier, one logit per class) or the squared error (regressor,
one output per target column; loss_i is the mean of row i's squared errors over its columns).

Two ways to regularize the weights W (never the biases), which is what an optimizer study
compares:

- ``weight_decay`` λ goes to the optimizer. For Adam, SGD, RMSprop, ... it is the *coupled*
  L2 of PyTorch: g ← g + λθ before the moments are updated, so Adam rescales it like any
  gradient. For AdamW (and Lion, Muon) it is the *decoupled* decay θ ← θ − γλθ.
- ``l2`` λ adds λ/2·‖W‖² to the loss, whatever the optimizer: the coupled route again, but
  through the graph. (``loss_curve_`` records the loss without this term.)

Training dtype: float32 input trains (and predicts) in float32, 1.3 to 1.7 times faster on the
digits (more for wider layers); any other input is converted to float64, as scikit-learn's own
MLP does. Input after the first fit is cast to the dtype the network was trained in.

Needs scikit-learn >= 1.6 (``validate_data``, ``Tags``).

``random_state`` fixes the initial weights, the order of the rows in every epoch and the
early-stopping split: the same integer gives bit-identical refits.
"""

from __future__ import annotations

import math
from functools import partial
from typing import Any, ClassVar, Sequence

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, is_classifier
from sklearn.model_selection import train_test_split
from sklearn.utils import Tags, check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

import minigrad.functional as F
import models
from minigrad import Tensor, no_grad
from minigrad.checks import as_real, is_bool, is_int
from minigrad.recipes import build_optimizer, build_scheduler
from minigrad.train import History, check_l2, fit
from models.module import Module

# The checks of ``sklearn.utils.estimator_checks`` these estimators are known to fail, each with
# its reason, for ``check_estimator(..., expected_failed_checks=EXPECTED_FAILED_CHECKS)``: none
# with scikit-learn 1.9.
EXPECTED_FAILED_CHECKS: dict[str, str] = {}

_SEED_BOUND = 2**31 - 1


class _MLPEstimator(BaseEstimator):
    """What ``MLPClassifier`` and ``MLPRegressor`` share: the parameters, and training.

    A subclass supplies the loss, the checks of ``y`` passed to ``validate_data``,
    ``_targets`` (what the loss is computed against; it also sets ``n_outputs_``) and the
    scikit-learn name of what its outputs go through, ``_out_activation``.
    """

    _y_checks: ClassVar[dict[str, Any]] = {}
    _out_activation: ClassVar[str]

    def __init__(
        self,
        hidden_layer_sizes: Any = (100,),
        activation: str = "relu",
        optimizer: str = "adamw",
        lr: float | None = None,
        weight_decay: float = 1e-2,
        l2: float = 0.0,
        batch_size: int | None = 32,
        epochs: int = 50,
        schedule: str = "constant",
        random_state: Any = None,
        verbose: bool = False,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 10,
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.optimizer = optimizer
        self.lr = lr
        self.weight_decay = weight_decay
        self.l2 = l2
        self.batch_size = batch_size
        self.epochs = epochs
        self.schedule = schedule
        self.random_state = random_state
        self.verbose = verbose
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change

    # ------------------------------------------------------------------- for the subclasses
    def _loss(self) -> Module:
        raise NotImplementedError

    def _targets(self, y: np.ndarray, dtype: np.dtype, reset: bool, classes: Any = None) -> np.ndarray:
        raise NotImplementedError

    # ---------------------------------------------------------------------------- training
    def fit(self, X: Any, y: Any) -> _MLPEstimator:
        """Train a new network on (X, y) for ``epochs`` epochs; with ``early_stopping``, on all
        but a ``validation_fraction`` of the rows, until the score on those has not improved
        for ``n_iter_no_change`` epochs, keeping the weights of the best epoch."""
        return self._train(X, y, incremental=False)

    def _hidden_sizes(self) -> tuple[int, ...]:
        """``hidden_layer_sizes`` as a tuple (an int n means one layer, (n,)), checked. (It is
        read at each check and build, so an iterator, empty after one reading, is refused.)"""
        value = self.hidden_layer_sizes
        try:
            sizes = tuple(value) if isinstance(value, (Sequence, np.ndarray)) else (value,)
        except TypeError:  # a 0-d array: one "layer" that the check below refuses
            sizes = (value,)
        if not all(is_int(size, 1) for size in sizes):
            raise ValueError("hidden_layer_sizes must be a positive integer or a sequence of positive integers, "
                             f"got {self.hidden_layer_sizes!r}")
        return tuple(int(size) for size in sizes)

    def _check_params(self) -> None:
        """Raise a ValueError naming an invalid parameter, before any training (scikit-learn
        checks parameters in fit, not in __init__). The names of the optimizer, schedule and
        activation, lr and weight_decay are checked by building them once for a network of one
        input: the same code and messages as the real build (its own seed, so the default
        generator is not drawn from)."""
        hidden_sizes = self._hidden_sizes()
        if not is_int(self.epochs, 1):
            raise ValueError(f"epochs must be a positive integer, got {self.epochs!r}")
        if self.batch_size is not None and not is_int(self.batch_size, 1):
            raise ValueError(f"batch_size must be a positive integer or None, got {self.batch_size!r}")
        check_l2(self.l2)
        if not is_bool(self.early_stopping):
            raise ValueError(f"early_stopping must be True or False, got {self.early_stopping!r}")
        if not (is_bool(self.verbose) or is_int(self.verbose, 0)):
            raise ValueError(f"verbose must be True, False or an integer >= 0, got {self.verbose!r}")
        # as in scikit-learn: [0, 1) always, and more than none of the rows to stop early on
        fraction = as_real(self.validation_fraction)  # (NaN for what is not a number)
        above_low = fraction > 0 if self.early_stopping else fraction >= 0
        if not (above_low and fraction < 1):
            interval = "(0, 1) with early_stopping" if self.early_stopping else "[0, 1)"
            raise ValueError(f"validation_fraction must be in {interval}, got {self.validation_fraction!r}")
        if not is_int(self.n_iter_no_change, 1):
            raise ValueError(f"n_iter_no_change must be a positive integer, got {self.n_iter_no_change!r}")
        seed = self.random_state
        if not (seed is None or isinstance(seed, np.random.RandomState) or (is_int(seed, 0) and seed < 2**32)):
            raise ValueError(f"random_state must be None, an integer in [0, 2**32 - 1] or a numpy RandomState, "
                             f"got {seed!r}")
        probe = models.MLP(1, hidden_sizes, 1, self.activation, rng=0)
        build_scheduler(self.schedule, build_optimizer(self.optimizer, probe, self.lr, self.weight_decay), self.epochs)

    def _train(self, X: Any, y: Any, incremental: bool, classes: Any = None) -> _MLPEstimator:
        """Validate (X, y); build a new network, optimizer and schedule, unless ``incremental``
        (partial_fit) has one to continue; then train ``epochs`` epochs with early stopping if
        asked, or a single epoch without it if ``incremental``.

        A call that fails (bad X or y, too few rows to hold some out, divergence, Ctrl-C) puts
        back every attribute the estimator had. A new fit only rebinds attributes, never changes
        the objects of the previous fit, so that fit stays whole; a partial_fit that fails while
        training keeps the steps it took before the failure."""
        previous = dict(vars(self))
        try:
            return self._train_steps(X, y, incremental, classes)
        except BaseException:
            vars(self).clear()
            vars(self).update(previous)
            raise

    def _train_steps(self, X: Any, y: Any, incremental: bool, classes: Any) -> _MLPEstimator:
        """What ``_train`` does, with no way back if it fails part-way."""
        self._check_params()
        reset = not (incremental and hasattr(self, "model_"))
        dtype = (np.float64, np.float32) if reset else self._dtype()
        X, y = validate_data(self, X, y, reset=reset, dtype=dtype, **self._y_checks)
        targets = self._targets(y, X.dtype, reset, classes)
        if reset:
            self._start(X.shape[1], X.dtype)
        val_data, stopper = None, None
        if self.early_stopping and not incremental:
            X, X_val, targets, y_val = self._validation_split(X, targets)
            val_data, stopper = (X_val, y_val), _EarlyStopping(self.model_, self.n_iter_no_change)
        history = fit(
            self.model_, self.optimizer_, self._loss(), (X, targets), 1 if incremental else self.epochs,
            val_data=val_data, scheduler=self.scheduler_, l2=self.l2, batch_size=self.batch_size,
            seed=int(self._shuffle_rng.integers(_SEED_BOUND)), progress="always" if self.verbose else False,
            callbacks=None if stopper is None else [stopper],
        )
        if stopper is not None:
            stopper.restore_best()
            self.validation_scores_ = list(history.val_metric)
            self.best_validation_score_ = stopper.best_score
        self.loss_curve_.extend(history.train_loss)
        self.n_iter_ += len(history.epoch)
        self.t_ += len(X) * len(history.epoch)
        return self

    def _validation_split(self, X: np.ndarray, targets: np.ndarray) -> list[np.ndarray]:
        """[X_train, X_val, y_train, y_val]: ``validation_fraction`` of the rows held out,
        stratified by class for a classifier unless some class has too few rows for that."""
        split = partial(train_test_split, X, targets, test_size=self.validation_fraction,
                        random_state=self._split_seed)
        if is_classifier(self):
            try:
                return split(stratify=targets)
            except ValueError:  # a class with one row, or fewer held-out rows than classes
                pass
        return split()

    def _start(self, n_features: int, dtype: np.dtype) -> None:
        """A fresh network, optimizer, schedule and generators, all drawn from ``random_state``."""
        init_seed, shuffle_seed, self._split_seed = (
            int(seed) for seed in check_random_state(self.random_state).randint(_SEED_BOUND, size=3))
        model = models.MLP(n_features, self._hidden_sizes(), self.n_outputs_, self.activation,
                           rng=init_seed, dtype=dtype)
        optimizer = build_optimizer(self.optimizer, model, self.lr, self.weight_decay)
        scheduler = build_scheduler(self.schedule, optimizer, self.epochs)
        # Set together, once all three are built: a bad name leaves no half-made network behind.
        self.model_, self.optimizer_, self.scheduler_ = model, optimizer, scheduler
        self._shuffle_rng = np.random.default_rng(shuffle_seed)
        self.loss_curve_: list[float] = []
        self.n_iter_ = 0
        self.t_ = 0
        self.validation_scores_: list[float] | None = None
        self.best_validation_score_: float | None = None

    # --------------------------------------------------------------------------- inference
    def __sklearn_is_fitted__(self) -> bool:
        """Fitted once a network exists."""
        return hasattr(self, "model_")

    def _linears(self) -> list[models.Linear]:
        """The network's Linear layers, input to output (NotFittedError before a fit)."""
        check_is_fitted(self)
        return [layer for layer in self.model_.children() if isinstance(layer, models.Linear)]

    @property
    def loss_(self) -> float:
        """The mean training loss of the last epoch (``loss_curve_[-1]``)."""
        check_is_fitted(self)
        return self.loss_curve_[-1]

    @property
    def best_loss_(self) -> float | None:
        """The lowest epoch loss of ``loss_curve_``; None when ``fit`` stopped early (it kept
        the epoch of the best validation score instead), as in scikit-learn."""
        check_is_fitted(self)
        return None if self.validation_scores_ is not None else min(self.loss_curve_)

    @property
    def coefs_(self) -> list[np.ndarray]:
        """The weight matrices as scikit-learn's MLP has them: ``coefs_[i]`` of shape (n_in, n_out),
        the transpose of the Linear layer's weight. Copies: changing them leaves the network as it is."""
        return [layer.weight.data.T.copy() for layer in self._linears()]

    @property
    def intercepts_(self) -> list[np.ndarray]:
        """The bias vectors, ``intercepts_[i]`` of shape (n_out,): copies."""
        return [layer.bias.data.copy() for layer in self._linears()]

    @property
    def n_layers_(self) -> int:
        """The number of layers counting the input and output ones, as scikit-learn counts them."""
        return len(self._linears()) + 1

    @property
    def out_activation_(self) -> str:
        """What the outputs go through, by scikit-learn's name."""
        check_is_fitted(self)
        return self._out_activation

    def _dtype(self) -> np.dtype:
        """The dtype the network was trained in."""
        return self.model_.parameters()[0].dtype

    def _forward(self, X: Any) -> Tensor:
        """The network's outputs for the rows of X (logits or regression values); a ValueError
        when some are not finite, rather than a label or a value made up from NaN."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=self._dtype())
        with no_grad(), np.errstate(over="ignore", invalid="ignore"):  # (what overflows is refused below)
            outputs = self.model_(Tensor(X))
        finite = np.isfinite(outputs.data).reshape(len(X), -1).all(axis=1)
        if not finite.all():
            largest = max(float(np.abs(p.data).max(initial=0)) for p in self.model_.parameters())
            raise ValueError(
                f"the network's outputs are NaN or infinite for {int((~finite).sum())} of the {len(X)} rows of X "
                f"(its largest weight is {largest:.3g} in absolute value): the training diverged, or X is far "
                f"beyond the scale of the training data. Refit with a smaller learning rate or standardized inputs"
            )
        return outputs


class _EarlyStopping:
    """A ``fit`` callback: remember the parameters of the epoch with the best validation score,
    and stop once ``patience`` epochs have gone by without a better one."""

    def __init__(self, model: Module, patience: int) -> None:
        self.model, self.patience = model, patience
        self.best_score, self.best_epoch = -math.inf, 0
        self.best_state: dict[str, np.ndarray] | None = None

    def __call__(self, epoch: int, history: History) -> bool:
        if history.val_metric[-1] > self.best_score:
            self.best_score, self.best_epoch = history.val_metric[-1], epoch
            self.best_state = self.model.state_dict()
        return epoch - self.best_epoch >= self.patience

    def restore_best(self) -> None:
        """Put the best epoch's parameters back into the model (if any epoch had a score)."""
        if self.best_state is not None:
            self.model.load_state_dict(self.best_state)


class MLPClassifier(ClassifierMixin, _MLPEstimator):
    """A multi-layer perceptron classifier trained by minigrad: softmax cross-entropy over one
    logit per class (two for a binary problem).

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default (100,)
        Widths of the hidden layers (an int n means (n,); () gives multinomial logistic regression).
    activation : str, default "relu"
        Between hidden layers: "relu", "tanh", "sigmoid", "gelu", "leaky_relu" or "identity".
    optimizer : str, default "adamw"
        A name of ``minigrad.recipes.OPTIMIZERS``: "sgd" (momentum 0.9), "adagrad", "rmsprop",
        "adam", "adamw", "nadam", "adamax", "radam", "lion" or "muon" (Muon updates the weight
        matrices; the biases, which it does not take, are updated by AdamW at rate 1e-3).
    lr : float or None, default None
        The learning rate; None takes the recipe's rate for the optimizer (``minigrad.recipes.OPTIMIZERS``:
        1e-3 for Adam and AdamW, 1e-2 for SGD; not always the class's default). With
        "muon", Muon's rate for the weight matrices (the biases keep AdamW's 1e-3).
    weight_decay : float, default 1e-2
        Given to the optimizer, for the weights only: coupled L2 for Adam, SGD, ...;
        decoupled decay for AdamW.
    l2 : float, default 0.0
        λ of the penalty λ/2·‖W‖² added to the loss (weights only).
    batch_size : int or None, default 32
        Rows per minibatch; None trains full batch.
    epochs : int, default 50
        Epochs of ``fit`` (the most, with early stopping), and the length of the schedule.
    schedule : str, default "constant"
        The learning-rate schedule over ``epochs``: one of ``minigrad.recipes.SCHEDULES``
        ("constant", "step", "cosine", "warmup-cosine", "sgdr"); it advances once per epoch.
        ``partial_fit`` calls past ``epochs`` go on with the schedule's closed form, as
        PyTorch's schedulers do: a cosine rises back towards ``lr`` over the next ``epochs``.
        For open-ended ``partial_fit``, use "constant".
    random_state : int, RandomState or None, default None
        Seeds the initial weights, the shuffling and the early-stopping split.
    verbose : bool or int, default False
        Show a tqdm progress bar over the epochs (when true, or an integer above 0).
    early_stopping : bool, default False
        Hold out ``validation_fraction`` of the rows (stratified) and stop when their accuracy
        has not improved for ``n_iter_no_change`` epochs; the best epoch's weights are kept.
        Ignored by ``partial_fit``.
    validation_fraction : float, default 0.1
        The fraction of the rows ``early_stopping`` holds out: in [0, 1), and above 0 with
        early stopping (checked even when early stopping is off, as scikit-learn does).
    n_iter_no_change : int, default 10
        The epochs without a better validation score after which ``early_stopping`` stops, a
        positive integer (checked even when early stopping is off).

    Attributes
    ----------
    classes_ : ndarray, the class labels (any sortable type: ints, strings, ...).
    model_ : models.MLP, the trained network (its outputs are the logits).
    optimizer_, scheduler_ : the optim.Optimizer training it, and its schedule (None if constant);
        ``partial_fit`` continues with both.
    loss_curve_ : list of float, the mean training loss of each epoch (without the l2 term).
    loss_, best_loss_ : float, the last and the lowest of ``loss_curve_`` (``best_loss_`` is None
        after ``fit`` with early stopping, as in scikit-learn).
    n_iter_ : int, epochs trained so far (``partial_fit`` adds one per call).
    t_ : int, training rows seen so far: rows trained on (without the held-out ones) × epochs.
    n_features_in_, feature_names_in_ : as in scikit-learn.
    n_outputs_ : int, the number of logits (the number of classes).
    validation_scores_, best_validation_score_ : per-epoch and best validation accuracy with
        early stopping, None otherwise.
    coefs_, intercepts_ : lists of ndarray, as in scikit-learn: ``coefs_[i]`` (n_in, n_out) and
        ``intercepts_[i]`` (n_out,) compute layer i + 1 (copies of the network's).
    n_layers_ : int, the layers counting the input and output ones (``len(coefs_) + 1``).
    out_activation_ : str, "softmax": the probabilities are the softmax of the logits, also
        for two classes (two logits, where scikit-learn's MLP has one, through "logistic").
    """

    _out_activation = "softmax"

    def partial_fit(self, X: Any, y: Any, classes: Any = None) -> MLPClassifier:
        """Train one epoch on (X, y), continuing from the current network (a new one on the
        first call, which must give every label in ``classes``). Each call is one epoch of the
        schedule."""
        first = not hasattr(self, "model_")
        if first and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit")
        if not first and classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(f"classes={classes!r} is not the same as classes_={self.classes_!r} of the first call")
        return self._train(X, y, incremental=True, classes=classes)

    def _loss(self) -> Module:
        return models.CrossEntropyLoss()

    def _targets(self, y: np.ndarray, dtype: np.dtype, reset: bool, classes: Any = None) -> np.ndarray:
        """The class indices of the labels ``y`` in ``classes_`` (set from ``classes``, or from
        ``y``, when ``reset``)."""
        check_classification_targets(y)
        if reset:
            self.classes_ = np.unique(y if classes is None else classes)
            self.n_outputs_ = len(self.classes_)
        unknown = ~np.isin(y, self.classes_)
        if unknown.any():
            raise ValueError(f"y holds labels not in classes_ {self.classes_!r}: {np.unique(y[unknown])!r}")
        return np.searchsorted(self.classes_, y)

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class label of each row of X."""
        logits = self._forward(X).data
        return self.classes_[logits.argmax(axis=1)]

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_classes), columns in the order of ``classes_``."""
        with no_grad():
            return F.softmax(self._forward(X), axis=1).data


class MLPRegressor(RegressorMixin, _MLPEstimator):
    """A multi-layer perceptron regressor trained by minigrad: mean squared error, one output
    per target column (y of shape (n_samples,) or (n_samples, n_targets)).

    The parameters are those of ``MLPClassifier``; with ``early_stopping`` the validation score
    is R² (and the split is not stratified). ``predict`` returns shape (n_samples,) when there
    is one target, as scikit-learn's MLPRegressor does. Targets are not rescaled: standardize
    them (``TransformedTargetRegressor``) when their scale is far from 1.

    Attributes
    ----------
    model_, optimizer_, scheduler_, loss_curve_, loss_, best_loss_, n_iter_, t_, n_features_in_,
    feature_names_in_, validation_scores_, best_validation_score_, coefs_, intercepts_, n_layers_ :
    as for ``MLPClassifier`` (validation scores are R²).
    n_outputs_ : int, the number of target columns.
    out_activation_ : str, "identity": the outputs are the predictions.
    """

    _out_activation = "identity"

    _y_checks = {"multi_output": True, "y_numeric": True}

    def partial_fit(self, X: Any, y: Any) -> MLPRegressor:
        """Train one epoch on (X, y), continuing from the current network (a new one on the
        first call). Each call is one epoch of the schedule."""
        return self._train(X, y, incremental=True)

    def _loss(self) -> Module:
        return models.MSELoss()

    def _targets(self, y: np.ndarray, dtype: np.dtype, reset: bool, classes: Any = None) -> np.ndarray:
        """y as a (n_samples, n_targets) array of the training ``dtype``, refused if it does not
        fit in that dtype (y itself is finite: ``validate_data`` checked it)."""
        if y.dtype.kind not in "biuf":
            raise ValueError(f"y must hold numbers for a regression, got an array of dtype {y.dtype}")
        with np.errstate(over="ignore"):
            targets = y.reshape(len(y), -1).astype(dtype, copy=False)
        if not np.isfinite(targets).all():
            raise ValueError(
                f"y holds values that overflow {np.dtype(dtype).name}, the dtype the network trains in (float32 X "
                f"trains in float32): the largest |y| is {np.abs(y).max():.3g}; rescale y or pass X as float64")
        if reset:
            self.n_outputs_ = targets.shape[1]
        elif targets.shape[1] != self.n_outputs_:
            raise ValueError(f"y has {targets.shape[1]} target columns, the network was trained on {self.n_outputs_}")
        return targets

    def predict(self, X: Any) -> np.ndarray:
        """The predicted targets: shape (n_samples,) for one target, else (n_samples, n_targets)."""
        outputs = self._forward(X).data
        return outputs.ravel() if self.n_outputs_ == 1 else outputs

    def __sklearn_tags__(self) -> Tags:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
