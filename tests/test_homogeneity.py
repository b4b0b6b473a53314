"""Unit and property tests of nntheory.homogeneity: degrees, Euler residuals, per-layer identity, kinks."""

import numpy as np
import pytest
import torch
from _hyp import examples
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from nntheory import clarke, homogeneity as hom, nets

widths_st = st.lists(st.integers(1, 6), min_size=1, max_size=4).map(lambda h: [3, *h, 1])


def _x(seed: int, d: int = 3) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(d)


def _kinked(seed: int = 0, widths=(3, 6, 5, 1), where=((1, 0),)):
    net = hom.round_dyadic(nets.relu_net(list(widths), seed=seed), 5)
    x = np.round(_x(seed + 100, widths[0]) * 32) / 32
    for layer, unit in where:
        net = hom.make_kink(net, x, layer, unit)
    return net, x


# ---------------------------------------------------------------- layer_inner_products


@examples(40)
@given(widths=widths_st, seed=st.integers(0, 10_000))
def test_layer_inner_products_all_equal_output(widths, seed):
    net = nets.relu_net(widths, seed=seed)
    x = _x(seed)
    vals = hom.layer_inner_products(net, x)
    fx = float(net(torch.as_tensor(x)).detach())
    assert len(vals) == len(widths) - 1
    assert np.all(np.abs(np.array(vals) - fx) <= hom.roundoff_bound(net, x))


def test_layer_inner_products_matches_matrix_formula():
    net = nets.relu_net([4, 7, 5, 1], seed=3)
    x = _x(1, 4)
    grads = nets.layer_gradients_by_matrices(net, x)
    expected = [float((m.weight.detach() * g).sum()) for m, g in zip(nets.linear_layers(net), grads)]
    assert np.allclose(hom.layer_inner_products(net, x), expected, rtol=0, atol=1e-12)


def test_layer_inner_products_does_not_leave_gradients():
    net = nets.relu_net([3, 4, 1], seed=0)
    hom.layer_inner_products(net, _x(0))
    assert all(p.grad is None for p in net.parameters())


@pytest.mark.parametrize(
    "net, err, match",
    [
        (nets.relu_net([3, 4, 1], bias=True), ValueError, r"layer 0 \(Linear\) has a bias"),
        (nn.Sequential(nn.Linear(3, 4, bias=False, dtype=torch.float64), nn.Tanh(),
                       nn.Linear(4, 1, bias=False, dtype=torch.float64)), TypeError, "layer 1 is Tanh"),
        (nets.relu_net([3, 4, 2]), ValueError, "scalar output"),
        ("not a net", TypeError, "nn.Sequential"),
    ],
)
def test_layer_inner_products_bad_net(net, err, match):
    with pytest.raises(err, match=match):
        hom.layer_inner_products(net, _x(0))


def test_layer_inner_products_bias_in_a_later_layer_names_it():
    net = nn.Sequential(nn.Linear(3, 4, bias=False), nn.ReLU(), nn.Linear(4, 1, bias=True))
    with pytest.raises(ValueError, match="layer 2"):
        hom.layer_inner_products(net, _x(0))


@pytest.mark.parametrize("x, match", [(np.zeros(4), "shape"), (np.zeros((2, 3)), r"x must have shape \(3,\)"),
                                      (np.array([0.0, np.nan, 1.0]), "NaN")])
def test_layer_inner_products_bad_x(x, match):
    with pytest.raises(ValueError, match=match):
        hom.layer_inner_products(nets.relu_net([3, 4, 1]), x)


# ---------------------------------------------------------------- degree estimates and Euler


@examples(30)
@given(p=st.lists(st.integers(0, 3), min_size=1, max_size=4), seed=st.integers(0, 1000))
def test_degree_of_monomial(p, seed):
    if sum(p) == 0:
        return
    w = np.abs(_x(seed, len(p))) + 0.5
    f = lambda v: torch.prod(v ** torch.as_tensor(p, dtype=torch.float64))  # noqa: E731
    assert abs(hom.degree_estimate(f, w, np.logspace(-1, 1, 7)) - sum(p)) < 1e-10
    assert abs(hom.euler_residual(f, w, sum(p))) < 1e-12 * max(1.0, abs(float(f(torch.as_tensor(w)))) * sum(p))


