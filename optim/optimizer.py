"""The Optimizer base: parameter groups, per-parameter state, the step loop, state dicts.

A concrete optimizer supplies three small things:

- ``_check_hyperparameters(group)``: raise ValueError naming any invalid hyperparameter;
- ``_init_state(param, group)``: the zero state of one parameter (arrays shaped like it, numbers).
  Its keys may depend on the settings, and on the parameter's ndim and dtype but not on its
  sizes or values: to learn which keys the settings need, the base asks it about an empty
  array of the parameter's ndim and dtype;
- ``_update(param, grad, state, group)``: one step for one parameter, done by calling the
  optimizer's pure update function (which updates ``param`` and the state arrays in place).

The base does all the bookkeeping: ``state[p]["step"]`` is incremented before each ``_update``,
and a parameter whose ``grad`` is None is skipped entirely (no state change, no decay). It may
also name, in ``never_negative_state``, the state arrays that accumulate squares or magnitudes
(Adam's ``exp_avg_sq``): ``load_state_dict`` then refuses negative entries in them.

When the update rule is elementwise and its state flat arrays (``elementwise = True``: all
but Muon and the transform chains of ``optim.transforms``), a group whose parameters all have
gradients is updated on flat buffers holding the whole group (``optim.flat``): the same
arithmetic, one ``_update`` call per cache-sized block instead of one per parameter.
"""

from __future__ import annotations

import copy
import difflib
import functools
import math
import reprlib
from typing import Any, Callable, Iterable

import numpy as np

from minigrad import Tensor
from minigrad.checks import as_real, check_flag, is_bool
from optim._checks import check_param_collection, require_dict
from optim.flat import FlatGroup

ParamGroup = dict[str, Any]


