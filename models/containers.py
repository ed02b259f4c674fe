"""Containers of modules: ModuleList (a registered list) and Sequential (a registered chain)."""

from __future__ import annotations

import operator
from typing import Any, Iterable, Iterator

from models.module import Module


class ModuleList(Module):
    """A list of modules whose parameters are registered, named ``0``, ``1``, ...

    Each module is stored as the attribute ``str(i)``, so the ordinary attribute-based
    registration of ``Module`` finds it: ``ModuleList([a, b]).named_parameters()`` gives
    ``0.weight, 0.bias, 1.weight, ...``. ``lst[i]`` is the i-th module; ``lst[a:b]`` a new
    ModuleList (a ``Sequential`` for a Sequential) of the same module objects. Removing or
    inserting modules renumbers those after them, so the names stay ``0`` to ``len - 1``.
    """

    def __init__(self, modules: Iterable[Module] = ()) -> None:
        super().__init__()
        self.extend(modules)

    def append(self, module: Module) -> ModuleList:
        """Add ``module`` at the end; returns self."""
        setattr(self, str(len(self)), _checked(module))
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        """Add each of ``modules`` at the end (all or, if one is not a Module, none); returns self."""
        if not isinstance(modules, Iterable):
            raise TypeError(
                f"{type(self).__name__}.extend takes an iterable of Modules, got {type(modules).__name__}"
            )
        for module in [_checked(module) for module in modules]:
            self.append(module)
        return self

    def __iadd__(self, modules: Iterable[Module]) -> ModuleList:
        """``lst += modules`` is ``lst.extend(modules)``."""
        return self.extend(modules)

    def insert(self, index: int, module: Module) -> None:
        """Put ``module`` before the index-th module (at the end for ``len(self)``; a negative
        index counts from the end, as in ``list.insert``); an index beyond either end is an
        IndexError, as in PyTorch's ``Sequential.insert``."""
        _checked(module)
        modules = self.children()
        position = _as_int(index, type(self).__name__)
        if not -len(modules) <= position <= len(modules):
            raise IndexError(self._out_of_range(index))
        modules.insert(position, module)
        self._renumber(modules)

    def pop(self, index: int = -1) -> Module:
        """Remove the index-th module (the last by default) and return it."""
        module = self[index]
        del self[index]
        return module

    def __len__(self) -> int:
        return len(self.children())

    def __iter__(self) -> Iterator[Module]:
        return iter(self.children())

    def __getitem__(self, index: int | slice) -> Any:
        """The index-th module, or for a slice a container of the same kind holding those modules."""
        modules = self.children()
        if isinstance(index, slice):
            return self._sliced(modules[index])
        return modules[self._position(index)]

    def __setitem__(self, index: int, module: Module) -> None:
        """Put ``module`` in the place (and under the name) of the index-th module."""
        setattr(self, str(self._position(index)), _checked(module))

    def __delitem__(self, index: int | slice) -> None:
        """Remove the index-th module, or those of a slice; the rest are renumbered from 0, as in PyTorch."""
        modules = self.children()
        doomed = set(range(len(modules))[index] if isinstance(index, slice) else [self._position(index)])
        self._renumber([module for i, module in enumerate(modules) if i not in doomed])

    def _sliced(self, modules: list[Module]) -> ModuleList:
        return ModuleList(modules)

    def _renumber(self, modules: list[Module]) -> None:
        """Hold exactly ``modules``, named ``0``, ``1``, ... in that order."""
        for name, _ in self.named_children():
            delattr(self, name)
        self.extend(modules)

    def _position(self, index: int) -> int:
        """``index`` (an int, negative from the end) as a position from 0; IndexError if out of range."""
        position = _as_int(index, type(self).__name__)
        if not -len(self) <= position < len(self):
            raise IndexError(self._out_of_range(index))
        return position % len(self)

    def _out_of_range(self, index: int) -> str:
        return f"index {index!r} is out of range for a {type(self).__name__} of {len(self)}"


def _as_int(index: Any, container: str) -> int:
    try:
        return operator.index(index)
    except TypeError:
        raise TypeError(
            f"{container} indices must be integers (or slices, to read or delete), "
            f"not {type(index).__name__}"
        ) from None


def _checked(module: Any) -> Module:
    if not isinstance(module, Module):
        raise TypeError(f"ModuleList holds Modules, got {type(module).__name__}")
    return module


class Sequential(ModuleList):
    """Modules applied in order: ``Sequential(f, g, h)(x) = h(g(f(x)))``.

    A slice is a Sequential of the same module objects, so ``model[:-1](x)`` runs all but the
    last layer. It is a plain Sequential for a subclass too (an ``MLP``'s slice runs its layers
    one by one, without MLP's fused Linear+ReLU), and it is numbered from 0, where PyTorch's
    keeps the original names (``model[1:]`` has ``0.weight`` here, ``1.weight`` there).
    """

    def __init__(self, *modules: Module) -> None:
        super().__init__(modules)

    def forward(self, x: Any) -> Any:
        for module in self:
            x = module(x)
        return x

    def _sliced(self, modules: list[Module]) -> ModuleList:
        return Sequential(*modules)

    def insert(self, index: int, module: Module) -> Sequential:
        """As ``ModuleList.insert``, returning the Sequential, as PyTorch's does."""
        super().insert(index, module)
        return self
