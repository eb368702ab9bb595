"""unique, unique_consecutive, argwhere, isin, scatter_reduce, index_copy, index_reduce,
masked_scatter, put and the *_scatter embeddings against PyTorch: values, dtypes,
gradients, grad_fn names and errors."""

import numpy as np
import pytest

import ember
from helpers import assert_same, assert_same_error, check_op, gradcheck_op, rng

torch = pytest.importorskip("torch")

R = rng(7)
REDUCES = ["sum", "prod", "mean", "amax", "amin"]


def both(fn, *arrays):
    """``fn`` applied to ember and to torch tensors over the same arrays."""
    conv = [(ember.from_numpy(a.copy()), torch.from_numpy(a.copy()))
            if isinstance(a, np.ndarray) else (a, a) for a in arrays]
    return fn(*[e for e, _ in conv]), fn(*[t for _, t in conv])


# -- unique / unique_consecutive ------------------------------------------------------------
UNIQUE_DATA = [np.array([3, 1, 2, 3, 1, 5]), np.array(2.5), np.array([], dtype=np.float32),
               np.array([[1, 2], [1, 2], [0, 5]]), np.array([True, False, True]),
               np.array([np.nan, 1.0, np.nan, 1.0]), R.integers(0, 3, (3, 4, 2))]


@pytest.mark.parametrize("a", UNIQUE_DATA, ids=range(len(UNIQUE_DATA)))
@pytest.mark.parametrize("flags", [(False, False), (True, False), (False, True), (True, True)])
def test_unique_matches_torch(a, flags):
    inv, cnt = flags
    e, t = both(lambda x: x.unique(return_inverse=inv, return_counts=cnt), a)
    assert_same(e, t)
    e, t = both(lambda x: ember.unique_consecutive(x, return_inverse=inv, return_counts=cnt)
                if isinstance(x, ember.Tensor) else
                torch.unique_consecutive(x, return_inverse=inv, return_counts=cnt), a)
    assert_same(e, t)


# (torch's sort of slices misorders NaN, so no NaN here)
@pytest.mark.parametrize("a", [UNIQUE_DATA[3], UNIQUE_DATA[4], UNIQUE_DATA[6], np.zeros((0, 3)),
                               np.zeros((2, 0)), np.array([[1.5, 2], [0, 1], [1.5, 2]])],
                         ids=range(6))
@pytest.mark.parametrize("dim", [0, -1])
def test_unique_dim_matches_torch(a, dim):
    if a.ndim <= 1 and dim == -1:
        dim = 0
    for name in ("unique", "unique_consecutive"):
        check_op(lambda x, name=name: getattr(ember if isinstance(x, ember.Tensor) else torch,
                                              name)(x, return_inverse=True, return_counts=True,
                                                    dim=dim), None, a, requires_grad=False)


def test_unique_has_no_derivative():
    a = R.standard_normal(5).round(0)
    check_op(lambda x: x.unique(), None, a)
    check_op(lambda x: x.unique(dim=0), None, a)
    check_op(lambda x: x.unique_consecutive(), None, a)


@pytest.mark.parametrize("call", [
    lambda m, x: m.unique(x, dim=0),
    lambda m, x: m.unique_consecutive(x, dim=0),
    lambda m, x: m.unique(x.reshape(-1)[0], dim=-1),
    lambda m, x: m.unique(x, dim=3),
    lambda m, x: m.unique(x.to(m.complex64)),
    lambda m, x: m.unique_consecutive(x.to(m.complex64)),
    lambda m, x: m.unique(x.to(m.complex64), dim=1),
])
def test_unique_errors(call):
    a = np.zeros((2, 0, 3), dtype=np.float32)
    assert_same_error(lambda: call(ember, ember.from_numpy(a)),
                      lambda: call(torch, torch.from_numpy(a)))


# -- argwhere / isin ------------------------------------------------------------------------
@pytest.mark.parametrize("a", [np.array([[0, 1], [2, 0]]), np.array(3.0), np.array(0.0),
                               np.array([True, False]), np.zeros((2, 0))])
def test_argwhere(a):
    check_op(lambda x: x.argwhere(), None, a)
    check_op(ember.argwhere, torch.argwhere, a)