@pytest.mark.parametrize("q", [0.5, 1.0, 1.5, 2.7])
def test_non_integer_degree(q):
    f = lambda v: v.norm() ** q  # noqa: E731
    w = _x(2, 5)
    assert abs(hom.degree_estimate(f, w, [0.1, 1.0, 3.0, 10.0]) - q) < 1e-10
    assert abs(hom.euler_residual(f, w, q)) < 1e-12


def test_bias_breaks_degree():
    net = nets.relu_net([3, 5, 1], bias=True, seed=4)
    x = torch.as_tensor(_x(4))
    w0 = torch.cat([p.detach().reshape(-1) for p in net.parameters()])

    def f(w):
        W1, b1, W2, b2 = torch.split(w, [15, 5, 5, 1])
        return (W2.reshape(1, 5) @ torch.relu(W1.reshape(5, 3) @ x + b1) + b2).reshape(())

    local = hom.local_degrees(f, w0, np.logspace(-4, 4, 17))
    assert abs(local[0] - 1) < 1e-2 and abs(local[-1] - 2) < 1e-2  # c b_2 dominates small c, c^2 F_0 large c


def test_euler_residual_with_given_elements():
    f = lambda v: v.abs().sum()  # noqa: E731  (1-homogeneous; at 0-coordinates Clarke has [-1, 1])
    w = torch.tensor([1.0, 0.0, -2.0])
    s = np.array([[1.0, t, -1.0] for t in np.linspace(-1, 1, 5)])
    assert np.all(hom.euler_residual(f, w, 1, s) == 0)
    assert hom.euler_residual(f, w, 1, np.array([1.0, 0.3, 1.0])) == pytest.approx(-4.0)


@pytest.mark.parametrize(
    "call, err, match",
    [
        (lambda: hom.degree_estimate(lambda v: v.sum(), [1.0], [1.0]), ValueError, "scales"),
        (lambda: hom.degree_estimate(lambda v: v.sum(), [1.0], [1.0, -2.0]), ValueError, "positive"),
        (lambda: hom.degree_estimate(lambda v: v.sum(), [1.0], [2.0, 2.0]), ValueError, "distinct"),
        (lambda: hom.degree_estimate(lambda v: v.sum() * 0, [1.0], [1.0, 2.0]), ValueError, "zero"),
        (lambda: hom.degree_estimate("f", [1.0], [1.0, 2.0]), TypeError, "callable"),
        (lambda: hom.degree_estimate(lambda v: v, [1.0, 2.0], [1.0, 2.0]), ValueError, "scalar"),
        (lambda: hom.euler_residual(lambda v: v.sum(), [1.0, 2.0], 1, [1.0]), ValueError, "shape"),
        (lambda: hom.euler_residual(lambda v: v.sum(), [1.0, 2.0], "1"), TypeError, "degree"),
        (lambda: hom.euler_residual(lambda v: v.sum(), [[1.0]], 1), ValueError, "1-d"),
        (lambda: hom.local_degrees(lambda v: v.sum(), [1.0], [1.0, 1.0, 2.0]), ValueError, "distinct"),
    ],
)
def test_degree_and_euler_bad_input(call, err, match):
    with pytest.raises(err, match=match):
        call()


# ---------------------------------------------------------------- weights as a vector, kinks


def test_weight_function_matches_net_and_flat_weights_round_trip():
    net = nets.relu_net([3, 4, 4, 1], seed=5)
    x = _x(5)
    f = hom.weight_function(net, x)
    w = hom.flat_weights(net)
    assert w.shape == (12 + 16 + 4,)
    assert float(f(w)) == pytest.approx(float(net(torch.as_tensor(x)).detach()), abs=1e-14)
    grads = nets.layer_gradients_by_matrices(net, x)
    g = clarke.gradient(f, w)
    assert torch.allclose(g, torch.cat([G.reshape(-1) for G in grads]), atol=1e-13)


