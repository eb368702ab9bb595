"""stft / istft against torch: values, gradients, grad_fn names, warnings and errors."""

import warnings

import numpy as np
import pytest

import ember
from helpers import assert_same_error, check_op, gradcheck_op, rng

torch = pytest.importorskip("torch")

STFT_CASES = [
    {},
    {"hop_length": 3},
    {"win_length": 5},
    {"center": False},
    {"normalized": True},
    {"onesided": False},
    {"pad_mode": "constant"},
    {"center": False, "align_to_window": True, "win_length": 4, "hop_length": 3},
    {"return_complex": False},
]


def _lib(x):
    return ember if isinstance(x, ember.Tensor) else torch


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@pytest.mark.parametrize("kwargs", STFT_CASES)
@pytest.mark.parametrize("shape", [(20,), (2, 20)])
def test_stft_matches_torch(kwargs, shape):
    g = rng(1)
    kw = {"return_complex": True, **kwargs}
    win = np.hanning(kw.get("win_length", 8)) + 0.1

    def fn(x, w):
        return _lib(x).stft(x, 8, window=w, **kw)

    check_op(fn, None, g.standard_normal(shape), win, dtypes=["float32", "float64"],
             layouts_=("contiguous", "strided"))


def test_stft_method_complex_input_and_no_window():
    g = rng(2)
    x = g.standard_normal(16) + 1j * g.standard_normal(16)
    check_op(lambda t: t.stft(6, hop_length=2), None, x, layouts_=("contiguous",))
    check_op(lambda t: t.stft(6, return_complex=True), None, x.real.copy(),
             layouts_=("contiguous",))


@pytest.mark.parametrize("kwargs", [{}, {"hop_length": 3}, {"win_length": 6},
                                    {"center": False}, {"normalized": True},
                                    {"length": 15}, {"length": 30}])
@pytest.mark.parametrize("batched", [False, True])
def test_istft_matches_torch(kwargs, batched):
    g = rng(3)
    win = np.hanning(kwargs.get("win_length", 8) + 2)[1:-1]
    x = torch.from_numpy(g.standard_normal((2, 20) if batched else (20,)))
    spec = torch.stft(x, 8, hop_length=kwargs.get("hop_length"),
                      win_length=kwargs.get("win_length"), window=torch.from_numpy(win),
                      center=kwargs.get("center", True), return_complex=True).numpy()

    def fn(s, w):
        return _lib(s).istft(s, 8, window=w, **kwargs)

    check_op(fn, None, spec, win, dtypes=[("complex64", "float32"), ("complex128", "float64")],
             layouts_=("contiguous", "transposed"))


def test_istft_onesided_false_and_return_complex():
    g = rng(4)
    spec = np.fft.fft(g.standard_normal((11, 8)), axis=1).T.copy()
    win = np.hanning(10)[1:-1]
    for kw in ({"onesided": False}, {"onesided": False, "return_complex": True}):
        check_op(lambda s, w, kw=kw: _lib(s).istft(s, 8, window=w, **kw), None, spec, win,
                 layouts_=("contiguous",))


def test_roundtrip_gradcheck():
    g = rng(5)

    def roundtrip(x, w):
        spec = ember.stft(x, 6, hop_length=2, window=w, return_complex=True)
        return ember.istft(spec * spec.abs(), 6, hop_length=2, window=w)

    gradcheck_op(roundtrip, g.standard_normal(12), np.hanning(8)[1:-1] + 0.5)


def test_warnings():
    x = ember.arange(16.0)
    with pytest.warns(UserWarning, match="A window was not provided"):
        ember.stft(x, 8, return_complex=True)
    with pytest.warns(UserWarning, match="return_complex=False is deprecated"):
        ember.stft(x, 8, window=ember.ones(8), return_complex=False)
    spec = ember.stft(x, 8, window=ember.ones(8), return_complex=True)
    with pytest.warns(UserWarning, match="A window was not provided"):
        ember.istft(spec, 8)
    with pytest.warns(UserWarning, match="shorter than the length parameter"):
        ember.istft(spec, 8, window=ember.ones(8), length=30)


def _stft_error_cases(lib):
    x = lib.from_numpy(rng(6).standard_normal(20).astype(np.float32))
    return [
        lambda: lib.stft(x, 8),
        lambda: lib.stft(x, 8, hop_length=0, return_complex=True),
        lambda: lib.stft(x, 30, center=False, return_complex=True),
        lambda: lib.stft(x, 8, win_length=9, return_complex=True),
        lambda: lib.stft(x, 8, window=lib.ones(7), return_complex=True),
        lambda: lib.stft(x.reshape(1, 2, 10), 4, return_complex=True),
        lambda: lib.stft(x * 1j, 8, return_complex=True, onesided=True),
        lambda: lib.stft(lib.arange(20), 8, return_complex=True),
        lambda: lib.stft(x, 8, return_complex=True, align_to_window=True),
    ]


def _istft_error_cases(lib):
    x = lib.from_numpy(rng(7).standard_normal(20).astype(np.float32))
    spec = lib.stft(x, 8, window=lib.ones(8), return_complex=True)
    return [
        lambda: lib.istft(lib.view_as_real(spec), 8),
        lambda: lib.istft(spec, 8, onesided=False),
        lambda: lib.istft(spec, 10),
        lambda: lib.istft(spec, 8, hop_length=9),
        lambda: lib.istft(spec, 8, win_length=9),
        lambda: lib.istft(spec, 8, window=lib.ones(7, dtype=lib.float64)),
        lambda: lib.istft(spec, 8, window=lib.hann_window(8, periodic=False), center=False),
        lambda: lib.istft(spec, 8, return_complex=True),
        lambda: lib.istft(spec[:0], 8),
        lambda: lib.istft(spec[None, None], 8),
        lambda: lib.istft(spec, 8, window=lib.ones(8) * 1j),
    ]


@pytest.mark.parametrize("i", range(9))
def test_stft_errors(i):
    assert_same_error(_stft_error_cases(ember)[i], _stft_error_cases(torch)[i])


@pytest.mark.parametrize("i", range(11))
def test_istft_errors(i):
    assert_same_error(_istft_error_cases(ember)[i], _istft_error_cases(torch)[i])