@pytest.mark.parametrize("elements, test", [
    (np.array([1, 2, 3]), np.array([2, 5])), (np.array([1, 2, 3]), 2),
    (2, np.array([1, 2])), (np.array([1.0, 2.0]), np.array([2, 3])),
    (np.array([1, 2]), 2.5), (np.array([1, 2]), 2.0), (np.array([44], np.int8), 300),
    (np.array([np.nan, 1.0]), np.array([np.nan])), (np.array(2), np.array([[2]])),
    (R.integers(0, 9, (3, 4)), R.integers(0, 9, 5)),
])
@pytest.mark.parametrize("invert", [False, True])
def test_isin(elements, test, invert):
    check_op(lambda a, b: ember.isin(a, b, invert=invert),
             lambda a, b: torch.isin(a, b, invert=invert), elements, test)


@pytest.mark.parametrize("elements, test", [
    (1, 2), (np.array([True]), np.array([1])), (np.array([1]), np.array([True])),
    (np.array([1 + 1j]), np.array([1]))])
def test_isin_errors(elements, test):
    check_op(ember.isin, torch.isin, elements, test, layouts_=["contiguous"])


# -- scatter_reduce -------------------------------------------------------------------------
@pytest.mark.parametrize("reduce", REDUCES)
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_forward_and_grad(reduce, include_self):
    x = R.standard_normal((3, 5))
    src = R.standard_normal((3, 4))
    index = R.integers(0, 5, (3, 4))
    check_op(lambda a, i, s: a.scatter_reduce(1, i, s, reduce, include_self=include_self),
             None, x, index, src, dtypes=[("float32", "int64", "float32")])
    check_op(lambda a, i, s: ember.scatter_reduce(a, 0, i, s, reduce, include_self=include_self)
             if isinstance(a, ember.Tensor) else
             torch.scatter_reduce(a, 0, i, s, reduce, include_self=include_self),
             None, x, index[:2, :3].astype(np.int32) % 3, src[:2, :3])
    # a src larger than index: only the forward (torch refuses the src gradient's shape)
    check_op(lambda a, i, s: a.scatter_reduce(0, i, s, reduce, include_self=include_self),
             None, x, index[:2, :3] % 3, src, requires_grad=(True, False, False))


