"""What a network is, how to build one, and the one forward pass every module uses.

A network here is a ``torch.nn.Sequential`` of alternating ``nn.Linear`` and ``nn.ReLU`` layers
ending in ``nn.Linear`` (``check_net``), with or without biases. Where a module genuinely needs
more it says so explicitly: ``check_net(net, linear=True)`` also accepts a deep *linear* network
(only ``nn.Linear`` layers), which the balancing results treat alongside ReLU nets.

With ``x`` a single input, the activation matrix of hidden layer ``i`` is ``A_i = diag(1[z_i > 0])``
where ``z_i`` is that layer's pre-activation, so that ``F(x) = W_L A_{L-1} W_{L-1} ... A_1 W_1 x``
for a bias-free net. ``forward`` computes ``F`` from weight matrices (numpy or torch, with optional
biases and frozen activation masks); ``forward_by_matrices`` and ``layer_gradients_by_matrices``
spell out the activation-matrix formulas, for checking them against autograd.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from . import _validate as v

__all__ = [
    "relu_net",
    "linear_net",
    "check_net",
    "linear_layers",
    "weights",
    "biases",
    "with_weights",
    "as_weights",
    "as_input",
    "forward",
    "pre_activations",
    "activation_pattern",
    "activation_matrices",
    "forward_by_matrices",
    "layer_gradients_by_matrices",
]

Array = np.ndarray | torch.Tensor


def relu_net(
    widths: Sequence[int],
    *,
    bias: bool = False,
    seed: int = 0,
    dtype: torch.dtype = torch.float64,
) -> nn.Sequential:
    """Build a seeded ReLU MLP with layer widths ``[d_in, h_1, ..., d_out]`` (He-normal weights)."""
    widths = v.int_list(widths, "widths", least=1, min_len=2)
    v.boolean(bias, "bias")
    seed = v.integer(seed, "seed")
    if not (isinstance(dtype, torch.dtype) and dtype.is_floating_point):
        raise TypeError(f"dtype must be a floating torch.dtype, got {dtype!r}")
    gen = torch.Generator().manual_seed(seed)
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


def linear_net(widths: Sequence[int], *, seed: int = 0, scale: float = 1.0) -> nn.Sequential:
    """A bias-free deep linear net ``x -> W_L ... W_1 x`` (float64), weights ``scale * N(0, 1/d_in)``."""
    scale = v.positive(scale, "scale")
    lins = linear_layers(relu_net(widths, seed=seed))  # validates widths and seed, and gives seeded weights
    with torch.no_grad():
        for lin in lins:
            lin.weight.mul_(scale / 2.0**0.5)  # relu_net uses He scale sqrt(2/d_in)
    return nn.Sequential(*lins)


def check_net(net: object, *, bias_free: bool = False, scalar_output: bool = False, linear: bool = False) -> bool:
    """Raise a clear error unless ``net`` is a network of this package; return whether it has ReLU layers.

    The rule: an ``nn.Sequential`` of alternating ``nn.Linear`` and ``nn.ReLU`` ending in ``nn.Linear``,
    whose layer sizes chain and whose parameters are finite. ``linear=True`` also accepts a deep linear
    net (only ``nn.Linear``); ``bias_free`` and ``scalar_output`` add those requirements.
    """
    if not isinstance(net, nn.Sequential):
        raise TypeError(f"net must be a torch.nn.Sequential of nn.Linear and nn.ReLU, got {type(net).__name__}")
    mods = list(net)
    if not mods:
        raise ValueError("net is an empty nn.Sequential; expected Linear, ReLU, ..., Linear")
    is_linear = linear and all(isinstance(m, nn.Linear) for m in mods)
    if not is_linear:
        for i, m in enumerate(mods):
            expected = nn.Linear if i % 2 == 0 else nn.ReLU
            if not isinstance(m, expected):
                raise TypeError(f"net layer {i} is {type(m).__name__}; expected {expected.__name__} "
                                "(a ReLU net alternates nn.Linear and nn.ReLU and ends in nn.Linear"
                                + (", a linear net has only nn.Linear)" if linear else ")"))
        if not isinstance(mods[-1], nn.Linear):
            raise TypeError(f"net's last layer is {type(mods[-1]).__name__}; expected nn.Linear")
    lins = [(i, m) for i, m in enumerate(mods) if isinstance(m, nn.Linear)]
    for (_, a), (i, b) in zip(lins[:-1], lins[1:]):
        if b.in_features != a.out_features:
            raise ValueError(f"net layer {i} (Linear) expects {b.in_features} inputs but receives {a.out_features}")
    for i, m in lins:
        if bias_free and m.bias is not None:
            raise ValueError(f"net layer {i} (Linear) has a bias; a bias-free network is required here")
        if not all(bool(torch.isfinite(p).all()) for p in m.parameters()):
            raise ValueError(f"net layer {i} (Linear) has NaN or infinite parameters")
    if scalar_output and mods[-1].out_features != 1:
        raise ValueError(f"net must have scalar output (last Linear out_features=1), got {mods[-1].out_features}")
    return not is_linear


def linear_layers(net: nn.Module, **rules: bool) -> list[nn.Linear]:
    """The ``nn.Linear`` layers of a checked net, in order (``rules`` are passed to ``check_net``)."""
    check_net(net, **rules)
    return [m for m in net if isinstance(m, nn.Linear)]


def weights(net: nn.Sequential, **rules: bool) -> list[np.ndarray]:
    """The weight matrices ``W_1, ..., W_L`` of a checked net, as float64 numpy copies."""
    return [m.weight.detach().to(torch.float64).cpu().numpy().copy() for m in linear_layers(net, **rules)]


def biases(net: nn.Sequential, **rules: bool) -> list[np.ndarray | None]:
    """The bias vectors ``b_1, ..., b_L`` of a checked net as float64 numpy copies (``None`` where absent)."""
    return [None if m.bias is None else m.bias.detach().to(torch.float64).cpu().numpy().copy()
            for m in linear_layers(net, **rules)]


def with_weights(net: nn.Sequential, ws: Sequence[np.ndarray]) -> nn.Sequential:
    """A float64 copy of ``net`` whose Linear layers carry the weight matrices ``ws`` (shapes must match)."""
    lins = linear_layers(net, linear=True)
    if isinstance(ws, (np.ndarray, torch.Tensor)) or not isinstance(ws, Sequence) or len(ws) != len(lins):
        raise TypeError(f"ws must be a list of {len(lins)} weight matrices, one per Linear layer")
    mats = [v.matrix(w, f"ws[{i}]", tuple(m.weight.shape)) for i, (w, m) in enumerate(zip(ws, lins))]
    new = copy.deepcopy(net).to(torch.float64)
    with torch.no_grad():
        for lin, w in zip([m for m in new if isinstance(m, nn.Linear)], mats):
            lin.weight.copy_(torch.from_numpy(w))
    return new


def as_weights(ws: object, name: str = "weights") -> list[np.ndarray]:
    """A list ``[W_1, ..., W_L]`` of finite 2-D arrays (numpy or torch) that chain, as float64 numpy copies."""
    if isinstance(ws, (np.ndarray, torch.Tensor)) or not isinstance(ws, Sequence) or len(ws) == 0:
        raise TypeError(f"{name} must be a non-empty list of 2-D arrays [W_1, ..., W_L]")
    out = [v.matrix(w, f"{name}[{i}]") for i, w in enumerate(ws)]
    for i in range(1, len(out)):
        if out[i].shape[1] != out[i - 1].shape[0]:
            raise ValueError(f"{name}[{i}] has shape {out[i].shape}; expected {out[i - 1].shape[0]} columns to chain")
    return out


def as_input(net: nn.Sequential, x: object, *, single: bool = False) -> torch.Tensor:
    """``x`` (shape ``(d_in,)`` or ``(n, d_in)``; only the first if ``single``) as a tensor of the net's dtype."""
    first = linear_layers(net, linear=True)[0]
    t = torch.as_tensor(v.array(x, "x"), dtype=first.weight.dtype)
    if t.ndim not in ((1,) if single else (1, 2)) or t.shape[-1] != first.in_features:
        want = f"({first.in_features},)" + ("" if single else f" or (n, {first.in_features})")
        raise ValueError(f"x must have shape {want}, got {tuple(t.shape)}")
    return t


