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
    """Build a seeded ReLU MLP with layer widths ``[d_in, h_1, ..., d_out]`` (He-normal weights).

    The net is ``Linear, ReLU, Linear, ..., ReLU, Linear`` with ``L = len(widths) - 1`` Linear layers;
    layer ``i`` has weights drawn from :math:`N(0, 2/d_{i-1})` (He initialization) and, with ``bias``,
    biases from :math:`N(0, 1/d_{i-1})`, where :math:`d_{i-1}` is the layer's input width. The weights
    come from a private ``torch.Generator``, so the same ``seed`` gives the same net and the global torch
    random state is not touched. ``widths`` of length 2 gives a single ``nn.Linear`` (no ReLU).

    Parameters
    ----------
    widths : sequence of int
        Layer widths ``[d_in, h_1, ..., h_{L-1}, d_out]``: at least 2 entries, each an int ``>= 1``.
    bias : bool, default False
        Whether the Linear layers have biases (the homogeneity results need ``False``).
    seed : int, default 0
        Seed of the weight (and bias) draws; any int.
    dtype : torch.dtype, default torch.float64
        Floating-point dtype of the parameters.

    Returns
    -------
    torch.nn.Sequential
        The network, alternating ``nn.Linear`` and ``nn.ReLU`` and ending in ``nn.Linear``.

    Raises
    ------
    TypeError
        If ``widths`` is not a sequence of ints, ``bias`` is not a bool, ``seed`` is not an int, or
        ``dtype`` is not a floating torch dtype.
    ValueError
        If ``widths`` has fewer than 2 entries or an entry below 1.

    Examples
    --------
    >>> import torch
    >>> from nntheory import nets
    >>> net = nets.relu_net([2, 3, 1], seed=0)
    >>> [type(m).__name__ for m in net]
    ['Linear', 'ReLU', 'Linear']
    >>> [tuple(W.shape) for W in nets.weights(net)]    # W_i has shape (d_i, d_{i-1})
    [(3, 2), (1, 3)]
    >>> torch.equal(net[0].weight, nets.relu_net([2, 3, 1], seed=0)[0].weight)   # same seed, same net
    True
    """
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
    r"""A bias-free deep linear net ``x -> W_L ... W_1 x`` (float64), weights ``scale * N(0, 1/d_in)``.

    The weights are those of ``relu_net(widths, seed=seed)`` multiplied by ``scale / sqrt(2)``, so
    each entry of :math:`W_i` has standard deviation :math:`\mathrm{scale}/\sqrt{d_{i-1}}`
    (``scale`` plays the role of the initialization scale alpha). The net has only ``nn.Linear``
    layers: pass ``linear=True`` to :func:`check_net`, :func:`weights` and friends.

    Parameters
    ----------
    widths : sequence of int
        Layer widths ``[d_in, h_1, ..., d_out]``: at least 2 entries, each an int ``>= 1``.
    seed : int, default 0
        Seed of the weight draws; any int.
    scale : float, default 1.0
        Initialization scale, a finite real ``> 0``.

    Returns
    -------
    torch.nn.Sequential
        ``L = len(widths) - 1`` bias-free float64 ``nn.Linear`` layers, computing
        :math:`F(x) = W_L \cdots W_1 x`.

    Raises
    ------
    TypeError
        If ``scale`` is not a real number, or ``widths`` or ``seed`` has the wrong type (see :func:`relu_net`).
    ValueError
        If ``scale`` is not finite and ``> 0``, or ``widths`` is too short or has an entry below 1.

    Examples
    --------
    >>> import torch
    >>> from nntheory import nets
    >>> lin = nets.linear_net([3, 4, 2], seed=0, scale=0.5)
    >>> [type(m).__name__ for m in lin]
    ['Linear', 'Linear']
    >>> W1, W2 = nets.weights(lin, linear=True)
    >>> x = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    >>> bool(torch.allclose(lin(x), torch.from_numpy(W2 @ W1) @ x))    # F(x) = W_2 W_1 x
    True
    """
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

    Parameters
    ----------
    net : object
        The candidate network (a ``torch.nn.Sequential`` to pass).
    bias_free : bool, default False
        Also require every Linear layer to have no bias.
    scalar_output : bool, default False
        Also require the last Linear layer to have ``out_features == 1``.
    linear : bool, default False
        Also accept a deep linear net made only of ``nn.Linear`` layers.

    Returns
    -------
    bool
        ``False`` if ``net`` was accepted as a deep linear net (only possible with ``linear=True``),
        ``True`` otherwise: a ReLU net, to be evaluated with ``relu=True``. A single ``nn.Linear``
        counts as a ReLU net with no hidden layer unless ``linear=True``.

    Raises
    ------
    TypeError
        If ``net`` is not an ``nn.Sequential``, a layer is not the expected ``nn.Linear``/``nn.ReLU``,
        or the last layer is not ``nn.Linear``.
    ValueError
        If ``net`` is empty, consecutive Linear layers' sizes do not chain, a parameter is NaN or
        infinite, or the ``bias_free`` or ``scalar_output`` requirement fails.

    Examples
    --------
    >>> from nntheory import nets
    >>> nets.check_net(nets.relu_net([2, 3, 1]))
    True
    >>> nets.check_net(nets.linear_net([2, 3, 1]), linear=True)
    False
    >>> nets.check_net(nets.relu_net([2, 3, 2]), scalar_output=True)
    Traceback (most recent call last):
    ...
    ValueError: net must have scalar output (last Linear out_features=1), got 2
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
    """The ``nn.Linear`` layers of a checked net, in order (``rules`` are passed to ``check_net``).

    Parameters
    ----------
    net : torch.nn.Sequential
        A network accepted by :func:`check_net` with ``rules``.
    **rules : bool
        Keyword requirements ``bias_free``, ``scalar_output``, ``linear`` passed to :func:`check_net`
        (``linear=True`` is needed for a deep linear net).

    Returns
    -------
    list of torch.nn.Linear
        The ``L`` Linear layers (the modules themselves, not copies).

    Raises
    ------
    TypeError, ValueError
        If ``net`` breaks the rules of :func:`check_net`.
    """
    check_net(net, **rules)
    return [m for m in net if isinstance(m, nn.Linear)]