@pytest.mark.parametrize("reduce", ["prod", "amax", "amin", "mean"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_ties_and_zeros(reduce, include_self):
    # ties split an amax/amin gradient; zeros take the prod gradient's special path
    x = np.array([2.0, 0.0, 3.0, 1.0, 0.0])
    src = np.array([2.0, 0.0, 1.0, 2.0, 0.0, 5.0, 0.0])
    index = np.array([0, 0, 1, 2, 4, 4, 3])
    check_op(lambda a, i, s: a.scatter_reduce(0, i, s, reduce, include_self=include_self),
             None, x, index, src, layouts_=["contiguous", "strided"])
    if reduce != "prod":
        gradcheck_op(lambda a, s: a.scatter_reduce(0, ember.from_numpy(index), s, reduce,
                                                   include_self=include_self),
                     x + R.random(5) * 0.1, src + R.random(7) * 0.1)


@pytest.mark.parametrize("reduce", REDUCES)
def test_scatter_reduce_integers_and_0d(reduce):
    x = np.array([1, 2, 3, 4])
    src = np.array([-5, 6, -7, 8, 3])
    index = np.array([0, 1, 0, 1, 0])
    for inc in (True, False):
        check_op(lambda a, i, s, inc=inc: a.scatter_reduce(0, i, s, reduce, include_self=inc), None,
                 x, index, src)
    check_op(lambda a, i, s: a.scatter_reduce(0, i, s, reduce), None, np.array(1.5),
             np.array(0), np.array(2.0))
    check_op(lambda a, i, s: a.scatter_reduce(0, i, s, reduce), None, np.array([1.0, 2.0]),
             np.zeros(0, np.int64), np.array([2.0]))


def test_scatter_reduce_double_backward():
    x = R.standard_normal(4) + 3
    src = R.standard_normal(6) + 3
    index = np.array([0, 0, 1, 3, 3, 3])
    for reduce in ("prod", "mean"):
        gradcheck_op(lambda a, s, r=reduce: a.scatter_reduce(0, ember.from_numpy(index), s, r),
                     x, src)
        if reduce == "mean":  # its gradient does not depend on the inputs
            continue
        e = ember.from_numpy(x.copy()).requires_grad_()
        t = torch.from_numpy(x.copy()).requires_grad_()
        (ge,) = ember.autograd.grad(e.scatter_reduce(0, ember.from_numpy(index),
                                                     ember.from_numpy(src), reduce).sum(),
                                    e, create_graph=True)
        (gt,) = torch.autograd.grad(t.scatter_reduce(0, torch.from_numpy(index),
                                                     torch.from_numpy(src), reduce).sum(),
                                    t, create_graph=True)
        assert_same(ember.autograd.grad((ge * ge).sum(), e)[0],
                    torch.autograd.grad((gt * gt).sum(), t)[0])


@pytest.mark.parametrize("call", [
    lambda x, i, s: x.scatter_reduce(0, i, s, "foo"),
    lambda x, i, s: x.scatter_reduce(0, i, 2.0, "sum"),
    lambda x, i, s: x.scatter_reduce(0, i, s.long(), "sum"),
    lambda x, i, s: x.scatter_reduce(0, i.float(), s, "sum"),
    lambda x, i, s: x.scatter_reduce(0, i + 9, s, "sum"),
    lambda x, i, s: x.scatter_reduce(2, i, s, "sum"),
    lambda x, i, s: x.scatter_reduce(0, i[None], s, "sum"),
    lambda x, i, s: x.bool().scatter_reduce(0, i, s.bool(), "mean"),
])
def test_scatter_reduce_errors(call):
    x, i, s = np.arange(4.0), np.array([0, 1, 0, 1]), np.arange(5.0)
    e, t = [(m.from_numpy(x.copy()), m.from_numpy(i), m.from_numpy(s)) for m in (ember, torch)]
    assert_same_error(lambda: call(*e), lambda: call(*t))


def test_scatter_reduce_inplace():
    x, index, src = R.standard_normal((2, 3)), np.array([[0, 0, 2]]), R.standard_normal((1, 3))
    for reduce in REDUCES:
        check_op(lambda a, i, s, r=reduce: (a * 1).scatter_reduce_(1, i, s, r), None, x, index,
                 src)
    e = ember.zeros(3)
    version = e._version[0]
    assert e.scatter_reduce_(0, ember.tensor([1, 1]), ember.ones(2), "sum") is e
    assert e.tolist() == [0.0, 2.0, 0.0] and e._version[0] == version + 1
    leaf = ember.zeros(3, requires_grad=True)
    assert_same_error(lambda: leaf.scatter_reduce_(0, ember.tensor([1]), ember.ones(1), "sum"),
                      lambda: torch.zeros(3, requires_grad=True).scatter_reduce_(
                          0, torch.tensor([1]), torch.ones(1), "sum"))


# -- index_copy -----------------------------------------------------------------------------
@pytest.mark.parametrize("shape, dim, index, src_shape", [
    ((3, 4), 0, [2, 0], (2, 4)), ((3, 4), 1, [3, 0, 1], (3, 3)), ((2, 3, 4), -1, [1], (2, 3, 1)),
    ((), 0, [0], ()), ((3,), 0, 1, ()), ((), 0, 0, (1,)), ((3, 4), 0, [], (0, 4)),
])
def test_index_copy(shape, dim, index, src_shape):
    x, src, idx = R.standard_normal(shape), R.standard_normal(src_shape), np.array(index, np.int64)
    check_op(lambda a, i, s: a.index_copy(dim, i, s), None, x, idx, src)
    check_op(lambda a, i, s: (a * 1).index_copy_(dim, i, s), None, x, idx, src)
    check_op(lambda a, i, s: ember.index_copy(a, dim, i, s) if isinstance(a, ember.Tensor)
             else torch.index_copy(a, dim, i, s), None, x, idx, src, requires_grad=(1, 0, 0))


@pytest.mark.parametrize("index, src_shape, dim, cast", [
    ([2, 0], (2, 4, 5), 0, "float64"), ([2, 0], (2, 4, 5), 0, None), ([[2, 0]], (2, 4, 5), 0, None),
    ([2], (2, 4, 5), 0, None), ([5, 0], (2, 4, 5), 0, None), ([-1, 0], (2, 4, 5), 0, None),
    ([2, 0], (2, 4, 6), 0, None), ([2, 0], (3, 2, 6), 1, None), ([2, 0], (1, 2, 4, 5), 0, None),
])
def test_index_copy_errors(index, src_shape, dim, cast):
    x, idx = np.zeros((3, 4, 5), np.float32), np.array(index)
    src = np.zeros(src_shape, cast or np.float32)
    if cast is None and len(index) == 2 and src_shape == (2, 4, 5):
        idx = idx.astype(np.int32)
    check_op(lambda a, i, s: a.index_copy(dim, i, s), None, x, idx, src, layouts_=["contiguous"])


# -- masked_scatter -------------------------------------------------------------------------
@pytest.mark.parametrize("shape, mask_shape, src_shape", [
    ((2, 3), (2, 3), (2, 3)), ((2, 3), (3,), (10,)), ((3,), (2, 3), (3, 2)), ((), (), (1,)),
    ((2, 1), (1, 3), (7,)), ((0, 3), (3,), (2,)),
])
def test_masked_scatter(shape, mask_shape, src_shape):
    x, src = R.standard_normal(shape), R.standard_normal(src_shape)
    for mask in (R.random(mask_shape) > 0.5, np.ones(mask_shape, bool)):
        check_op(lambda a, m, s: a.masked_scatter(m, s), None, x, mask, src)
        check_op(lambda a, m, s: ember.masked_scatter(a, m, s) if isinstance(a, ember.Tensor)
                 else torch.masked_scatter(a, m, s), None, x, mask, src)
        if np.broadcast_shapes(shape, mask_shape) == shape:
            check_op(lambda a, m, s: (a * 1).masked_scatter_(m, s), None, x, mask, src)


@pytest.mark.parametrize("call", [
    lambda x, m, s: x.masked_scatter(m.float(), s),
    lambda x, m, s: x.masked_scatter(m, s[:1, :2]),
    lambda x, m, s: x.masked_scatter(m, s.double()),
    lambda x, m, s: x.masked_scatter(m[:, :2], s),
])
def test_masked_scatter_errors(call):
    m = np.array([[True, False, True], [False, True, False]])
    x, s = np.zeros((2, 3), np.float32), np.arange(1.0, 7.0, dtype=np.float32).reshape(2, 3)
    e, t = [(mod.from_numpy(x.copy()), mod.from_numpy(m), mod.from_numpy(s))
            for mod in (ember, torch)]
    assert_same_error(lambda: call(*e), lambda: call(*t))


@pytest.mark.parametrize("mask_shape", [(2, 2, 3), (2, 3)])
def test_masked_scatter_inplace_mask_must_expand_to_self(mask_shape):
    # ember names the mask's type its own way in the message; the error is the same
    x, m, s = np.zeros(3), np.ones(mask_shape, bool), np.ones(12)
    assert_same_error(lambda: ember.from_numpy(x).masked_scatter_(*map(ember.from_numpy, (m, s))),
                      lambda: torch.from_numpy(x).masked_scatter_(*map(torch.from_numpy, (m, s))),
                      match_message=False)


# -- put ------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape, index, src_shape", [
    ((2, 3), [0, -1, 4], (3,)), ((2, 3), [[1], [2]], (2,)), ((2, 3), [0, 1], (1, 2)),
    ((), 0, ()), ((4,), [], (0,)), ((2, 3), [0, 0, 5], (3,)),
])
@pytest.mark.parametrize("accumulate", [False, True])
def test_put(shape, index, src_shape, accumulate):
    x, src, idx = R.standard_normal(shape), R.standard_normal(src_shape), np.array(index, np.int64)
    if len(set(np.ravel(index).tolist())) < np.size(index) and not accumulate:
        src[...] = 1.5  # which duplicate wins is unspecified: make them agree
    check_op(lambda a, i, s: a.put(i, s, accumulate), None, x, idx, src)
    check_op(lambda a, i, s: (a * 1).put_(i, s, accumulate=accumulate), None, x, idx, src)
    check_op(lambda a, i, s: ember.put(a, i, s, accumulate) if isinstance(a, ember.Tensor)
             else torch.put(a, i, s, accumulate), None, x, idx, src)


