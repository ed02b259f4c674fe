"""Learning-rate schedules, PyTorch-shaped: ``scheduler = CosineAnnealingLR(optimizer, T_max)``,
then ``scheduler.step()`` once per epoch (or per batch), after ``optimizer.step()``.

Each schedule is a closed form γ_e = f(γ_0, e) of the epoch counter e = ``last_epoch``, written in
``lr_at``. On construction a scheduler records each group's starting rate as
``group["initial_lr"]`` (γ_0; kept if already there, so a later scheduler starts from the same
γ_0), and sets the rate for e = 0. ``step()`` advances e and writes γ_e into every group's
``"lr"``, which is where the optimizers read it (AdamW's decoupled decay γλ included).

One scheduler drives an optimizer: the one made for it last. PyTorch chains several by
multiplying their factors; here each writes its own closed form, so two would silently
overwrite each other, and stepping (or loading) one that a newer scheduler replaced raises.
To combine schedules, write their product in one ``LambdaLR``, or run them one after another
with ``SequentialLR``.
"""

from __future__ import annotations

import bisect
import copy
import math
import reprlib
from typing import Any, Callable, Sequence

import numpy as np

from minigrad.checks import is_int, is_real
from optim._checks import check_int, check_range, require_dict
from optim.optimizer import Optimizer


class LRScheduler:
    """Base class: subclasses define ``lr_at(base_lr, epoch)`` (or, when the groups follow
    different formulas, ``_group_rates(base_lrs, epoch)``), and check their arguments
    (stored as attributes before this base's ``__init__`` runs) in ``_check_arguments``, which
    also checks a loaded state dict's."""

    _not_saved: tuple[str, ...] = ("optimizer", "_number")  # attributes left out of the state dict
    # Schedulers made for one optimizer are numbered 1, 2, ...; the last one drives it. (0: a
    # scheduler pickled before the numbering, whose optimizer has no number either.)
    _number = 0

    def __init__(self, optimizer: Optimizer) -> None:
        _check_optimizer(optimizer)
        self._check_arguments()
        self.optimizer = optimizer
        if any("lr" not in group for group in optimizer.param_groups):
            raise ValueError(f"{type(optimizer).__name__} has no learning rate ('lr') to schedule")
        self.base_lrs = [group.get("initial_lr", group["lr"]) for group in optimizer.param_groups]
        self.last_epoch = 0
        self._last_lr = self._rates(0)  # (a schedule that fails here replaces nothing)
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self._number = optimizer._schedulers_made = optimizer._schedulers_made + 1
        self._set_lrs()

    def lr_at(self, base_lr: float, epoch: int) -> float:
        raise NotImplementedError

    def _check_arguments(self) -> None:
        """Raise ValueError (TypeError) naming any invalid argument of the schedule."""

    def step(self) -> None:
        """Advance one epoch and set every group's learning rate to the schedule's value."""
        self._check_driving()
        rates = self._rates(self.last_epoch + 1)  # (a rate that fails leaves the epoch as it was)
        self.last_epoch += 1
        self._last_lr = rates
        self._set_lrs()

    def _rates(self, epoch: int) -> list[float]:
        """The rates for ``epoch``, each checked (a LambdaLR may give anything)."""
        try:
            rates = self._group_rates(self.base_lrs, epoch)
        except OverflowError:
            raise ValueError(f"Invalid learning rate at epoch {epoch}: it overflows") from None
        for rate in rates:
            check_range(f"learning rate at epoch {epoch}", rate)
        return rates

    def _group_rates(self, base_lrs: list[float], epoch: int) -> list[float]:
        """γ_e for each parameter group, from its γ_0 in ``base_lrs`` (not yet checked)."""
        return [self.lr_at(base, epoch) for base in base_lrs]

    def _check_driving(self) -> None:
        if self.optimizer._schedulers_made != self._number:
            raise RuntimeError(
                f"this {type(self).__name__} no longer drives its optimizer: a scheduler made "
                f"for the optimizer later replaced it. Schedulers do not combine (each sets the "
                f"rate to its own formula); write the product in one LambdaLR, or use SequentialLR"
            )
        groups = len(self.optimizer.param_groups)
        if groups != len(self.base_lrs):
            raise RuntimeError(
                f"this {type(self).__name__} was made for {len(self.base_lrs)} parameter groups, "
                f"but its optimizer now has {groups}: make the scheduler after adding every group "
                f"(a group added later would not be scheduled)"
            )

    def _set_lrs(self) -> None:
        for group, lr in zip(self.optimizer.param_groups, self._last_lr):
            group["lr"] = lr

    def get_last_lr(self) -> list[float]:
        """The learning rates set by the last ``step()``, one per parameter group."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """Epoch counter, base rates and hyperparameters: plain numbers (and lists of them)."""
        return self._own_state()

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a ``state_dict()`` of the same kind of scheduler (ValueError otherwise, and
        nothing changes), and set the optimizer's rates to the schedule's at the restored epoch
        (whatever construction set them to). Those rates are computed, not read from the dict,
        so they are always the schedule's."""
        self._check_driving()
        updates = self._checked_updates(state_dict)
        before = [dict(vars(scheduler)) for scheduler, _ in updates]
        for scheduler, restored in updates:
            vars(scheduler).update(restored)
        try:
            self._last_lr = self._rates(self.last_epoch)
        except BaseException:  # (a LambdaLR's function may raise anything): restore all
            for (scheduler, _), attributes in zip(updates, before):
                vars(scheduler).clear()
                vars(scheduler).update(attributes)
            raise
        self._set_lrs()

    def _checked_updates(self, state_dict: dict[str, Any]) -> list[tuple[LRScheduler, dict[str, Any]]]:
        """(scheduler, attributes to restore) for this scheduler and any it runs, all checked."""
        return [(self, self._checked(state_dict))]

    def _own_state(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, list) else v
                for k, v in vars(self).items() if k not in self._not_saved}

    def _checked(self, state_dict: dict[str, Any]) -> dict[str, Any]:
        """A copy of ``state_dict`` after checking it: exactly this scheduler's entries, an epoch
        count, a rate per parameter group, and arguments this kind of scheduler accepts."""
        require_dict(state_dict, "a scheduler state dict")
        expected = set(self._own_state())
        if set(state_dict) != expected:
            raise ValueError(
                f"this {type(self).__name__} state dict has entries {sorted(state_dict)}, "
                f"expected {sorted(expected)}"
            )
        for key in ("base_lrs", "_last_lr"):
            rates = state_dict[key]
            if not isinstance(rates, list) or len(rates) != len(self.base_lrs):
                raise ValueError(
                    f"the state dict's {key} must be a list of one rate per parameter group "
                    f"({len(self.base_lrs)}), got {rates!r}"
                )
            for rate in rates:
                check_range(f"{key} entry", rate)
        check_int("last_epoch", state_dict["last_epoch"], 0)
        restored = {k: list(v) if isinstance(v, list) else v for k, v in state_dict.items()}
        trial = copy.copy(self)
        vars(trial).update(restored)
        trial._check_arguments()
        return restored