@examples(25)
@given(widths=widths_st, seed=st.integers(0, 1000), c=st.floats(0.1, 10.0))
def test_weight_function_is_homogeneous_of_degree_L(widths, seed, c):
    net = nets.relu_net(widths, seed=seed)
    f = hom.weight_function(net, _x(seed))
    w = hom.flat_weights(net)
    L = len(widths) - 1
    assert abs(float(f(c * w)) - c**L * float(f(w))) <= 1e-12 * max(1.0, c**L) * hom.abs_product(net, _x(seed))


def test_weight_function_rejects_wrong_vector_and_patterns():
    net = nets.relu_net([3, 4, 1])
    f = hom.weight_function(net, _x(0))
    with pytest.raises(ValueError, match="shape"):
        f(torch.zeros(5, dtype=torch.float64))
    with pytest.raises(ValueError, match="patterns"):
        hom.weight_function(net, _x(0), patterns=[[1, 0]])
    with pytest.raises(ValueError, match="0/1"):
        hom.weight_function(net, _x(0), patterns=[[1, 0, 2, 1]])
    with pytest.raises(ValueError, match="bias"):
        hom.flat_weights(nets.relu_net([3, 4, 1], bias=True))


def test_weight_function_power_relu_squared():
    # weights and input +-1: every number is a small integer, so the degrees hold exactly
    rng = np.random.default_rng(13)
    ws = [rng.choice([-1.0, 1.0], size=s) for s in [(6, 3), (6, 6), (1, 6)]]
    x = rng.choice([-1.0, 1.0], size=3)
    net = nets.with_weights(nets.relu_net([3, 6, 6, 1]), ws)
    f, w = hom.weight_function(net, x, power=2), hom.flat_weights(net)
    h2 = np.maximum(ws[1] @ np.maximum(ws[0] @ x, 0.0) ** 2, 0.0) ** 2
    assert float(f(w)) == (ws[2] @ h2).item()
    g, ends = clarke.gradient(f, w), np.cumsum([0, 18, 36, 6])
    ips = [float(w[a:b] @ g[a:b]) for a, b in zip(ends[:-1], ends[1:])]
    assert ips == [4 * float(f(w)), 2 * float(f(w)), float(f(w))]  # degree 2**(L - i) in W_i
    assert float(hom.weight_function(net, x, power=1)(w)) == float(hom.weight_function(net, x)(w))
    with pytest.raises(ValueError, match="at least 1"):
        hom.weight_function(net, x, power=0.5)
    with pytest.raises(ValueError, match="combined"):
        hom.weight_function(net, x, patterns=[np.ones(6), np.ones(6)], power=2)
    with pytest.raises(TypeError):
        hom.weight_function(net, x, power="2")


@pytest.mark.parametrize("layer", [1, 2, 3])
def test_layer_function_frees_one_layer_and_is_1_homogeneous(layer):
    net = nets.relu_net([3, 4, 5, 1], seed=7)
    x = _x(7)
    g, own = hom.layer_function(net, x, layer)
    assert torch.equal(own, nets.linear_layers(net)[layer - 1].weight.detach().reshape(-1))
    assert float(g(own)) == float(hom.weight_function(net, x)(hom.flat_weights(net)))
    assert hom.scaling_deviation(g, own, 1, list(range(-5, 6))) == 0.0  # powers of two: exact
    grads = nets.layer_gradients_by_matrices(net, x)
    assert torch.allclose(clarke.gradient(g, own), grads[layer - 1].reshape(-1), atol=1e-13)
    saved, before = own.clone(), float(g(own))
    own += 1.0  # the returned vector is a copy: changing it changes neither the net nor g
    assert torch.equal(nets.linear_layers(net)[layer - 1].weight.detach().reshape(-1), saved)
    assert float(g(saved)) == before


