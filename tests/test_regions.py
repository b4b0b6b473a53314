"""Tests of nntheory.regions: exact counts against theorems (Zaslavsky, tent map), brute force, and bad input."""

import itertools
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from _hyp import examples  # noqa: E402
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from scipy.optimize import linprog  # noqa: E402
from torch import nn  # noqa: E402

from nntheory import geometry, nets, region_bounds, region_examples, regions, viz  # noqa: E402


# ----------------------------------------------------------------------------- brute force by linear programs


def _pattern_affine(net, pattern):
    """Pre-activations (gradient, offset) of every ReLU unit, as affine functions of x, given a pattern."""
    ws = nets.weights(net)
    bs = [np.zeros(W.shape[0]) if b is None else b for W, b in zip(ws, nets.biases(net))]
    A, c = np.eye(ws[0].shape[1]), np.zeros(ws[0].shape[1])
    rows, k = [], 0
    for W, b in zip(ws[:-1], bs[:-1]):  # a ReLU follows every Linear layer but the last
        A, c = W @ A, W @ c + b
        n = len(c)
        on = np.array(pattern[k:k + n], dtype=float)
        rows += [(A[j].copy(), c[j], bool(pattern[k + j])) for j in range(n)]
        A, c = A * on[:, None], c * on
        k += n
    return rows


def brute_force_2d(net, lo, hi):
    """Patterns whose region meets the box in a disc of radius > 1e-9 (a Chebyshev-centre LP per pattern)."""
    N = sum(regions.hidden_widths(net))
    found = set()
    for pattern in itertools.product([False, True], repeat=N):
        A_ub, b_ub, feasible = [], [], True
        for g, o, on in _pattern_affine(net, pattern):
            ng = np.linalg.norm(g)
            if ng == 0:
                if (o > 0) != on:
                    feasible = False
                    break
                continue
            # on: g.x + o >= r |g|  ->  -g.x + r|g| <= o ; off: g.x + o <= -r|g|  ->  g.x + r|g| <= -o
            A_ub.append([*(-g if on else g), ng])
            b_ub.append(o if on else -o)
        if not feasible:
            continue
        for i in range(2):
            e = np.zeros(2)
            e[i] = 1
            A_ub += [[*e, 1.0], [*(-e), 1.0]]
            b_ub += [hi[i], -lo[i]]
        res = linprog([0, 0, -1], A_ub=np.array(A_ub), b_ub=np.array(b_ub),
                      bounds=[(None, None), (None, None), (0, None)], method="highs")
        if res.success and res.x[2] > 1e-9:
            found.add(pattern)
    return found


def brute_force_1d(net, start, end):
    """Patterns realised on a sub-interval of positive length of the segment (interval arithmetic per pattern)."""
    start, end = np.asarray(start, float), np.asarray(end, float)
    d = end - start
    N = sum(regions.hidden_widths(net))
    found = set()
    for pattern in itertools.product([False, True], repeat=N):
        lo_t, hi_t, ok = 0.0, 1.0, True
        for g, o, on in _pattern_affine(net, pattern):
            a, b = g @ d, g @ start + o  # z(t) = a t + b
            if a == 0:
                ok = ok and ((b > 0) == on)
                continue
            root = -b / a
            if (a > 0) == on:
                lo_t = max(lo_t, root)
            else:
                hi_t = min(hi_t, root)
        if ok and hi_t - lo_t > 1e-9:
            found.add(pattern)
    return found


# ----------------------------------------------------------------------------- theorems


@pytest.mark.parametrize("depth", range(1, 15))
def test_tent_map_has_2_to_the_L_pieces(depth):
    net = region_examples.tent_net(depth)
    regs = regions.regions_1d(net, [0.0], [1.0])
    assert len(regs) == 2 ** depth
    assert regions.count_regions_1d(net, [0.0], [1.0]) == 2 ** depth
    assert regions.count_pieces(regs) == 2 ** depth
    # the net computes the iterated tent map
    x = np.linspace(0, 1, 257)
    y = x.copy()
    for _ in range(depth):
        y = np.where(y <= 0.5, 2 * y, 2 - 2 * y)
    with torch.no_grad():
        out = net(torch.tensor(x[:, None])).numpy().ravel()
    np.testing.assert_allclose(out, y, atol=1e-12)