def weights(net: nn.Sequential, **rules: bool) -> list[np.ndarray]:
    """The weight matrices ``W_1, ..., W_L`` of a checked net, as float64 numpy copies.

    Parameters
    ----------
    net : torch.nn.Sequential
        A network accepted by :func:`check_net` with ``rules``.
    **rules : bool
        Keyword requirements ``bias_free``, ``scalar_output``, ``linear`` passed to :func:`check_net`
        (``linear=True`` is needed for a deep linear net).

    Returns
    -------
    list of numpy.ndarray
        ``[W_1, ..., W_L]``, ``W_i`` of shape ``(d_i, d_{i-1})``; changing them does not change ``net``.

    Raises
    ------
    TypeError, ValueError
        If ``net`` breaks the rules of :func:`check_net`.
    """
    return [m.weight.detach().to(torch.float64).cpu().numpy().copy() for m in linear_layers(net, **rules)]


def biases(net: nn.Sequential, **rules: bool) -> list[np.ndarray | None]:
    """The bias vectors ``b_1, ..., b_L`` of a checked net as float64 numpy copies (``None`` where absent).

    Parameters
    ----------
    net : torch.nn.Sequential
        A network accepted by :func:`check_net` with ``rules``.
    **rules : bool
        Keyword requirements ``bias_free``, ``scalar_output``, ``linear`` passed to :func:`check_net`
        (``linear=True`` is needed for a deep linear net).

    Returns
    -------
    list of numpy.ndarray or None
        ``[b_1, ..., b_L]``, ``b_i`` of shape ``(d_i,)``, or ``None`` for a layer without bias.

    Raises
    ------
    TypeError, ValueError
        If ``net`` breaks the rules of :func:`check_net`.
    """
    return [None if m.bias is None else m.bias.detach().to(torch.float64).cpu().numpy().copy()
            for m in linear_layers(net, **rules)]