def test_layer_function_bad_input():
    net = nets.relu_net([3, 4, 1])
    with pytest.raises(ValueError, match="layer"):
        hom.layer_function(net, _x(0), 3)
    with pytest.raises(ValueError, match="layer"):
        hom.layer_function(net, _x(0), 0)
    with pytest.raises(ValueError, match="bias"):
        hom.layer_function(nets.relu_net([3, 4, 1], bias=True), _x(0), 1)
    g, _ = hom.layer_function(net, _x(0), 2)
    with pytest.raises(ValueError, match="shape"):
        g(torch.zeros(5, dtype=torch.float64))


@pytest.mark.parametrize("where", [((1, 0),), ((1, 0), (1, 3)), ((1, 2), (2, 1))])
def test_make_kink_gives_exact_zeros_and_pieces(where):
    net, x = _kinked(where=where)
    assert sorted(hom.zero_preactivations(net, x)) == sorted(where)
    pats, G = hom.pattern_gradients(net, x)
    assert G.shape == (2 ** len(where), hom.flat_weights(net).numel())
    f, w = hom.weight_function(net, x), hom.flat_weights(net)
    L = 3
    assert np.all(np.abs(hom.euler_residual(f, w, L, G)) <= 2 * L * hom.roundoff_bound(net, x))
    # every sampled gradient near the kink is within Lip * radius of one piece's gradient
    r = 1e-6
    S = clarke.clarke_samples(f, w, radius=r, samples=200, seed=1)
    dist = np.linalg.norm(S[:, None, :] - G[None], axis=2).min(axis=1)
    assert dist.max() <= hom.gradient_lipschitz_bound(net, x, r) * r


def test_pattern_gradients_without_kink_is_the_gradient():
    net = nets.relu_net([3, 5, 1], seed=1)
    x = _x(1)
    pats, G = hom.pattern_gradients(net, x)
    assert len(pats) == 1
    assert np.allclose(G[0], clarke.gradient(hom.weight_function(net, x), hom.flat_weights(net)).numpy(), atol=1e-14)


def test_pattern_gradients_refuses_a_zero_unit_with_zero_input():
    # layer 1 outputs 0 (one zero unit, one dead): both units of layer 2 are zero with input 0, and only
    # some of the 8 on/off patterns are pieces near w (the sampled a-entries are {-1, 0}, not {-2, -1, 0, 1})
    net = nets.with_weights(nets.relu_net([1, 2, 2, 1]), [np.array([[0.0], [-1.0]]), np.array([[1.0, 0.0], [1.0, 0.0]]),
                                                          np.array([[1.0, -2.0]])])
    x = np.array([1.0])
    with pytest.raises(ValueError, match="input of hidden layer 2 is 0"):
        hom.pattern_gradients(net, x)
    S = clarke.clarke_samples(hom.weight_function(net, x), hom.flat_weights(net), radius=1e-6, samples=400)
    assert set(np.round(S[:, 0]).tolist()) == {-1.0, 0.0}
    with pytest.raises(ValueError, match="x is 0"):
        hom.pattern_gradients(nets.relu_net([2, 3, 1], seed=0), np.zeros(2))


@pytest.mark.parametrize("where", [((1, 0), (1, 3)), ((1, 2), (2, 1))])
def test_pattern_gradients_are_the_sampled_pieces(where):
    # where every zero unit has a nonzero input, every generator is seen by sampling and every sample is near one
    net, x = _kinked(where=where)
    _, G = hom.pattern_gradients(net, x)
    r = 1e-6
    S = clarke.clarke_samples(hom.weight_function(net, x), hom.flat_weights(net), radius=r, samples=400, seed=2)
    d = np.linalg.norm(S[:, None, :] - G[None], axis=2)
    assert d.min(axis=1).max() <= hom.gradient_lipschitz_bound(net, x, r) * r
    assert set(d.argmin(axis=1).tolist()) >= {int(j) for j in np.unique(G, axis=0, return_index=True)[1]}