def forward(ws: Sequence[Array], x: Array, *, bs: Sequence[Array | None] | None = None,
            masks: Sequence[Array] | None = None, relu: bool = True, keep: bool = False):
    """``F(x) = W_L s(... s(W_1 x + b_1) ...) + b_L`` for numpy or torch weights; rows of ``x`` are inputs.

    ``s`` is the ReLU (``relu=False``: the identity, a linear net); with ``masks`` each hidden layer is
    multiplied by its frozen 0/1 pattern instead (one piece of the piecewise-polynomial net). With
    ``keep=True`` returns ``(F(x), [z_1, ..., z_{L-1}])``, the hidden pre-activations too. No checks:
    callers validate once, and this runs in the inner loops.
    """
    h, zs = x, []
    last = len(ws) - 1
    for i, W in enumerate(ws):
        h = h @ W.T
        if bs is not None and bs[i] is not None:
            h = h + bs[i]
        if i < last:
            if keep:
                zs.append(h)
            if masks is not None:
                h = h * masks[i]
            elif relu:
                h = torch.relu(h) if isinstance(h, torch.Tensor) else np.maximum(h, 0.0)
    return (h, zs) if keep else h


@torch.no_grad()
def pre_activations(net: nn.Sequential, x: object) -> list[torch.Tensor]:
    """Pre-activations ``z_1, ..., z_{L-1}`` of every hidden layer at input(s) ``x``."""
    lins = linear_layers(net)
    t = as_input(net, x)
    return forward([m.weight for m in lins], t, bs=[m.bias for m in lins], keep=True)[1]


def activation_pattern(net: nn.Sequential, x: object) -> list[np.ndarray]:
    """Boolean activation pattern ``z_i > 0`` of every hidden layer at input(s) ``x``."""
    return [(z > 0).numpy() for z in pre_activations(net, x)]


def activation_matrices(net: nn.Sequential, x: object) -> list[torch.Tensor]:
    """Diagonal 0/1 activation matrices ``A_1, ..., A_{L-1}`` at a single input ``x``."""
    t = as_input(net, x, single=True)
    return [torch.diag((z > 0).to(t.dtype)) for z in pre_activations(net, t)]


def forward_by_matrices(net: nn.Sequential, x: object) -> torch.Tensor:
    """``F(x) = W_L A_{L-1} W_{L-1} ... A_1 W_1 x (+ biases)``, computed with activation matrices."""
    t = as_input(net, x, single=True)
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
    lins = linear_layers(net, scalar_output=True)
    t = as_input(net, x, single=True)
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
