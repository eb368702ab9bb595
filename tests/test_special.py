"""ember.special compared with torch.special: values, dtypes, gradients, errors."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import ember
from helpers import assert_same, assert_same_error, check_op, gradcheck_op, rng

torch = pytest.importorskip("torch")
pytest.importorskip("scipy")

F = ["float32", "float64"]
ES, TS = ember.special, torch.special


def test_namespace_complete():
    public = {n for n in dir(TS) if not n.startswith("_")} - {"Tensor", "torch", "common_args",
                                                                 "multi_dim_common"}
    assert public <= set(ES.__all__)
    assert all(hasattr(ES, n) for n in ES.__all__)


ALIASES = ["expit", "gammaln", "psi", "digamma", "erf", "erfc", "erfinv", "exp2", "expm1",
           "log1p", "sinc", "i0", "round", "logit"]


@pytest.mark.parametrize("name", ALIASES)
def test_aliases(name):
    x = rng(0).uniform(0.05, 0.95, (3, 4))
    check_op(getattr(ES, name), getattr(TS, name), x, dtypes=F, layouts_=("contiguous",))
    ints = np.array([1, 2, 3])
    assert_same(getattr(ES, name)(ember.tensor(ints)), getattr(TS, name)(torch.tensor(ints))) \
        if name != "round" else None


def test_aliases_with_arguments():
    x = rng(1).standard_normal((3, 4))
    for name in ("softmax", "log_softmax"):
        for dt in (None, "float64"):
            def fn(t, name=name, dt=dt):
                lib = ember if isinstance(t, ember.Tensor) else torch
                return getattr(lib.special, name)(t, 1, dtype=dt and getattr(lib, dt))
            check_op(fn, None, x, dtypes=["float32"])
    assert list(inspect.signature(ES.softmax).parameters) == ["input", "dim", "dtype"]
    check_op(lambda t: ES.logsumexp(t, 1, keepdim=True) if isinstance(t, ember.Tensor)
             else TS.logsumexp(t, 1, keepdim=True), None, x, dtypes=F)
    check_op(lambda t: ES.round(t, decimals=1) if isinstance(t, ember.Tensor)
             else TS.round(t, decimals=1), None, x * 3, dtypes=F)
    check_op(lambda t: ES.polygamma(2, t) if isinstance(t, ember.Tensor)
             else TS.polygamma(2, t), None, x + 4, dtypes=F)
    check_op(lambda t: ES.multigammaln(t, 3) if isinstance(t, ember.Tensor)
             else TS.multigammaln(t, 3), None, x + 4, dtypes=F)
    check_op(lambda t: ES.logit(t, 0.2) if isinstance(t, ember.Tensor)
             else TS.logit(t, 0.2), None, x / 8 + 0.5, dtypes=F)


UNARY = {"entr": (-1.0, 3.0), "erfcx": (-3.0, 5.0), "i0e": (-6.0, 6.0), "i1": (-6.0, 6.0),
         "i1e": (-6.0, 6.0), "ndtr": (-4.0, 4.0), "ndtri": (0.02, 0.98),
         "log_ndtr": (-10.0, 4.0)}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_against_torch(name):
    low, high = UNARY[name]
    x = rng(2).uniform(low, high, (4, 5))
    if name == "entr":
        x[0, 0] = 0.0
    # torch's composite ndtr ends in MulBackward1 (mul by a Scalar); ember names it ...0
    check_op(getattr(ES, name), getattr(TS, name), x, dtypes=F, grad_rtol=1e-3,
             check_grad_fn=name != "ndtr")
    check_op(getattr(ES, name), getattr(TS, name), np.array(0.7), dtypes=["float64"],
             check_grad_fn=name != "ndtr")
    ints = np.array([0, 1, 2]) if name != "ndtri" else np.array([0, 1])
    assert_same(getattr(ES, name)(ember.tensor(ints)), getattr(TS, name)(torch.tensor(ints)))


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_gradcheck(name):
    low, high = UNARY[name]
    x = rng(3).uniform(max(low, 0.05) if name == "entr" else low, high, (6,))
    x = x[np.abs(x) > 1e-3]
    gradcheck_op(getattr(ES, name), x)


def test_edge_values():
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-30, -40.0, 40.0])
    for name in ["entr", "erfcx", "i0e", "i1", "i1e", "ndtr", "log_ndtr"]:
        for dt in F:
            assert_same(getattr(ES, name)(ember.tensor(x.astype(dt))),
                        getattr(TS, name)(torch.tensor(x.astype(dt))), what=name)
    p = np.array([0.0, 1.0, 0.5, -0.5, 1.5, np.nan])
    assert_same(ES.ndtri(ember.tensor(p)), TS.ndtri(torch.tensor(p)))


def _call(name):
    return lambda a, b: getattr(ES if isinstance(a, ember.Tensor) else TS, name)(a, b)


@pytest.mark.parametrize("name", ["xlogy", "xlog1py"])
def test_xlog_family(name):
    g = rng(4)
    x, y = g.uniform(-2, 2, (3, 1)), g.uniform(0.1, 3, (4,))
    x[0, 0] = 0.0
    check_op(_call(name), None, x, y, dtypes=F)
    check_op(lambda a: getattr(ES if isinstance(a, ember.Tensor) else TS, name)(a, 2.5),
             None, x, dtypes=F)
    check_op(lambda b: getattr(ES if isinstance(b, ember.Tensor) else TS, name)(1.5, b),
             None, y, dtypes=F)
    gradcheck_op(getattr(ES, name), x + 3, y)
    edge = np.array([0.0, 0.0, 1.0]), np.array([-1.0, np.nan, -1.0])
    check_op(_call(name), None, *edge, layouts_=("contiguous",))


def test_zeta():
    g = rng(5)
    s, q = g.uniform(1.5, 5, (3, 1)), g.uniform(0.5, 4, (5,))
    check_op(_call("zeta"), None, s, q, dtypes=F, requires_grad=[False, True])
    check_op(_call("zeta"), None, s, q, requires_grad=[True, False])  # torch refuses backward
    check_op(lambda b: (ES if isinstance(b, ember.Tensor) else TS).zeta(2.0, b), None, q)
    check_op(lambda a: (ES if isinstance(a, ember.Tensor) else TS).zeta(a, 2.0), None, s,
             requires_grad=False)
    gradcheck_op(ES.zeta, s, q, requires_grad=[False, True])
    edge = np.array([0.5, 1.0, 2.0, 2.0, 3.0]), np.array([1.0, 1.0, 0.0, -1.0, -1.5])
    assert_same(ES.zeta(*map(ember.tensor, edge)), TS.zeta(*map(torch.tensor, edge)))
    ints = ember.tensor([2, 3]), torch.tensor([2, 3])
    assert_same(ES.zeta(ints[0], ints[0]), TS.zeta(ints[1], ints[1]))


@pytest.mark.parametrize("name", ["gammainc", "gammaincc"])
def test_incomplete_gamma(name):
    g = rng(6)
    a, x = g.uniform(0.5, 5, (3, 1)), g.uniform(0.1, 6, (4,))
    check_op(_call(name), None, a, x, dtypes=F, requires_grad=[False, True])
    check_op(_call(name), None, a, x, requires_grad=[True, True])  # no derivative in a
    gradcheck_op(getattr(ES, name), a, x, requires_grad=[False, True])
    assert_same_error(lambda: getattr(ES, name)(2.0, ember.tensor([1.0])),
                      lambda: getattr(TS, name)(2.0, torch.tensor([1.0])))


@pytest.mark.parametrize("name", ["xlog1py", "zeta", "gammainc"])
def test_binary_errors(name):
    assert_same_error(lambda: getattr(ES, name)(ember.ones(2), ember.ones(3)),
                      lambda: getattr(TS, name)(torch.ones(2), torch.ones(3)))
    c = np.ones(2, np.complex64)
    assert_same_error(lambda: getattr(ES, name)(ember.tensor(c), ember.tensor(c)),
                      lambda: getattr(TS, name)(torch.tensor(c), torch.tensor(c)))
    if name != "gammainc":
        assert_same_error(lambda: getattr(ES, name)(2.0, 3.0),
                          lambda: getattr(TS, name)(2.0, 3.0))


NONDIFF = ["bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "modified_bessel_i0",
           "modified_bessel_i1", "modified_bessel_k0", "modified_bessel_k1",
           "scaled_modified_bessel_k0", "scaled_modified_bessel_k1", "spherical_bessel_j0",
           "airy_ai"]


@pytest.mark.parametrize("name", NONDIFF)
def test_bessel_airy(name):
    x = np.concatenate([rng(7).uniform(-12, 30, 40), [0.0, 1e-8, 50.0, -3.0]])
    for dt in F:
        e = getattr(ES, name)(ember.tensor(x.astype(dt), requires_grad=True))
        t = getattr(TS, name)(torch.tensor(x.astype(dt), requires_grad=True))
        assert not e.requires_grad and not t.requires_grad
        assert_same(e, t, atol=1e-6, rtol=1e-5 if dt == "float32" else 1e-9, what=name)
    assert_same(getattr(ES, name)(ember.tensor([1, 2])), getattr(TS, name)(torch.tensor([1, 2])))
    c = np.ones(2, np.complex64)
    assert_same_error(lambda: getattr(ES, name)(ember.tensor(c)),
                      lambda: getattr(TS, name)(torch.tensor(c)))


POLYS = ["chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v",
         "chebyshev_polynomial_w", "hermite_polynomial_h", "hermite_polynomial_he",
         "laguerre_polynomial_l", "legendre_polynomial_p", "shifted_chebyshev_polynomial_t",
         "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
         "shifted_chebyshev_polynomial_w"]


@pytest.mark.parametrize("name", POLYS)
def test_polynomials(name):
    x = np.concatenate([rng(8).uniform(-1.5, 1.5, 9), [-1.0, 1.0, 0.0, 0.5]])
    n = np.arange(-1, 13)[:, None]
    for dt in F:
        e = getattr(ES, name)(ember.tensor(x.astype(dt)), ember.tensor(n))
        t = getattr(TS, name)(torch.tensor(x.astype(dt)), torch.tensor(n))
        assert_same(e, t, atol=1e-4, rtol=1e-4 if dt == "float32" else 1e-9, what=name)
    assert_same(getattr(ES, name)(ember.tensor(x), 3.7), getattr(TS, name)(torch.tensor(x), 3.7))
    assert_same(getattr(ES, name)(0.25, ember.tensor([2, 3])),
                getattr(TS, name)(0.25, torch.tensor([2, 3])))
    assert_same(getattr(ES, name)(ember.tensor([1, 2]), 2),
                getattr(TS, name)(torch.tensor([1, 2]), 2))
    assert not getattr(ES, name)(ember.tensor(x, requires_grad=True), 2).requires_grad
    assert_same_error(lambda: getattr(ES, name)(0.5, 2), lambda: getattr(TS, name)(0.5, 2))


def test_out_argument():
    out_e, out_t = ember.empty(3), torch.empty(3)
    ES.entr(ember.tensor([0.5, 1.0, 2.0]), out=out_e)
    TS.entr(torch.tensor([0.5, 1.0, 2.0]), out=out_t)
    assert_same(out_e, out_t)
    x = ember.tensor([0.5], requires_grad=True)
    assert_same_error(lambda: ES.erfcx(x, out=ember.empty(1)),
                      lambda: TS.erfcx(torch.tensor([0.5], requires_grad=True),
                                       out=torch.empty(1)))


def test_double_backward():
    for name in ["erfcx", "i0e", "i1e", "log_ndtr", "ndtri", "entr"]:
        x = ember.tensor([0.3, 0.6, 0.45], dtype=ember.float64, requires_grad=True)
        assert ember.autograd.gradgradcheck(getattr(ES, name), (x,)), name