class StepLR(LRScheduler):
    """γ_e = γ_0 · gamma^⌊e / step_size⌋: multiply by gamma every step_size epochs."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer)

    def _check_arguments(self) -> None:
        check_int("step_size", self.step_size, 1)
        check_range("gamma", self.gamma, 0.0)

    def lr_at(self, base_lr: float, epoch: int) -> float:
        return base_lr * self.gamma ** (epoch // self.step_size)


class ExponentialLR(LRScheduler):
    """γ_e = γ_0 · gamma^e."""

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        self.gamma = gamma
        super().__init__(optimizer)

    def _check_arguments(self) -> None:
        check_range("gamma", self.gamma, 0.0)

    def lr_at(self, base_lr: float, epoch: int) -> float:
        return base_lr * self.gamma**epoch


def _cosine(base_lr: float, eta_min: float, epoch: int, period: int) -> float:
    """η_min + (γ_0 − η_min)·(1 + cos(π·e/T))/2: from γ_0 at e = 0 down to η_min at e = T."""
    return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * epoch / period)) / 2


class CosineAnnealingLR(LRScheduler):
    """γ_e = η_min + (γ_0 − η_min)·(1 + cos(π·e/T_max))/2 (Loshchilov & Hutter, SGDR).

    As in PyTorch's closed form, past T_max the cosine continues (the rate rises again).
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer)

    def _check_arguments(self) -> None:
        check_int("T_max", self.T_max, 1)
        check_range("eta_min", self.eta_min, 0.0)

    def lr_at(self, base_lr: float, epoch: int) -> float:
        return _cosine(base_lr, self.eta_min, epoch, self.T_max)


