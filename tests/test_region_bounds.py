"""Tests of nntheory.region_bounds: the bounds against independent computations, and the measurements."""

import itertools
import math

import numpy as np
import pytest
import torch
from torch import nn

from nntheory import nets, region_bounds, region_examples, regions


def _serra_by_enumeration(n0, widths):
    """Serra et al.'s Theorem 1 written out: the sum over every (j_1, ..., j_L) in J, enumerated."""
    total = 0
    for js in itertools.product(*[range(w + 1) for w in widths]):
        caps, ok = [n0], True
        for j, w in zip(js, widths):
            if j > min(min(caps), w):
                ok = False
                break
            caps.append(w - j)
        if ok:
            total += math.prod(math.comb(w, j) for w, j in zip(widths, js))
    return total


@pytest.mark.parametrize("n0,widths", [(1, [3, 3]), (2, [8, 2, 8]), (2, [2, 8, 8]), (3, [4, 4, 4]), (2, [1, 5]),
                                        (4, [3, 6, 2]), (2, [5])])
def test_serra_bound_is_the_sum_over_J(n0, widths):
    assert region_bounds.serra_bound(n0, widths) == _serra_by_enumeration(n0, widths)


def test_serra_bottleneck_effect():
    # moving the narrow layer toward the input lowers the bound (Serra et al.'s bottleneck)
    b = [region_bounds.serra_bound(2, ws) for ws in ([2, 8, 8], [8, 2, 8], [8, 8, 2])]
    assert b[0] < b[1] < b[2]


def test_montufar_net_attains_the_lower_bound():
    for p, depth, m in [(1, 2, 3), (2, 1, 5), (2, 2, 4), (2, 3, 2), (3, 2, 6), (2, 4, 3)]:
        net = region_examples.montufar_net(p, depth, m)
        count = regions.count_regions_2d(net, [0, 0], [1, 1])
        assert count == p ** (2 * (depth - 1)) * (1 + m + math.comb(m, 2))
        if m >= 2:
            assert count == region_bounds.montufar_lower_bound(2, [2 * p] * (depth - 1) + [m])
        assert count <= region_bounds.serra_bound(2, [2 * p] * (depth - 1) + [m])
    with pytest.raises(ValueError, match="folds"):
        region_examples.montufar_net(0, 2, 3)


def test_montufar_net_has_as_many_affine_pieces_as_regions():
    # for a last layer of >= 3 units no two mirrored cells share an affine map (Montufar et al. count pieces)
    for p, depth, m in [(2, 3, 4), (3, 2, 5), (2, 2, 3), (4, 2, 8)]:
        rr = regions.regions_2d(region_examples.montufar_net(p, depth, m), [0, 0], [1, 1])
        assert regions.count_pieces(rr) == len(rr) == region_bounds.montufar_lower_bound(2, [2 * p] * (depth - 1) + [m])


def test_folding_layer_is_the_tent_map_for_two_folds():
    net = region_examples.montufar_net(2, 2, 1)
    lin = net[0]
    x = torch.linspace(0, 1, 65, dtype=torch.float64)
    h = torch.relu(lin(torch.stack([x, torch.zeros_like(x)], 1)))
    g = h[:, 0] - 2 * h[:, 1]  # the zigzag combination of the first coordinate's two units
    tent = torch.where(x <= 0.5, 2 * x, 2 - 2 * x)
    assert torch.equal(g, tent)