@pytest.mark.parametrize("m", [1, 2, 3, 5, 8, 13, 21, 30])
@pytest.mark.parametrize("seed", [0, 1])
def test_zaslavsky_one_hidden_layer_2d(m, seed):
    net = nets.relu_net([2, m, 1], bias=True, seed=1000 * m + seed)
    lo, hi = regions.arrangement_box(net)
    regs = regions.regions_2d(net, lo, hi)
    assert len(regs) == region_bounds.zaslavsky_count(m, 2) == 1 + m + math.comb(m, 2)
    assert regions.count_patterns(regs) == len(regs)
    # the cells tile the box
    assert sum(r.area for r in regs) == pytest.approx(float(np.prod(hi - lo)), rel=1e-9)


@pytest.mark.parametrize("m", [1, 4, 17])
def test_zaslavsky_one_hidden_layer_1d(m):
    net = nets.relu_net([1, m, 1], bias=True, seed=m)
    breaks = -net[0].bias.detach().numpy() / net[0].weight.detach().numpy().ravel()
    a, b = breaks.min() - 1, breaks.max() + 1
    assert regions.count_regions_1d(net, [a], [b]) == region_bounds.zaslavsky_count(m, 1) == m + 1


def test_serra_bound_reduces_to_known_cases():
    for n0, m in itertools.product([1, 2, 3], [1, 2, 5, 10]):
        assert region_bounds.serra_bound(n0, [m]) == region_bounds.zaslavsky_count(m, n0)
    for ws in ([2, 2], [3, 5, 4], [8, 8, 8], [2] * 10):
        assert region_bounds.serra_bound(1, ws) == region_bounds.univariate_bound(ws) == math.prod(w + 1 for w in ws)
    assert region_bounds.serra_bound(2, [8, 8]) < region_bounds.naive_bound([8, 8])
    assert region_bounds.naive_bound([3, 4]) == 2 ** 7
    ws = [3, 5, 7]
    assert region_bounds.telgarsky_bound(ws) >= math.prod(2 * w for w in ws) >= region_bounds.univariate_bound(ws)
    assert region_bounds.montufar_lower_bound(2, [4, 4]) == (4 // 2) ** 2 * (1 + 4 + 6)


# ----------------------------------------------------------------------------- against brute force


SMALL_2D = [([2, 3, 1], True), ([2, 4, 3, 1], True), ([2, 3, 3, 2, 1], True), ([2, 5, 2], False),
            ([2, 3, 4, 1], False), ([2, 2, 2, 2, 2, 1], True)]


@pytest.mark.parametrize("widths,bias", SMALL_2D)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_2d_matches_brute_force(widths, bias, seed):
    net = nets.relu_net(widths, bias=bias, seed=seed)
    lo, hi = np.array([-2.0, -1.5]), np.array([1.5, 2.0])
    regs = regions.regions_2d(net, lo, hi)
    exact = {r.pattern for r in regs}
    assert len(exact) == len(regs)  # one cell per pattern: regions are convex
    assert exact == brute_force_2d(net, lo, hi)


@pytest.mark.parametrize("widths,bias", [([2, 4, 1], True), ([2, 3, 3, 1], True), ([2, 4, 4, 1], False),
                                         ([3, 3, 3, 3, 1], True)])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_1d_matches_brute_force(widths, bias, seed):
    net = nets.relu_net(widths, bias=bias, seed=seed)
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=widths[0]) * 2, rng.normal(size=widths[0]) * 2
    regs = regions.regions_1d(net, a, b)
    exact = [r.pattern for r in regs]
    assert len(set(exact)) == len(exact)
    assert set(exact) == brute_force_1d(net, a, b)
    # pieces tile [0, 1] in order
    assert regs[0].t0 == 0.0 and regs[-1].t1 == 1.0
    assert all(r.t1 == s.t0 for r, s in zip(regs[:-1], regs[1:]))