def test_float64_bits_reads_each_layer_grid():
    net, x = _kinked(where=((1, 0), (1, 3)))  # make_kink puts layer 1 on a finer grid than 2**-5
    with pytest.raises(ValueError, match="not multiples of 2\\*\\*-5"):
        hom.float64_bits(net, x, 5)
    fine = max(hom._grid_bits(W, "W") for W in nets.weights(net))
    assert fine > 5
    assert hom.float64_bits(net, x) > hom.float64_bits(hom.round_dyadic(net, 5), x, 5)
    assert hom.float64_bits(net, x, fine) >= hom.float64_bits(net, x)
    assert hom.float64_bits(nets.relu_net([3, 4, 1], seed=0), np.array([0.1, 0.2, 0.3])) > 53  # floats are dyadic, finely
    with pytest.raises(ValueError, match="not dyadic"):
        hom.float64_bits(nets.relu_net([3, 4, 1], seed=0), np.array([1e-30, 0.2, 0.3]))


@examples(30)
@given(widths=widths_st, seed=st.integers(0, 10_000), bits=st.integers(0, 6))
def test_float64_bits_bounds_every_intermediate(widths, seed, bits):
    # every forward value, backward row and gradient entry is a multiple of its grid below 2**float64_bits
    net, x = hom.round_dyadic(nets.relu_net(widths, seed=seed), bits), np.round(_x(seed, widths[0]) * 2.0**bits) / 2.0**bits
    need = hom.float64_bits(net, x, bits)
    ws = [np.abs(W) for W in nets.weights(net)]
    h = np.abs(x)
    for i, W in enumerate(ws, start=1):
        h = W @ h
        assert np.all(np.log2(h[h > 0]) + bits * (i + 1) <= need + 1e-9)
    grads = nets.layer_gradients_by_matrices(net, x)
    for i, G in enumerate(grads):
        g = np.abs(G.numpy())
        assert np.all(np.log2(g[g > 0]) + bits * len(ws) <= need + 1e-9)


def test_make_kink_bad_input():
    net, x = _kinked(where=())
    with pytest.raises(ValueError, match="hidden layer"):
        hom.make_kink(net, x, 3, 0)
    with pytest.raises(ValueError, match="unit"):
        hom.make_kink(net, x, 1, 6)
    with pytest.raises(ValueError, match="bias"):
        hom.make_kink(nets.relu_net([3, 4, 1], bias=True), x, 1, 0)
    with pytest.raises(ValueError, match="bits"):
        hom.round_dyadic(net, 50)


def test_make_kink_refuses_inexact_weights():
    # irrational-looking weights: the zero is only reached up to round-off, which must be reported
    net = nets.relu_net([3, 6, 1], seed=0)
    x = np.array([0.1, np.pi, np.e])
    hits = 0
    for unit in range(6):
        try:
            out = hom.make_kink(net, x, 1, unit)
            assert float(nets.pre_activations(out, x)[0][unit]) == 0.0  # success must mean an exact zero
        except ValueError as e:
            assert "dyadic" in str(e)
            hits += 1
    assert hits >= 1


def test_round_dyadic_grid_and_copy():
    net = nets.relu_net([3, 4, 1], seed=0)
    r = hom.round_dyadic(net, 3)
    for p in r.parameters():
        assert torch.equal(p * 8, torch.round(p * 8))
    assert not torch.equal(r[0].weight, net[0].weight)


def test_gradient_lipschitz_bound_really_bounds():
    net = nets.relu_net([3, 4, 4, 1], seed=2)
    x = _x(2)
    pats, _ = hom.pattern_gradients(net, x)
    p = hom.weight_function(net, x, patterns=pats[0])
    w = hom.flat_weights(net)
    r = 0.1
    lip = hom.gradient_lipschitz_bound(net, x, r)
    rng = np.random.default_rng(0)
    for _ in range(50):
        d = torch.as_tensor(rng.standard_normal(w.numel()))
        d = r * d / d.norm()
        gap = (clarke.gradient(p, w + d) - clarke.gradient(p, w)).norm()
        assert gap <= lip * r
    assert hom.gradient_lipschitz_bound(nets.relu_net([3, 1]), x[:3], 1.0) == 0.0
    with pytest.raises(ValueError, match="radius"):
        hom.gradient_lipschitz_bound(net, x, -1.0)


