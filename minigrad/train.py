"""The training loop: ``fit`` a model, ``evaluate`` it, and keep a per-epoch ``History``.

    from minigrad.data import load_dataset
    from minigrad.train import fit, evaluate
    data = load_dataset("digits", val_size=0.1, seed=0)
    model = models.MLP(data.n_features, (128,), data.n_outputs, rng=0)
    optimizer = optim.AdamW(model.parameters(), lr=1e-3)
    history = fit(model, optimizer, models.CrossEntropyLoss(), data.train, epochs=20,
                  val_data=data.val, checkpoint="run.npz")
    evaluate(model, data.test, models.CrossEntropyLoss())   # {"loss": ..., "accuracy": ...}

One epoch of ``fit`` is: put the model in training mode (``model.train()``: Dropout on), shuffle
the training rows (a generator seeded with ``seed``), and for each minibatch B

    L_B(θ) = loss(model(X_B), y_B) + λ/2·‖w‖²      (the L2 term only when l2 = λ > 0)
    zero the gradients, back-propagate L_B, optimizer.step();

then ``scheduler.step()`` (once per epoch: a schedule's "epoch" is an epoch here), then the
evaluation on ``val_data`` (in eval mode, after which the model is back in training mode, as
``fit`` leaves it), the History entry, the checkpoint and the callbacks. The L2 term is
``models.l2_penalty`` over the weights, not the biases (as Ridge and scikit-learn's
LogisticRegression do): the coupled route, through the gradient.

The same seed gives bit-identical runs, and a run resumed from the checkpoint of epoch k ends
with bit-identical parameters to the run that was never interrupted: the checkpoint holds
model, optimizer and scheduler states, the shuffling generator's state and the History. (The
masks of ``Dropout`` layers come from their own generators, or from minigrad's default one for a
layer given none; neither is saved, so a resumed run with dropout is not bit-identical.)

The metric is chosen by the loss, and without a loss by the targets: ``CrossEntropyLoss`` and
integer class labels give the accuracy (the arg-max of the logits, or logit > 0 when the model
has a single output); ``BCEWithLogitsLoss`` gives the binary accuracy (logit > 0 against
target > 0.5, float 0/1 targets included); ``MSELoss`` and float targets with any other loss
give R² (``minigrad.metrics``).
"""

from __future__ import annotations

import hashlib
import math
import os
import reprlib
import sys
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
from tqdm import tqdm

import models
from minigrad import Tensor, no_grad
from minigrad.checkpoint import (
    Checkpoint, CheckpointError, check_run_parts, check_storable, generator_from_state, load_checkpoint,
    save_checkpoint,
)
from minigrad.checks import check_flag, is_bool, is_int, is_nonnegative, is_real
from minigrad.data import Split, batches, check_seed
from minigrad.files import check_path, writable_folder
from minigrad.metrics import LossFn, check_finite, metric_name, score
from minigrad.tensor import as_numbers
from models.module import Module
from optim.lr_scheduler import LRScheduler
from optim.optimizer import Optimizer

Callback = Callable[[int, "History"], Any]


class TrainingDivergedError(FloatingPointError):
    """The loss became NaN or infinite (training stopped before stepping on it), or, after an
    epoch's last step, which no later loss checks, a parameter did."""


