"""ReLU multilayer perceptrons, their layers, activation patterns and activation matrices.

A network here is a ``torch.nn.Sequential`` of alternating ``nn.Linear`` and ``nn.ReLU``
layers ending in ``nn.Linear``. With ``x`` a single input, the activation matrix of hidden
layer ``i`` is ``A_i = diag(1[z_i > 0])`` where ``z_i`` is that layer's pre-activation, so that
``F(x) = W_L A_{L-1} W_{L-1} ... A_1 W_1 x`` for a bias-free net.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

__all__ = [
    "relu_net",
    "linear_layers",
    "check_relu_net",
    "as_input",
    "pre_activations",
    "activation_pattern",
    "activation_matrices",
    "forward_by_matrices",
    "layer_gradients_by_matrices",
]


def relu_net(
    widths: Sequence[int],
    *,
    bias: bool = False,
    seed: int = 0,
    dtype: torch.dtype = torch.float64,
) -> nn.Sequential:
    """Build a seeded ReLU MLP with layer widths ``[d_in, h_1, ..., d_out]`` (He-normal weights)."""
    if isinstance(widths, (str, bytes)) or not isinstance(widths, Sequence):
        raise TypeError(f"widths must be a sequence of ints like [2, 8, 1], got {type(widths).__name__}")
    widths = list(widths)
    if len(widths) < 2:
        raise ValueError(f"widths must have at least 2 entries [d_in, d_out], got {widths}")
    for w in widths:
        if isinstance(w, bool) or not isinstance(w, (int, np.integer)):
            raise TypeError(f"widths must contain ints, got {w!r} in {widths}")
        if w <= 0:
            raise ValueError(f"widths must be positive, got {w} in {widths}")
    if not isinstance(bias, bool):
        raise TypeError(f"bias must be a bool, got {bias!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int, got {seed!r}")
    if not (isinstance(dtype, torch.dtype) and dtype.is_floating_point):
        raise TypeError(f"dtype must be a floating torch.dtype, got {dtype!r}")

    gen = torch.Generator().manual_seed(int(seed))
    layers: list[nn.Module] = []
    for i, (d_in, d_out) in enumerate(zip(widths[:-1], widths[1:])):
        with torch.random.fork_rng(devices=[]):  # nn.Linear's own init must not consume the global RNG
            lin = nn.Linear(d_in, d_out, bias=bias, dtype=dtype)
        with torch.no_grad():
            # He initialisation keeps activations of order one through depth.
            lin.weight.copy_(torch.randn(d_out, d_in, generator=gen, dtype=dtype) * (2.0 / d_in) ** 0.5)
            if bias:
                lin.bias.copy_(torch.randn(d_out, generator=gen, dtype=dtype) * (1.0 / d_in) ** 0.5)
        layers.append(lin)
        if i < len(widths) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def linear_layers(net: nn.Module) -> list[nn.Linear]:
    """Return the ``nn.Linear`` layers of a checked ReLU net, in order."""
    check_relu_net(net)
    return [m for m in net if isinstance(m, nn.Linear)]


def check_relu_net(net: object, *, bias_free: bool = False, scalar_output: bool = False) -> None:
    """Raise a clear error unless ``net`` is a Sequential of alternating Linear/ReLU ending in Linear."""
    if not isinstance(net, nn.Sequential):
        raise TypeError(f"net must be a torch.nn.Sequential of nn.Linear and nn.ReLU, got {type(net).__name__}")
    mods = list(net)
    if not mods:
        raise ValueError("net is an empty nn.Sequential; expected Linear, ReLU, ..., Linear")
    for i, m in enumerate(mods):
        expected = nn.Linear if i % 2 == 0 else nn.ReLU
        if not isinstance(m, expected):
            raise TypeError(
                f"net layer {i} is {type(m).__name__}; expected {expected.__name__} "
                "(a ReLU net alternates nn.Linear and nn.ReLU and ends in nn.Linear)"
            )
        if bias_free and isinstance(m, nn.Linear) and m.bias is not None:
            raise ValueError(f"net layer {i} (Linear) has a bias; a bias-free ReLU net is required here")
    if not isinstance(mods[-1], nn.Linear):
        raise TypeError(f"net's last layer is {type(mods[-1]).__name__}; expected nn.Linear")
    if scalar_output and mods[-1].out_features != 1:
        raise ValueError(f"net must have scalar output (last Linear out_features=1), got {mods[-1].out_features}")


def as_input(net: nn.Sequential, x: object) -> torch.Tensor:
    """Convert ``x`` (array-like, shape ``(d_in,)`` or ``(n, d_in)``) to a tensor of the net's dtype."""
    first = linear_layers(net)[0]
    t = torch.as_tensor(np.asarray(x) if not isinstance(x, torch.Tensor) else x, dtype=first.weight.dtype)
    if t.ndim not in (1, 2) or t.shape[-1] != first.in_features:
        raise ValueError(f"x must have shape ({first.in_features},) or (n, {first.in_features}), got {tuple(t.shape)}")
    if not torch.isfinite(t).all():
        raise ValueError("x contains NaN or infinite entries")
    return t