def test_param_function_matches_net_and_scales_with_biases():
    net = nets.relu_net([3, 5, 4, 1], bias=True, seed=6)
    x = _x(6)
    f, th = hom.param_function(net, x), hom.flat_params(net)
    assert th.numel() == sum(p.numel() for p in net.parameters())
    assert float(f(th)) == pytest.approx(float(net(torch.as_tensor(x)).detach()), abs=1e-14)
    # bias-free: param_function and weight_function agree, and the degree is the depth
    free = nets.relu_net([3, 5, 4, 1], seed=6)
    assert torch.equal(hom.flat_params(free), hom.flat_weights(free))
    assert abs(hom.degree_estimate(hom.param_function(free, x), hom.flat_params(free), [0.5, 1, 2, 4]) - 3) < 1e-10
    with pytest.raises(ValueError, match="shape"):
        f(th[:-1])
    with pytest.raises(ValueError, match="scalar output"):
        hom.param_function(nets.relu_net([3, 2]), x)


def test_scale_weights_all_and_one_layer():
    net = nets.relu_net([3, 4, 4, 1], seed=9)
    x = _x(9)
    F = lambda n: float(n(torch.as_tensor(x)).detach())  # noqa: E731
    assert F(hom.scale_weights(net, 2.0)) == pytest.approx(8 * F(net), rel=1e-14)
    for layer in (1, 2, 3):
        assert F(hom.scale_weights(net, 3.0, layer=layer)) == pytest.approx(3 * F(net), rel=1e-13)
    assert torch.equal(hom.scale_weights(net, 5.0, layer=2)[0].weight, net[0].weight)  # others untouched
    with pytest.raises(ValueError, match="layer"):
        hom.scale_weights(net, 2.0, layer=4)
    with pytest.raises(ValueError, match="c must be finite"):
        hom.scale_weights(net, float("nan"))
    with pytest.raises(TypeError, match="c must be a real number"):
        hom.scale_weights(net, "2")


def test_dyadic_scaling_keeps_kinks_exact():
    net, x = _kinked(where=((1, 0), (2, 2)))
    for c in (0.5, 0.75, 1.25, 2.0):
        assert sorted(hom.zero_preactivations(hom.scale_weights(net, c), x)) == [(1, 0), (2, 2)]


# ---------------------------------------------------------------- exact scaling, bias expansions, dyadic nets


def test_scaling_deviation_is_exactly_zero_for_homogeneous_and_large_for_wrong_degree():
    w = torch.as_tensor(_x(3, 5))
    assert hom.scaling_deviation(lambda v: v.norm() ** 1.5, w, 1.5, [-4, -2, 0, 2, 4]) == 0.0
    assert hom.scaling_deviation(lambda v: v.abs().sum(), w, 1, list(range(-6, 7))) == 0.0
    net = nets.relu_net([3, 6, 6, 1], seed=3)
    assert hom.scaling_deviation(hom.weight_function(net, _x(3)), hom.flat_weights(net), 3, [-3, 1, 5]) == 0.0
    assert hom.scaling_deviation(lambda v: v.norm() ** 1.5, w, 1, [2]) == pytest.approx(1.0)
    assert hom.scaling_deviation(lambda v: v.norm() + 1.0, w, 1, [1]) > 0.1


@pytest.mark.parametrize(
    "call, err, match",
    [
        (lambda: hom.scaling_deviation(lambda v: v.sum(), [1.0], 1, []), ValueError, "non-empty"),
        (lambda: hom.scaling_deviation(lambda v: v.sum(), [1.0], 1, [1.5]), TypeError, "must be an int"),
        (lambda: hom.scaling_deviation(lambda v: v.sum() * 0, [1.0], 1, [1]), ValueError, "undefined"),
        (lambda: hom.scaling_deviation(lambda v: v.sum(), [1.0], "1", [1]), TypeError, "degree"),
    ],
)
def test_scaling_deviation_bad_input(call, err, match):
    with pytest.raises(err, match=match):
        call()


@examples(20)
@given(seed=st.integers(0, 1000), h=st.integers(2, 6), depth=st.integers(2, 3),
       c=st.sampled_from([1e-4, 1e-3, 1e-2]), big=st.sampled_from([1e2, 1e3, 1e4]))
