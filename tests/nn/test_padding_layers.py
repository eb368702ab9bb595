"""Padding layers (constant, zero, reflection, replication, circular) against PyTorch."""

import numpy as np
import pytest

from ember import nn
from helpers import assert_same_error, check_op, gradcheck_op, rng, to_ember, to_torch

torch = pytest.importorskip("torch")
R = rng(31)
LAYOUTS = ("contiguous", "transposed")

KINDS = ["ConstantPad", "ZeroPad", "ReflectionPad", "ReplicationPad", "CircularPad"]


def _pair(kind, dims, padding):
    args = (padding, 1.5) if kind == "ConstantPad" else (padding,)
    return getattr(nn, f"{kind}{dims}d")(*args), getattr(torch.nn, f"{kind}{dims}d")(*args)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dims", [1, 2, 3])
@pytest.mark.parametrize("batched", [True, False])
def test_padding_matches_torch(kind, dims, batched):
    padding = (2, 1, 0, 3, 1, 2)[:2 * dims]
    shape = (2, 3) + (4,) * dims if batched else (3,) + (4,) * dims
    e, t = _pair(kind, dims, padding)
    check_op(e, t, R.standard_normal(shape), dtypes=["float32", "float64"], layouts_=LAYOUTS)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dims", [1, 2, 3])
def test_int_padding_and_repr_match_torch(kind, dims):
    for padding in (2, tuple(range(2 * dims)), list(range(1, 2 * dims + 1))):
        e, t = _pair(kind, dims, padding)
        assert repr(e) == repr(t)
        assert e.padding == t.padding and isinstance(e.padding, tuple)
        if kind in ("ConstantPad", "ZeroPad"):
            assert e.value == t.value and type(e.value) is type(t.value)
        assert list(e.state_dict()) == list(t.state_dict()) == []


@pytest.mark.parametrize("kind", KINDS)
def test_gradcheck(kind):
    e, _ = _pair(kind, 2, (1, 2, 2, 0))
    gradcheck_op(e, R.standard_normal((2, 2, 3, 3)))


def test_negative_padding_crops_like_torch():
    for kind in ("ConstantPad", "ZeroPad", "CircularPad"):
        e, t = _pair(kind, 1, (-1, 2))
        check_op(e, t, R.standard_normal((2, 3, 5)), layouts_=LAYOUTS)


def test_constant_pad_accepts_any_rank_like_torch():
    for shape in [(5,), (2, 2, 2, 2, 3)]:
        e, t = _pair("ConstantPad", 1, 1)
        check_op(e, t, R.standard_normal(shape), layouts_=("contiguous",))
        e, t = _pair("ZeroPad", 3, 1)
        check_op(e, t, R.standard_normal(shape), layouts_=("contiguous",))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dims", [1, 2, 3])
@pytest.mark.parametrize("rank", [1, 6])
def test_wrong_rank_raises_like_torch(kind, dims, rank):
    x = R.standard_normal((2,) * rank)
    e, t = _pair(kind, dims, 1)
    try:
        t(to_torch(x))
    except Exception:
        assert_same_error(lambda: e(to_ember(x)), lambda: t(to_torch(x)))
    else:
        np.testing.assert_allclose(e(to_ember(x)).numpy(), t(to_torch(x)).numpy())


@pytest.mark.parametrize("kind,padding", [("ReflectionPad", (4, 1, 0, 0)),
                                          ("ReflectionPad", (1, 1, 3, 0)),
                                          ("CircularPad", (5, 0, 0, 0)),
                                          ("CircularPad", (0, 0, 0, 4))])
def test_too_large_padding_raises_like_torch(kind, padding):
    x = R.standard_normal((2, 3, 4))
    e, t = _pair(kind, 2, padding)
    assert_same_error(lambda: e(to_ember(x)), lambda: t(to_torch(x)))


def test_reflection_of_empty_channel_dimension_raises_like_torch():
    x = np.zeros((2, 0, 4))
    e, t = _pair("ReflectionPad", 1, 1)
    assert_same_error(lambda: e(to_ember(x)), lambda: t(to_torch(x)))