class CosineAnnealingWarmRestarts(LRScheduler):
    """SGDR (as used by AdamWR): the cosine above, restarted at γ_0 after periods
    T_0, T_0·T_mult, T_0·T_mult², …, with e counted from the last restart."""

    def __init__(self, optimizer: Optimizer, T_0: int, T_mult: int = 1, eta_min: float = 0.0) -> None:
        self.T_0, self.T_mult, self.eta_min = T_0, T_mult, eta_min
        super().__init__(optimizer)

    def _check_arguments(self) -> None:
        check_int("T_0", self.T_0, 1)
        check_int("T_mult", self.T_mult, 1)
        check_range("eta_min", self.eta_min, 0.0)

    def lr_at(self, base_lr: float, epoch: int) -> float:
        period, since_restart = self.T_0, epoch
        if self.T_mult == 1:
            since_restart %= period
        while since_restart >= period:
            since_restart -= period
            period *= self.T_mult
        return _cosine(base_lr, self.eta_min, since_restart, period)


class LinearLR(LRScheduler):
    """γ_e = γ_0 · (start_factor + (end_factor − start_factor)·min(e, total_iters)/total_iters):
    a linear warm-up from start_factor·γ_0 to end_factor·γ_0, then constant."""

    def __init__(self, optimizer: Optimizer, start_factor: float = 1 / 3, end_factor: float = 1.0,
                 total_iters: int = 5) -> None:
        self.start_factor, self.end_factor, self.total_iters = start_factor, end_factor, total_iters
        super().__init__(optimizer)

    def _check_arguments(self) -> None:
        check_range("start_factor", self.start_factor, 0.0, 1.0)
        if self.start_factor == 0:
            raise ValueError(f"Invalid start_factor: {self.start_factor} (expected a value > 0 and ≤ 1)")
        check_range("end_factor", self.end_factor, 0.0, 1.0)
        check_int("total_iters", self.total_iters, 1)

    def lr_at(self, base_lr: float, epoch: int) -> float:
        progress = min(epoch, self.total_iters) / self.total_iters
        return base_lr * (self.start_factor + (self.end_factor - self.start_factor) * progress)


class LambdaLR(LRScheduler):
    """γ_e = γ_0 · lr_lambda(e), with one function for every group or, as in PyTorch, a list
    of one function per parameter group. The functions are not part of the state dict."""

    _not_saved = LRScheduler._not_saved + ("lr_lambda",)

    def __init__(self, optimizer: Optimizer,
                 lr_lambda: Callable[[int], float] | Sequence[Callable[[int], float]]) -> None:
        self.lr_lambda = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else lr_lambda
        super().__init__(optimizer)

    def _check_arguments(self) -> None:
        functions = self.lr_lambda if isinstance(self.lr_lambda, list) else [self.lr_lambda]
        for i, function in enumerate(functions):
            if not callable(function):
                where = f" for group {i}" if isinstance(self.lr_lambda, list) else ""
                raise TypeError(f"lr_lambda{where} must be callable, got {type(function).__name__}")

    def lr_at(self, base_lr: float, epoch: int) -> float:
        if isinstance(self.lr_lambda, list):
            raise TypeError("this LambdaLR has one function per parameter group; it has no single lr_at")
        return base_lr * _factor(self.lr_lambda, epoch)

    def _group_rates(self, base_lrs: list[float], epoch: int) -> list[float]:
        if not isinstance(self.lr_lambda, list):
            return super()._group_rates(base_lrs, epoch)
        if len(self.lr_lambda) != len(base_lrs):
            raise ValueError(
                f"LambdaLR got {len(self.lr_lambda)} lr_lambdas for {len(base_lrs)} parameter groups; "
                f"give one function per group, or a single function for all"
            )
        return [base * _factor(function, epoch) for base, function in zip(base_lrs, self.lr_lambda)]


def _factor(lr_lambda: Callable[[int], float], epoch: int) -> float:
    """``lr_lambda(epoch)``, once it is a number (a string or None would fail deep inside the
    arithmetic; the rate it gives is checked as every scheduler's is)."""
    factor = lr_lambda(epoch)
    if isinstance(factor, np.ndarray) and factor.ndim == 0:  # (as np.where gives a number back)
        factor = factor[()]
    if not is_real(factor):
        raise TypeError(f"lr_lambda returned {reprlib.repr(factor)} at epoch {epoch}; it must return a number")
    return factor


