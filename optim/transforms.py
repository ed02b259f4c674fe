"""Optimizers as chains of small gradient transformations, in the style of optax.

A ``Transform`` turns an update (at first, the gradient) into a new update, one parameter at a
time, keeping any state it needs in a dict of its own::

    state = transform.init(param)                      # arrays shaped like param, numbers
    update = transform.update(update, state, param)    # puts the new state in the dict

A transform puts new arrays (and numbers) in its state dict rather than writing into the old
arrays, so a ``TransformOptimizer`` step that fails part-way can put the old ones back.

``chain`` runs transforms in order, and ``TransformOptimizer`` applies the final update to the
parameter, θ ← θ + update. The whole Adam+L2 versus AdamW story is the order of two lines::

    adam_l2 = chain(add_decayed_weights(λ), scale_by_adam(), scale_by_learning_rate(γ))
    adamw   = chain(scale_by_adam(), add_decayed_weights(λ), scale_by_learning_rate(γ))

In the first, λθ joins the gradient *before* Adam divides it by √v̂; in the second it is added
after, so every parameter decays by the same γλθ.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, NamedTuple

import numpy as np

from optim._checks import check_betas, check_range
from optim.optimizer import Optimizer, ParamGroup

State = dict[str, Any]


class Transform(NamedTuple):
    """A gradient transformation: ``init(param) -> state`` and ``update(u, state, param) -> u``.

    ``never_negative`` names, as paths of keys into the state, the arrays that no update can
    make negative (scale_by_adam's ν, a mean of u²): loading an optimizer state dict with a
    negative entry there is refused, as the next step's √ν would be NaN. A transform of one's
    own that keeps a signed array names none and loads whatever it saved.
    """

    init: Callable[[np.ndarray], State]
    update: Callable[[np.ndarray, State, np.ndarray], np.ndarray]
    never_negative: frozenset[tuple[str, ...]] = frozenset()


def _no_state(param: np.ndarray) -> State:
    return {}


def scale_by_adam(b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8) -> Transform:
    """u ← m̂ / (√v̂ + ε), with m̂, v̂ the bias-corrected moving averages m, v of u and u²."""
    check_betas((b1, b2))
    check_range("epsilon value", eps)
    # As Python floats they keep the arrays' dtype (a numpy float64 would make float32 state float64).
    b1, b2, eps = float(b1), float(b2), float(eps)

    def init(param: np.ndarray) -> State:
        return {"count": 0, "mu": np.zeros_like(param), "nu": np.zeros_like(param)}

    def update(u: np.ndarray, state: State, param: np.ndarray) -> np.ndarray:
        state["count"] += 1
        t = state["count"]
        mu = state["mu"] = b1 * state["mu"] + (1 - b1) * u  # new arrays, as optax returns a new state
        nu = state["nu"] = b2 * state["nu"] + (1 - b2) * u * u
        return (mu / (1 - b1**t)) / (np.sqrt(nu / (1 - b2**t)) + eps)

    return Transform(init, update, never_negative=frozenset({("nu",)}))


def add_decayed_weights(weight_decay: float) -> Transform:
    """u ← u + λθ."""
    check_range("weight_decay value", weight_decay)
    weight_decay = float(weight_decay)  # (a numpy float64 would make float32 updates float64)
    return Transform(_no_state, lambda u, state, param: u + weight_decay * param)


def scale_by_learning_rate(learning_rate: float | Callable[[int], float]) -> Transform:
    """u ← −γ·u, where γ may be a schedule: a function of the parameter's step count 0, 1, 2, …
    (kept per parameter, like Adam's t: a step that skips the parameter does not count)."""
    if not callable(learning_rate):
        check_range("learning rate", learning_rate)
    schedule = learning_rate if callable(learning_rate) else (lambda count: learning_rate)

    def init(param: np.ndarray) -> State:
        return {"count": 0}

    def update(u: np.ndarray, state: State, param: np.ndarray) -> np.ndarray:
        lr = schedule(state["count"])
        check_range(f"learning rate at step {state['count']}", lr)  # (a schedule may give anything)
        state["count"] += 1
        return -float(lr) * u

    return Transform(init, update)


def chain(*transforms: Transform) -> Transform:
    """Apply ``transforms`` one after the other; transform i keeps its state under key "i"."""
    for i, t in enumerate(transforms):
        if not isinstance(t, Transform):
            raise TypeError(f"chain takes Transforms (such as scale_by_adam()); argument {i} is a {type(t).__name__}")
        _check_paths(t.never_negative, f"chain's argument {i}")

    def init(param: np.ndarray) -> State:
        return {str(i): t.init(param) for i, t in enumerate(transforms)}

    def update(u: np.ndarray, state: State, param: np.ndarray) -> np.ndarray:
        for i, t in enumerate(transforms):
            u = t.update(u, state[str(i)], param)
        return u

    never_negative = frozenset((str(i),) + path for i, t in enumerate(transforms) for path in t.never_negative)
    return Transform(init, update, never_negative)


def _check_paths(never_negative: Any, which: str) -> None:
    """``never_negative`` must be a set of paths of keys, tuples of strings such as ("nu",)."""
    if not (isinstance(never_negative, (set, frozenset))
            and all(isinstance(path, tuple) and all(isinstance(k, str) for k in path) for path in never_negative)):
        raise TypeError(
            f"{which} has never_negative={never_negative!r}; it must be a set of key paths into the "
            f"state, tuples of strings such as {{('nu',)}}"
        )


def _follow(state: Any, path: tuple[str, ...]) -> Any:
    """What ``path`` leads to in ``state`` (None where it leads nowhere)."""
    for key in path:
        if not isinstance(state, dict) or key not in state:
            return None
        state = state[key]
    return state


class TransformOptimizer(Optimizer):
    """Run a Transform as an Optimizer: θ ← θ + transform.update(g, state, θ) for each parameter
    with a gradient. Hyperparameters live in the transform, so groups carry none, and the state
    arrays ``load_state_dict`` checks for negative entries are the transform's ``never_negative``
    (not the class attribute ``never_negative_state`` of the other optimizers)."""

    elementwise = False  # transform states are nested dicts, kept per parameter

    def __init__(self, params: Iterable[Any], transform: Transform) -> None:
        if not isinstance(transform, Transform):
            raise TypeError(
                f"transform must be a Transform (e.g. made by chain(...)), got {type(transform).__name__}"
            )
        _check_paths(transform.never_negative, "the transform")
        self.transform = transform
        self._never_negative = frozenset(transform.never_negative)  # (as it was given: a set may change later)
        self._pending: list[tuple[np.ndarray, np.ndarray]] = []  # a step's updates, applied at its end
        super().__init__(params, {})

    def _check_hyperparameters(self, group: ParamGroup) -> None:
        """Nothing to check: the transforms hold the hyperparameters."""

    def _init_state(self, param: np.ndarray, group: ParamGroup) -> dict[str, Any]:
        state = self.transform.init(param)
        for path in sorted(self._never_negative):
            if not isinstance(_follow(state, path), np.ndarray):
                raise TypeError(
                    f"the transform's never_negative names {path!r}, which is not an array of its state "
                    f"(a path of keys from the top of the state its init returns, such as ('nu',))"
                )
        return {"transform": state}

    def _never_negative_paths(self) -> frozenset[tuple[str, ...]]:
        return frozenset(("transform",) + path for path in self._never_negative)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """As ``Optimizer.step``, all or nothing: the parameters move only once every update is
        computed, and the transforms here put new arrays in their state rather than write into
        the old ones (as optax returns a new state), so a step that fails part-way (a schedule
        giving an invalid rate) gets the previous state back, and no parameter has moved."""
        state_before = {p: _copy_dicts(s) for p, s in self.state.items()}
        self._pending = []
        try:
            loss = super().step(closure)
        except BaseException:
            self.state = state_before
            raise
        for param, update in self._pending:
            param += update
        self._pending = []
        return loss

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: ParamGroup) -> None:
        self._pending.append((param, self.transform.update(grad, state["transform"], param)))


def _copy_dicts(state: Any) -> Any:
    """``state`` with its dicts copied and its arrays shared (a transform replaces them)."""
    return {k: _copy_dicts(v) for k, v in state.items()} if isinstance(state, dict) else state