@examples(25)
@given(seed=st.integers(0, 10_000), depth=st.integers(1, 3), width=st.integers(1, 6), bias=st.booleans())
def test_properties_random_nets(seed, depth, width, bias):
    net = nets.relu_net([2] + [width] * depth + [1], bias=bias, seed=seed)
    lo, hi = np.array([-1.0, -1.0]), np.array([1.0, 1.0])
    regs = regions.regions_2d(net, lo, hi)
    pats = {r.pattern for r in regs}
    assert len(pats) == len(regs)
    assert sum(r.area for r in regs) == pytest.approx(4.0, rel=1e-9)
    assert len(regs) <= region_bounds.serra_bound(2, [width] * depth) <= region_bounds.naive_bound([width] * depth)
    assert regions.grid_patterns(net, lo, hi, 60) <= pats  # a grid can only miss regions, never invent them
    assert regions.count_pieces(regs) <= len(regs)
    # the net is the region's affine map at interior points, and the pattern there is the region's
    r = max(regs, key=lambda q: q.area)
    pts = geometry.interior_points(r.vertices, 5, seed=seed)
    with torch.no_grad():
        out = net(torch.tensor(pts)).numpy()
    np.testing.assert_allclose(out, pts @ r.weight.T + r.bias, atol=1e-12)
    M, b = regions.affine_map_at(net, r.centroid)
    np.testing.assert_allclose(M, r.weight, atol=1e-12)
    np.testing.assert_allclose(b, r.bias, atol=1e-12)
    for x in pts:
        pat = tuple(np.concatenate(nets.activation_pattern(net, x)).tolist())
        assert pat == r.pattern
    # along any segment, regions never exceed prod(1 + m_l)
    assert regions.count_regions_1d(net, lo, hi) <= region_bounds.univariate_bound([width] * depth)


# ----------------------------------------------------------------------------- degenerate cases