@torch.no_grad()
def pre_activations(net: nn.Sequential, x: object) -> list[torch.Tensor]:
    """Pre-activations ``z_1, ..., z_{L-1}`` of every hidden layer at input(s) ``x``."""
    h = as_input(net, x)
    zs = []
    for m in net:
        h = m(h)
        if isinstance(m, nn.Linear):
            zs.append(h)
    return zs[:-1]


def activation_pattern(net: nn.Sequential, x: object) -> list[np.ndarray]:
    """Boolean activation pattern ``z_i > 0`` of every hidden layer at input(s) ``x``."""
    return [(z > 0).numpy() for z in pre_activations(net, x)]


def activation_matrices(net: nn.Sequential, x: object) -> list[torch.Tensor]:
    """Diagonal 0/1 activation matrices ``A_1, ..., A_{L-1}`` at a single input ``x``."""
    t = as_input(net, x)
    if t.ndim != 1:
        raise ValueError(f"x must be a single input of shape (d_in,), got {tuple(t.shape)}")
    return [torch.diag((z > 0).to(t.dtype)) for z in pre_activations(net, t)]


def forward_by_matrices(net: nn.Sequential, x: object) -> torch.Tensor:
    """``F(x) = W_L A_{L-1} W_{L-1} ... A_1 W_1 x (+ biases)``, computed with activation matrices."""
    t = as_input(net, x)
    if t.ndim != 1:
        raise ValueError(f"x must be a single input of shape (d_in,), got {tuple(t.shape)}")
    lins = linear_layers(net)
    As = activation_matrices(net, t)
    h = t
    with torch.no_grad():
        for i, lin in enumerate(lins):
            h = lin.weight @ h + (lin.bias if lin.bias is not None else 0.0)
            if i < len(As):
                h = As[i] @ h
    return h


def layer_gradients_by_matrices(net: nn.Sequential, x: object) -> list[torch.Tensor]:
    """``dF/dW_i = (W_L A_{L-1} ... W_{i+1} A_i)^T (A_{i-1} W_{i-1} ... W_1 x)^T`` for a scalar-output net."""
    check_relu_net(net, scalar_output=True)
    t = as_input(net, x)
    if t.ndim != 1:
        raise ValueError(f"x must be a single input of shape (d_in,), got {tuple(t.shape)}")
    lins = linear_layers(net)
    As = activation_matrices(net, t)
    grads = []
    with torch.no_grad():
        for i in range(len(lins)):
            # input side: a_{i-1} = A_{i-1} W_{i-1} ... A_1 W_1 x (+ biases), the layer's input
            a = t
            for j in range(i):
                a = As[j] @ (lins[j].weight @ a + (lins[j].bias if lins[j].bias is not None else 0.0))
            # output side: row vector W_L A_{L-1} ... W_{i+1} A_i
            back = torch.eye(lins[-1].out_features, dtype=t.dtype)
            for j in range(len(lins) - 1, i, -1):
                back = back @ lins[j].weight @ As[j - 1]
            grads.append(back.T @ a[None, :])
    return grads