@dataclass
class History:
    """Per-epoch records of a run, one list entry per epoch (``val_loss`` and ``val_metric``
    stay empty without validation data).

    - ``train_loss``: mean of the minibatch losses over the epoch, weighted by batch size,
      without the L2 term;
    - ``val_loss``, ``val_metric``: after the epoch, on the validation data; ``metric`` names
      the metric ("accuracy" or "r2");
    - ``lr``: the learning rate of the first parameter group during the epoch;
    - ``weight_norm``: ‖θ‖ = √(Σ over all parameters of Σθ²) after the epoch;
    - ``time``: seconds the epoch took, evaluation included.
    """

    metric: str = "accuracy"
    epoch: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_metric: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    weight_norm: list[float] = field(default_factory=list)
    time: list[float] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain lists and strings, ready for ``json.dump``."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> History:
        """The inverse of ``to_dict``. A ValueError names a key that is not a field, a field
        that does not hold a list of numbers (``metric``: "accuracy" or "r2"), epochs that do
        not count 1, 2, …, or a list without one number per epoch (the validation lists may
        also be empty)."""
        if not isinstance(values, dict):
            raise ValueError(f"a History is a dict of lists, got a {type(values).__name__}")
        kinds = {f.name: str if f.name == "metric" else list for f in fields(cls)}
        for key, value in values.items():
            if key not in kinds:
                raise ValueError(f"unknown History entry {key!r} (known: {', '.join(kinds)})")
            if not isinstance(value, kinds[key]):
                raise ValueError(f"History entry {key!r} must be a {kinds[key].__name__}, got {value!r}")
        history = cls(**values)
        if history.metric not in ("accuracy", "r2"):
            raise ValueError(f"History entry 'metric' must be 'accuracy' or 'r2', got {history.metric!r}")
        epochs = len(history.epoch)
        if history.epoch != list(range(1, epochs + 1)) or not all(is_int(e, 1) for e in history.epoch):
            raise ValueError(f"History entry 'epoch' must count the epochs 1, 2, …, got {history.epoch!r}")
        for key in [k for k in kinds if k not in ("metric", "epoch")]:
            entries = getattr(history, key)
            if len(entries) != epochs and not (key.startswith("val_") and not entries):
                raise ValueError(f"History entry {key!r} has {len(entries)} values for {epochs} epochs")
            if not all(is_real(v) for v in entries):
                raise ValueError(f"History entry {key!r} must hold numbers, got {entries!r}")
        return history


# ------------------------------------------------------------------------------- evaluation
def evaluate(model: Module, data: Split, loss_fn: LossFn | None = None) -> dict[str, float]:
    """Loss (when ``loss_fn`` is given) and metric of ``model`` on ``data`` = (X, y), in one
    forward pass under ``no_grad`` in eval mode; the model's training mode is restored after.
    The metric is ``metric_name(y, loss_fn)``, computed by ``score``; a model whose outputs are
    not all finite (a diverged run) scores NaN. The data and ``loss_fn`` are checked as ``fit``
    checks them."""
    if loss_fn is not None:
        _check_loss_fn(loss_fn)
    return _evaluate_rows(model, *_split(model, data, "data", "evaluate"), loss_fn)


def _evaluate_rows(model: Module, X: np.ndarray, y: np.ndarray, loss_fn: LossFn | None) -> dict[str, float]:
    """What ``evaluate`` gives, for X and y that ``_split`` has already checked (fit's validation
    data, checked once before the first epoch rather than again after each)."""
    modes = [(module, module.training) for module in model.modules()]
    model.eval()
    try:
        with no_grad():
            outputs = model(Tensor(X))
            result = {} if loss_fn is None else {"loss": _evaluated_loss(loss_fn(outputs, y))}
    finally:
        for module, training in modes:  # each its own mode back (one may have been left in eval)
            module.training = training
    metric = metric_name(y, loss_fn)
    result[metric] = score(outputs.data, y, metric)
    return result


def _evaluated_loss(loss: Any) -> float:
    """The number ``loss_fn`` gave for the data: a one-element Tensor as in training or, as no
    backward follows, a plain or numpy number."""
    value = loss.data if isinstance(loss, Tensor) else loss
    if is_real(value) or (isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "iuf"):
        return float(np.asarray(value).reshape(()))
    kind = "a Tensor" if isinstance(loss, Tensor) else "an array"
    got = f"{kind} of shape {value.shape} and dtype {value.dtype}" if isinstance(value, np.ndarray) else (
        type(value).__name__)
    raise ValueError(f"loss_fn must return the mean loss over the data, as a number or a one-element Tensor; "
                     f"got {got}")


def check_l2(l2: Any) -> None:
    """An L2 strength is a finite number ≥ 0 (ValueError naming it otherwise)."""
    if not is_nonnegative(l2):
        raise ValueError(f"l2 must be a finite number >= 0, got {l2!r}")