def test_bias_expansions_stay_inside_their_bounds(seed, h, depth, c, big):
    net = nets.relu_net([3] + [h] * depth + [1], bias=True, seed=seed)
    x = _x(seed)
    F = hom.param_function(net, x)
    th = hom.flat_params(net)
    for scale, expand in ((c, hom.small_scale_expansion), (big, hom.large_scale_expansion)):
        value, approx, bound = expand(net, x, scale)
        assert value == pytest.approx(float(F(scale * th)), rel=1e-12, abs=1e-14)
        assert abs(value - approx) <= bound * (1 + 1e-9) + 1e-12 * abs(value)


def test_bias_expansions_limits_and_bad_input():
    net = nets.relu_net([4, 8, 8, 1], bias=True, seed=4)
    x = _x(4, 4)
    b_L = nets.biases(net)[-1][0]
    value, approx, bound = hom.small_scale_expansion(net, x, 1e-6)
    assert approx == pytest.approx(1e-6 * b_L, rel=1e-4) and bound < 1e-15
    v1, a1, b1 = hom.large_scale_expansion(net, x, 1e5)  # the first bias survives at large c: F_1 keeps b_1
    assert abs(v1 - a1) / abs(a1) < 1e-3 and b1 / abs(a1) < 1e-2
    with pytest.raises(ValueError, match="two hidden layers"):
        hom.small_scale_expansion(nets.relu_net([3, 4, 1], bias=True), _x(0), 0.1)
    with pytest.raises(ValueError, match="c must be > 0"):
        hom.large_scale_expansion(net, x, 0.0)
    with pytest.raises(ValueError, match="scalar output"):
        hom.small_scale_expansion(nets.relu_net([4, 8, 8, 2], bias=True), x, 0.1)


@pytest.mark.parametrize("widths", [[5, 8, 1], [5, 32, 32, 32, 32, 1], [5] + [8] * 8 + [1]])
def test_dyadic_net_makes_the_per_layer_identity_exact(widths):
    net, X, bits = hom.dyadic_net(nets.relu_net(widths, seed=1), np.random.default_rng(1).standard_normal((3, 5)))
    assert X.shape == (3, 5) and 0 <= bits <= 5
    for x in X:
        assert hom.float64_bits(net, x, bits) <= 53
        assert np.all(np.round(x * 2.0**bits) == x * 2.0**bits)
        F = float(net(torch.as_tensor(x)).detach())
        assert all(ip == F for ip in hom.layer_inner_products(net, x))


def test_dyadic_net_refuses_a_net_too_large_to_be_exact():
    net = hom.scale_weights(nets.relu_net([5, 32, 32, 32, 1], seed=1), 2.0**12)
    with pytest.raises(ValueError, match="no dyadic grid"):
        hom.dyadic_net(net, _x(1, 5))
    with pytest.raises(ValueError, match="bits"):
        hom.float64_bits(net, _x(1, 5), 30)


def test_stuck_risk_is_the_polynomial_and_autograd_returns_zero_at_the_kink():
    pts = torch.as_tensor(np.random.default_rng(0).standard_normal((50, 2)))
    poly = 0.25 * ((pts[:, 0] * pts[:, 1] - 1) ** 2 + 1)
    assert torch.equal(hom.stuck_risk(pts), poly)
    p0 = torch.tensor([0.0, 1.0], dtype=torch.float64)
    assert torch.equal(clarke.gradient(hom.stuck_risk, p0), torch.zeros(2, dtype=torch.float64))
    near = clarke.gradient(hom.stuck_risk, torch.tensor([1e-9, 1.0], dtype=torch.float64))
    assert torch.allclose(near, torch.tensor([-0.5, 0.0], dtype=torch.float64), atol=1e-8)
    assert float(hom.stuck_risk([0.0, 1.0])) == 0.5
    with pytest.raises(ValueError, match=r"\(w, v\)"):
        hom.stuck_risk(torch.zeros(3, dtype=torch.float64))