def test_pwl_l1_distance_exact_cases():
    # |x - 1/2| on [0, 1] integrates to 1/4; f = 0 against g = 1 - 2x crosses zero at 1/2
    assert region_bounds.pwl_l1_distance([0, 1], [0.5, 0.5], [0, 0.5, 1], [0, 0.5, 1]) == pytest.approx(0.25)
    assert region_bounds.pwl_l1_distance([0, 1], [0, 0], [0, 1], [1, -1]) == pytest.approx(0.5)
    assert region_bounds.pwl_l1_distance([0, 1], [0, 1], [0, 1], [0.5, 0.5]) == pytest.approx(0.25)
    rng = np.random.default_rng(0)
    xf, xg = np.sort(np.r_[0, rng.uniform(0, 1, 7), 1]), np.sort(np.r_[0, rng.uniform(0, 1, 5), 1])
    yf, yg = rng.normal(size=xf.size), rng.normal(size=xg.size)
    x = np.linspace(0, 1, 400_001)
    numeric = np.abs(np.interp(x, xf, yf) - np.interp(x, xg, yg)).mean()
    assert region_bounds.pwl_l1_distance(xf, yf, xg, yg) == pytest.approx(numeric, rel=1e-4)
    with pytest.raises(ValueError, match="share their interval"):
        region_bounds.pwl_l1_distance([0, 1], [0, 0], [0, 2], [0, 0])
    with pytest.raises(ValueError, match="increasing"):
        region_bounds.pwl_l1_distance([0, 0], [0, 0], [0, 1], [0, 0])


def test_tent_l1_lower_bound_holds_and_vanishes():
    L = 6
    xt = np.arange(2 ** L + 1) / 2 ** L
    yt = (np.arange(2 ** L + 1) % 2).astype(float)
    for s in (1, 2, 5, 9, 15):
        xs = np.linspace(0, 1, s + 1)
        ys = np.interp(xs, xt, yt)
        assert region_bounds.pwl_l1_distance(xt, yt, xs, ys) >= region_bounds.tent_l1_lower_bound(L, s)
    assert region_bounds.tent_l1_lower_bound(L, 2 ** L) == 0.0
    assert region_bounds.tent_l1_lower_bound(L, 2 ** (L - 2) + 1) == pytest.approx(1 / 8)
    # attained by the constant 1/2 (one piece), and a copied tooth is no better than the bound allows
    assert region_bounds.pwl_l1_distance(xt, yt, [0, 1], [0.5, 0.5]) == region_bounds.tent_l1_lower_bound(L, 1)
    xs, ys = np.r_[xt[:3], 2.5 / 2 ** L, 1.0], np.r_[yt[:3], 0.5, 0.5]
    assert region_bounds.tent_l1_lower_bound(L, 4) < region_bounds.pwl_l1_distance(xt, yt, xs, ys) < 0.25


def test_breakpoints_1d_of_the_tent_net():
    xs, ys = region_bounds.breakpoints_1d(region_examples.tent_net(3), 0.0, 1.0)
    np.testing.assert_array_equal(xs, np.arange(9) / 8)
    np.testing.assert_allclose(ys, np.arange(9) % 2, atol=1e-15)
    with pytest.raises(ValueError, match="R -> R"):
        region_bounds.breakpoints_1d(nets.relu_net([2, 3, 1]), 0.0, 1.0)


def test_boundary_distances_against_dense_sampling():
    net = nets.relu_net([2, 6, 6, 1], bias=True, seed=3)
    lo, hi = np.array([-2.0, -2.0]), np.array([2.0, 2.0])
    regs = regions.regions_2d(net, lo, hi)
    pts = np.random.default_rng(1).uniform(-0.5, 0.5, size=(20, 2))
    d = region_bounds.boundary_distances(net, regs, pts)
    # brute force: the nearest point of a fine grid whose pattern differs from the point's
    g = np.linspace(-2, 2, 801)
    G = np.stack(np.meshgrid(g, g), -1).reshape(-1, 2)
    pat_g = np.hstack(nets.activation_pattern(net, G))
    pat_p = np.hstack(nets.activation_pattern(net, pts))
    for x, pp, dx in zip(pts, pat_p, d):
        other = np.any(pat_g != pp, axis=1)
        brute = np.linalg.norm(G[other] - x, axis=1).min()
        assert dx <= brute + 1e-12 and brute - dx <= 4 / 800 * math.sqrt(2)
    with pytest.raises(TypeError, match="Region2D"):
        region_bounds.boundary_distances(net, regions.regions_1d(net, lo, hi), pts)