def _model_input(model: Module, X: Any) -> Any:
    """``X`` (an array, a list, a Tensor taken as data) as an array in the model's dtype, when
    all its parameters share one (as scikit-learn's estimators convert their input): datasets
    often come as float64, and a float32 model refuses float64 input rather than silently
    compute in float64."""
    X = X.data if isinstance(X, Tensor) else as_numbers(X, None, "the model's input X")
    dtypes = {p.data.dtype for p in model.parameters()}
    if len(dtypes) != 1:
        return X
    with np.errstate(over="ignore"):  # (what overflows becomes ±∞, which _split names)
        return X.astype(dtypes.pop(), copy=False)


def _split(model: Module, data: Any, name: str, caller: str = "fit") -> tuple[Any, np.ndarray]:
    """``data`` = (X, y) as arrays (X in the model's dtype, see ``_model_input``), checked to
    hold at least one row and a target for each row; errors name the argument (and ``caller``,
    the function it was given to)."""
    try:
        X, y = data
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a pair (X, y), got {reprlib.repr(data)}") from None
    X = _model_input(model, X)
    y = y.data if isinstance(y, Tensor) else as_numbers(y, None, f"the targets y of {name}")
    if np.ndim(X) == 0 or np.ndim(y) == 0:
        raise ValueError(f"{name} needs arrays of rows, got X of shape {np.shape(X)} and y of shape {np.shape(y)}")
    if len(X) == 0:
        raise ValueError(f"{caller} needs at least one row in {name}, got none")
    if len(y) != len(X):
        raise ValueError(f"{name} has {len(X)} rows in X but {len(y)} targets in y")
    for part, values in (("X", X), ("y", y)):
        check_finite(values, f"{name}'s {part}")
    return X, y


def weight_norm(model: Module) -> float:
    """‖θ‖ = √(Σ θ²) over every parameter of ``model``."""
    return math.sqrt(sum(float(np.vdot(p.data, p.data)) for p in model.parameters()))


