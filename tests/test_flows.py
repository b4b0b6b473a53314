"""Tests of nntheory.flows: gradient flow, heavy-ball and Nesterov ODEs vs closed forms; budget; bad input."""

import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.special import j1

from nntheory import flows


def test_gradient_flow_on_quadratic():
    A = np.diag([0.5, 2.0])
    t = np.linspace(0, 3, 31)
    xs = flows.gradient_flow(lambda x: A @ x, np.array([1.0, -1.0]), t)
    np.testing.assert_allclose(xs, np.stack([np.exp(-0.5 * t), -np.exp(-2 * t)], axis=1), atol=1e-9)


def test_gradient_flow_is_solve_ivp_itself():
    # no extra work and the same answer as calling solve_ivp directly, with or without a budget
    A = np.diag([0.5, 2.0, 7.0])
    t = np.linspace(0, 4, 9)
    x0 = np.array([1.0, -1.0, 0.3])
    calls = []

    def grad(x):
        calls.append(1)
        return A @ x

    ref = solve_ivp(lambda s, x: -(A @ x), (0.0, 4.0), x0, t_eval=t, method="DOP853", rtol=1e-10, atol=1e-12)
    for budget in (None, 10**6):
        calls.clear()
        xs = flows.gradient_flow(grad, x0, t, max_nfev=budget)
        np.testing.assert_array_equal(xs, ref.y.T)
        assert len(calls) == ref.nfev


def test_gradient_flow_options():
    A = np.diag([0.5, 2.0])
    t = np.linspace(0, 3, 7)
    exact = np.stack([np.exp(-0.5 * t), -np.exp(-2 * t)], axis=1)
    loose = flows.gradient_flow(lambda x: A @ x, np.array([1.0, -1.0]), t, rtol=1e-4, atol=1e-6, method="RK45")
    assert 1e-12 < np.abs(loose - exact).max() < 1e-3
    with pytest.raises(ValueError, match="method"):
        flows.gradient_flow(lambda x: x, np.ones(1), t, method="Euler")
    with pytest.raises(ValueError, match="rtol"):
        flows.gradient_flow(lambda x: x, np.ones(1), t, rtol=0.0)
    with pytest.raises(TypeError, match="max_nfev"):
        flows.gradient_flow(lambda x: x, np.ones(1), t, max_nfev=10.5)
    with pytest.raises(ValueError, match="max_nfev"):
        flows.gradient_flow(lambda x: x, np.ones(1), t, max_nfev=0)


def test_gradient_flow_budget_says_how_far_it_got():
    # a stiff flow with a tight budget stops early, and says at which time
    A = np.diag([1.0, 1e4])
    with pytest.raises(ValueError, match=r"reached only t = [0-9.e-]+ of T = 100 after max_nfev = 200") as info:
        flows.gradient_flow(lambda x: A @ x, np.ones(2), np.linspace(0, 100, 5), max_nfev=200)
    reached = float(str(info.value).split("t = ")[1].split()[0])
    assert 0 < reached < 100


def test_heavy_ball_flow_on_quadratic():
    # x'' + a x' + x = 0, x(0) = 1, x'(0) = 0, underdamped (a = 1): closed form
    a, t = 1.0, np.linspace(0, 8, 41)
    w = math.sqrt(1 - a**2 / 4)
    exact = np.exp(-a * t / 2) * (np.cos(w * t) + a / (2 * w) * np.sin(w * t))
    xs = flows.heavy_ball_flow(lambda x: x, np.array([1.0]), t, damping=a)
    np.testing.assert_allclose(xs[:, 0], exact, atol=1e-9)


def test_nesterov_flow_on_quadratic_is_bessel():
    # Su, Boyd, Candes (2016): for f = x^2/2 the ODE x'' + 3/t x' + x = 0 gives x(t) = 2 J1(t) / t x0
    t = np.linspace(0, 20, 81)
    xs = flows.nesterov_flow(lambda x: x, np.array([1.5]), t)
    exact = np.where(t > 0, 2 * j1(np.maximum(t, 1e-300)) / np.maximum(t, 1e-300), 1.0) * 1.5
    np.testing.assert_allclose(xs[:, 0], exact, atol=1e-8)


def test_second_order_flows_take_the_budget_too():
    with pytest.raises(ValueError, match="reached only t ="):
        flows.nesterov_flow(lambda x: x, np.array([1.5]), np.linspace(0, 50, 3), max_nfev=20)
    with pytest.raises(ValueError, match="reached only t ="):
        flows.heavy_ball_flow(lambda x: x, np.array([1.5]), np.linspace(0, 50, 3), damping=0.1, max_nfev=20)


def test_ode_bad_input():
    with pytest.raises(ValueError, match="start at 0"):
        flows.gradient_flow(lambda x: x, np.ones(1), np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="start at 0"):
        flows.nesterov_flow(lambda x: x, np.ones(1), np.array([0.0, 2.0, 1.0]))
    with pytest.raises(ValueError, match="damping"):
        flows.heavy_ball_flow(lambda x: x, np.ones(1), np.array([0.0, 1.0]), damping=-1.0)
    with pytest.raises(TypeError, match="grad"):
        flows.gradient_flow("grad", np.ones(1), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="x0"):
        flows.gradient_flow(lambda x: x, np.ones((1, 1)), np.array([0.0, 1.0]))


def test_second_order_flows_return_the_velocity_on_request():
    # x'' + a x' + x = 0 underdamped: x' is the derivative of the closed form; Nesterov: d/dt (2 J1(t)/t) = -2 J2(t)/t
    from scipy.special import jv

    a, t = 1.0, np.linspace(0, 8, 41)
    w = math.sqrt(1 - a**2 / 4)
    exact_v = -np.exp(-a * t / 2) * (1 + a**2 / (4 * w**2)) * w * np.sin(w * t)
    xs, vs = flows.heavy_ball_flow(lambda x: x, np.array([1.0]), t, damping=a, velocity=True)
    np.testing.assert_allclose(vs[:, 0], exact_v, atol=1e-9)
    np.testing.assert_array_equal(xs, flows.heavy_ball_flow(lambda x: x, np.array([1.0]), t, damping=a))
    tn = np.linspace(0, 20, 81)
    xn, vn = flows.nesterov_flow(lambda x: x, np.array([1.5]), tn, velocity=True)
    exact = np.where(tn > 0, -2 * jv(2, tn) / np.maximum(tn, 1e-300), 0.0) * 1.5
    np.testing.assert_allclose(vn[:, 0], exact, atol=1e-8)
    with pytest.raises(TypeError, match="velocity"):
        flows.nesterov_flow(lambda x: x, np.array([1.5]), tn, velocity=1)
