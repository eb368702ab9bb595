"""sort, argsort and topk against PyTorch: values, indices, gradients, NaN, ties, errors."""

import numpy as np
import pytest

import ember
from helpers import assert_same_error, check_op, gradcheck_op, rng

torch = pytest.importorskip("torch")

R = rng(11)


def distinct(*shape):
    """Values without ties (a scaled permutation), so that every index is determined."""
    n = int(np.prod(shape))
    return ((R.permutation(n) - n / 2) / 3).reshape(shape).astype(np.float32)


def with_ties(*shape):
    """Few distinct values, NaN and infinities among them: ties everywhere."""
    a = R.integers(-2, 3, shape).astype(np.float32)
    a[R.random(shape) < 0.15] = np.nan
    a[R.random(shape) < 0.1] = np.inf
    a[R.random(shape) < 0.1] = -np.inf
    return a


SHAPES_DIMS = [((7,), -1), ((4, 5), 0), ((4, 5), 1), ((3, 4, 5), 1), ((3, 4, 5), -1),
               ((), 0), ((), -1), ((0,), 0), ((2, 0, 3), 2)]


@pytest.mark.parametrize("shape,dim", SHAPES_DIMS, ids=str)
@pytest.mark.parametrize("descending", [False, True])
def test_sort_values_indices_and_gradients(shape, dim, descending):
    # Every layout (contiguous, transposed, strided) and both float dtypes; the gradient of
    # the values goes back through the indices, compared with torch's.
    check_op(lambda x: ember.sort(x, dim, descending), lambda x: torch.sort(x, dim, descending),
             distinct(*shape), dtypes=["float32", "float64"])


@pytest.mark.parametrize("shape,dim", [s for s in SHAPES_DIMS if s[0] != (2, 0, 3)], ids=str)
@pytest.mark.parametrize("largest", [True, False])
def test_topk_values_indices_and_gradients(shape, dim, largest):
    size = shape[dim] if shape else 1
    for k in sorted({0, 1, size // 2, size}):
        check_op(lambda x, k: ember.topk(x, k, dim, largest),
                 lambda x, k: torch.topk(x, k, dim, largest), distinct(*shape), k,
                 dtypes=[("float32", None), ("float64", None)])


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("n", [5, 16, 17, 300])
def test_stable_sort_of_ties_nan_and_infinities_matches_torch(n, descending):
    a = with_ties(3, n)
    e = ember.sort(ember.tensor(a), dim=1, descending=descending, stable=True)
    t = torch.sort(torch.tensor(a), dim=1, descending=descending, stable=True)
    np.testing.assert_array_equal(e.values.numpy(), t.values.numpy())
    np.testing.assert_array_equal(e.indices.numpy(), t.indices.numpy())
    np.testing.assert_array_equal(
        ember.argsort(ember.tensor(a), dim=1, descending=descending, stable=True).numpy(),
        torch.argsort(torch.tensor(a), dim=1, descending=descending, stable=True).numpy())


@pytest.mark.parametrize("descending", [False, True])
def test_default_sort_with_ties_gives_torch_values_and_a_valid_order(descending):
    # torch's default sort orders ties as its algorithm happens to; any order is correct,
    # so the values must agree and the indices must pick exactly those values.
    a = with_ties(4, 300)
    e = ember.sort(ember.tensor(a), descending=descending)
    t = torch.sort(torch.tensor(a), descending=descending)
    np.testing.assert_array_equal(e.values.numpy(), t.values.numpy())
    idx = e.indices.numpy()
    assert (np.sort(idx, axis=1) == np.arange(300)).all()
    np.testing.assert_array_equal(np.take_along_axis(a, idx, 1), e.values.numpy())


@pytest.mark.parametrize("largest", [True, False])
def test_topk_with_nan_and_ties_gives_torch_values(largest):
    a = with_ties(4, 50)
    e = ember.topk(ember.tensor(a), 7, largest=largest)
    t = torch.topk(torch.tensor(a), 7, largest=largest)
    np.testing.assert_array_equal(e.values.numpy(), t.values.numpy())
    np.testing.assert_array_equal(np.take_along_axis(a, e.indices.numpy(), 1), e.values.numpy())


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool", "float16"])
def test_sort_other_dtypes(dtype):
    a = R.integers(0, 2 if dtype == "bool" else 50, (3, 20)).astype(dtype)
    for descending in (False, True):
        e = ember.sort(ember.tensor(a), dim=0, descending=descending, stable=True)
        t = torch.sort(torch.tensor(a), dim=0, descending=descending, stable=True)
        assert e.values.dtype == getattr(ember, dtype) and e.indices.dtype == ember.int64
        np.testing.assert_array_equal(e.values.numpy(), t.values.numpy())
        np.testing.assert_array_equal(e.indices.numpy(), t.indices.numpy())
    if dtype != "bool":
        e, t = ember.tensor(a).topk(3, 0), torch.tensor(a).topk(3, 0)
        np.testing.assert_array_equal(e.values.numpy(), t.values.numpy())


def test_methods_outputs_and_reprs():
    a = distinct(3, 4)
    e, t = ember.tensor(a), torch.tensor(a)
    assert repr(e.sort(0)).replace("ember", "torch") == repr(t.sort(0))
    assert repr(e.topk(2)).replace("ember", "torch") == repr(t.topk(2))
    np.testing.assert_array_equal(e.argsort(descending=True).numpy(),
                                  t.argsort(descending=True).numpy())
    values, indices = ember.empty(0), ember.empty(0, dtype=ember.int64)
    result = ember.sort(e, 1, out=(values, indices))
    np.testing.assert_array_equal(values.numpy(), t.sort(1).values.numpy())
    assert result.values is values and result.indices is indices
    assert type(result).__name__ == "sort_out"


def test_gradcheck():
    gradcheck_op(lambda x: ember.sort(x, 1, True).values, distinct(3, 5).astype(np.float64))
    gradcheck_op(lambda x: ember.topk(x, 2, 0, largest=False).values,
                 distinct(4, 3).astype(np.float64))
    gradcheck_op(lambda x: ember.sort(x).values, np.array(1.5))


@pytest.mark.parametrize("call", [
    lambda L: L.topk(L.arange(3.0), 4),
    lambda L: L.topk(L.arange(3.0), -1),
    lambda L: L.topk(L.tensor(2.0), 2),
    lambda L: L.topk(L.tensor([True, False]), 1),
    lambda L: L.topk(L.tensor([1 + 1j]), 1),
    lambda L: L.sort(L.tensor([1 + 1j])),
    lambda L: L.argsort(L.tensor([1 + 1j])),
    lambda L: L.sort(L.arange(3.0), 1),
    lambda L: L.topk(L.ones(2, 3), 1, dim=-3),
])
def test_errors_match_torch(call):
    assert_same_error(lambda: call(ember), lambda: call(torch))
