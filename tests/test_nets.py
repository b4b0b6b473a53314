"""Unit tests of nntheory.nets: construction, validation, activation matrices against autograd."""

import numpy as np
import pytest
import torch
from torch import nn

from nntheory import nets


def test_relu_net_structure_and_determinism():
    net = nets.relu_net([3, 5, 4, 1], seed=7)
    kinds = [type(m) for m in net]
    assert kinds == [nn.Linear, nn.ReLU, nn.Linear, nn.ReLU, nn.Linear]
    assert all(m.bias is None for m in net if isinstance(m, nn.Linear))
    assert net[0].weight.dtype == torch.float64
    again = nets.relu_net([3, 5, 4, 1], seed=7)
    other = nets.relu_net([3, 5, 4, 1], seed=8)
    assert all(torch.equal(a, b) for a, b in zip(net.parameters(), again.parameters()))
    assert not torch.equal(net[0].weight, other[0].weight)


def test_relu_net_bias_and_dtype():
    net = nets.relu_net([2, 3, 2], bias=True, dtype=torch.float32)
    assert net[0].bias is not None and net[0].bias.dtype == torch.float32
    assert len(net) == 3


def test_relu_net_single_layer_is_linear():
    net = nets.relu_net([4, 2])
    assert len(net) == 1 and isinstance(net[0], nn.Linear)


def test_relu_net_does_not_touch_global_rng():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    nets.relu_net([2, 8, 1], seed=5)
    assert torch.equal(torch.rand(3), expected)


@pytest.mark.parametrize(
    "widths, err, match",
    [
        ([3], ValueError, "at least 2"),
        ([], ValueError, "at least 2"),
        ([3, 0, 1], ValueError, r"widths\[1\] must be >= 1"),
        ([3, -2, 1], ValueError, r"widths\[1\] must be >= 1"),
        ([3, 2.5, 1], TypeError, r"widths\[1\] must be an int"),
        ("31", TypeError, "sequence"),
        (5, TypeError, "sequence"),
        ([3, True, 1], TypeError, r"widths\[1\] must be an int"),
    ],
)
def test_relu_net_bad_widths(widths, err, match):
    with pytest.raises(err, match=match):
        nets.relu_net(widths)


def test_relu_net_bad_keywords():
    with pytest.raises(TypeError, match="dtype"):
        nets.relu_net([2, 1], dtype=torch.int64)
    with pytest.raises(TypeError, match="seed"):
        nets.relu_net([2, 1], seed="a")
    with pytest.raises(TypeError, match="bias"):
        nets.relu_net([2, 1], bias=1)


def test_check_net_names_offending_layer():
    bad = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    with pytest.raises(TypeError, match="layer 1 is Tanh"):
        nets.check_net(bad)
    with pytest.raises(ValueError, match="layer 0 .* bias"):
        nets.check_net(nets.relu_net([2, 3, 1], bias=True), bias_free=True)
    with pytest.raises(TypeError, match="Sequential"):
        nets.check_net(nn.Linear(2, 1))
    with pytest.raises(TypeError, match="last layer"):
        nets.check_net(nn.Sequential(nn.Linear(2, 3), nn.ReLU()))
    with pytest.raises(ValueError, match="scalar output"):
        nets.check_net(nets.relu_net([2, 3]), scalar_output=True)
    with pytest.raises(TypeError, match="layer 0 is ReLU"):
        nets.check_net(nn.Sequential(nn.ReLU(), nn.Linear(2, 1)))
    with pytest.raises(ValueError, match="layer 2 .* expects 4 inputs but receives 3"):
        nets.check_net(nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(4, 1)))
    nan = nets.relu_net([2, 3, 1])
    with torch.no_grad():
        nan[2].weight[0, 0] = float("nan")
    with pytest.raises(ValueError, match="layer 2 .* NaN"):
        nets.check_net(nan)


def test_one_rule_with_an_explicit_option_for_linear_nets():
    lin = nets.linear_net([3, 4, 2], seed=1)
    assert [type(m) for m in lin] == [nn.Linear, nn.Linear]
    with pytest.raises(TypeError, match="layer 1 is Linear; expected ReLU"):
        nets.check_net(lin)
    assert nets.check_net(lin, linear=True) is False  # a linear net: no ReLU
    assert nets.check_net(nets.relu_net([3, 4, 2]), linear=True) is True
    # linear_net is relu_net's seeded weights divided by sqrt 2 (variance 1/d_in instead of 2/d_in)
    w_relu = nets.weights(nets.relu_net([3, 4, 2], seed=1))
    for a, b in zip(nets.weights(lin, linear=True), w_relu):
        np.testing.assert_allclose(a, b / np.sqrt(2), rtol=1e-15)