def with_weights(net: nn.Sequential, ws: Sequence[np.ndarray]) -> nn.Sequential:
    """A float64 copy of ``net`` whose Linear layers carry the weight matrices ``ws`` (shapes must match).

    Biases, if any, are kept (converted to float64); ``net`` itself is not modified.

    Parameters
    ----------
    net : torch.nn.Sequential
        A ReLU or deep linear network (:func:`check_net` with ``linear=True``).
    ws : sequence of array_like
        One finite, non-empty weight matrix per Linear layer (a list, not one stacked array), ``ws[i]``
        of exactly the shape of layer ``i``'s weight ``(d_i, d_{i-1})``; numpy arrays or torch tensors.

    Returns
    -------
    torch.nn.Sequential
        A new float64 network with the same layers and the weights ``ws``.

    Raises
    ------
    TypeError
        If ``net`` is not a network of this package, ``ws`` is not a sequence of one matrix per Linear
        layer, or an entry is not an array of real numbers.
    ValueError
        If ``net`` fails :func:`check_net`, or an entry has the wrong shape or NaN/infinite values.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from nntheory import nets
    >>> net = nets.relu_net([2, 3, 1], seed=0)
    >>> ones = nets.with_weights(net, [np.ones((3, 2)), np.ones((1, 3))])
    >>> ones(torch.tensor([1.0, 2.0], dtype=torch.float64)).tolist()    # 3 * relu(1 + 2)
    [9.0]
    """
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
    r"""A list ``[W_1, ..., W_L]`` of finite 2-D arrays (numpy or torch) that chain, as float64 numpy copies.

    Parameters
    ----------
    ws : sequence of array_like
        Weight matrices, a non-empty list (not one stacked array); ``ws[i]`` must have as many
        columns as ``ws[i - 1]`` has rows, so that :math:`W_L \cdots W_1` is defined.
    name : str, default "weights"
        Name of the argument, used in error messages.

    Returns
    -------
    list of numpy.ndarray
        The matrices as fresh float64 arrays.

    Raises
    ------
    TypeError
        If ``ws`` is an array or tensor, not a sequence, or empty, or an entry is not an array of
        real numbers.
    ValueError
        If an entry is not 2-D, is empty, has NaN/infinite entries, or does not chain with the previous one.
    """
    if isinstance(ws, (np.ndarray, torch.Tensor)) or not isinstance(ws, Sequence) or len(ws) == 0:
        raise TypeError(f"{name} must be a non-empty list of 2-D arrays [W_1, ..., W_L]")
    out = [v.matrix(w, f"{name}[{i}]") for i, w in enumerate(ws)]
    for i in range(1, len(out)):
        if out[i].shape[1] != out[i - 1].shape[0]:
            raise ValueError(f"{name}[{i}] has shape {out[i].shape}; expected {out[i - 1].shape[0]} columns to chain")
    return out


def as_input(net: nn.Sequential, x: object, *, single: bool = False) -> torch.Tensor:
    """``x`` (shape ``(d_in,)`` or ``(n, d_in)``; only the first if ``single``) as a tensor of the net's dtype.

    Parameters
    ----------
    net : torch.nn.Sequential
        A ReLU or deep linear network (:func:`check_net` with ``linear=True``); it fixes ``d_in`` and the dtype.
    x : array_like
        One input of shape ``(d_in,)`` or a batch of inputs, one per row, of shape ``(n, d_in)``; finite
        reals (numpy, torch or nested lists).
    single : bool, default False
        Accept only a single input of shape ``(d_in,)``.

    Returns
    -------
    torch.Tensor
        ``x`` as a new tensor with the dtype of the net's first weight, of the same shape.

    Raises
    ------
    TypeError
        If ``net`` is not a network of this package or ``x`` is not an array of real numbers.
    ValueError
        If ``x`` has the wrong shape or NaN/infinite entries, or ``net`` fails :func:`check_net`.
    """
    first = linear_layers(net, linear=True)[0]
    t = torch.as_tensor(v.array(x, "x"), dtype=first.weight.dtype)
    if t.ndim not in ((1,) if single else (1, 2)) or t.shape[-1] != first.in_features:
        want = f"({first.in_features},)" + ("" if single else f" or (n, {first.in_features})")
        raise ValueError(f"x must have shape {want}, got {tuple(t.shape)}")
    return t


