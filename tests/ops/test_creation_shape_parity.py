"""Tensor creation, factory argument checks and joins compared with torch: dtype inference
and value conversion in ``tensor``, size parsing, ``out=``, ranges and their errors."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from helpers import assert_same, assert_same_error

torch = pytest.importorskip("torch")


def _both(src: str):
    """The same expression, with ``L`` bound to ember and to torch."""
    return (lambda: eval(src, {"L": ember, "np": np}),
            lambda: eval(src, {"L": torch, "np": np}))


def _check(src: str) -> None:
    e_call, t_call = _both(src)
    try:
        expected = t_call()
    except Exception:
        assert_same_error(e_call, t_call)
        return
    assert_same(e_call(), expected, atol=0, rtol=0, what=src)


TENSOR_CASES = [
    "L.tensor([1, 2.5])", "L.tensor([True, 1j])", "L.tensor([np.float32(1.5), 2.0])",
    "L.tensor(range(4))", "L.tensor([range(2), range(2)])", "L.tensor(bytearray(b'ab'))",
    "L.tensor([np.array(3.0)])", "L.tensor([L.ones(2), L.ones(2)])",
    "L.tensor([L.ones(2, dtype=L.int64), L.ones(2, dtype=L.int64)])",
    "L.tensor([L.ones(2)], dtype=L.int64)", "L.tensor(['a', 'b'])", "L.tensor([1, 'a'])",
    "L.tensor(b'ab')", "L.tensor([[1, 2], [3]])",
    "L.tensor([-1, -255], dtype=L.uint8)", "L.tensor(-256, dtype=L.uint8)",
    "L.tensor([300], dtype=L.int8)", "L.tensor([1.9, -2.7], dtype=L.int32)",
    "L.tensor([-0.5], dtype=L.uint8)", "L.tensor(float('nan'), dtype=L.int64)",
    "L.tensor([float('inf')], dtype=L.int16)", "L.tensor(2**63)",
    "L.tensor(2**63, dtype=L.int64)", "L.tensor([1j], dtype=L.float32)",
    "L.tensor([1j], dtype=L.int64)", "L.tensor([1j], dtype=L.bool)",
    "L.tensor([1, 2], dtype=np.float32)", "L.tensor([1], dtype='float32')",
    "L.tensor(np.array([1, 2], dtype='>i4'))", "L.as_tensor(np.array([1.0], dtype='>f8'))",
    "L.from_numpy(np.float32(2))", "L.from_numpy([1, 2])",
    "L.scalar_tensor([1])", "L.scalar_tensor(1j)", "L.scalar_tensor(L.tensor(3))",
]


@pytest.mark.parametrize("src", TENSOR_CASES)
def test_tensor_inference_and_conversion(src):
    _check(src)


SIZE_CASES = [
    "L.zeros(2, 3.0)", "L.zeros((2, 3.0))", "L.ones([2.5])", "L.ones(2, 'a')",
    "L.ones((2,), (3,))", "L.ones(True, 2)", "L.ones(True)", "L.ones((True, 2))",
    "L.ones(2, True)", "L.zeros(L.tensor(2))", "L.zeros((L.tensor(2), 3))",
    "L.zeros(L.tensor([2, 3]))", "L.ones(np.float64(2.0))", "L.empty(2, -1)",
    "L.zeros(2, dtype=np.float32)", "L.ones(2, dtype='float32')", "L.rand(2, 3.0)",
    "L.zeros_like([1, 2])",
]


@pytest.mark.parametrize("src", SIZE_CASES)
def test_factory_size_and_dtype_arguments(src):
    _check(src)


FULL_CASES = [
    "L.full((2,), np.bool_(True))", "L.full((2,), L.tensor([1.5, 2]))", "L.full((2,), 'a')",
    "L.full((2,), None)", "L.full((2,), 300, dtype=L.uint8)", "L.full((2,), -1, dtype=L.uint8)",
    "L.full((2,), float('nan'), dtype=L.int64)", "L.full((2,), 1j, dtype=L.float32)",
    "L.full((2,), 1j, dtype=L.float64)", "L.full((2,), 1e300, dtype=L.float32)",
    "L.full_like(L.ones(2, dtype=L.int8), 300)", "L.full((2,), 2.7, dtype=L.int64)",
]


@pytest.mark.parametrize("src", FULL_CASES)
def test_full_fill_values(src):
    _check(src)


RANGE_CASES = [
    "L.arange(0, 5, 1.5, dtype=L.int64)", "L.arange(-0.5, 3, dtype=L.int64)",
    "L.arange(0, 5, 0.5, dtype=L.int64)", "L.arange(3, dtype=L.bool)",
    "L.arange(0, 1e20, 1e-10)", "L.arange(1j)", "L.arange('3')", "L.arange(end=5)",
    "L.arange(250, 260, dtype=L.uint8)", "L.linspace(L.tensor([0]), 1, 3)",
    "L.linspace(1j, 2j, 3)", "L.linspace(1, 2j, 3, dtype=L.float32)",
    "L.linspace(0, 1, 3, dtype=L.bool)", "L.logspace(0, 1, -1)",
    "L.logspace(0.5, 2.5, 3, dtype=L.int64)", "L.logspace(-1, 1, 3, dtype=L.int64)",
    "L.eye(2, -1)", "L.eye(2.0)",
]


@pytest.mark.parametrize("src", RANGE_CASES)
def test_range_arguments(src):
    _check(src)


@pytest.mark.parametrize("args", [(-3.3, 7.7, 11), (0.0, 1.0, 7), (-91.0, -90.248, 13),
                                  (5.25, -17.5, 64), (0.1, 0.9, 33)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_linspace_values_are_torchs_bit_for_bit(args, dtype):
    e = ember.linspace(*args, dtype=getattr(ember, dtype)).numpy()
    t = torch.linspace(*args, dtype=getattr(torch, dtype)).numpy()
    np.testing.assert_array_equal(e, t)


@pytest.mark.parametrize("src", [
    "L.zeros(2, out=L.empty(2, dtype=L.int64))", "L.zeros(2, dtype=L.int64, out=L.empty(3))",
    "L.full((2,), 1, out=L.empty(3))", "L.arange(5, out=L.empty(3))",
    "L.linspace(0, 10, 5, out=L.empty(0, dtype=L.int64))", "L.eye(2, out=L.empty(3))",
    "L.ones(3, out=L.empty(3, requires_grad=True))",
])
def test_factories_write_into_out(src):
    _check(src)


def test_out_is_the_returned_tensor():
    for lib in (ember, torch):
        out = lib.empty(0, dtype=lib.int64)
        assert lib.ones(2, 3, out=out) is out
        assert_same(ember.ones(2, 3, dtype=ember.int64), torch.ones(2, 3, dtype=torch.int64))
        assert tuple(out.shape) == (2, 3) and out.dtype == lib.int64


JOIN_CASES = [
    "L.cat([L.ones(0, dtype=L.float64), L.ones(2)])", "L.cat(L.ones(2, 3))",
    "L.cat([L.ones(2), [1.0]])", "L.cat(L.ones(2), L.ones(2))", "L.stack(L.ones(2, 3))",
    "L.stack([L.ones(2), [1, 2]])", "L.hstack([L.ones(()), L.ones(())])",
    "L.hstack([L.ones(()), L.ones(2)])", "L.hstack([])", "L.vstack([])",
    "L.cat([L.ones(2, 2).T, L.ones(2, 2).T]).stride()",
    "L.cat([L.ones(2, 2).T, L.ones(2, 2).T], 1).stride()",
    "L.cat([L.ones(2, dtype=L.bool), L.ones(3, dtype=L.int8)])",
]


@pytest.mark.parametrize("src", JOIN_CASES)
def test_joins(src):
    _check(src)


SHAPE_CASES = [
    "L.ones(0, 3).chunk(2)", "L.ones(0, 3).chunk(2, 1)", "L.ones(1).chunk(3)",
    "L.ones(2, 3).movedim((0, 1), (0,))", "L.ones(2, 3).movedim((0, 0), (0, 1))",
    "L.ones(2, 3).movedim((0, 1), (1, 1))", "L.ones(2, 3).repeat(-1, 2)",
    "L.ones(2, 3).repeat(0, 2)", "L.ones(6).unflatten(0, (-1, 4))", "L.ones(6).unflatten(0, [])",
    "L.ones(6).unflatten(0, (-1, 3))",
    "L.arange(24.).reshape(2, 3, 4).tile(2)", "L.arange(24.).reshape(2, 3, 4).tile(2, 2)",
    "L.ones(1, 2, 1).squeeze((0, 0))", "L.arange(24.).reshape(2, 3, 4).narrow(1, -4, 1)",
    "L.arange(24.).reshape(2, 3, 4).narrow(1, 0, -1)",
    "L.arange(24.).reshape(2, 3, 4).narrow(1, -1, 1)",
    "L.arange(24.).reshape(2, 3, 4).split(-1, 1)",
]


@pytest.mark.parametrize("src", SHAPE_CASES)
def test_shape_op_arguments(src):
    _check(src)