def _net(layers):
    """Build a float64 Sequential from a list of (W, b) (Linear) and 'relu'."""
    mods = []
    for item in layers:
        if item == "relu":
            mods.append(nn.ReLU())
            continue
        W, b = (torch.tensor(np.asarray(t, dtype=float)) for t in item)
        lin = nn.Linear(W.shape[1], W.shape[0], dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(W)
            lin.bias.copy_(b)
        mods.append(lin)
    return nn.Sequential(*mods)


def test_concurrent_lines_and_corner_touches_are_not_counted():
    # three lines through the origin: 6 sectors, not 7 (no triangle); one line through a box corner
    net = _net([([[1, 0], [0, 1], [1, 1]], [0, 0, 0]), "relu", ([[1, 1, 1]], [0])])
    assert regions.count_regions_2d(net, [-1, -1], [1, 1]) == 6
    corner = _net([([[1, 1]], [-2]), "relu", ([[1]], [0])])  # x + y = 2 touches the box [-1,1]^2 at (1, 1)
    assert regions.count_regions_2d(corner, [-1, -1], [1, 1]) == 1
    edge = _net([([[1, 0]], [-1]), "relu", ([[1]], [0])])  # x = 1 runs along the box's right edge
    assert regions.count_regions_2d(edge, [-1, -1], [1, 1]) == 1
    assert regions.count_regions_1d(edge, [-1, 0], [1, 0]) == 1


def test_duplicate_units_give_the_same_cells():
    base = nets.relu_net([2, 5, 1], bias=True, seed=3)
    W, b = base[0].weight.detach().numpy(), base[0].bias.detach().numpy()
    dup = _net([(np.vstack([W, W[:2]]), np.concatenate([b, b[:2]])), "relu", (np.ones((1, 7)), [0])])
    assert regions.count_regions_2d(dup, [-2, -2], [2, 2]) == regions.count_regions_2d(base, [-2, -2], [2, 2])


def test_2d_net_ignoring_second_coordinate_matches_1d():
    tent = region_examples.tent_net(5)
    first = tent[0]
    lin = nn.Linear(2, 3, dtype=torch.float64)
    with torch.no_grad():
        lin.weight.copy_(torch.cat([first.weight, torch.zeros(3, 1, dtype=torch.float64)], dim=1))
        lin.bias.copy_(first.bias)
    net2 = nn.Sequential(lin, *list(tent)[1:])
    assert regions.count_regions_2d(net2, [0, -1], [1, 1]) == 2 ** 5 == regions.count_regions_1d(net2, [0, 0.3], [1, 0.3])


def test_mixed_biases_and_the_one_rule_for_nets():
    # a Linear with a bias after one without: still a net of nntheory.nets, counted exactly
    net = nn.Sequential(nn.Linear(2, 4, bias=False, dtype=torch.float64), nn.ReLU(),
                        nn.Linear(4, 3, dtype=torch.float64), nn.ReLU(), nn.Linear(3, 1, dtype=torch.float64))
    torch.manual_seed(0)
    for p in net.parameters():
        torch.nn.init.normal_(p)
    lo, hi = np.array([-1.0, -1.0]), np.array([1.0, 1.0])
    regs = regions.regions_2d(net, lo, hi)
    assert {r.pattern for r in regs} == brute_force_2d(net, lo, hi)
    assert regions.hidden_widths(net) == [4, 3]
    pts = np.random.default_rng(0).uniform(-1, 1, size=(200, 2))
    with torch.no_grad():
        out = net(torch.tensor(pts)).numpy()
    for x, y in zip(pts, out):
        r = next(r for r in regs if _inside(r.vertices, x))
        np.testing.assert_allclose(r.weight @ x + r.bias, y, atol=1e-12)
        M, b = regions.affine_map_at(net, x)  # the same map from the activation matrices
        np.testing.assert_allclose(M, r.weight, atol=1e-12)
        np.testing.assert_allclose(b, r.bias, atol=1e-12)
    # what nets.check_net refuses, regions refuses too (it used to count nets affine_map_at rejected)
    for bad in (nn.Sequential(nn.ReLU(), nn.Linear(2, 1)), nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1)),
                nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1), nn.ReLU())):
        with pytest.raises(TypeError, match="layer|last layer"):
            regions.count_regions_2d(bad, lo, hi)
        with pytest.raises(TypeError, match="layer|last layer"):
            regions.affine_map_at(bad, [0.0, 0.0])


def _inside(V, x):
    e = np.roll(V, -1, axis=0) - V
    return np.all(e[:, 0] * (x[1] - V[:, 1]) - e[:, 1] * (x[0] - V[:, 0]) >= -1e-12)


def test_dead_unit_everywhere_and_pieces_vs_regions():
    dead = _net([([[0, 0], [1, 0]], [-1, 0]), "relu", ([[1, 1]], [0])])  # unit 1 is off everywhere
    assert regions.count_regions_2d(dead, [-1, -1], [1, 1]) == 2
    # unit 2 switches at x = 1 but has zero outgoing weight: 3 regions, 2 affine pieces on [-1, 2]
    lazy = _net([([[1], [1]], [0, -1]), "relu", ([[1, 0]], [0])])
    regs = regions.regions_1d(lazy, [-1], [2])
    assert len(regs) == 3 and regions.count_pieces(regs) == 2
    lazy2 = _net([([[1, 0], [0, 1]], [0, 0]), "relu", ([[1, 0]], [0])])
    regs2 = regions.regions_2d(lazy2, [-1, -1], [1, 1])
    assert len(regs2) == 4 and regions.count_pieces(regs2) == 2
    # a constant net: every region is one piece
    flat = _net([([[1, 0], [0, 1]], [0, 0]), "relu", ([[0, 0]], [3])])
    assert regions.count_pieces(regions.regions_2d(flat, [-1, -1], [1, 1])) == 1


def test_boundary_flips_one_unit_per_boundary_for_random_nets():
    net = nets.relu_net([2, 8, 8, 1], bias=True, seed=4)
    regs = regions.regions_1d(net, [-3, -1], [3, 2])
    flips = regions.boundary_flips(regs)
    assert len(flips) == len(regs) - 1 and np.all(flips == 1)
    tent = regions.regions_1d(region_examples.tent_net(3), [0.0], [1.0])
    assert np.all(regions.boundary_flips(tent) >= 1)