# ----------------------------------------------------------------------------------- fitting
def fit(
    model: Module,
    optimizer: Optimizer,
    loss_fn: LossFn,
    train_data: Split,
    epochs: int,
    *,
    val_data: Split | None = None,
    scheduler: LRScheduler | None = None,
    l2: float = 0.0,
    batch_size: int | None = 32,
    seed: int = 0,
    progress: bool | str = True,
    callbacks: Sequence[Callback] | None = None,
    checkpoint: str | os.PathLike[str] | None = None,
    resume: bool = False,
    overwrite: bool = False,
    config: dict[str, Any] | None = None,
) -> History:
    """Train ``model`` on ``train_data`` = (X, y) until ``epochs`` epochs are done; return the
    History (see the module docstring for what one epoch does).

    - ``batch_size=None`` trains full batch (one step per epoch);
    - ``progress``: a tqdm bar over the epochs, on stderr, shown when stderr is a terminal
      (True), always ("always") or never (False);
    - ``callbacks``: each is called as ``callback(epoch, history)`` after every epoch (epochs
      count from 1); one that returns True (Python's or numpy's) stops the run there (anything
      else goes on: a logging callback may return what it wrote);
    - ``checkpoint``: a path where the run is saved after every epoch; with ``resume=True``
      the run continues from that file (which must exist) up to ``epochs`` in total (which may
      be more than the first run asked for), with the same training rows, ``batch_size``, ``l2``,
      ``seed`` and ``config`` as the run that wrote it; its folder must exist and be writable (a
      ValueError says so before the first epoch). A file already there is another run's: a new
      run refuses to replace it unless given ``overwrite=True``;
    - ``config``: the settings that made the run and that ``fit`` cannot see (e.g. the dataset,
      the layer sizes, the optimizer's name and learning rate), as JSON-like values; it is
      saved in the checkpoint, and a resume whose ``config`` differs is refused, naming each
      differing setting.

    Before the first epoch it refuses, naming the argument: data holding NaN or ±∞ (or values
    beyond the model's float32), an optimizer whose parameters are not the model's (a loss
    module's may join them, but not in a run with a ``checkpoint``, which would not hold them)
    or a scheduler of another optimizer, a ``config`` a checkpoint cannot store, a resume on
    other training rows, and arguments of the wrong kind.

    Raises ``TrainingDivergedError`` naming the epoch and step as soon as the loss is NaN or
    infinite (that step is not taken), or when a parameter is after an epoch's last step; numpy's
    overflow warnings in the steps are silenced.
    """
    _check_parts(model, optimizer, loss_fn, scheduler, callbacks, config, checkpointed=checkpoint is not None)
    check_flag("resume", resume)
    check_flag("overwrite", overwrite)
    if not (is_bool(progress) or progress == "always"):
        raise ValueError(f"progress must be True, False or 'always', got {progress!r}")
    progress = progress if progress == "always" else bool(progress)  # (numpy's True: on a terminal only)
    if resume and overwrite:
        raise ValueError("give resume=True (continue the run in the checkpoint) or overwrite=True (replace "
                         "it), not both")
    X, y = _split(model, train_data, "train_data")
    if val_data is not None:
        val_data = _split(model, val_data, "val_data")
    seed = check_seed(seed)
    if not is_int(epochs, 1):
        raise ValueError(f"epochs must be a positive integer (in all, with those a resumed run has done), "
                         f"got {epochs!r}")
    check_l2(l2)
    if resume and checkpoint is None:
        raise ValueError("resume=True needs the checkpoint path to resume from")
    if checkpoint is not None:
        _check_checkpoint_path(checkpoint)
        if not (resume or overwrite) and os.path.lexists(checkpoint):
            raise ValueError(f"the checkpoint {checkpoint} exists: pass resume=True to continue that run, "
                             f"or overwrite=True to start a new run over it")
    batch_size = len(X) if batch_size is None else batch_size
    settings = {"batch_size": batch_size, "l2": l2, "seed": seed}
    if checkpoint is not None:  # (saved, and compared on resume, with the settings)
        settings["train_data"] = _fingerprint(X, y)
    config = dict(config or {})  # (a dict: _check_parts made sure)
    rng = np.random.default_rng(seed)
    history = History(metric=metric_name(y, loss_fn))
    if resume:
        rng, history = _resume(checkpoint, model, optimizer, scheduler, settings, config, epochs)
    penalized = [p for group in models.param_groups(model, l2) if group["weight_decay"] for p in group["params"]]
    tracker = _LossTracker()
    bar = tqdm(range(len(history.epoch), epochs), initial=len(history.epoch), total=epochs, unit="epoch",
               file=sys.stderr, disable=None if progress is True else not progress, dynamic_ncols=True)
    with bar:
        for epoch in bar:
            start = time.perf_counter()
            lr = optimizer.param_groups[0]["lr"]
            model.train()
            tracker.start_epoch()
            for step, (xb, yb) in enumerate(batches(X, y, batch_size, shuffle=True, rng=rng), start=1):
                # numpy's overflow warnings are silenced: what overflows to NaN or ∞ raises
                # TrainingDivergedError (the next loss, or the check after the epoch's steps).
                with np.errstate(over="ignore", invalid="ignore"):
                    optimizer.zero_grad()
                    loss = _checked_loss(loss_fn(model(Tensor(xb)), yb))
                    objective = loss + models.l2_penalty(penalized, l2) if penalized else loss
                    tracker.check(objective.item(), epoch + 1, step)
                    objective.backward()
                    optimizer.step()
                tracker.add(loss.item(), len(xb))
            _check_finite_parameters(model, epoch + 1, step)
            if scheduler is not None:
                scheduler.step()
            _record(history, model, loss_fn, val_data, epoch + 1, tracker.mean(), lr, start)
            bar.set_postfix(_summary(history), refresh=False)
            if checkpoint is not None:
                save_checkpoint(checkpoint, model, optimizer, scheduler, epoch=epoch + 1,
                                rng_state=rng.bit_generator.state, history=history.to_dict(), config=config,
                                **settings)
            if any([_stops(callback(epoch + 1, history)) for callback in callbacks or ()]):
                break
    return history


