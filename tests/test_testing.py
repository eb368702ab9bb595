"""ember.testing against torch.testing: assert_close's verdicts and messages, make_tensor."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from helpers import assert_same_error

import ember
from ember.testing import assert_allclose, assert_close, make_tensor

torch = pytest.importorskip("torch")


def _convert(value, lib):
    """The same nested structure with arrays turned into ``lib`` tensors."""
    if isinstance(value, np.ndarray):
        return lib.from_numpy(value.copy())
    if isinstance(value, (list, tuple)):
        return type(value)(_convert(v, lib) for v in value)
    if isinstance(value, dict):
        return {k: _convert(v, lib) for k, v in value.items()}
    return value


def _same(actual, expected, **kwargs):
    """assert_close passes in both, or fails in both with the same error type and message."""
    try:
        torch.testing.assert_close(_convert(actual, torch), _convert(expected, torch), **kwargs)
    except Exception:  # noqa: BLE001 - any failure must be mirrored
        assert_same_error(
            lambda: assert_close(_convert(actual, ember), _convert(expected, ember), **kwargs),
            lambda: torch.testing.assert_close(_convert(actual, torch), _convert(expected, torch),
                                               **kwargs))
    else:
        assert_close(_convert(actual, ember), _convert(expected, ember), **kwargs)


f32 = np.float32
CASES = [
    (np.array([1, 2, 3], f32), np.array([1, 2, 3.5], f32), {}),
    (np.array([1, 2, 3], f32), np.array([1, 2, 3 + 1e-6], f32), {}),
    (np.array([[1, 2], [3, 4]], f32), np.array([[1.5, 2], [3, 0]], f32), {}),
    (np.array([1, 2, 3.0]), np.array([1, 2.1, 3.0]), {}),
    (np.array([1, 2, 3.0]), np.array([1, 2.1, 3.0]), dict(rtol=0, atol=0)),
    (np.array([1, 2, 3.0]), np.array([1, 2.1, 3.0]), dict(rtol=0.1, atol=0.0)),
    (np.array([1, np.nan, 3], f32), np.array([1, np.nan, 3], f32), {}),
    (np.array([1, np.nan, 3], f32), np.array([1, np.nan, 3], f32), dict(equal_nan=True)),
    (np.array([1, np.nan, 3], f32), np.array([1, 2, 3], f32), {}),
    (np.array([np.inf, 1], f32), np.array([np.inf, 2], f32), {}),
    (np.array([np.inf, 1], f32), np.array([-np.inf, 1], f32), {}),
    (np.array([1, 0, 3], f32), np.array([1, 0, 0], f32), {}),
    (np.array([5, 2, 3]), np.array([1, 2, 7]), {}),
    (np.array([5, 2, 3], np.uint8), np.array([1, 2, 7], np.uint8), {}),
    (np.array([True, False]), np.array([True, True]), {}),
    (np.array([1 + 1j, 2], np.complex64), np.array([1 + 2j, 2], np.complex64), {}),
    (np.array([1, 2], f32), np.array([1, 2.5], f32), dict(msg="custom")),
    (np.array([1, 2], f32), np.array([1, 2.5], f32), dict(msg=lambda m: f"head\n{m}\ntail")),
    (np.array([1, 2], f32), np.array([1, 2]), {}),
    (np.array([1, 2], f32), np.array([1, 2.0]), dict(check_dtype=False)),
    (np.array([1, 2], f32), np.array([1, 2.1]), dict(check_dtype=False)),
    (np.array([1, 2], f32), np.array([1, 2, 3], f32), {}),
    (np.array([1, 2], f32), np.array([1, 2], f32), dict(rtol=1e-3)),
    (np.array([1, 2], f32), np.array([1, 2], f32), dict(atol=1e-3)),
    (np.array(1.5, f32), np.array(2.0, f32), {}),
    (np.array(3, np.int64), np.array(2, np.int64), {}),
    (np.ones((2, 3), f32), np.ones((3, 2), f32).T, dict(check_stride=True)),
    (np.ones((2, 3), f32), np.ones((3, 2), f32).T, {}),
    (1.0, 1.0 + 1e-9, {}), (1.0, 1.5, {}), (1, 2, {}), (1, 1.0, {}),
    (1, 1.0, dict(check_dtype=False)), (1.0, 0.0, {}), (float("nan"), float("nan"), {}),
    (float("nan"), float("nan"), dict(equal_nan=True)), (1 + 1j, 1 + 2j, {}),
    (np.float32(1.0), np.float32(1.5), {}), (True, False, {}), (True, True, {}),
    (None, None, {}), (None, 1, {}), ("a", "a", {}), ("a", "b", {}),
    (np.array([1, 2], f32), [1.0, 2.0], {}), (np.array([1, 2], f32), 1.0, {}),
    ([np.array([1.0], f32), 2.0], [np.array([1.0], f32), 2.5], {}),
    ([np.array([1.0], f32), 2.0], (np.array([1.5], f32), 2.0), {}),
    ([1, 2], [1, 2, 3], {}),
    ({"a": np.array([1.0], f32), "b": [1, 2]}, {"a": np.array([1.0], f32), "b": [1, 3]}, {}),
    ({"a": 1, "b": 2}, {"a": 1, "c": 2}, {}),
    ({"a": [1, np.array([0.0, 1.0])]}, {"a": [1, np.array([0.0, 2.0])]}, {}),
    ([1, [2, 3]], [1, [2, 3]], {}),
]


@pytest.mark.parametrize("actual, expected, kwargs", CASES)
def test_assert_close_matches_torch(actual, expected, kwargs):
    _same(actual, expected, **kwargs)


def test_numpy_arrays_compared_as_tensors():
    a, b = np.array([1.0, 2.0]), np.array([1.0, 2.5])
    assert_same_error(lambda: assert_close(a, b), lambda: torch.testing.assert_close(a, b))
    assert_close(a, a.copy())


def test_random_tensors_with_many_mismatches():
    rng = np.random.default_rng(0)
    for dtype in (np.float32, np.float64, np.int32, np.int16):
        a = (rng.standard_normal((4, 5)) * 10).astype(dtype)
        b = (a + (rng.random((4, 5)) > 0.5) * rng.standard_normal((4, 5)) * 3).astype(dtype)
        _same(a, b)


def test_subclasses_and_allow_subclasses():
    p, t = ember.nn.Parameter(ember.ones(2)), ember.ones(2)
    assert_close(p, t)
    tp, tt = torch.nn.Parameter(torch.ones(2)), torch.ones(2)
    assert_same_error(lambda: assert_close(p, t, allow_subclasses=False),
                      lambda: torch.testing.assert_close(tp, tt, allow_subclasses=False))


def test_assert_allclose_legacy_defaults():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        a, b = np.array([1.0, 2.0], f32), np.array([1.0, 2.0001], f32)
        assert_allclose(ember.from_numpy(a), ember.from_numpy(b))
        torch.testing.assert_allclose(torch.from_numpy(a), torch.from_numpy(b))
        assert_allclose(ember.tensor([1.0, float("nan")]), [1.0, float("nan")])
        assert_same_error(
            lambda: assert_allclose(ember.tensor([1.0, 2.0]), [1.0, 3.0]),
            lambda: torch.testing.assert_allclose(torch.tensor([1.0, 2.0]), [1.0, 3.0]))
    with pytest.warns(FutureWarning):
        assert_allclose(ember.ones(1), ember.ones(1))


# -- make_tensor -------------------------------------------------------------------------
@pytest.mark.parametrize("name, low, high", [
    ("float32", None, None), ("float64", -2, 3), ("float16", None, None),
    ("int64", None, None), ("uint8", None, None), ("int8", -200, 200), ("int32", 0.5, 3.5),
    ("bool", None, None), ("complex64", -1, 1),
])
def test_make_tensor_range_dtype_shape(name, low, high):
    t = make_tensor(100, 50, dtype=getattr(ember, name), device="cpu", low=low, high=high)
    ref = torch.testing.make_tensor(100, 50, dtype=getattr(torch, name), device="cpu",
                                    low=low, high=high)
    assert t.shape == ember.Size(ref.shape)
    assert str(t.dtype) == str(ref.dtype).replace("torch", "ember")
    values, ref_values = t.numpy(), ref.numpy()
    if values.dtype.kind == "c":
        values, ref_values = np.stack([values.real, values.imag]), np.stack([ref_values.real,
                                                                             ref_values.imag])
    # the interval, read off 5000 draws: exact for integers, rounded outwards for floats
    got = (np.floor(values.min()), np.ceil(values.max()))
    want = (np.floor(ref_values.min()), np.ceil(ref_values.max()))
    assert got == want, (got, want)


def test_make_tensor_options():
    t = make_tensor((3, 4), dtype=ember.float32, device="cpu", noncontiguous=True,
                    requires_grad=True)
    assert t.shape == (3, 4) and not t.is_contiguous() and t.requires_grad and t.is_leaf
    assert make_tensor(1, 1, dtype=ember.float32, device="cpu", noncontiguous=True).is_contiguous()
    z = make_tensor(200, dtype=ember.int8, device="cpu", low=-1, high=1, exclude_zero=True)
    assert (z.numpy() != 0).all()
    zf = make_tensor([5], dtype=ember.float32, device="cpu", exclude_zero=True)
    assert zf.shape == (5,) and not zf.requires_grad


@pytest.mark.parametrize("kwargs", [
    dict(low=2, high=1), dict(low=float("nan")), dict(low=300, high=400),
    dict(requires_grad=True), dict(noncontiguous=True, memory_format="x"),
])
def test_make_tensor_errors(kwargs):
    assert_same_error(lambda: make_tensor(2, dtype=ember.uint8, device="cpu", **kwargs),
                      lambda: torch.testing.make_tensor(2, dtype=torch.uint8, device="cpu",
                                                        **kwargs))