# ----------------------------------------------------------------------------- helpers


def test_grid_finds_everything_when_cells_are_fat_and_respects_covering_radius():
    net = nets.relu_net([2, 4, 1], bias=True, seed=1)
    lo, hi = np.array([-1.0, -1.0]), np.array([1.0, 1.0])
    regs = regions.regions_2d(net, lo, hi)
    n = 400
    found = regions.grid_patterns(net, lo, hi, n)
    R = math.hypot(*(hi - lo)) / (n - 1) / 2
    for r in regs:
        if r.pattern not in found:
            assert geometry.inradius(r.vertices) <= R
    assert found <= {r.pattern for r in regs}


def test_inradius_matches_linear_program():
    net = nets.relu_net([2, 6, 6, 1], bias=True, seed=2)
    for r in regions.regions_2d(net, [-2, -2], [2, 2])[::3]:
        V = r.vertices
        E = np.roll(V, -1, axis=0) - V
        n_in = np.stack([-E[:, 1], E[:, 0]], axis=1) / np.linalg.norm(E, axis=1)[:, None]
        res = linprog([0, 0, -1], A_ub=np.hstack([-n_in, np.ones((len(V), 1))]), b_ub=-np.sum(n_in * V, axis=1),
                      bounds=[(None, None), (None, None), (0, None)], method="highs")
        assert geometry.inradius(r.vertices) == pytest.approx(res.x[2], rel=1e-7, abs=1e-12)


def test_inradius_and_interior_points():
    square = regions.Region2D(np.array([[0, 0], [2, 0], [2, 2], [0, 2]], float), (), np.zeros((1, 2)), np.zeros(1))
    assert geometry.inradius(square.vertices) == pytest.approx(1.0)
    assert square.area == pytest.approx(4.0)
    np.testing.assert_allclose(square.centroid, [1, 1])
    pts = geometry.interior_points(square.vertices, 50, seed=0)
    assert np.all((pts > 0) & (pts < 2))


def test_expected_crossings_matches_simulation():
    a, b = np.array([-1.0, 0.5]), np.array([1.5, -0.5])
    p = region_bounds.expected_crossings_one_layer(a, b, d_in=2)
    m, S = 8, 300
    counts = [regions.count_regions_1d(nets.relu_net([2, m, 1], bias=True, seed=s), a, b) - 1 for s in range(S)]
    sd = math.sqrt(m * p * (1 - p) / S)
    assert abs(np.mean(counts) - m * p) <= 4 * sd
    assert region_bounds.expected_crossings_one_layer(a, a, d_in=2) == pytest.approx(0.0, abs=1e-7)


def test_train_snapshots_lowers_loss_and_copies():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(float)
    net = nets.relu_net([2, 8, 8, 1], bias=True, seed=0)
    before = [p.clone() for p in net.parameters()]
    snaps, losses = region_examples.train_snapshots(net, X, y, steps=100, snapshot_steps=[0, 50, 100], lr=0.02)
    assert len(snaps) == 3 and len(losses) == 100
    assert losses[-1] < 0.8 * losses[0]
    assert all(torch.equal(p, q) for p, q in zip(before, net.parameters()))  # the input net is untouched
    assert all(torch.equal(p, q) for p, q in zip(before, snaps[0].parameters()))
    # the hand-written Adam step is torch.optim.Adam's
    ref = nets.relu_net([2, 8, 8, 1], bias=True, seed=0)
    opt = torch.optim.Adam(ref.parameters(), lr=0.02)
    for _ in range(50):
        opt.zero_grad()
        nn.functional.binary_cross_entropy_with_logits(ref(torch.tensor(X)).reshape(-1), torch.tensor(y)).backward()
        opt.step()
    assert max((p - q).abs().max().item() for p, q in zip(ref.parameters(), snaps[1].parameters())) < 1e-12
    with pytest.raises(ValueError, match="snapshot_steps"):
        region_examples.train_snapshots(net, X, y, steps=10, snapshot_steps=[20])


