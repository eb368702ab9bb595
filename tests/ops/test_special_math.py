"""Special functions, float bit helpers, gcd/lcm and complex helpers, compared with torch."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.ops import _special_kernels as kernels
from ember.ops import special_math as sm
from helpers import (assert_same, assert_same_error, check_op, gradcheck_op, rng, to_ember,
                           to_torch)

torch = pytest.importorskip("torch")

F = ["float32", "float64"]


def _same_error(call, *arrays):
    """``call(library, *tensors)`` raises the same error in ember and in torch."""
    assert_same_error(lambda: call(ember, *map(to_ember, arrays)),
                      lambda: call(torch, *map(to_torch, arrays)))


@pytest.fixture(params=["scipy", "numpy"])
def backend(request, monkeypatch):
    """Run a test with SciPy's kernels (when installed) and with the NumPy-only ones."""
    if request.param == "numpy":
        monkeypatch.setitem(kernels._scipy_state, "mod", None)
    elif kernels._scipy() is None:
        pytest.skip("scipy not installed")
    return request.param


def _grid() -> np.ndarray:
    g = rng(1)
    return np.concatenate([g.uniform(-20, 20, 400), g.uniform(0, 3, 400),
                           10 ** g.uniform(-8, 300, 100), [1.0, 2.0, 0.5, 1e-300, 9.99, 10.0]])


# -- kernels ----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["lgamma", "digamma", "i0"])
def test_kernel_accuracy(backend, name):
    x = _grid()
    e = getattr(ember, name)(ember.tensor(x)).numpy()
    t = getattr(torch, name)(torch.tensor(x)).numpy()
    # near roots the value is tiny and both libraries lose relative accuracy
    np.testing.assert_allclose(e, t, rtol=1e-11, atol=1e-12)


@pytest.mark.parametrize("n", [1, 2, 3, 6])
def test_polygamma_accuracy(backend, n):
    x = np.concatenate([rng(2).uniform(-6, 6, 200), rng(3).uniform(0.01, 40, 200)])
    x = x[np.abs(x - np.round(x)) > 1e-3]
    e = ember.polygamma(n, ember.tensor(x)).numpy()
    t = torch.polygamma(n, torch.tensor(x)).numpy()
    np.testing.assert_allclose(e, t, rtol=1e-8, atol=1e-300)


def test_i1_kernel(backend):
    x = np.concatenate([rng(4).uniform(-40, 40, 300), [0.0, 700.0, -709.0]])
    e = sm._i1(ember.tensor(x)).numpy()
    np.testing.assert_allclose(e, torch.special.i1(torch.tensor(x)).numpy(), rtol=1e-12)


SPECIAL = np.array([0.0, -0.0, -1.0, -2.0, 0.5, -1.5, 1e30, np.inf, -np.inf, np.nan, 1e-40])


@pytest.mark.parametrize("name", ["lgamma", "digamma", "i0"])
def test_special_values(backend, name):
    for dt in F:
        e = getattr(ember, name)(ember.tensor(SPECIAL.astype(dt)))
        t = getattr(torch, name)(torch.tensor(SPECIAL.astype(dt)))
        assert_same(e, t, rtol=1e-6)


