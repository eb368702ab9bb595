"""ember.fft compared with torch.fft: values, dtypes, gradients, errors."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from helpers import assert_same, assert_same_error, check_op, gradcheck_op, rng

torch = pytest.importorskip("torch")

ONE_D = ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft"]
N_D = ["fft2", "ifft2", "rfft2", "irfft2", "fftn", "ifftn", "rfftn", "irfftn"]
REAL_ONLY = {"rfft", "ihfft", "rfft2", "rfftn"}
NORMS = [None, "backward", "forward", "ortho"]


def _lib(t):
    return ember if isinstance(t, ember.Tensor) else torch


def _data(dtype: str, shape=(3, 6)) -> np.ndarray:
    g = rng(0)
    a = g.standard_normal(shape)
    if dtype.startswith("complex"):
        a = a + 1j * g.standard_normal(shape)
    return a.astype(dtype)


def _same(e, t, **kw):
    assert_same(e, t.resolve_conj(), **kw)


@pytest.mark.parametrize("name", ONE_D)
@pytest.mark.parametrize("dtype", ["float32", "float64", "complex64", "complex128"])
def test_one_dim_values(name, dtype):
    if dtype.startswith("complex") and name in REAL_ONLY:
        return
    a = _data(dtype)
    tol = dict(atol=1e-4, rtol=1e-4) if "32" in dtype or "64" == dtype[-2:] else {}
    for n, dim, norm in [(None, -1, None), (4, -1, "ortho"), (9, 0, "forward"),
                         (5, 1, "backward"), (1, 0, None)]:
        e = getattr(ember.fft, name)(ember.from_numpy(a.copy()), n, dim, norm)
        t = getattr(torch.fft, name)(torch.from_numpy(a.copy()), n, dim, norm)
        _same(e, t, **tol)


@pytest.mark.parametrize("name", N_D)
def test_n_dim_values(name):
    a3 = _data("float64", (2, 4, 5))
    for arr in (a3, a3 + 0.5j * a3[::-1]):
        if arr.dtype.kind == "c" and name.startswith("rfft"):
            continue
        cases = [{}, {"s": (3, 6)}, {"dim": (0, 2)}, {"s": (-1, 3), "dim": (2, 0)},
                 {"norm": "ortho"}, {"norm": "forward", "dim": (1,)}]
        if not name.endswith("2"):
            cases += [{"s": (2, 3, 4)}, {"dim": 1}]
        for kw in cases:
            e = getattr(ember.fft, name)(ember.from_numpy(arr.copy()), **kw)
            t = getattr(torch.fft, name)(torch.from_numpy(arr.copy()), **kw)
            _same(e, t, what=f"{name} {kw}")


def test_integer_input():
    for name in ONE_D + N_D:
        if name in ("irfft", "hfft"):
            continue
        e = getattr(ember.fft, name)(ember.arange(6).reshape(2, 3))
        t = getattr(torch.fft, name)(torch.arange(6).reshape(2, 3))
        _same(e, t)


def _real_loss(name, **kw):
    """A real function of the transform (|X| for complex X), so both libraries compare."""
    def fn(x):
        res = getattr(_lib(x).fft, name)(x, **kw)
        return res.abs() if res.is_complex() else res
    return fn


@pytest.mark.parametrize("name", ONE_D + N_D)
@pytest.mark.parametrize("norm", NORMS)
def test_gradients(name, norm):
    for dtype in ("float32", "complex64"):
        if dtype == "complex64" and name in REAL_ONLY:
            continue
        a = _data(dtype, (3, 6))
        if dtype == "float32":
            check_op(_real_loss(name, norm=norm), None, a, atol=1e-4, grad_atol=1e-4)
        else:
            _compare_complex_grads(_real_loss(name, norm=norm), a)


def _compare_complex_grads(fn, a):
    """check_op for a complex input, whose torch gradient can carry the conjugate bit."""
    w = rng(1).standard_normal(fn(torch.from_numpy(a)).shape)
    xe, xt = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    ye, yt = fn(xe), fn(xt)
    assert_same(ye, yt, atol=1e-4)
    assert ye.grad_fn.name() == yt.grad_fn.name()
    (ye * ember.tensor(w.astype(ye.detach().numpy().dtype))).sum().backward()
    (yt * torch.tensor(w.astype(yt.detach().numpy().dtype))).sum().backward()
    assert_same(xe.grad, xt.grad.resolve_conj(), atol=1e-4)


@pytest.mark.parametrize("name", ONE_D)
def test_gradients_with_n(name):
    for n in (3, 10):
        a = _data("float64", (2, 5))
        check_op(_real_loss(name, n=n, dim=0 if n == 3 else -1), None, a,
                 layouts_=("contiguous", "transposed"), check_grad_fn=False)


@pytest.mark.parametrize("name", ["fftn", "rfftn", "irfftn", "ifft2"])
def test_gradients_with_s(name):
    a = _data("float64", (3, 4, 5))
    check_op(_real_loss(name, s=(2, 7), dim=(0, 2)), None, a, layouts_=("contiguous",),
             check_grad_fn=False)


@pytest.mark.parametrize("name", ONE_D + N_D)
def test_gradcheck(name):
    a = _data("float64", (3, 4))
    gradcheck_op(lambda x: getattr(ember.fft, name)(x).abs() if name not in
                 ("irfft", "hfft", "irfft2", "irfftn") else getattr(ember.fft, name)(x), a)
    # complex inputs: ember's gradcheck perturbs real parts only; test_gradients compares
    # their gradients with torch instead


def test_double_backward():
    x = ember.tensor(_data("float64", (5,)), requires_grad=True)
    assert ember.autograd.gradgradcheck(lambda t: ember.fft.rfft(t).imag ** 2, (x,))
    assert ember.autograd.gradgradcheck(
        lambda t: ember.fft.ifftn(ember.fft.fft(t, 7) ** 2, norm="ortho").real, (x,))
    assert ember.autograd.gradgradcheck(lambda t: ember.fft.irfft(ember.fft.rfft(t) ** 2), (x,))


def test_typical_loss():
    a = _data("float32", (4, 16))
    xe, xt = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    ember.fft.rfft(xe).abs().sum().backward()
    torch.fft.rfft(xt).abs().sum().backward()
    assert_same(xe.grad, xt.grad, atol=1e-4)


def test_errors():
    a = _data("float32")

    def both(name, *args, data=a, **kw):
        assert_same_error(lambda: getattr(ember.fft, name)(ember.tensor(data), *args, **kw),
                          lambda: getattr(torch.fft, name)(torch.tensor(data), *args, **kw))

    both("fft", norm="foo")
    both("fft", 0)
    both("fft", dim=2)
    both("irfft", 0)
    both("fftn", s=(3,), dim=(0, 1))
    both("fftn", dim=(0, 0))
    both("fftn", s=(1, 2, 3))
    both("fftn", s=(0, 2))
    both("rfft", data=a.astype(np.complex64))
    both("rfftn", data=a.astype(np.complex64))
    both("ihfft", data=a.astype(np.complex64))
    both("irfft", data=np.ones(1, np.complex64))
    both("fft", data=np.ones((), np.float32))


def test_frequencies_and_shifts():
    for n in (0, 1, 4, 5):
        for d in (1.0, 0.1):
            assert_same(ember.fft.fftfreq(n, d), torch.fft.fftfreq(n, d))
            assert_same(ember.fft.rfftfreq(n, d), torch.fft.rfftfreq(n, d))
    assert_same(ember.fft.fftfreq(4, dtype=ember.float64),
                torch.fft.fftfreq(4, dtype=torch.float64))
    assert ember.fft.rfftfreq(4, requires_grad=True).requires_grad
    assert_same_error(lambda: ember.fft.fftfreq(-1), lambda: torch.fft.fftfreq(-1))
    assert_same_error(lambda: ember.fft.fftfreq(3.0), lambda: torch.fft.fftfreq(3.0))
    a = np.arange(30.0).reshape(2, 3, 5)
    for dim in (None, 0, -1, (1, 2)):
        for fn in ("fftshift", "ifftshift"):
            check_op(lambda x, fn=fn, dim=dim: getattr(_lib(x).fft, fn)(x, dim=dim), None, a,
                     layouts_=("contiguous",))
