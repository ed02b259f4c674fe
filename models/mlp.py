"""The multi-layer perceptron: Linear layers with an activation (and optional dropout) between."""

from __future__ import annotations

import reprlib
from collections.abc import Iterable
from typing import Any, Sequence

import numpy as np

import minigrad.functional as F
from minigrad import Tensor
from minigrad.random import as_generator
from models.activations import ReLU, activation_class
from models.containers import Sequential
from models.layers import Dropout, Linear, check_probability, check_size


class MLP(Sequential):
    """h₀ = x,  hₖ = act(hₖ₋₁ Wₖᵀ + bₖ) for each hidden size,  output = h_L W_outᵀ + b_out.

    ``MLP(2, (16, 16), 1)`` is ``Sequential(Linear(2, 16), ReLU(), Linear(16, 16), ReLU(),
    Linear(16, 1))``; with ``dropout > 0`` a ``Dropout`` follows each hidden activation.
    ``hidden_sizes=()`` gives a single Linear layer: a linear model. The output layer has no
    activation (it gives logits or regression values).

    ``activation`` is a name from ``models.activations.ACTIVATIONS`` ("relu", "tanh",
    "sigmoid", "gelu", "leaky_relu", "identity"). All layers draw their initial weights (and,
    when ``rng`` is a seed or a Generator, the dropout masks) from one generator made from
    ``rng``, so a seed fixes the whole model. With ``rng=None`` the masks come from minigrad's
    default generator as it is at each call (``minigrad.manual_seed`` seeds it).

    In the forward pass, a ``Linear`` directly followed by a ``ReLU`` runs as one fused node,
    ``F.linear_relu``: the same numbers as the two layers one after the other, with one graph
    node and one array fewer (other layers, subclasses of these two and layers given their own
    ``forward`` run as they are).
    """

    def __init__(
        self,
        in_features: int,
        hidden_sizes: Sequence[int],
        out_features: int,
        activation: str = "relu",
        dropout: float = 0.0,
        bias: bool = True,
        rng: np.random.Generator | int | None = None,
        dtype: Any = None,
    ) -> None:
        hidden_sizes = _layer_widths(hidden_sizes)
        make_activation = activation_class(activation)
        check_probability(dropout)
        generator = as_generator(rng)
        # Dropout given no rng keeps drawing from the default generator current at call time.
        dropout_rng = None if rng is None else generator
        widths = [in_features, *hidden_sizes]
        layers = []
        for fan_in, fan_out in zip(widths, widths[1:]):
            layers.append(Linear(fan_in, fan_out, bias=bias, rng=generator, dtype=dtype))
            layers.append(make_activation())
            if dropout:
                layers.append(Dropout(dropout, rng=dropout_rng))
        layers.append(Linear(widths[-1], out_features, bias=bias, rng=generator, dtype=dtype))
        super().__init__(*layers)

    def forward(self, x: Tensor) -> Tensor:
        layers = self.children()
        i = 0
        while i < len(layers):
            layer = layers[i]
            if _is_plain(layer, Linear) and i + 1 < len(layers) and _is_plain(layers[i + 1], ReLU):
                x = F.linear_relu(x, layer.weight, layer.bias)
                i += 2
            else:
                x = layer(x)
                i += 1
        return x


def _layer_widths(hidden_sizes: Any) -> tuple[int, ...]:
    """``hidden_sizes`` as a tuple (a generator would be used up by the checks), once it is a
    sequence of positive integers."""
    if isinstance(hidden_sizes, (int, np.integer)):
        raise TypeError(
            f"hidden_sizes must be a sequence of layer widths such as ({hidden_sizes},), "
            f"got the int {hidden_sizes}"
        )
    if isinstance(hidden_sizes, str) or not isinstance(hidden_sizes, Iterable):
        raise TypeError(
            f"hidden_sizes must be a sequence of layer widths such as (64, 64), or () for none, "
            f"got {reprlib.repr(hidden_sizes)}"
        )
    widths = tuple(hidden_sizes)
    for i, size in enumerate(widths):
        check_size(f"hidden_sizes[{i}]", size)
    return widths


def _is_plain(layer: object, cls: type) -> bool:
    """True if ``layer`` is exactly a ``cls``, with no ``forward`` of its own set on it."""
    return type(layer) is cls and "forward" not in vars(layer)