def test_scipy_not_needed_at_import():
    import subprocess
    import sys
    code = ("import sys; sys.modules['scipy'] = None; import ember; "
            "print(ember.lgamma(ember.tensor([4.0])).item())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert abs(float(out.stdout) - np.log(6)) < 1e-6


# -- gamma family: values and gradients ---------------------------------------------------------
POS = rng(5).uniform(0.3, 4.0, (3, 4))
MIXED = rng(6).uniform(-3.0, 4.0, (3, 4)) + 0.25


@pytest.mark.parametrize("fn", [ember.lgamma, ember.digamma, ember.i0,
                                lambda x: x.polygamma(1), lambda x: x.polygamma(3),
                                lambda x: x.polygamma(0), lambda x: x.mvlgamma(2),
                                lambda x: (x + 1).mvlgamma(p=3)])
def test_gamma_family_check_op(fn):
    tfn = {ember.lgamma: torch.lgamma, ember.digamma: torch.digamma, ember.i0: torch.i0}
    check_op(fn, tfn.get(fn, fn), POS, dtypes=F, grad_rtol=1e-3)
    check_op(fn, tfn.get(fn, fn), POS[0, 0], dtypes=F)  # 0-d


@pytest.mark.parametrize("fn", [ember.lgamma, ember.digamma, ember.i0,
                                lambda x: ember.polygamma(2, x)])
def test_gamma_family_negative_inputs(fn):
    tfn = {ember.lgamma: torch.lgamma, ember.digamma: torch.digamma, ember.i0: torch.i0}
    check_op(fn, tfn.get(fn, lambda x: torch.polygamma(2, x)), MIXED, dtypes=["float64"],
             rtol=1e-6, grad_rtol=1e-5)


@pytest.mark.parametrize("fn", [ember.lgamma, ember.digamma, ember.i0,
                                lambda x: x.polygamma(2), lambda x: x.mvlgamma(2)])
def test_gamma_family_gradcheck_and_double_backward(fn):
    gradcheck_op(fn, POS + 1.0)
    x = ember.tensor(POS + 1.0, requires_grad=True)
    tx = torch.tensor(POS + 1.0, requires_grad=True)
    tfn = {ember.lgamma: torch.lgamma, ember.digamma: torch.digamma, ember.i0: torch.i0}
    tfn = tfn.get(fn, fn)
    (g,) = ember.autograd.grad(fn(x).sum(), x, create_graph=True)
    (tg,) = torch.autograd.grad(tfn(tx).sum(), tx, create_graph=True)
    assert_same(g, tg, rtol=1e-8)
    assert_same(ember.autograd.grad(g.sum(), x)[0], torch.autograd.grad(tg.sum(), tx)[0],
                rtol=1e-8)


def test_i0_double_backward_at_zero():
    x = ember.tensor([0.0, 1.0, -2.0], dtype=ember.float64, requires_grad=True)
    tx = torch.tensor([0.0, 1.0, -2.0], dtype=torch.float64, requires_grad=True)
    (g,) = ember.autograd.grad(x.i0().sum(), x, create_graph=True)
    (tg,) = torch.autograd.grad(tx.i0().sum(), tx, create_graph=True)
    assert g.grad_fn.next_functions[1][0].name() == tg.grad_fn.next_functions[1][0].name()
    assert_same(ember.autograd.grad(g.sum(), x)[0], torch.autograd.grad(tg.sum(), tx)[0])


def test_gamma_family_dtypes_and_errors():
    for arr in (np.array([1, 2, 5]), np.array([True, False])):
        for name in ("lgamma", "digamma", "i0"):
            assert_same(getattr(ember, name)(to_ember(arr)), getattr(torch, name)(to_torch(arr)))
        assert_same(ember.polygamma(1, to_ember(arr) + 1), torch.polygamma(1, to_torch(arr) + 1))
        assert_same(ember.mvlgamma(to_ember(arr) + 1, 1), torch.mvlgamma(to_torch(arr) + 1, 1))
    h = np.array([2.5, 0.3], dtype=np.float16)
    assert_same(ember.lgamma(to_ember(h)), torch.lgamma(to_torch(h)), rtol=1e-3)
    z = np.array([1 + 1j], dtype=np.complex64)
    calls = [lambda m, t: m.lgamma(t), lambda m, t: m.digamma(t), lambda m, t: m.i0(t),
             lambda m, t: m.polygamma(0, t), lambda m, t: m.polygamma(1, t),
             lambda m, t: m.polygamma(4, t), lambda m, t: m.mvlgamma(t, 2)]
    for call in calls:
        for arr in (z, z.astype(np.complex128)):
            _same_error(call, arr)
    x = np.array([2.0, 3.0])
    for call in [lambda m, t: m.polygamma(-1, t), lambda m, t: m.polygamma(1.0, t),
                 lambda m, t: m.mvlgamma(t, 0), lambda m, t: m.mvlgamma(t, 2.0),
                 lambda m, t: t.lgamma_() if t.dtype != m.float32 else t.long().lgamma_()]:
        _same_error(call, x.astype(np.float32))


def test_gamma_family_inplace_and_out():
    x = rng(7).uniform(0.5, 3, (2, 3)).astype(np.float32)
    for name, args in [("lgamma_", ()), ("digamma_", ()), ("i0_", ()), ("polygamma_", (1,)),
                       ("mvlgamma_", (2,))]:
        e, t = to_ember(x.copy() + 1), to_torch(x.copy() + 1)
        v = e._version[0]
        assert getattr(e, name)(*args) is e
        getattr(t, name)(*args)
        assert_same(e, t)
        assert e._version[0] == v + 1
    ye = ember.tensor(x[:, :2].copy() + 1, requires_grad=True) * 1
    yt = torch.tensor(x[:, :2].copy() + 1, requires_grad=True) * 1
    ye.lgamma_()
    yt.lgamma_()
    assert ye.grad_fn.name() == yt.grad_fn.name()
    o = ember.empty(2, 3)
    assert ember.lgamma(to_ember(x), out=o) is o
    assert_same(o, torch.lgamma(to_torch(x)))


# -- predicates -------------------------------------------------------------------------------
VALUES = np.array([np.inf, -np.inf, np.nan, -np.nan, -0.0, 0.0, -1.5, 2.0])


@pytest.mark.parametrize("name", ["isposinf", "isneginf", "isreal", "signbit"])
def test_predicates(name):
    arrays = [VALUES.astype(dt) for dt in ("float16", "float32", "float64")]
    arrays += [np.array([-3, 0, 4]).astype(dt) for dt in ("int8", "int64", "uint8")]
    arrays += [np.array([True, False]), np.array(-1.0), np.zeros((2, 0))]
    for a in arrays:
        check_op(getattr(ember, name), getattr(torch, name), a)
        assert_same(getattr(to_ember(a), name)(), getattr(to_torch(a), name)())
    z = np.array([1 + 0j, 1j, complex(np.nan, 0), complex(np.inf, 0)], dtype=np.complex64)
    check_op(getattr(ember, name), getattr(torch, name), z, requires_grad=False)


# -- gcd / lcm --------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["gcd", "lcm"])
def test_gcd_lcm(name):
    a = np.array([[12, -18, 0, 0, 7], [2 ** 62, -6, 9, 1, -1]])
    b = np.array([8, 12, 5, 0, 3])
    fn, tfn = getattr(ember, name), getattr(torch, name)
    check_op(fn, tfn, a, b)
    check_op(fn, tfn, a[0, 1], b)  # 0-d with broadcasting
    check_op(fn, tfn, a.astype(np.int8) % 50, b.astype(np.uint8))  # promotes to int16
    check_op(fn, tfn, a.astype(np.int32), b)
    for x, y in [(a.astype(np.float32), b), (np.array([True]), np.array([True])),
                 (a[0], np.array([1, 2, 3]))]:
        _same_error(lambda m, u, v: getattr(m, name)(u, v), x, y)
    _same_error(lambda m, u: getattr(m, name)(u, 4), a)
    e, t = to_ember(a.astype(np.int8) % 50), to_torch(a.astype(np.int8) % 50)
    getattr(e, name + "_")(to_ember(b))
    getattr(t, name + "_")(to_torch(b))
    assert_same(e, t)


# -- nextafter / ldexp / frexp ------------------------------------------------------------------
def test_nextafter():
    a = np.array([[1.0, 0.0, -0.0, np.inf, np.nan, 2.0]])
    b = np.array([2.0, -1.0, 1.0, 0.0, 1.0, 2.0])
    check_op(ember.nextafter, torch.nextafter, a, b, dtypes=F, requires_grad=(True, True))
    check_op(ember.nextafter, torch.nextafter, a[0, 0], b, dtypes=F)
    check_op(ember.nextafter, torch.nextafter, a.astype(np.float32), b.astype(np.int64))
    check_op(ember.nextafter, torch.nextafter, a.astype(np.float16), b.astype(np.float16))
    for x, y in [(np.nan_to_num(a, posinf=5).astype(np.int64), b.astype(np.int64)), (a, b[:2])]:
        _same_error(lambda m, u, v: m.nextafter(u, v), x, y)
    assert_same_error(lambda: ember.nextafter(to_ember(a), 2.0),
                      lambda: torch.nextafter(to_torch(a), 2.0))
    e, t = to_ember(a[0].copy()), to_torch(a[0].copy())
    e.nextafter_(to_ember(b))
    t.nextafter_(to_torch(b))
    assert_same(e, t, atol=0, rtol=0)


LDEXP_DTYPES = ["bool", "uint8", "int32", "int64", "float16", "float32", "float64"]


def test_ldexp_dtype_matrix():
    for da in LDEXP_DTYPES + ["complex64"]:
        for de in LDEXP_DTYPES:
            if da == "complex64" and de == "float16":
                continue  # torch's result would be complex32, which ember lacks
            a = np.array([1e-30 if da[0] in "fc" else 1, 3]).astype(da)
            e = np.array([130 if de != "bool" else 1, -2]).astype(de)
            check_op(ember.ldexp, torch.ldexp, a, e, requires_grad=False, layouts_=["contiguous"],
                     rtol=1e-3)


def test_ldexp_values_and_grads():
    x = rng(8).standard_normal((3, 4))
    e = rng(9).integers(-5, 5, (4,))
    check_op(ember.ldexp, torch.ldexp, x, e, dtypes=[(d, None) for d in F])
    check_op(ember.ldexp, torch.ldexp, x, e.astype(np.float64) + 0.5, dtypes=F)
    check_op(ember.ldexp, torch.ldexp, x[0, 0], e)
    gradcheck_op(ember.ldexp, x, e.astype(np.float64) / 3)
    assert_same_error(lambda: ember.ldexp(to_ember(x), to_ember(e[:3])),
                      lambda: torch.ldexp(to_torch(x), to_torch(e[:3])))
    assert_same_error(lambda: ember.ldexp(to_ember(x), 2), lambda: torch.ldexp(to_torch(x), 2))
    ee, te = to_ember(e.copy()), to_torch(e.copy())
    assert_same_error(lambda: ee.ldexp_(to_ember(e)), lambda: te.ldexp_(to_torch(e)))
    xe, xt = to_ember(x.copy()), to_torch(x.copy())
    xe.ldexp_(to_ember(e))
    xt.ldexp_(to_torch(e))
    assert_same(xe, xt)


def test_frexp():
    x = np.array([[8.0, -0.3, 0.0, -0.0], [np.inf, np.nan, 1e-310, 3.0]])
    for dt in ["float16", "float32", "float64"]:
        check_op(ember.frexp, torch.frexp, x.astype(dt))
    check_op(ember.frexp, torch.frexp, rng(10).standard_normal((3, 4)) * 100, dtypes=F)
    check_op(lambda t: t.frexp(), None, np.array(5.0))
    gradcheck_op(lambda t: ember.frexp(t).mantissa, rng(11).standard_normal(5) * 10)
    r = ember.frexp(ember.tensor([5.0]))
    assert type(r).__name__ == "frexp" and r._fields == ("mantissa", "exponent")
    assert repr(r).startswith("ember.return_types.frexp(\nmantissa=")
    m, e = ember.empty(1), ember.empty(1, dtype=ember.int32)
    r = ember.frexp(ember.tensor([5.0]), out=(m, e))
    assert type(r).__name__ == "frexp_out" and r.mantissa is m and e.item() == 3
    for a in (np.array([1, 2]), np.array([1 + 1j])):
        _same_error(lambda m, u: m.frexp(u), a)


# -- complex helpers ------------------------------------------------------------------------------
Z = (rng(12).standard_normal((3, 4)) + 1j * rng(13).standard_normal((3, 4))).astype(np.complex128)


def _complex_grad_check(fn, tfn, *arrays):
    """Forward and backward against torch with a complex upstream gradient."""
    e_in = [to_ember(a.copy(), a.dtype.kind in "fc") for a in arrays]
    t_in = [to_torch(a.copy(), a.dtype.kind in "fc") for a in arrays]
    eo, to = fn(*e_in), tfn(*t_in)
    assert_same(eo, to)
    assert eo.grad_fn.name() == to.grad_fn.name()
    g = rng(14).standard_normal(tuple(to.shape))
    if to.is_complex():
        g = g + 1j * rng(15).standard_normal(tuple(to.shape))
    g = g.astype(to.detach().numpy().dtype)
    eo.backward(ember.tensor(g))
    to.backward(torch.tensor(g))
    for e, t in zip(e_in, t_in):
        assert_same(e.grad, t.grad)


def test_real_imag_views():
    for dt in (np.complex64, np.complex128):
        z = Z.astype(dt)
        check_op(ember.real, torch.real, z)
        check_op(ember.imag, torch.imag, z)
        check_op(lambda t: t.real * t.imag, None, z)
        _complex_grad_check(lambda t: t.real * 2 + t.imag, lambda t: t.real * 2 + t.imag, z)
    e, t = to_ember(Z.copy()), to_torch(Z.copy())
    e.real[0] = 5.0
    t.real[0] = 5.0
    e.imag.mul_(2)
    t.imag.mul_(2)
    e.real = ember.zeros(4, dtype=ember.float64)
    t.real = torch.zeros(4, dtype=torch.float64)
    assert_same(e, t)
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    assert ember.real(x) is x and x.real is x
    for a in (np.array([1.0]), np.array([1])):
        _same_error(lambda m, u: m.imag(u), a)
        _same_error(lambda m, u: u.imag, a)


def test_view_as_real_and_complex():
    check_op(ember.view_as_real, torch.view_as_real, Z, layouts_=["contiguous", "transposed"])
    check_op(ember.view_as_real, torch.view_as_real, Z[0, 0])
    _complex_grad_check(ember.view_as_real, torch.view_as_real, Z)
    r = np.ascontiguousarray(rng(16).standard_normal((3, 2)))
    for dt in F:
        check_op(ember.view_as_complex, torch.view_as_complex, r.astype(dt),
                 layouts_=["contiguous"])
    check_op(ember.view_as_complex, torch.view_as_complex, r[0])
    _complex_grad_check(ember.view_as_complex, torch.view_as_complex, r)
    e = to_ember(r.copy())
    ember.view_as_complex(e)[0] = 7 + 8j  # a view: writes reach the real tensor
    assert e[0].tolist() == [7.0, 8.0]
    assert_same_error(lambda: ember.view_as_real(ember.ones(2)),
                      lambda: torch.view_as_real(torch.ones(2)))
    for make in [lambda m: m.zeros(4, 4)[:, ::2], lambda m: m.zeros(4, 3)[:, :2],
                 lambda m: m.zeros(5)[1:].view(2, 2), lambda m: m.zeros(2, 3),
                 lambda m: m.tensor(1.0), lambda m: m.tensor([1, 2]),
                 lambda m: m.tensor([1 + 1j, 2])]:
        _same_error(lambda m, mk=make: m.view_as_complex(mk(m)))


def test_angle():
    x = np.array([[-1.0, 0.0, 2.0, np.nan, -0.0, -np.inf]])
    check_op(ember.angle, torch.angle, x, dtypes=F)
    check_op(lambda t: t.angle(), None, x[0, 0])
    for a in (np.array([-2, 0, 3]), np.array([True, False])):
        check_op(ember.angle, torch.angle, a)
    check_op(ember.angle, torch.angle, np.append(Z[0], 0j), dtypes=["complex64", "complex128"])
    _complex_grad_check(ember.angle, torch.angle, Z)


def test_complex_and_polar():
    re, im = rng(17).standard_normal((3, 4)), rng(18).standard_normal((4,))
    for name in ("complex", "polar"):
        fn, tfn = getattr(ember, name), getattr(torch, name)
        check_op(fn, tfn, re, im, dtypes=F)
        check_op(fn, tfn, re[0, 0], im)
        _complex_grad_check(fn, tfn, re, im)
        for a, b in [(re, im.astype(np.float32)), (re.astype(np.float32), im),
                     (re.astype(np.int64), im.astype(np.int64)), (re, im[:3]),
                     (re.astype(np.float32), im.astype(np.int64))]:
            _same_error(lambda m, u, v, n=name: getattr(m, n)(u, v), a, b)
        _same_error(lambda m, u, n=name: getattr(m, n)(u, 2.0), re)


def test_conj_physical():
    check_op(ember.conj_physical, torch.conj_physical, Z, dtypes=["complex64", "complex128"])
    _complex_grad_check(ember.conj_physical, torch.conj_physical, Z)
    _complex_grad_check(lambda t: t.conj_physical() * t, lambda t: t.conj_physical() * t, Z)
    x = ember.tensor([1.0, -2.0], requires_grad=True)
    assert ember.conj_physical(x) is x and x.conj_physical() is x
    ints = np.array([1, 2])
    assert_same(ember.conj_physical(to_ember(ints)), torch.conj_physical(to_torch(ints)))
    e, t = to_ember(Z.copy()), to_torch(Z.copy())
    v = e._version[0]
    assert e.conj_physical_() is e and e._version[0] == v + 1
    t.conj_physical_()
    assert_same(e, t)


def test_conj_records_its_gradient():
    check_op(ember.conj, torch.conj, Z, dtypes=["complex64", "complex128"])
    _complex_grad_check(lambda t: t.conj() * t, lambda t: t.conj() * t, Z)
    _complex_grad_check(lambda t: (t * t.conj()).real, lambda t: (t * t.conj()).real, Z)
    z = ember.tensor([1 + 2j], requires_grad=True)
    assert type(z.conj().grad_fn).__name__ == "ConjBackward0"
    x = ember.tensor([1.0, -2.0], requires_grad=True)
    assert x.conj() is x and ember.conj(x) is x


def test_real_part_of_a_complex_gradient_reaches_a_real_input():
    for lib in (ember, torch):
        x = lib.tensor([1.0, -2.0], requires_grad=True)
        x.to(lib.complex64).abs().sum().backward()
        assert x.grad.tolist() == [1.0, -1.0]


def test_complex_to_real_cast_warns_once_with_torch_text():
    from ember.ops import creation
    creation._warned_complex_to_real[0] = False
    z = ember.tensor([1 + 2j, 3 - 1j])
    with pytest.warns(UserWarning, match="Casting complex values to real discards the "
                                         "imaginary part") as caught:
        first = z.to(ember.float32)
        z.to(ember.int64)
    assert len([w for w in caught if "Casting complex" in str(w.message)]) == 1
    assert first.tolist() == [1.0, 3.0]