def _check_parts(model: Module, optimizer: Optimizer, loss_fn: LossFn, scheduler: LRScheduler | None,
                 callbacks: Sequence[Callback] | None, config: dict[str, Any] | None, checkpointed: bool) -> None:
    """Before any training: each part of the run is of its kind, and they belong together (an
    optimizer made for another model would train nothing of this one, without an error)."""
    _check_loss_fn(loss_fn)
    # (a loss module may have parameters of its own to train, such as a temperature)
    loss_parameters = loss_fn.parameters() if isinstance(loss_fn, Module) else []
    check_run_parts(model, optimizer, scheduler, also_trained=loss_parameters)
    trained = {id(p) for group in optimizer.param_groups for p in group["params"]}
    the_models = {id(p) for p in model.parameters()}  # (a loss module may hold the model, or be part of it)
    if checkpointed and any(id(p) in trained and id(p) not in the_models for p in loss_parameters):
        raise ValueError("the optimizer trains parameters of the loss module, which a checkpoint does not hold "
                         "(it holds the model's): make them part of the model, or train without a checkpoint")
    if callable(callbacks) or not isinstance(callbacks, (list, tuple, type(None))):
        raise TypeError(f"callbacks must be a list of functions, got {type(callbacks).__name__} "
                        f"(for one function f, pass [f])")
    for callback in callbacks or ():
        if not callable(callback):
            raise TypeError(f"callbacks must be functions of (epoch, history), got {reprlib.repr(callback)}")
    if config is not None:
        if not isinstance(config, dict):
            raise TypeError(f"config must be a dict of settings, got {type(config).__name__}")
        check_storable(config, "config")  # (saved in checkpoints, compared on resume)


def _check_loss_fn(loss_fn: Any) -> None:
    if isinstance(loss_fn, type):
        raise TypeError(f"loss_fn must be a function or loss module of (outputs, y), got the class "
                        f"{loss_fn.__name__}: pass an instance, such as {loss_fn.__name__}()")
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be a function or loss module of (outputs, y), got {type(loss_fn).__name__}")


def _checked_loss(loss: Any) -> Tensor:
    """The value of ``loss_fn``, once it is a one-element Tensor that backward can start from."""
    if not isinstance(loss, Tensor) or loss.size != 1:
        got = f"a Tensor of shape {loss.shape}" if isinstance(loss, Tensor) else type(loss).__name__
        raise ValueError(f"loss_fn must return a one-element Tensor (the batch's mean loss), got {got}")
    return loss


def _stops(answer: Any) -> bool:
    """Whether a callback's return value asks the run to stop: True, Python's or numpy's."""
    return is_bool(answer) and bool(answer)


class _LossTracker:
    """The epoch's running mean loss, and the NaN/inf guard with the last finite value."""

    def __init__(self) -> None:
        self.last_finite: tuple[float, int, int] | None = None
        self.start_epoch()

    def start_epoch(self) -> None:
        self.total, self.count = 0.0, 0

    def check(self, value: float, epoch: int, step: int) -> None:
        if math.isfinite(value):
            self.last_finite = (value, epoch, step)
            return
        before = "no finite loss before it"
        if self.last_finite is not None:
            before = "last finite loss {:.6g} at epoch {}, step {}".format(*self.last_finite)
        raise TrainingDivergedError(
            f"the loss became {value} at epoch {epoch}, step {step} ({before}); training stopped "
            f"before that step (try a smaller learning rate, or standardized inputs and targets)"
        )

    def add(self, value: float, weight: int) -> None:
        self.total += value * weight
        self.count += weight

    def mean(self) -> float:
        return self.total / self.count if self.count else math.nan


def _check_finite_parameters(model: Module, epoch: int, step: int) -> None:
    """After an epoch's last step, which no later loss checks: every parameter is finite."""
    if not all(np.isfinite(p.data).all() for p in model.parameters()):
        raise TrainingDivergedError(
            f"a parameter became infinite or NaN in the last step of epoch {epoch} (step {step}), whose loss "
            f"was finite; training stopped there (try a smaller learning rate, or standardized inputs and targets)"
        )


def _record(history: History, model: Module, loss_fn: LossFn, val_data: Split | None, epoch: int,
            train_loss: float, lr: float, start: float) -> None:
    history.epoch.append(epoch)
    history.train_loss.append(train_loss)
    if val_data is not None:
        result = _evaluate_rows(model, *val_data, loss_fn)
        history.val_loss.append(result["loss"])
        history.val_metric.append(result[history.metric])
    history.lr.append(float(lr))
    history.weight_norm.append(weight_norm(model))
    history.time.append(time.perf_counter() - start)


def _summary(history: History) -> dict[str, str]:
    """The progress bar's postfix: the last train loss and validation metric."""
    shown = {"loss": f"{history.train_loss[-1]:.4g}"}
    if history.val_metric:
        shown[f"val_{history.metric}"] = f"{history.val_metric[-1]:.4f}"
    return shown


