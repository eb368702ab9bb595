"""Tensor printing must match PyTorch's text exactly (with ``ember.`` for ``torch.``)."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ember import _dtype
from ember._tensor import Tensor, tensor_from_array
from ember._tensor_str import get_printoptions, printoptions, set_printoptions, tensor_repr
from ember.autograd.graph import Node

torch = pytest.importorskip("torch")

INT_DTYPES = [np.int8, np.int16, np.int32, np.int64, np.uint8]
FLOAT_DTYPES = [np.float16, np.float32, np.float64]
COMPLEX_DTYPES = [np.complex64, np.complex128]
ALL_DTYPES = INT_DTYPES + FLOAT_DTYPES + COMPLEX_DTYPES + [np.bool_]


class AddBackward0(Node):
    pass


class MyTensor(Tensor):
    __slots__ = ()


@pytest.fixture(autouse=True)
def default_options():
    yield
    set_printoptions(profile="default")
    torch.set_printoptions(profile="default")
    _dtype.set_default_dtype(_dtype.float32)
    torch.set_default_dtype(torch.float32)


def expected_text(t) -> str:
    return repr(t).replace("torch.", "ember.")


def assert_prints_alike(arr: np.ndarray, requires_grad: bool = False) -> None:
    arr = np.ascontiguousarray(arr)
    ours = tensor_from_array(arr)
    theirs = torch.tensor(arr)
    if requires_grad:
        ours._requires_grad = True
        theirs.requires_grad_(True)
    assert repr(ours) == expected_text(theirs)
    assert str(ours) == str(theirs).replace("torch.", "ember.")


# -- hand-picked cases ---------------------------------------------------------------------
nan, inf = math.nan, math.inf
CASES = [
    ([1.0, 2.0, 3.0], np.float32), ([0.0, 0.0], np.float32), ([0.0, -1.0], np.float32),
    ([nan, 1.0], np.float32), ([nan, inf, -inf], np.float32), ([nan, 1.5], np.float32),
    ([1e5, 1.0], np.float32), ([1e-5, 1.0], np.float32), ([1e10], np.float32),
    ([1e8], np.float32), ([1e8 + 8], np.float32), ([0.5, 1000.0], np.float32),
    ([0.5, 501.0], np.float32), ([1e-4, 0.5], np.float32), ([9.99996, -9.99996], np.float32),
    (3.0, np.float32), (-0.0, np.float32), ([-0.0, 0.0], np.float32), (nan, np.float32),
    ([True, False], np.bool_), (True, np.bool_), ([True, True], np.bool_),
    ([1, 2, -300], np.int64), ([1, 2], np.int32), (7, np.int32), ([255, 0], np.uint8),
    ([1.5], np.float64), ([1.5], np.float16), ([65504.0, 1.0], np.float16),
    ([1e-300, 1.0], np.float64), ([1e300, -1.0], np.float64), ([5e-324], np.float64),
    ([1 + 2j, -1 - 0.5j], np.complex64), (1 - 2j, np.complex64), ([0j, 0j], np.complex128),
    ([complex(nan, 1), complex(1, -inf)], np.complex64), ([1e6 + 1e-6j], np.complex128),
]


@pytest.mark.parametrize(("values", "dtype"), CASES)
def test_handpicked_values(values, dtype):
    assert_prints_alike(np.array(values, dtype=dtype))


@pytest.mark.parametrize("shape", [(0,), (0, 3), (2, 0), (2, 0, 4), (0, 0, 0, 1)])
@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_empty(shape, dtype):
    assert_prints_alike(np.zeros(shape, dtype=dtype))


@pytest.mark.parametrize("shape", [(30,), (100,), (2, 3, 5), (1, 1, 2, 2), (3, 1, 4), (7, 13),
                                   (2, 2, 2, 2), (5, 1), (1, 5, 1)])
@pytest.mark.parametrize("scale", [1, 7, 1e-3, 1e5])
def test_layouts(shape, scale):
    arr = (np.arange(math.prod(shape), dtype=np.float32) / 7 * scale).reshape(shape)
    assert_prints_alike(arr)
    assert_prints_alike(-arr)
    assert_prints_alike(arr.astype(np.int64))


@pytest.mark.parametrize("shape", [(1001,), (2000,), (40, 30), (1500, 1), (1, 1500), (5, 300),
                                   (3, 20, 20), (2, 3, 15, 15), (11, 11, 11), (7, 7, 7, 7)])
@pytest.mark.parametrize("kind", ["normal", "ints", "wide", "nan", "bool", "complex"])
def test_summarized(shape, kind):
    rng = np.random.default_rng(sum(shape))
    arr = rng.standard_normal(shape).astype(np.float32)
    if kind == "ints":
        arr = rng.integers(-5000, 5000, shape)
    elif kind == "wide":
        arr = arr * 10.0 ** rng.integers(-8, 8, shape)
    elif kind == "nan":
        arr.flat[::7] = np.nan
    elif kind == "bool":
        arr = arr > 0
    elif kind == "complex":
        arr = (arr + 1j * rng.standard_normal(shape)).astype(np.complex64)
    assert_prints_alike(arr)


@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (12,), (30, 40)])
def test_requires_grad_and_grad_fn(shape):
    arr = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    assert_prints_alike(arr, requires_grad=True)
    ours = tensor_from_array(arr)
    ours.grad_fn = AddBackward0()
    theirs = torch.tensor(arr, requires_grad=True) + 0
    assert repr(ours) == expected_text(theirs)


def test_suffixes_wrap_after_long_rows():
    # A row that fills the line pushes both suffixes, each onto its own line if needed.
    for n in range(6, 14):
        arr = np.arange(n, dtype=np.float64) * 1.5 + 0.25
        assert_prints_alike(arr, requires_grad=True)
        assert_prints_alike(arr.astype(np.int32))
        assert_prints_alike(arr.astype(np.float16), requires_grad=True)


def test_default_dtype_float64():
    _dtype.set_default_dtype(_dtype.float64)
    torch.set_default_dtype(torch.float64)
    for dtype in (np.float32, np.float64, np.complex64, np.complex128):
        assert_prints_alike(np.array([1.5, 2.0], dtype=dtype))
        assert_prints_alike(np.zeros((0,), dtype=dtype))


def test_subclass_prefix_and_custom_contents():
    ours = tensor_from_array(np.array([1.0, 2.0], dtype=np.float32))
    theirs = torch.tensor([1.0, 2.0])
    assert tensor_repr(ours, tensor_contents="[...]") == theirs.__repr__(tensor_contents="[...]")
    ours.__class__ = MyTensor
    theirs = theirs.as_subclass(type("MyTensor", (torch.Tensor,), {}))
    assert repr(ours) == repr(theirs)


# -- print options ---------------------------------------------------------------------------
OPTION_CALLS = [
    {"precision": 2}, {"precision": 0}, {"precision": 10}, {"threshold": 5},
    {"edgeitems": 1, "threshold": 10}, {"edgeitems": 0, "threshold": 10}, {"edgeitems": 0},
    {"linewidth": 40}, {"linewidth": 5}, {"linewidth": 200}, {"sci_mode": True},
    {"sci_mode": False}, {"profile": "short"}, {"profile": "full"},
    {"profile": "short", "precision": 6}, {"profile": "nonsense", "linewidth": 60},
]


@pytest.mark.parametrize("options", OPTION_CALLS)
def test_set_printoptions(options):
    set_printoptions(precision=7, sci_mode=True)
    torch.set_printoptions(precision=7, sci_mode=True)
    set_printoptions(**options)
    torch.set_printoptions(**options)
    assert get_printoptions() == torch._tensor_str.get_printoptions()
    rng = np.random.default_rng(1)
    for arr in (rng.standard_normal((4, 30)).astype(np.float32), np.arange(2000).reshape(40, 50),
                np.array([1e5, 1.0, nan], dtype=np.float32), np.array([3.0, -2.0, 0.0]),
                np.arange(20.0, dtype=np.float32) * 1e-6, np.array(0.123456789),
                rng.standard_normal(20) + 1j):
        assert_prints_alike(arr)


def test_printoptions_context_restores():
    set_printoptions(precision=3, linewidth=70)
    with printoptions(precision=1, sci_mode=True):
        assert get_printoptions()["precision"] == 1
        assert get_printoptions()["sci_mode"] is True
    assert get_printoptions() == {"precision": 3, "threshold": 1000, "edgeitems": 3,
                                  "linewidth": 70, "sci_mode": None}


# -- generated arrays ------------------------------------------------------------------------
@st.composite
def printable_arrays(draw, max_side=6):
    dtype = np.dtype(draw(st.sampled_from(ALL_DTYPES)))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=max_side))
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        bound = draw(st.sampled_from([9, 1000, int(info.max)]))
        lo = max(int(info.min), -bound)
        return draw(hnp.arrays(dtype, shape, elements=st.integers(lo, min(bound, info.max))))
    if dtype.kind == "b":
        return draw(hnp.arrays(dtype, shape, elements=st.booleans()))
    real = draw(float_arrays(shape))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # float16 overflow becomes inf
        if dtype.kind == "c":
            return (real + 1j * draw(float_arrays(shape))).astype(dtype)
        return real.astype(dtype)


def float_arrays(shape):
    """Values of one magnitude band per array, with integers, zeros, nan and inf mixed in."""
    def build(exponent):
        span = 10.0 ** exponent
        elements = st.one_of(
            st.floats(-span, span),
            st.integers(-1000, 1000).map(float),
            st.sampled_from([0.0, -0.0, nan, inf, -inf, span, 1.0]),
        )
        return hnp.arrays(np.float64, shape, elements=elements)
    return st.integers(-12, 12).flatmap(build)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(printable_arrays())
def test_generated_arrays(arr):
    assert_prints_alike(arr)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(printable_arrays(max_side=12),
       st.fixed_dictionaries({}, optional={
           "precision": st.integers(0, 8), "threshold": st.integers(0, 60),
           "edgeitems": st.integers(0, 4), "linewidth": st.integers(10, 120),
           "sci_mode": st.sampled_from([True, False])}))
def test_generated_arrays_with_options(arr, options):
    try:
        set_printoptions(**options)
        torch.set_printoptions(**options)
        assert_prints_alike(arr)
    finally:
        set_printoptions(profile="default")
        torch.set_printoptions(profile="default")


def test_non_contiguous_views():
    base = np.random.default_rng(2).standard_normal((6, 50, 40)).astype(np.float32)
    for view in (base.transpose(2, 0, 1), base[::-1, ::3], base[:, 5], base[..., ::-2]):
        assert repr(tensor_from_array(view)) == expected_text(torch.tensor(view.copy()))