def test_prefix_dimensions_of_a_bottleneck():
    # a width-1 middle layer: after it every region has dimension 0 (unit off) or 1 (unit on)
    net = nets.relu_net([2, 5, 1, 4, 1], bias=True, seed=0)
    regs = regions.regions_2d(net, [-2, -2], [2, 2])
    prefixes, dims = region_bounds.prefix_dimensions(net, regs, 2)
    assert set(dims.tolist()) <= {0, 1}
    for pre, d in zip(prefixes, dims):
        assert d == int(pre[-1])  # the middle unit's state
    _, dims1 = region_bounds.prefix_dimensions(net, regs, 1)
    assert dims1.max() == 2
    with pytest.raises(ValueError, match="layers"):
        region_bounds.prefix_dimensions(net, regs, 4)


def test_euler_formula_for_random_tilings():
    lo, hi = np.array([-1.5, -1.0]), np.array([2.0, 1.5])
    for ws, seed in [([5], 0), ([6, 6], 1), ([4, 4, 4], 2), ([8, 3], 3)]:
        net = nets.relu_net([2, *ws, 1], bias=True, seed=seed)
        regs = regions.regions_2d(net, lo, hi)
        shared = region_bounds.crossing_points(regs)
        assert np.all(shared == 4)
        assert len(regs) == 1 + len(shared) + region_bounds.perimeter_points(net, lo, hi) / 2


def test_forward_roundoff_bounds_the_float64_error():
    net = nets.relu_net([2, 16, 16, 1], bias=True, seed=0)
    x = np.random.default_rng(0).normal(size=(200, 2)) * 3
    ws, bs = nets.weights(net), nets.biases(net)
    exact = nets.forward([W.astype(np.longdouble) for W in ws], x.astype(np.longdouble),
                         bs=[b.astype(np.longdouble) for b in bs])
    with torch.no_grad():
        out = net(torch.tensor(x)).numpy()
    err = np.abs(out - exact).max(axis=1).astype(float)
    bound = region_bounds.forward_roundoff(net, x)
    assert np.all(err <= bound) and bound.max() < 1e-11


def test_unit_switches_and_boundary_flips():
    lazy = nn.Sequential(nn.Linear(1, 2, dtype=torch.float64), nn.ReLU(), nn.Linear(2, 1, dtype=torch.float64))
    with torch.no_grad():
        lazy[0].weight.copy_(torch.tensor([[1.0], [1.0]]))
        lazy[0].bias.copy_(torch.tensor([0.0, -1.0]))
    regs = regions.regions_1d(lazy, [-1.0], [2.0])
    np.testing.assert_array_equal(regions.unit_switches(regs), [1, 1])
    np.testing.assert_array_equal(regions.boundary_flips(regs), [1, 1])
    tent = regions.regions_1d(region_examples.tent_net(2), [0.0], [1.0])
    assert regions.unit_switches(tent).sum() == regions.boundary_flips(tent).sum()
    with pytest.raises(TypeError, match="Region1D"):
        regions.unit_switches(regions.regions_2d(nets.relu_net([2, 3, 1]), [-1, -1], [1, 1]))


# ----------------------------------------------------------------------------- the line bound and its two readings


def test_telgarsky_bound_counts_all_units():
    # H layers of m units: N = mH units in all, so (2N/H)^H = (2m)^H (not (2m/H)^H, the per-layer misreading)
    for m, H in [(2, 8), (3, 4), (5, 2), (7, 1)]:
        assert region_bounds.telgarsky_bound([m] * H) == pytest.approx((2 * m) ** H)
    assert region_bounds.telgarsky_bound([3, 5, 7]) == pytest.approx((2 * 15 / 3) ** 3)


@pytest.mark.parametrize("widths", [[3], [3, 3], [3, 5, 4], [4, 4, 4], [8, 8], [3] * 6])
def test_sawtooth_net_attains_the_line_bound(widths):
    rr = regions.regions_1d(region_examples.sawtooth_net(widths), [0.0], [1.0])
    assert len(rr) == regions.count_pieces(rr) == region_bounds.univariate_bound(widths)
    assert len(rr) <= region_bounds.telgarsky_bound(widths)


def test_sawtooth_net_maps_each_region_onto_the_unit_interval():
    net = region_examples.sawtooth_net([3, 4])
    xs, ys = region_bounds.breakpoints_1d(net, 0.0, 1.0)
    assert len(xs) == 4 * 5 + 1
    np.testing.assert_allclose(ys, np.arange(len(ys)) % 2, atol=1e-12)  # 0, 1, 0, 1, ... at the region ends


