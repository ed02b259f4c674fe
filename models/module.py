"""Module and Parameter: the base of every layer, model and loss.

Registration is by attribute: a Module's parameters are the ``Parameter`` values among its
attributes, and its children are the ``Module`` values, both in the order they were first
assigned (Python keeps attributes in that order). Nothing else is registered: a plain list of
layers is invisible, which is what ``ModuleList`` is for.
"""

from __future__ import annotations

import reprlib
import textwrap
import threading
from typing import Any, Mapping, NamedTuple

import numpy as np

from minigrad import Tensor
from minigrad.checks import all_of, check_flag, is_bool


class Parameter(Tensor):
    """A Tensor that a Module owns and an optimizer updates: it requires grad by default."""

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True, dtype: Any = None) -> None:
        super().__init__(data, requires_grad=requires_grad, dtype=dtype)

    def __repr__(self) -> str:
        return f"Parameter containing:\n{super().__repr__()}"


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict(..., strict=False)`` skipped."""

    missing_keys: list[str]
    unexpected_keys: list[str]


class _TrainInProgress(threading.local):
    """The ids of the modules whose train() is running in this thread: a cycle of modules is
    walked once, not forever (and another thread's walk does not hide a module from this one)."""

    def __init__(self) -> None:
        self.ids: set[int] = set()


_TRAIN_IN_PROGRESS = _TrainInProgress()


class Module:
    """Base class of layers and models: subclasses set attributes in ``__init__`` and define
    ``forward``; ``module(x)`` calls ``forward(x)``.

    ``training`` is True after construction; ``eval()`` clears it for the whole tree (Dropout
    reads it) and ``train()`` sets it again, each module through its own ``train``.
    """

    def __init__(self) -> None:
        self.training = True

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    def __setattr__(self, name: str, value: Any) -> None:
        # As in PyTorch, a parameter may be replaced by a Parameter or removed with None, and a
        # sub-module by a Module or None, but neither silently turned into a plain attribute
        # that parameters(), state_dict and optimizers no longer see.
        current = vars(self).get(name)
        if isinstance(current, Parameter) and not (value is None or isinstance(value, Parameter)):
            raise TypeError(
                f"cannot assign a {type(value).__name__} to the parameter {name!r} of "
                f"{type(self).__name__}: assign a Parameter (or None), or change it in place "
                f"(.data, or '{name} *= ...' inside no_grad())"
            )
        if isinstance(current, Module) and not (value is None or isinstance(value, Module)):
            raise TypeError(
                f"cannot assign a {type(value).__name__} to the sub-module {name!r} of "
                f"{type(self).__name__}: assign a Module (or None)"
            )
        super().__setattr__(name, value)

    # ------------------------------------------------------------------------- the tree
    def named_children(self) -> list[tuple[str, Module]]:
        """The direct sub-modules, as (attribute name, module), in assignment order."""
        return [(name, value) for name, value in vars(self).items() if isinstance(value, Module)]

    def children(self) -> list[Module]:
        """The direct sub-modules, in assignment order (what iterating a Sequential walks)."""
        return [value for value in vars(self).values() if isinstance(value, Module)]

    def named_modules(self) -> list[tuple[str, Module]]:
        """This module ("") and every module below it, depth first, each once."""
        found: list[tuple[str, Module]] = []
        seen: set[int] = set()

        def visit(prefix: str, module: Module) -> None:
            if id(module) in seen:
                return
            seen.add(id(module))
            found.append((prefix, module))
            for name, child in module.named_children():
                visit(f"{prefix}.{name}" if prefix else name, child)

        visit("", self)
        return found

    def modules(self) -> list[Module]:
        return [module for _, module in self.named_modules()]

    def named_parameters(self) -> list[tuple[str, Parameter]]:
        """Every parameter of the tree with its dotted name (``layers.0.weight``), each once.

        The order is stable: modules depth first, and within a module the order in which its
        parameters were assigned. A parameter shared by two modules is listed under its first
        name only.
        """
        found: list[tuple[str, Parameter]] = []
        seen: set[int] = set()
        for prefix, module in self.named_modules():  # (each module once, by its first path)
            for name, value in vars(module).items():
                if isinstance(value, Parameter) and id(value) not in seen:
                    seen.add(id(value))
                    found.append((f"{prefix}.{name}" if prefix else name, value))
        return found

    def _parameter_paths(self) -> list[tuple[str, Parameter]]:
        """Every parameter under every name it has, in ``named_parameters``' order: a parameter
        held by two modules, or a module held twice, appears once for each path to it (as in
        PyTorch's state_dict; like it, this grows with the number of paths, which nested
        sharing multiplies)."""
        found: list[tuple[str, Parameter]] = []

        def visit(prefix: str, module: Module, ancestors: frozenset[int]) -> None:
            children = []
            for name, value in vars(module).items():
                path = f"{prefix}.{name}" if prefix else name
                if isinstance(value, Parameter):
                    found.append((path, value))
                elif isinstance(value, Module) and id(value) not in ancestors:
                    children.append((path, value))
            for path, child in children:
                visit(path, child, ancestors | {id(child)})

        visit("", self, frozenset([id(self)]))
        return found

    def parameters(self) -> list[Parameter]:
        """A list (not a one-shot generator), so it can be handed to several consumers."""
        return [param for _, param in self.named_parameters()]

    # ------------------------------------------------------------------- training state
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget accumulated gradients: ``grad = None``, or zeros in place."""
        check_flag("set_to_none", set_to_none)
        for param in self.parameters():
            if set_to_none:
                param.grad = None
            elif param.grad is not None:
                param.grad[...] = 0

    def train(self, mode: bool = True) -> Module:
        """Set ``training = mode`` here and call each child's own ``train(mode)``, as PyTorch
        does, so a child that overrides ``train`` (to keep a part in eval mode, say) is obeyed;
        returns self. A module already being set higher up (one that holds itself, or an
        ancestor) is not entered again."""
        if not is_bool(mode):
            raise ValueError(f"training mode is expected to be boolean (True or False), got {mode!r}")
        mode = self.training = bool(mode)
        _TRAIN_IN_PROGRESS.ids.add(id(self))
        try:
            for child in self.children():
                if id(child) not in _TRAIN_IN_PROGRESS.ids:
                    child.train(mode)
        finally:
            _TRAIN_IN_PROGRESS.ids.discard(id(self))
        return self

    def eval(self) -> Module:
        """Evaluation mode (``train(False)``): Dropout becomes the identity."""
        return self.train(False)

    # ------------------------------------------------------------------------ state dict
    def state_dict(self) -> dict[str, np.ndarray]:
        """Parameter name → a copy of its array (later training does not change the dict).

        A shared parameter appears under each of its names, as in PyTorch, so that the dict of
        a model with tied weights loads into PyTorch's twin of it, and PyTorch's into it.
        """
        return {name: param.data.copy() for name, param in self._parameter_paths()}

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy the arrays of ``state_dict`` into the parameters, in place.

        Everything is checked before anything is copied, so on error the model is unchanged
        and the error lists every problem: missing and unexpected keys (only when ``strict``),
        keys that are not strings, shape mismatches, values that are not rectangular arrays of
        numbers, values too large for the parameter's dtype and a shared parameter given
        different values under two of its names (always). A shared parameter needs only one of
        its names. Copying into the existing arrays keeps every
        reference to them (an optimizer's, for instance) valid. A ``state_dict`` that is not a
        mapping (a list of arrays, say) is a TypeError, as in PyTorch.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                f"Expected state_dict to be dict-like (parameter name -> array, as state_dict() "
                f"gives), got {type(state_dict)}"
            )
        check_flag("strict", strict)
        paths = self._parameter_paths()
        names_of: dict[int, list[str]] = {}
        for name, param in paths:
            names_of.setdefault(id(param), []).append(name)
        missing = [name for name, param in paths if not any(n in state_dict for n in names_of[id(param)])]
        own = dict(paths)
        unexpected = [name for name in state_dict if isinstance(name, str) and name not in own]
        problems = _non_string_keys(state_dict)
        if strict and missing:
            problems.append(f"missing key(s): {', '.join(missing)}")
        if strict and unexpected:
            problems.append(f"unexpected key(s): {', '.join(unexpected)}")
        values: dict[int, tuple[str, np.ndarray]] = {}
        for name, param in paths:
            if name not in state_dict:
                continue
            cast, problem = _cast_for(name, state_dict[name], param)
            if problem:
                problems.append(problem)
            elif id(param) not in values:
                values[id(param)] = name, cast
            elif not np.array_equal(values[id(param)][1], cast, equal_nan=True):
                problems.append(
                    f"{values[id(param)][0]} and {name} name one shared parameter but hold "
                    f"different values"
                )
        if problems:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__} (nothing was "
                f"loaded):\n  " + "\n  ".join(problems)
            )
        for name, value in values.values():
            np.copyto(own[name].data, value)
        return IncompatibleKeys(missing, unexpected)

    # ---------------------------------------------------------------------------- display
    def extra_repr(self) -> str:
        """The arguments shown inside this module's parentheses, e.g. ``in_features=3``."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        children = self.named_children()
        if not children:
            return f"{type(self).__name__}({extra})"
        lines = [extra] if extra else []
        lines += [f"({name}): {child!r}" for name, child in children]
        body = textwrap.indent("\n".join(lines), "  ")
        return f"{type(self).__name__}(\n{body}\n)"


def parameter_list(params: Any, caller: str) -> list[Tensor]:
    """``params``, an iterable of Tensors such as ``model.parameters()``, as a list. A Module is
    refused rather than taken to mean all its parameters, so that a call says which parameters
    it acts on; so is anything else, each with a TypeError naming ``caller``."""
    if isinstance(params, Module):
        raise TypeError(
            f"{caller} takes the parameters, not the {type(params).__name__} itself: pass model.parameters()"
        )
    return all_of(Tensor, params, f"{caller} takes an iterable of Tensors such as model.parameters()")


def _non_string_keys(state_dict: Mapping[Any, Any]) -> list[str]:
    """The problem of a state dict with keys that are not strings (no parameter is named by
    one), or none."""
    keys = [key for key in state_dict if not isinstance(key, str)]
    if not keys:
        return []
    return [f"key(s) that are not strings: {reprlib.repr(keys)} (the keys are parameter names, "
            f"such as 'weight' or '0.bias')"]


def _cast_for(name: str, value: Any, param: Parameter) -> tuple[np.ndarray | None, str | None]:
    """``value``, the state dict's entry ``name``, as an array of ``param``'s dtype, or the
    problem that stops it from being loaded into ``param``."""
    try:
        array = np.asarray(value)
    except (TypeError, ValueError):  # (numpy: "setting an array element with a sequence")
        return None, f"{name}: not a rectangular array of numbers, got {reprlib.repr(value)}"
    if array.dtype.kind not in "fiu":
        return None, f"{name}: expected a real numeric array, got dtype {array.dtype}"
    if array.shape != param.shape:
        return None, (f"size mismatch for {name}: the state dict has shape {array.shape}, "
                      f"the model has {param.shape}")
    with np.errstate(over="ignore"):
        cast = array.astype(param.data.dtype)
    if np.any(np.isinf(cast) & ~np.isinf(array)):
        return None, f"{name}: values too large for {param.data.dtype} (they would become inf)"
    return cast, None