@pytest.mark.parametrize("shape, index, src", [
    ((2, 3), np.array([0, 6]), np.array([1.0, 2.0], np.float32)),
    ((2, 3), np.array([0, -7]), np.array([1.0, 2.0], np.float32)),
    ((2, 3), np.array([0, 1], np.int32), np.array([1.0, 2.0], np.float32)),
    ((2, 3), np.array([0, 1]), np.array([1.0, 2.0])),
    ((2, 3), np.array([0, 1]), np.array([1.0, 2.0, 3.0], np.float32)),
    ((0,), np.array([0]), np.array([1.0], np.float32)),
])
def test_put_errors(shape, index, src):
    check_op(lambda a, i, s: a.put(i, s), None, np.zeros(shape, np.float32), index, src,
             layouts_=["contiguous"])


def test_inplace_forms_bump_version_and_refuse_leaves():
    cases = [("index_copy_", (0, ember.tensor([1]), ember.ones(1)),
              (0, torch.tensor([1]), torch.ones(1))),
             ("masked_scatter_", (ember.tensor([False, True, True]), ember.ones(2)),
              (torch.tensor([False, True, True]), torch.ones(2))),
             ("put_", (ember.tensor([2]), ember.ones(1)), (torch.tensor([2]), torch.ones(1)))]
    for name, e_args, t_args in cases:
        e = ember.zeros(3)
        version = e._version[0]
        assert getattr(e, name)(*e_args) is e and e._version[0] == version + 1
        assert_same(e, getattr(torch.zeros(3), name)(*t_args))
        assert_same_error(
            lambda n=name, a=e_args: getattr(ember.zeros(3, requires_grad=True), n)(*a),
            lambda n=name, a=t_args: getattr(torch.zeros(3, requires_grad=True), n)(*a))