def test_forward_matches_torch_for_numpy_and_torch_weights():
    net = nets.relu_net([3, 5, 4, 2], bias=True, seed=2)
    X = np.random.default_rng(1).standard_normal((7, 3))
    ref = net(torch.from_numpy(X)).detach().numpy()
    ws, bs = nets.weights(net), nets.biases(net)
    np.testing.assert_allclose(nets.forward(ws, X, bs=bs), ref, atol=1e-14, rtol=0)
    tws = [m.weight for m in nets.linear_layers(net)]
    tbs = [m.bias for m in nets.linear_layers(net)]
    out, zs = nets.forward(tws, torch.from_numpy(X), bs=tbs, keep=True)
    np.testing.assert_allclose(out.detach().numpy(), ref, atol=1e-14, rtol=0)
    assert [z.shape for z in zs] == [(7, 5), (7, 4)]
    # frozen masks: the all-ones mask is the linear net, which differs from the ReLU net here
    lin = nets.forward(ws, X, bs=bs, relu=False)
    ones = nets.forward(ws, X, bs=bs, masks=[np.ones(5), np.ones(4)])
    np.testing.assert_array_equal(lin, ones)
    assert not np.allclose(lin, ref)


def test_weights_biases_with_weights_and_as_weights():
    net = nets.relu_net([2, 3, 1], seed=4)
    ws = nets.weights(net)
    assert nets.biases(net) == [None, None]
    new = nets.with_weights(net, [2 * w for w in ws])
    np.testing.assert_array_equal(nets.weights(new)[1], 2 * ws[1])
    np.testing.assert_array_equal(nets.weights(net)[1], ws[1])  # the input net is untouched
    with pytest.raises(ValueError, match=r"ws\[0\] must have shape \(3, 2\)"):
        nets.with_weights(net, [np.zeros((2, 2)), ws[1]])
    with pytest.raises(TypeError, match="list of 2"):
        nets.with_weights(net, ws[:1])
    assert [w.shape for w in nets.as_weights([torch.ones(3, 2), np.ones((1, 3))])] == [(3, 2), (1, 3)]
    with pytest.raises(ValueError, match="chain"):
        nets.as_weights([np.ones((3, 2)), np.ones((1, 4))])
    with pytest.raises(TypeError, match="non-empty list"):
        nets.as_weights(np.ones((3, 2)))


@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("widths", [[2, 4, 1], [3, 6, 5, 1], [5, 8, 8, 8, 1]])
def test_activation_matrices_reproduce_forward_and_gradients(widths, bias):
    net = nets.relu_net(widths, bias=bias, seed=sum(widths))
    x = torch.randn(widths[0], generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    out = net(x)
    assert torch.allclose(nets.forward_by_matrices(net, x), out.detach(), atol=1e-12, rtol=0)
    grads = torch.autograd.grad(out.sum(), [m.weight for m in nets.linear_layers(net)])
    for g_auto, g_mat in zip(grads, nets.layer_gradients_by_matrices(net, x)):
        assert g_mat.shape == g_auto.shape
        assert torch.allclose(g_mat, g_auto, atol=1e-12, rtol=0)


def test_activation_pattern_batch_and_matrices():
    net = nets.relu_net([2, 5, 3, 1], bias=True, seed=3)
    xs = np.random.default_rng(0).standard_normal((10, 2))
    pats = nets.activation_pattern(net, xs)
    assert [p.shape for p in pats] == [(10, 5), (10, 3)]
    As = nets.activation_matrices(net, xs[4])
    for p, A in zip(pats, As):
        assert np.array_equal(np.diag(A.numpy()).astype(bool), p[4])


def test_input_validation():
    net = nets.relu_net([2, 3, 1])
    with pytest.raises(ValueError, match="shape"):
        nets.activation_pattern(net, np.zeros(3))
    with pytest.raises(ValueError, match="NaN"):
        nets.activation_pattern(net, np.array([np.nan, 0.0]))
    with pytest.raises(ValueError, match=r"x must have shape \(2,\), got \(2, 2\)"):
        nets.activation_matrices(net, np.zeros((2, 2)))