def forward(ws: Sequence[Array], x: Array, *, bs: Sequence[Array | None] | None = None,
            masks: Sequence[Array] | None = None, relu: bool = True, keep: bool = False):
    r"""``F(x) = W_L s(... s(W_1 x + b_1) ...) + b_L`` for numpy or torch weights; rows of ``x`` are inputs.

    ``s`` is the ReLU (``relu=False``: the identity, a linear net); with ``masks`` each hidden layer is
    multiplied by its frozen 0/1 pattern instead (one piece of the piecewise-polynomial net). With
    ``keep=True`` returns ``(F(x), [z_1, ..., z_{L-1}])``, the hidden pre-activations too. No checks:
    callers validate once, and this runs in the inner loops.

    Parameters
    ----------
    ws : sequence of numpy.ndarray or torch.Tensor
        Weight matrices ``[W_1, ..., W_L]``, ``W_i`` of shape ``(d_i, d_{i-1})``; all numpy or all torch
        (of one dtype).
    x : numpy.ndarray or torch.Tensor
        Inputs of shape ``(n, d_0)``, one per row, or a single input of shape ``(d_0,)``.
    bs : sequence of (array_like or None), optional
        Biases ``[b_1, ..., b_L]``, ``b_i`` of shape ``(d_i,)`` or ``None`` for none; default no biases.
    masks : sequence of array_like, optional
        Frozen activations, one 0/1 array per hidden layer broadcastable against ``z_i`` (shape ``(d_i,)``
        or ``(n, d_i)``); replaces the ReLU, so :math:`F(x) = W_L A_{L-1} W_{L-1} \cdots A_1 W_1 x`.
    relu : bool, default True
        Apply the ReLU between layers; ``False`` computes the linear net :math:`W_L \cdots W_1 x`.
        Ignored when ``masks`` are given.
    keep : bool, default False
        Also return the hidden pre-activations.

    Returns
    -------
    out : numpy.ndarray or torch.Tensor
        ``F(x)``, of shape ``(n, d_L)`` (or ``(d_L,)`` for a single input), of the type of ``ws`` and ``x``.
    zs : list of numpy.ndarray or torch.Tensor
        Only with ``keep=True``: the pre-activations :math:`z_1, \dots, z_{L-1}` (before the ReLU or
        mask), ``z_i`` of shape ``(n, d_i)`` or ``(d_i,)``.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from nntheory import nets
    >>> net = nets.relu_net([2, 3, 1], seed=0)
    >>> ws = nets.weights(net)
    >>> X = np.array([[1.0, -2.0], [0.5, 0.5]])
    >>> np.round(nets.forward(ws, X), 4).tolist()
    [[-0.305], [0.2054]]
    >>> bool(np.allclose(nets.forward(ws, X), net(torch.from_numpy(X)).detach().numpy()))   # same as the net
    True
    >>> out, zs = nets.forward(ws, X, keep=True)
    >>> (zs[0] > 0).tolist()    # the activation pattern of each input
    [[True, False, True], [True, False, False]]
    >>> mask = [np.array([1.0, 0.0, 1.0])]      # freeze the first input's pattern: same value there
    >>> bool(np.allclose(nets.forward(ws, X[0], masks=mask), out[0]))
    True
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
    r"""Pre-activations ``z_1, ..., z_{L-1}`` of every hidden layer at input(s) ``x``.

    With biases, :math:`z_i = W_i a_{i-1} + b_i`, where :math:`a_0 = x` and :math:`a_i = \sigma(z_i)`.

    Parameters
    ----------
    net : torch.nn.Sequential
        A ReLU network (:func:`check_net`), with or without biases.
    x : array_like
        One input of shape ``(d_in,)`` or a batch of shape ``(n, d_in)``.

    Returns
    -------
    list of torch.Tensor
        ``L - 1`` tensors (no gradient), ``z_i`` of shape ``(d_i,)`` or ``(n, d_i)``; empty for a single layer.

    Raises
    ------
    TypeError, ValueError
        If ``net`` fails :func:`check_net` or ``x`` is not a finite array of shape ``(d_in,)`` or ``(n, d_in)``.
    """
    lins = linear_layers(net)
    t = as_input(net, x)
    return forward([m.weight for m in lins], t, bs=[m.bias for m in lins], keep=True)[1]


def activation_pattern(net: nn.Sequential, x: object) -> list[np.ndarray]:
    """Boolean activation pattern ``z_i > 0`` of every hidden layer at input(s) ``x``.

    Parameters
    ----------
    net : torch.nn.Sequential
        A ReLU network (:func:`check_net`), with or without biases.
    x : array_like
        One input of shape ``(d_in,)`` or a batch of shape ``(n, d_in)``.

    Returns
    -------
    list of numpy.ndarray
        ``L - 1`` boolean arrays, of shape ``(d_i,)`` or ``(n, d_i)``: which units of hidden layer ``i``
        are active (a unit exactly at 0 counts as inactive).

    Raises
    ------
    TypeError, ValueError
        If ``net`` fails :func:`check_net` or ``x`` is not a finite array of shape ``(d_in,)`` or ``(n, d_in)``.

    Examples
    --------
    >>> from nntheory import nets
    >>> net = nets.relu_net([2, 3, 1], seed=0)
    >>> [p.tolist() for p in nets.activation_pattern(net, [[1.0, -2.0], [0.5, 0.5]])]
    [[[True, False, True], [True, False, False]]]
    """
    return [(z > 0).numpy() for z in pre_activations(net, x)]


def activation_matrices(net: nn.Sequential, x: object) -> list[torch.Tensor]:
    r"""Diagonal 0/1 activation matrices ``A_1, ..., A_{L-1}`` at a single input ``x``.

    :math:`A_i = \mathrm{diag}(\mathbb{1}[z_i > 0])`, with :math:`z_i` the pre-activation of hidden layer ``i``.

    Parameters
    ----------
    net : torch.nn.Sequential
        A ReLU network (:func:`check_net`), with or without biases.
    x : array_like
        A single input, shape ``(d_in,)``.

    Returns
    -------
    list of torch.Tensor
        ``L - 1`` diagonal matrices, ``A_i`` of shape ``(d_i, d_i)``, in the net's dtype.

    Raises
    ------
    TypeError, ValueError
        If ``net`` fails :func:`check_net` or ``x`` is not a finite array of shape ``(d_in,)``.
    """
    t = as_input(net, x, single=True)
    return [torch.diag((z > 0).to(t.dtype)) for z in pre_activations(net, t)]


def forward_by_matrices(net: nn.Sequential, x: object) -> torch.Tensor:
    """``F(x) = W_L A_{L-1} W_{L-1} ... A_1 W_1 x (+ biases)``, computed with activation matrices.

    Parameters
    ----------
    net : torch.nn.Sequential
        A ReLU network (:func:`check_net`), with or without biases.
    x : array_like
        A single input, shape ``(d_in,)``.

    Returns
    -------
    torch.Tensor
        ``F(x)``, shape ``(d_out,)`` (no gradient); equal to ``net(x)`` up to rounding.

    Raises
    ------
    TypeError, ValueError
        If ``net`` fails :func:`check_net` or ``x`` is not a finite array of shape ``(d_in,)``.
    """
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
    r"""``dF/dW_i = (W_L A_{L-1} ... W_{i+1} A_i)^T (A_{i-1} W_{i-1} ... W_1 x)^T`` for a scalar-output net.

    With biases, the right factor is the layer's input :math:`a_{i-1}` (biases included). For a
    bias-free net, :math:`F` is 1-homogeneous in each :math:`W_i`, so Euler's identity
    :math:`\langle W_i, \partial F/\partial W_i \rangle = F(x)` holds for every layer.

    Parameters
    ----------
    net : torch.nn.Sequential
        A ReLU network (:func:`check_net`) with scalar output (``d_out = 1``).
    x : array_like
        A single input, shape ``(d_in,)``.

    Returns
    -------
    list of torch.Tensor
        :math:`\partial F/\partial W_i` for ``i = 1, ..., L``, each of the shape ``(d_i, d_{i-1})`` of
        :math:`W_i` (the autograd gradient where no pre-activation is 0).

    Raises
    ------
    TypeError, ValueError
        If ``net`` fails :func:`check_net` (including ``scalar_output=True``) or ``x`` is not a finite
        array of shape ``(d_in,)``.

    Examples
    --------
    Euler's identity, layer by layer:

    >>> from nntheory import nets
    >>> net = nets.relu_net([2, 3, 1], seed=0)
    >>> x = [1.0, -2.0]
    >>> round(float(nets.forward_by_matrices(net, x)[0]), 6)
    -0.305032
    >>> grads = nets.layer_gradients_by_matrices(net, x)
    >>> [round(float((G.numpy() * W).sum()), 6) for G, W in zip(grads, nets.weights(net))]
    [-0.305032, -0.305032]
    """
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