def test_sawtooth_net_rejects_bad_widths():
    with pytest.raises(ValueError, match="widths"):
        region_examples.sawtooth_net([3, 2])
    with pytest.raises(ValueError, match="widths"):
        region_examples.sawtooth_net([])
    with pytest.raises(TypeError, match="widths"):
        region_examples.sawtooth_net(3)


# ----------------------------------------------------------------------------- switching rates given earlier layers


def test_conditional_switch_rates_first_layer_is_the_closed_form():
    a, b = np.array([-1.0, 0.5]), np.array([1.5, -0.5])
    for ws, bias in (([2, 8, 1], True), ([2, 16, 16, 1], True), ([2, 8, 8, 1], False)):
        rates = region_bounds.conditional_switch_rates(nets.relu_net(ws, bias=bias, seed=1), a, b)
        assert len(rates) == len(ws) - 2
        assert rates[0] == pytest.approx(region_bounds.expected_crossings_one_layer(a, b, d_in=2, bias=bias), rel=1e-12)


def test_conditional_switch_rates_match_fresh_units():
    # fix layer 1, draw many fresh layer-2 units as relu_net would, and count their sign changes on the segment
    a, b = np.array([-1.5, -1.0]), np.array([1.5, 1.0])
    net = nets.relu_net([2, 12, 1, 1], bias=True, seed=5)
    rate = region_bounds.conditional_switch_rates(net, a, b)[1]
    rr = regions.regions_1d(net, a, b)
    ts = np.linspace(0, 1, 20001)
    h = np.maximum(nets.forward(nets.weights(net)[:1], a + ts[:, None] * (b - a), bs=nets.biases(net)[:1]), 0)
    rng = np.random.default_rng(0)
    S = 4000
    z = h @ rng.normal(0, np.sqrt(2 / 12), size=(12, S)) + rng.normal(0, np.sqrt(1 / 12), size=S)
    switches = (np.diff(np.sign(z), axis=0) != 0).sum(axis=0)
    assert len(rr) > 1 and abs(switches.mean() - rate) <= 4 * switches.std() / np.sqrt(S)


def test_conditional_switch_rates_reuse_regions():
    a, b = np.array([-1.0, 0.5]), np.array([1.5, -0.5])
    net = nets.relu_net([2, 8, 8, 8, 1], bias=True, seed=2)
    rr = regions.regions_1d(net, a, b)
    np.testing.assert_array_equal(region_bounds.conditional_switch_rates(net, a, b, regions=rr),
                                  region_bounds.conditional_switch_rates(net, a, b))
    with pytest.raises(TypeError, match="regions"):
        region_bounds.conditional_switch_rates(net, a, b, regions=[])


def test_conditional_switch_rates_reject_bad_input():
    a, b = np.array([-1.5, -1.0]), np.array([1.5, 1.0])  # the segment passes through the origin
    with pytest.raises(ValueError, match="passes through 0"):
        region_bounds.conditional_switch_rates(nets.relu_net([2, 4, 1], seed=0), a, b)
    with pytest.raises(ValueError, match="weight_var"):
        region_bounds.conditional_switch_rates(nets.relu_net([2, 4, 1], bias=True, seed=0), a, b, weight_var=0.0)
    with pytest.raises(ValueError, match="bias_var"):
        region_bounds.conditional_switch_rates(nets.relu_net([2, 4, 1], bias=True, seed=0), a, b, bias_var=-1.0)


def test_example_nets_leave_the_global_random_state_alone():
    import pytest
    import torch

    from nntheory import region_examples as rex

    torch.manual_seed(0)
    ref = torch.rand(3)
    for build in (lambda: rex.tent_net(2), lambda: rex.sawtooth_net([3, 4]), lambda: rex.montufar_net(2, 2, 3)):
        torch.manual_seed(0)
        build()
        assert torch.equal(torch.rand(3), ref)
    with pytest.raises(TypeError, match="dtype must be a floating"):
        rex.tent_net(2, dtype=torch.int64)
