"""Containers of modules: ModuleList (a registered list) and Sequential (a registered chain)."""

from __future__ import annotations

from typing import Any, Iterable, Iterator

from models.module import Module


class ModuleList(Module):
    """A list of modules whose parameters are registered, named ``0``, ``1``, ...

    Each module is stored as the attribute ``str(i)``, so the ordinary attribute-based
    registration of ``Module`` finds it: ``ModuleList([a, b]).named_parameters()`` gives
    ``0.weight, 0.bias, 1.weight, ...``. ``lst[i]`` is the i-th module; ``lst[a:b]`` a plain
    list of modules.
    """

    def __init__(self, modules: Iterable[Module] = ()) -> None:
        super().__init__()
        for module in modules:
            self.append(module)

    def append(self, module: Module) -> ModuleList:
        setattr(self, str(len(self)), _checked(module))
        return self

    def __len__(self) -> int:
        return len(self.children())

    def __iter__(self) -> Iterator[Module]:
        return iter(self.children())

    def __getitem__(self, index: int | slice) -> Any:
        return self.children()[index]

    def __setitem__(self, index: int, module: Module) -> None:
        """Put ``module`` in the place (and under the name) of the index-th module."""
        setattr(self, self._name_at(index), _checked(module))

    def __delitem__(self, index: int) -> None:
        """Remove the index-th module; those after it move up (and are renamed), as in PyTorch."""
        name = self._name_at(index)
        children = self.named_children()
        for key, _ in children:
            delattr(self, key)
        for module in (module for key, module in children if key != name):
            self.append(module)

    def _name_at(self, index: int) -> str:
        names = [name for name, _ in self.named_children()]
        try:
            return names[index]
        except (IndexError, TypeError):
            raise IndexError(f"index {index!r} is out of range for a ModuleList of {len(names)}") from None


def _checked(module: Any) -> Module:
    if not isinstance(module, Module):
        raise TypeError(f"ModuleList holds Modules, got {type(module).__name__}")
    return module


class Sequential(ModuleList):
    """Modules applied in order: ``Sequential(f, g, h)(x) = h(g(f(x)))``."""

    def __init__(self, *modules: Module) -> None:
        super().__init__(modules)

    def forward(self, x: Any) -> Any:
        for module in self:
            x = module(x)
        return x