class Optimizer:
    """Base class, PyTorch-shaped: ``Optimizer(params, defaults)``.

    ``params`` is an iterable of Tensors, or of dicts (parameter groups) each holding
    ``"params"`` and any hyperparameters that override ``defaults`` for that group, e.g.
    ``[{"params": weights}, {"params": biases, "weight_decay": 0.0}]``.
    """

    # True when the update of each coordinate depends on that coordinate alone, so that a
    # whole group can be updated at once on flat buffers. Rules that mix coordinates (Muon's
    # orthogonalisation of a matrix), or whose state is not flat arrays (the transform chains'
    # nested dicts), set it to False.
    elementwise = True

    _schedulers_made = 0  # counted by optim.lr_scheduler: the last one made drives the rates

    # Group keys of other optimizers that a subclass names differently, {theirs: ours}: a group
    # ported with the other name would otherwise keep the default without a word.
    _renamed_settings: dict[str, str] = {}

    # State arrays that sum or average squares or magnitudes of gradients (Adam's v): no step
    # makes an entry negative, and a loaded one would make the next step's √ NaN without a word,
    # so load_state_dict refuses it.
    never_negative_state: frozenset[str] = frozenset()

    def __init__(self, params: Iterable[Tensor] | Iterable[ParamGroup], defaults: dict[str, Any]) -> None:
        check_param_collection(params)
        if isinstance(params, (Tensor, dict)):
            raise TypeError(
                "params should be an iterable of Tensors or of dicts (parameter groups), "
                f"but got a single {type(params).__name__}; wrap it in a list"
            )
        if callable(getattr(params, "parameters", None)):
            raise TypeError(
                f"params should be the model's parameters, but got the model itself (a "
                f"{type(params).__name__}); pass model.parameters()"
            )
        self.defaults = dict(defaults)
        self._check_hyperparameters(self.defaults)
        self.param_groups: list[ParamGroup] = []
        self.state: dict[Tensor, dict[str, Any]] = {}
        self._flat_groups: dict[int, FlatGroup] = {}
        self._settings_seen: dict[int, list[Any]] = {}
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # ------------------------------------------------------------------ hooks for subclasses
    def _check_hyperparameters(self, group: ParamGroup) -> None:
        raise NotImplementedError

    def _init_state(self, param: np.ndarray, group: ParamGroup) -> dict[str, Any]:
        raise NotImplementedError

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: ParamGroup) -> None:
        raise NotImplementedError

    # ----------------------------------------------------------------------------- groups
    def add_param_group(self, group: ParamGroup) -> None:
        """Add a group of parameters; hyperparameters it does not set are taken from defaults."""
        require_dict(group, "a parameter group")
        if "params" not in group:
            raise ValueError("a parameter group must have a 'params' entry")
        params = group["params"]
        check_param_collection(params)
        params = [params] if isinstance(params, Tensor) else list(params)
        if not params:
            raise ValueError("optimizer got an empty parameter list")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, got {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(
                    f"can't optimize a tensor of shape {p.shape} that is not a leaf (it was computed "
                    f"by an op); optimize the tensors it was computed from"
                )
            if not p.requires_grad:
                raise ValueError(
                    f"can't optimize a tensor of shape {p.shape} that does not require grad: create "
                    f"it with requires_grad=True, or, to keep a frozen parameter fixed, leave it out "
                    f"(e.g. [p for p in model.parameters() if p.requires_grad])"
                )
            if id(p) in seen:
                raise ValueError(
                    f"a parameter of shape {p.shape} appears more than once in the parameter groups"
                )
            seen.add(id(p))
        full = {**self.defaults, **group, "params": params}
        self._check_group_keys(full, f"parameter group {len(self.param_groups)}")
        self._check_hyperparameters(full)
        self.param_groups.append(full)

    def _check_group_keys(self, group: ParamGroup, where: str) -> None:
        """``group`` holds every setting of the optimizer, and no key that is a near miss of one:
        a misspelt "weight_decy" would leave the default in force without a word. Other keys (a
        scheduler's "initial_lr", the user's own tags) are kept, as in PyTorch."""
        missing = set(self.defaults) - set(group)
        if missing:
            raise ValueError(f"{where} lacks {sorted(missing)}; a group holds every setting of {type(self).__name__}")
        for key in group:
            if key != "params" and key not in self.defaults:
                near = self._renamed_settings.get(key) or _near_miss(str(key), tuple(self.defaults))
                if near:
                    raise ValueError(
                        f"{where} has the key {key!r}, which {type(self).__name__} does not use: did you "
                        f"mean {near!r}?"
                    )

    def _params(self) -> list[Tensor]:
        return [p for group in self.param_groups for p in group["params"]]

    # ------------------------------------------------------------------------------- step
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: set ``grad`` to None (default) or fill it with zeros in place."""
        check_flag("set_to_none", set_to_none)
        for p in self._params():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.fill(0)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient. A closure re-evaluates the loss
        (and its gradients) first; its result is returned."""
        if not (closure is None or callable(closure)):
            raise TypeError(f"closure must be a function that computes the loss and its gradients, got "
                            f"{type(closure).__name__}")
        loss = closure() if closure is not None else None
        with_grads = [[p for p in group["params"] if p.grad is not None] for group in self.param_groups]
        for index, (group, params) in enumerate(zip(self.param_groups, with_grads)):
            _check_gradients(params)  # every group is checked before any changes
            self._follow_changed_settings(index, group)
            flat = self._flat_groups.get(index)
            if flat is None or not flat.is_current(params, self.state):
                self._flat_groups.pop(index, None)
                for p in params:  # (checked again only when something may have changed)
                    _check_floating(p)
                    _check_state_fits(p, self.state.get(p, {}))
        for index, (group, params) in enumerate(zip(self.param_groups, with_grads)):
            if self.elementwise and self._flat_step(index, group, params):
                continue
            # Stepped one parameter at a time (some had no gradient): their step counts may
            # now differ, so the group's flat layout is checked afresh before it serves again.
            self._flat_groups.pop(index, None)
            for p in params:
                state = self._state_of(p, group)
                state["step"] += 1
                self._update(p.data, p.grad, state, group)
        return loss

    def _flat_step(self, index: int, group: ParamGroup, params: list[Tensor]) -> bool:
        """Step the whole group on flat buffers, when every parameter of the group has a
        gradient (see ``optim.flat``). Returns False, having changed nothing, when it could not."""
        if len(params) < 2 or len(params) != len(group["params"]):
            return False
        flat = self._flat_groups.get(index)  # (step dropped it if it is no longer current)
        if flat is None:
            states = [self._state_of(p, group) for p in params]
            if not FlatGroup.can_hold(params, states):
                return False
            flat = self._flat_groups[index] = FlatGroup(params, states)
        flat.step(self._update, group)
        return True

    def _follow_changed_settings(self, index: int, group: ParamGroup) -> None:
        """When a hyperparameter of the group was changed since the last step (by hand or by a
        scheduler), check it again and give the parameters the state the new settings need."""
        settings = _settings_snapshot(group)
        if self._settings_seen.get(index) == settings:
            return
        self._check_group_keys(group, f"parameter group {index}")
        self._check_hyperparameters(group)
        for p, state in self._states_for_settings(group).items():
            if state is not self.state[p]:
                self.state[p] = state
                self._flat_groups.pop(index, None)  # its buffers do not hold the new arrays
        self._settings_seen[index] = settings  # (only once the state follows them)

    def _states_for_settings(self, group: ParamGroup) -> dict[Tensor, dict[str, Any]]:
        """The state each parameter of the group that has one needs under the group's current
        settings: its own when that fits, else a new dict sharing the arrays it keeps. State
        for a switch turned on since (momentum, amsgrad, centered) starts at zero, as at step
        one; the state of a switch turned off is left out. The step count is the age of the
        state: when none of a parameter's state is kept (SGD's momentum turned on, a Muon group
        switched to AdamW), it starts again at 0, so that the new state's first step is step
        one (SGD's buffer b ← g, Adam's bias corrections). Nothing is changed here."""
        needed_by_layout: dict[tuple[int, np.dtype], Any] = {}
        states = {}
        for p in group["params"]:
            state = self.state.get(p)
            if state is None:
                continue
            layout = (p.data.ndim, p.data.dtype)
            if layout not in needed_by_layout:  # which keys? asked of an empty array shaped alike
                probe = np.zeros((0,) * p.data.ndim, p.data.dtype)
                needed_by_layout[layout] = self._new_state(probe, group).keys()
            needed = needed_by_layout[layout]
            if state.keys() != needed:
                kept = state.keys() & needed
                state = {key: state.get(key, zero) for key, zero in self._new_state(p.data, group).items()}
                if kept <= {"step"}:
                    state["step"] = 0
            states[p] = state
        return states

    def _state_of(self, param: Tensor, group: ParamGroup) -> dict[str, Any]:
        state = self.state.get(param)
        if state is None:
            state = self.state[param] = self._new_state(param.data, group)
        return state

    def __getstate__(self) -> dict[str, Any]:
        # A copy or an unpickled optimizer would hold copies of the flat buffers that its
        # parameters no longer share; it lays its groups out afresh at its first step instead.
        return {**self.__dict__, "_flat_groups": {}}

    def _new_state(self, param: np.ndarray, group: ParamGroup) -> dict[str, Any]:
        return {"step": 0, **self._init_state(param, group)}

    def _never_negative_paths(self) -> frozenset[tuple[str, ...]]:
        """The state arrays ``load_state_dict`` checks for negative entries, as paths of keys
        into a parameter's state: those named in ``never_negative_state``."""
        return frozenset((key,) for key in self.never_negative_state)

    # ------------------------------------------------------------------------ state dicts
    def state_dict(self) -> dict[str, Any]:
        """A snapshot of the optimizer: plain numbers, strings and copied numpy arrays only.

        Parameters are referred to by their index in the order of ``param_groups``, as in
        PyTorch, so the dict can be saved without pickle and loaded into a fresh optimizer.
        """
        for group in self.param_groups:  # (a dict that could not be loaded is refused)
            self._check_hyperparameters(group)
        # The state the current settings say, saved; the optimizer's own follows them at its
        # next step, as it would have without this snapshot.
        states = {p: s for group in self.param_groups for p, s in self._states_for_settings(group).items()}
        index = {id(p): i for i, p in enumerate(self._params())}
        groups = [
            {**_settings_copy(g), "params": [index[id(p)] for p in g["params"]]}
            for g in self.param_groups
        ]
        state = {index[id(p)]: _snapshot(s) for p, s in states.items()}
        return {"optimizer": type(self).__name__, "state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyperparameters and state saved by ``state_dict()``.

        The dict must come from the same optimizer class over the same parameter layout (groups
        of the same sizes, state arrays of the same shapes); otherwise a ValueError is raised and
        nothing changes. The arrays are copied.
        """
        _check_layout(state_dict)
        name = state_dict["optimizer"]
        if name != type(self).__name__:
            raise ValueError(f"cannot load a state dict saved by {name} into {type(self).__name__}")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"the state dict has {len(saved_groups)} parameter groups, this optimizer has "
                f"{len(self.param_groups)}"
            )
        param_at: dict[int, tuple[Tensor, ParamGroup]] = {}
        new_groups = []
        for i, (saved, ours) in enumerate(zip(saved_groups, self.param_groups)):
            if len(saved["params"]) != len(ours["params"]):
                raise ValueError(
                    f"parameter group {i} has {len(saved['params'])} parameters in the state dict, "
                    f"{len(ours['params'])} here"
                )
            self._check_group_keys(saved, f"parameter group {i} of the state dict")
            group = {**_settings_copy(saved), "params": ours["params"]}
            self._check_hyperparameters(group)
            new_groups.append(group)
            param_at.update({_as_index(k): (p, group) for k, p in zip(saved["params"], ours["params"])})
        new_state = {}
        for k, saved_state in state_dict["state"].items():
            index = _as_index(k)
            if index not in param_at:
                raise ValueError(f"the state dict has state for parameter {k}, which is not in any group")
            p, group = param_at[index]
            new_state[p] = _restore(saved_state, self._new_state(p.data, group), f"state[{k}]",
                                    self._never_negative_paths())
        self.param_groups = new_groups
        self.state = new_state

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            settings = ", ".join(f"{k}={v}" for k, v in group.items() if k != "params")
            lines.append(f"  group {i}: {len(group['params'])} params, {settings}")
        return "\n".join(lines + [")"])


def _settings_snapshot(group: ParamGroup) -> list[tuple[str, Any]]:
    """The group's hyperparameters as values that changing the group in place cannot alter
    (a list of betas becomes a tuple, an array a list), to compare at the next step."""
    return [(key, tuple(value) if isinstance(value, list) else
             value.tolist() if isinstance(value, np.ndarray) else value)
            for key, value in group.items() if key != "params"]


def _settings_copy(group: ParamGroup) -> dict[str, Any]:
    """The group's hyperparameters (everything but "params"), copied deeply: a state dict and
    the optimizer it is saved from or loaded into share no list of betas."""
    return {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}


def _check_gradients(params: list[Tensor]) -> None:
    for p in params:
        if not isinstance(p.grad, np.ndarray):
            raise TypeError(
                f"a parameter of shape {p.data.shape} has a gradient of type {type(p.grad).__name__}; "
                f".grad must be a numpy array"
            )
        if p.grad.shape != p.data.shape:
            raise ValueError(f"a parameter of shape {p.data.shape} has a gradient of shape {p.grad.shape}")
        if p.grad.dtype != p.data.dtype:
            # (backward always gives the parameter's dtype; another would change the arithmetic)
            _check_floating(p)
            raise TypeError(
                f"a parameter of shape {p.data.shape} and dtype {p.data.dtype} has a gradient of "
                f"dtype {p.grad.dtype}; .grad must have its parameter's dtype"
            )


@functools.lru_cache(maxsize=256)
def _near_miss(key: str, settings: tuple[str, ...]) -> str | None:
    """The setting ``key`` is nearly the name of ("lrr" for "lr"), if any. (Remembered: a
    scheduler stepped every batch changes the settings, which are then checked again.)"""
    near = difflib.get_close_matches(key, settings, n=1, cutoff=0.8)
    return near[0] if near else None


def _check_floating(param: Tensor) -> None:
    """An optimizer's arithmetic needs floating-point parameters (a Tensor is made so, but its
    ``.data`` may have been replaced since)."""
    if param.data.dtype.kind != "f":
        raise TypeError(
            f"a parameter of shape {param.data.shape} holds {param.data.dtype} values: its .data was "
            f"replaced by a non-floating array, and optimizers update floating-point parameters only"
        )


def _check_state_fits(param: Tensor, state: dict[str, Any], where: str = "state") -> None:
    """Every state array of ``param`` has its shape and dtype; they differ when its ``.data``
    was replaced by an array of another shape or dtype after the state was made."""
    for key, value in state.items():
        if isinstance(value, dict):
            _check_state_fits(param, value, f"{where}[{key!r}]")
        elif isinstance(value, np.ndarray) and (value.shape, value.dtype) != (param.data.shape, param.data.dtype):
            raise ValueError(
                f"a parameter of shape {param.data.shape} and dtype {param.data.dtype} has optimizer "
                f"{where}[{key!r}] of shape {value.shape} and dtype {value.dtype}: its .data was "
                f"replaced after the state was made. Make a new optimizer, or load a state dict "
                f"that fits the new .data"
            )


def _snapshot(value: Any) -> Any:
    """A copy of a state value: dicts are walked, arrays copied, numbers kept."""
    if isinstance(value, dict):
        return {k: _snapshot(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return value.copy()
    return value


def _restore(saved: Any, expected: Any, where: str, never_negative: frozenset[tuple[str, ...]]) -> Any:
    """A copy of ``saved`` checked against ``expected`` (a fresh state): same keys, same array
    shapes (cast to the parameter's dtype), numbers where numbers belong, and no negative
    entries in an array whose path of keys from here is in ``never_negative`` (the empty path ()
    names ``saved`` itself)."""
    if isinstance(expected, dict):
        if not isinstance(saved, dict) or set(saved) != set(expected):
            found = sorted(saved) if isinstance(saved, dict) else type(saved).__name__
            raise ValueError(f"{where} has entries {found}, expected {sorted(expected)}")
        # each entry k is checked with the paths that pass through it, k taken off their front
        return {k: _restore(saved[k], expected[k], f"{where}[{k!r}]",
                            frozenset(path[1:] for path in never_negative if path[:1] == (k,)))
                for k in expected}
    if isinstance(saved, dict) or np.shape(saved) != np.shape(expected):
        raise ValueError(f"{where} has shape {np.shape(saved)}, expected {np.shape(expected)}")
    if isinstance(expected, np.ndarray):
        if np.asarray(saved).dtype.kind not in "biuf":
            raise ValueError(f"{where} holds {np.asarray(saved).dtype} values, expected numbers")
        restored = np.array(saved, dtype=expected.dtype)
        if () in never_negative and (restored < 0).any():
            raise ValueError(
                f"{where} holds negative values (down to {restored.min()}), which no step can put there: "
                f"it is declared never negative, as an accumulation of squares or magnitudes is"
            )
        return restored
    if isinstance(expected, bool):  # (a flag in a transform's state)
        if not is_bool(saved):
            raise ValueError(f"{where} is {reprlib.repr(saved)}, expected True or False")
        return bool(saved)
    if isinstance(expected, int) and not _is_count(saved):  # the step counts
        raise ValueError(f"{where} is {reprlib.repr(saved)}, expected a whole number from 0 to 2**53")
    if isinstance(expected, float) and not math.isfinite(as_real(saved)):
        raise ValueError(f"{where} is {reprlib.repr(saved)}, expected a finite number")
    return type(expected)(saved)


def _is_count(value: Any) -> bool:
    """A whole number from 0 to 2⁵³ (see ``as_real`` for the forms accepted)."""
    number = as_real(value)
    return number.is_integer() and 0 <= number <= 2**53


def _check_layout(state_dict: Any) -> None:
    """The outline of an optimizer state dict, before its contents are compared with ours."""
    require_dict(state_dict, "an optimizer state dict")
    missing = {"optimizer", "state", "param_groups"} - set(state_dict)
    if missing:
        raise ValueError(f"the optimizer state dict lacks the entries {sorted(missing)}")
    require_dict(state_dict["state"], "the state dict's state")
    groups = state_dict["param_groups"]
    if not isinstance(groups, (list, tuple)):
        raise TypeError(f"the state dict's param_groups must be a list, got {type(groups).__name__}")
    indices = []
    for i, group in enumerate(groups):
        require_dict(group, f"parameter group {i} of the state dict")
        if not isinstance(group.get("params"), (list, tuple)):
            raise ValueError(f"parameter group {i} of the state dict has no list of 'params'")
        indices += [_as_index(k) for k in group["params"]]
    if len(set(indices)) != len(indices):
        raise ValueError(f"the state dict's parameter groups list a parameter twice: {indices}")
    keys = [_as_index(k) for k in state_dict["state"]]
    if len(set(keys)) != len(keys):
        raise ValueError(f"the state dict's state names a parameter twice: {list(state_dict['state'])}")


def _as_index(key: Any) -> int:
    """A parameter's index in a state dict: a whole number ≥ 0 (see ``_is_count``), or its
    decimal digits (JSON keys are strings)."""
    if _is_count(key):
        return int(key)
    if isinstance(key, str) and key.isascii() and key.isdigit():
        return int(key)
    raise ValueError(f"the state dict refers to a parameter as {key!r}, which is not a parameter index")