def _check_checkpoint_path(path: str | os.PathLike[str]) -> None:
    """Refuse a checkpoint path that ``save_checkpoint`` could not write (it writes through a
    symbolic link into its target)."""
    check_path(path, "checkpoint")
    target = Path(os.path.realpath(path))
    try:
        if str(path) == "":
            raise ValueError("the path is empty")
        if target.is_dir() or str(path).endswith(("/", os.sep)):
            raise ValueError("it is a folder")
        writable_folder(target.parent)
    except ValueError as error:
        raise ValueError(f"cannot save checkpoints at {path}: {error}") from None


def _resume(path: str | os.PathLike[str], model: Module, optimizer: Optimizer, scheduler: LRScheduler | None,
            settings: dict[str, Any], config: dict[str, Any], epochs: int) -> tuple[np.random.Generator, History]:
    """Load the checkpoint at ``path`` once it is checked to continue this run; return the
    shuffling generator and the History it holds."""
    def check(saved: Checkpoint) -> None:
        _check_resumable(path, saved, scheduler, settings, config, epochs)

    saved = load_checkpoint(path, model, optimizer, scheduler, check=check)
    return generator_from_state(saved.rng_state), History.from_dict(saved.meta["history"])


def _check_resumable(path: str | os.PathLike[str], saved: Checkpoint, scheduler: LRScheduler | None,
                     settings: dict[str, Any], config: dict[str, Any], epochs: int) -> None:
    """Raise unless the checkpoint ``saved`` (read from ``path``) was written by a run of fit
    with these settings, configuration and scheduler, at most ``epochs`` epochs in."""
    if saved.rng_state is None or "history" not in saved.meta:
        raise ValueError(f"cannot resume from {path}: it was not written by fit (no RNG state or history)")
    if not is_int(saved.epoch, 0):
        raise CheckpointError(f"cannot resume from {path}: its epoch is {saved.epoch!r}, not a number of epochs")
    try:
        history = History.from_dict(saved.meta["history"])
    except ValueError as error:
        raise CheckpointError(f"cannot resume from {path}: {error}") from None
    if len(history.epoch) != saved.epoch:
        raise CheckpointError(f"cannot resume from {path}: it is at epoch {saved.epoch} but its history "
                              f"has {len(history.epoch)} epochs")
    saved_settings = {k: saved.meta.get(k) for k in settings}
    if "train_data" not in saved.meta:  # (written before the training rows' fingerprint was saved)
        saved_settings["train_data"] = settings["train_data"]
    problems = _differences(settings, saved_settings)
    schedule = None if scheduler is None else type(scheduler).__name__
    if schedule != saved.scheduler_class:
        problems.append(f"scheduler={schedule} (the checkpoint has {saved.scheduler_class})")
    if "config" in saved.meta:  # (checkpoints written before configurations were saved have none)
        problems += _differences(config, saved.meta["config"])
    if saved.epoch > epochs:
        problems.append(f"epochs={epochs} (the checkpoint is at epoch {saved.epoch})")
    if problems:
        raise ValueError(f"cannot resume from {path} with {', '.join(problems)}")


def _fingerprint(X: np.ndarray, y: np.ndarray) -> str:
    """A short SHA-256 of the training rows (X in the model's dtype, y as int64 or float64, with
    their shapes): a run resumed on other rows would mix two trainings."""
    digest = hashlib.sha256()
    labels = y.astype(np.int64 if y.dtype.kind in "biu" else np.float64, copy=False)
    for values in (X, labels):
        values = np.ascontiguousarray(values)
        digest.update(f"{values.dtype.str}{values.shape}".encode())
        digest.update(values)
    return "sha256:" + digest.hexdigest()[:16]


def _differences(ours: dict[str, Any], saved: dict[str, Any]) -> list[str]:
    """"name=value (the checkpoint has value)" for each setting whose values differ (a setting
    missing on one side counts as None there)."""
    return [f"{k}={ours.get(k)!r} (the checkpoint has {saved.get(k)!r})"
            for k in dict.fromkeys([*ours, *saved]) if ours.get(k) != saved.get(k)]