class SequentialLR(LRScheduler):
    """Run ``schedulers[0]`` until ``milestones[0]``, then ``schedulers[1]`` (its epochs counted
    from that milestone), and so on; e.g. a LinearLR warm-up followed by a cosine decay.

    The inner schedulers serve as formulas only: step the SequentialLR, not them.
    """

    _not_saved = LRScheduler._not_saved + ("schedulers",)

    def __init__(self, optimizer: Optimizer, schedulers: Sequence[LRScheduler],
                 milestones: Sequence[int]) -> None:
        for name, value in (("schedulers", schedulers), ("milestones", milestones)):
            if isinstance(value, str) or not isinstance(value, (Sequence, np.ndarray)):
                raise TypeError(f"SequentialLR's {name} must be a list, got {type(value).__name__}")
        if not all(isinstance(s, LRScheduler) for s in schedulers):
            raise TypeError(f"SequentialLR's schedulers must be schedulers (of optim.lr_scheduler), got "
                            f"{reprlib.repr(list(schedulers))}")
        self.schedulers, self.milestones = list(schedulers), list(milestones)
        if any(s.optimizer is not optimizer for s in self.schedulers):
            raise ValueError("every scheduler of a SequentialLR must drive the same optimizer")
        super().__init__(optimizer)

    def _check_arguments(self) -> None:
        schedulers, milestones = self.schedulers, self.milestones
        if not schedulers:
            raise ValueError("SequentialLR needs at least one scheduler")
        if not isinstance(milestones, list) or len(milestones) != len(schedulers) - 1:
            raise ValueError(
                f"Invalid milestones: {milestones!r}; {len(schedulers)} schedulers need "
                f"{len(schedulers) - 1} milestones"
            )
        whole = all(is_int(m, 1) for m in milestones)
        if not whole or any(b <= a for a, b in zip([0, *milestones], milestones)):
            raise ValueError(f"Invalid milestones: {milestones} (expected increasing positive whole epochs)")

    def _phase(self, epoch: int) -> tuple[LRScheduler, int]:
        """The scheduler in charge at ``epoch``, and the epoch counted from its milestone."""
        i = bisect.bisect_right(self.milestones, epoch)
        return self.schedulers[i], epoch - (self.milestones[i - 1] if i > 0 else 0)

    def lr_at(self, base_lr: float, epoch: int) -> float:
        scheduler, local_epoch = self._phase(epoch)
        return scheduler.lr_at(base_lr, local_epoch)

    def _group_rates(self, base_lrs: list[float], epoch: int) -> list[float]:
        scheduler, local_epoch = self._phase(epoch)
        return scheduler._group_rates(base_lrs, local_epoch)

    def state_dict(self) -> dict[str, Any]:
        return {**self._own_state(), "schedulers": [s.state_dict() for s in self.schedulers]}

    def _checked_updates(self, state_dict: dict[str, Any]) -> list[tuple[LRScheduler, dict[str, Any]]]:
        """This scheduler's entries and, recursively, those of the schedulers it runs (one of
        which may be a SequentialLR too)."""
        require_dict(state_dict, "a scheduler state dict")
        inner = state_dict.get("schedulers")
        if not isinstance(inner, list) or len(inner) != len(self.schedulers):
            count = len(inner) if isinstance(inner, list) else "no list of"
            raise ValueError(f"the state dict holds {count} schedulers, this SequentialLR {len(self.schedulers)}")
        own = self._checked({k: v for k, v in state_dict.items() if k != "schedulers"})
        return [(self, own)] + [update for scheduler, saved in zip(self.schedulers, inner)
                                for update in scheduler._checked_updates(saved)]


def warmup_cosine(optimizer: Optimizer, warmup_epochs: int, total_epochs: int,
                  start_factor: float = 0.01, eta_min: float = 0.0) -> SequentialLR:
    """A linear warm-up over ``warmup_epochs`` from start_factor·γ_0 to γ_0, then a cosine
    decay to ``eta_min`` at ``total_epochs``. On any invalid argument the optimizer is left
    as it was."""
    _check_optimizer(optimizer)
    check_int("warmup_epochs", warmup_epochs, 1)
    check_int("total_epochs", total_epochs, 2)
    if not warmup_epochs < total_epochs:
        raise ValueError(
            f"Invalid warmup_epochs: {warmup_epochs} (expected 0 < warmup_epochs < total_epochs = {total_epochs})"
        )
    groups, made = [dict(group) for group in optimizer.param_groups], optimizer._schedulers_made
    try:
        warmup = LinearLR(optimizer, start_factor, 1.0, warmup_epochs)
        cosine = CosineAnnealingLR(optimizer, total_epochs - warmup_epochs, eta_min)
        return SequentialLR(optimizer, [warmup, cosine], [warmup_epochs])
    except (TypeError, ValueError):  # the warm-up had set its rate: undo it
        for group, before in zip(optimizer.param_groups, groups):
            group.clear()
            group.update(before)
        optimizer._schedulers_made = made
        raise


def _check_optimizer(optimizer: Any) -> None:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