# -- index_reduce ---------------------------------------------------------------------------
@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.filterwarnings("ignore:index_reduce")
def test_index_reduce(reduce, include_self):
    x, src = R.standard_normal((4, 3)), R.standard_normal((4, 5))
    # (torch's backward fails on an int32 index without include_self: use int64 there)
    index = np.array([0, 2, 0, 1, 2], np.int32 if include_self else np.int64)
    check_op(lambda a, i, s: a.index_reduce(1, i, s, reduce, include_self=include_self),
             None, x, index, src)
    check_op(lambda a, i, s: (a * 1).index_reduce_(0, i, s, reduce, include_self=include_self),
             None, x, index[:4].astype(np.int64) % 4, src.T[:, :3])
    # ties and zeros
    check_op(lambda a, i, s: ember.index_reduce(a, 0, i, s, reduce, include_self=include_self)
             if isinstance(a, ember.Tensor) else
             torch.index_reduce(a, 0, i, s, reduce, include_self=include_self),
             None, np.array([2.0, 0.0, 1.0]), np.array([0, 0, 1, 2]),
             np.array([2.0, 0.0, 3.0, 1.0]))
    check_op(lambda a, i, s: a.index_reduce(0, i, s, reduce), None, np.array(1.5),
             np.array([0]), np.array(2.0))
    check_op(lambda a, i, s: a.index_reduce(0, i, s, reduce, include_self=include_self), None,
             np.array([1, 2, 3]), np.array([0, 0, 0]), np.array([-6, -8, 1]))
    if reduce != "prod":
        gradcheck_op(lambda a, s: a.index_reduce(1, ember.from_numpy(index), s, reduce,
                                                 include_self=include_self), x, src)


@pytest.mark.parametrize("call", [
    lambda x, i, s: x.index_reduce(0, i, s, "sum"),
    lambda x, i, s: x.index_reduce(0, i.float(), s, "prod"),
    lambda x, i, s: x.float().index_reduce(0, i, s, "prod"),
    lambda x, i, s: x.index_reduce(0, i + 3, s, "prod"),
    lambda x, i, s: x.index_reduce(0, i - 1, s, "prod"),
    lambda x, i, s: x.index_reduce(0, i[:1], s, "prod"),
    lambda x, i, s: x.index_reduce(0, i[None], s, "prod"),
    lambda x, i, s: x.index_reduce(0, i, s[:, :1], "prod"),
    lambda x, i, s: x.index_reduce(0, i, s[None], "prod"),
    lambda x, i, s: x[0, 0].index_reduce(0, i[0], s[0], "prod"),
])
@pytest.mark.filterwarnings("ignore:index_reduce")
def test_index_reduce_errors(call):
    x, i, s = np.arange(6.0).reshape(3, 2), np.array([0, 0]), np.arange(4.0).reshape(2, 2)
    e, t = [(m.from_numpy(x.copy()), m.from_numpy(i), m.from_numpy(s)) for m in (ember, torch)]
    assert_same_error(lambda: call(*e), lambda: call(*t))
