"""Positive homogeneity: degree estimates, Euler residuals, and per-layer inner products of ReLU nets.

A function ``f`` is positively homogeneous of degree ``L`` when ``f(c w) = c**L f(w)`` for every
``c > 0``. A bias-free ReLU net with ``L`` Linear layers is ``L``-homogeneous in all its weights
jointly and 1-homogeneous in each layer, which gives ``<W_i, dF/dW_i> = F(x)`` for every layer.
"""

from __future__ import annotations

import torch
from torch import nn

from . import nets

__all__ = ["layer_inner_products"]


def layer_inner_products(net: nn.Sequential, x: object) -> list[float]:
    """``<W_i, dF/dW_i>`` (autograd) for each Linear layer of a bias-free scalar ReLU net at one input ``x``."""
    nets.check_relu_net(net, bias_free=True, scalar_output=True)
    t = nets.as_input(net, x)
    if t.ndim != 1:
        raise ValueError(f"x must be a single input of shape (d_in,), got {tuple(t.shape)}")
    weights = [m.weight for m in net if isinstance(m, nn.Linear)]
    with torch.enable_grad():
        out = net(t).reshape(())
        grads = torch.autograd.grad(out, weights)
    return [float((w.detach() * g).sum()) for w, g in zip(weights, grads)]