def test_two_moons():
    X, y = region_examples.two_moons(101, noise=0.0, seed=0)
    assert X.shape == (101, 2) and set(np.unique(y)) == {0.0, 1.0} and (y == 0).sum() == 50
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(*upper.T), 1.0)  # noiseless: points on the two half-circles
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1.0)
    X1, _ = region_examples.two_moons(50, noise=0.2, seed=3)
    X2, _ = region_examples.two_moons(50, noise=0.2, seed=3)
    assert np.array_equal(X1, X2)
    with pytest.raises(ValueError, match="noise"):
        region_examples.two_moons(10, noise=-1.0)


def test_plot_regions():
    net = nets.relu_net([2, 6, 1], bias=True, seed=0)
    regs = regions.regions_2d(net, [-1, -1], [1, 1])
    fig, ax = plt.subplots()
    coll = viz.plot_regions(ax, regs)
    assert len(coll.get_paths()) == len(regs)
    coll2 = viz.plot_regions(ax, regs, values=np.arange(len(regs), dtype=float), cmap="viridis")
    assert len(coll2.get_paths()) == len(regs)
    with pytest.raises(ValueError, match="values"):
        viz.plot_regions(ax, regs, values=np.zeros(len(regs) + 1))
    plt.close(fig)


# ----------------------------------------------------------------------------- bad input


def test_bad_input_raises_clear_errors():
    net2 = nets.relu_net([2, 3, 1], bias=True)
    with pytest.raises(TypeError, match="Tanh"):
        regions.count_regions_2d(nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1)), [-1, -1], [1, 1])
    with pytest.raises(TypeError, match="Tanh"):
        regions.count_regions_1d(nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1)), [-1, -1], [1, 1])
    with pytest.raises(TypeError, match="Sequential"):
        regions.count_regions_2d(lambda x: x, [-1, -1], [1, 1])
    with pytest.raises(ValueError, match="2-D input"):
        regions.count_regions_2d(nets.relu_net([3, 4, 1]), [-1, -1], [1, 1])
    with pytest.raises(ValueError, match="lo must be strictly below hi"):
        regions.count_regions_2d(net2, [1, -1], [1, 1])
    with pytest.raises(ValueError, match="lo must be strictly below hi"):
        regions.count_regions_2d(net2, [2, -1], [1, 1])
    with pytest.raises(ValueError, match="lo must be a point of shape"):
        regions.count_regions_2d(net2, [-1, -1, 0], [1, 1])
    with pytest.raises(ValueError, match="start and end must differ"):
        regions.count_regions_1d(net2, [0.5, 0.5], [0.5, 0.5])
    with pytest.raises(ValueError, match="end must be a point of shape"):
        regions.count_regions_1d(net2, [0, 0], [1])
    with pytest.raises(ValueError, match="finite"):
        regions.count_regions_1d(net2, [0, np.inf], [1, 1])
    with pytest.raises(ValueError, match="tol"):
        regions.count_regions_2d(net2, [-1, -1], [1, 1], tol=0.0)
    with pytest.raises(TypeError, match="layer 0 is ReLU"):
        regions.count_regions_1d(nn.Sequential(nn.ReLU()), [0.0], [1.0])
    with pytest.raises(ValueError, match="expects 4 inputs but receives 3"):
        regions.count_regions_2d(nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(4, 1)), [-1, -1], [1, 1])
    with pytest.raises(ValueError, match="n must be >= 2"):
        regions.grid_patterns(net2, [-1, -1], [1, 1], 1)
    with pytest.raises(ValueError, match=r"widths\[1\] must be >= 1"):
        region_bounds.serra_bound(2, [3, 0])
    with pytest.raises(ValueError, match="n0"):
        region_bounds.serra_bound(0, [3])
    with pytest.raises(ValueError, match="depth"):
        region_examples.tent_net(0)
    with pytest.raises(ValueError, match="empty"):
        regions.count_pieces([])
    with pytest.raises(TypeError, match="Region1D"):
        regions.boundary_flips(regions.regions_2d(net2, [-1, -1], [1, 1]))
