"""The in-place random fills: distributions (by their moments, since ember's streams differ
from torch's), dtypes, ranges, node names and errors, against torch."""

import numpy as np
import pytest
from helpers import assert_same_error

import ember

torch = pytest.importorskip("torch")

N = 200_000


def _both(op: str, dtype: str = "float64", n: int = N):
    ember.manual_seed(0)  # both streams fixed: the statistical checks below are repeatable
    torch.manual_seed(0)
    e = eval("x." + op, {"x": ember.zeros(n, dtype=getattr(ember, dtype)), "lib": ember})
    t = eval("x." + op, {"x": torch.zeros(n, dtype=getattr(torch, dtype)), "lib": torch})
    return e.numpy().astype(np.float64), t.numpy().astype(np.float64)


@pytest.mark.parametrize("op", ["exponential_()", "exponential_(2.5)", "geometric_(0.3)",
                                "cauchy_(1.0, 0.5)", "log_normal_(0.2, 0.4)",
                                "bernoulli_()", "bernoulli_(0.2)", "random_(10)",
                                "random_(-3, 4)"])
def test_moments_match_torch(op):
    e, t = _both(op)
    if op.startswith("cauchy"):  # no mean: compare quartiles
        np.testing.assert_allclose(np.percentile(e, [25, 50, 75]),
                                   np.percentile(t, [25, 50, 75]), atol=0.02)
        return
    # The two means differ by about sqrt(2) * std / sqrt(N) by chance: allow 4 of those.
    assert abs(e.mean() - t.mean()) < 6 * t.std() / np.sqrt(N)
    assert abs(e.std() - t.std()) < 0.03 * t.std()
    if op.startswith(("random", "bernoulli")):
        assert set(np.unique(e)) == set(np.unique(t))
    if op.startswith("geometric"):  # an unbounded tail: compare the common values
        assert e.min() == t.min() == 1 and set(range(1, 10)) <= set(np.unique(e))


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int8", "uint8", "int16",
                                   "int32", "int64", "bool"])
def test_random_default_range(dtype):
    e, t = _both("random_()", dtype)
    assert e.min() >= 0 and e.max() <= t.max() * 1.001 + 1
    assert e.max() > 0.9 * t.max()  # the whole range is used, not a part of it


def test_fills_keep_dtype_and_identity():
    for op in ("random_()", "random_(5)", "exponential_()", "geometric_(0.5)", "cauchy_()",
               "log_normal_()", "bernoulli_()", "bernoulli_(lib.tensor([0.0, 1.0, 1.0]))"):
        for dt in ("float32", "float64"):
            x = ember.zeros(3, dtype=getattr(ember, dt))
            assert eval("x." + op, {"x": x, "lib": ember}) is x and x.dtype == getattr(ember, dt)
    x = ember.zeros(2, 3).bernoulli_(ember.tensor([0.0, 1.0, 1.0]))
    assert x.tolist() == [[0.0, 1.0, 1.0]] * 2


def test_node_names_and_zero_gradient():
    for op in ("random_()", "random_(10)", "random_(2, 5)", "geometric_(0.3)", "cauchy_()",
               "log_normal_()", "bernoulli_(0.5)", "bernoulli_(lib.rand(3))", "exponential_()"):
        names = []
        for lib in (ember, torch):
            x = lib.randn(3, requires_grad=True)
            y = x * 1
            eval("y." + op, {"y": y, "lib": lib})
            names.append(type(y.grad_fn).__name__)
            y.sum().backward()
            assert x.grad.abs().sum().item() == 0
        assert names[0] == names[1]


def test_seeded_draws_repeat():
    draws = []
    for _ in range(2):
        ember.manual_seed(7)
        draws.append(ember.zeros(5).exponential_().tolist())
    assert draws[0] == draws[1]


@pytest.mark.parametrize("call", [
    "zeros(3).exponential_(-1.0)", "zeros(3).exponential_(0)", "zeros(3).geometric_(0.0)",
    "zeros(3).geometric_(1.5)", "zeros(3).cauchy_(0, -1.0)", "zeros(3).log_normal_(0, -1.0)",
    "zeros(3).random_(5, 2)", "zeros(3).bernoulli_(1.5)",
    "zeros(3).bernoulli_(lib.tensor([0.0, 2.0, 1.0]))",
    "zeros(3).bernoulli_(lib.tensor([0.0, 1.0]))",
    "zeros(3, dtype=lib.int32).exponential_()", "zeros(3, dtype=lib.int32).cauchy_()",
    "zeros(3, dtype=lib.bool).cauchy_()", "zeros(3, dtype=lib.int32).log_normal_()",
    "zeros(3, dtype=lib.bool).geometric_(0.5)", "zeros(3, dtype=lib.bool).random_(3)",
    "zeros(3, requires_grad=True).random_()",
])
def test_errors(call):
    assert_same_error(lambda: eval("lib." + call, {"lib": ember}),
                      lambda: eval("lib." + call, {"lib": torch}))


def test_integer_fills():
    for dt in ("int32", "int64"):
        e, t = _both("geometric_(0.5)", dt, 10_000)
        assert e.min() == t.min() == 1
        e, t = _both("bernoulli_(0.5)", dt, 10_000)
        assert set(np.unique(e)) == set(np.unique(t)) == {0.0, 1.0}
