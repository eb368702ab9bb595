"""tensor_split, hsplit/vsplit/dsplit, atleast_Nd, column_stack/row_stack/dstack,
flipud/fliplr, block_diag, broadcast_shapes, combinations, diagflat, vander, unfold,
as_strided, narrow_copy and empty_strided against PyTorch: values, dtypes, gradients,
grad_fn, views and errors."""

import numpy as np
import pytest

import ember
from helpers import (assert_same, assert_same_error, check_op, grad_fn_names, gradcheck_op,
                     rng)

torch = pytest.importorskip("torch")

R = rng(7)
FLOATS = ["float32", "float64"]


def arr(*shape):
    return R.standard_normal(shape).astype(np.float32)


def same_error(call, match_message=True):
    """``call(module)`` raises the same error with ember as with torch."""
    assert_same_error(lambda: call(ember), lambda: call(torch), match_message)


def lib(x):
    return ember if isinstance(x, ember.Tensor) else torch


# -- tensor_split and friends ------------------------------------------------------------------
@pytest.mark.parametrize("shape,arg,dim", [
    ((6, 4), 4, 0), ((6, 4), 3, 1), ((6, 4), 10, 0), ((7,), 3, 0), ((6, 4), [1, 3], 1),
    ((6, 4), [4, 2], 0), ((6, 4), [-1, 2], 0), ((6, 4), [1, 100], 0), ((6, 4), [], 0),
    ((6, 4), (2,), -1), ((0, 3), 2, 0), ((2, 3, 4), [1, 1, 3], 2)], ids=str)
def test_tensor_split(shape, arg, dim):
    check_op(lambda x: lib(x).tensor_split(x, arg, dim), None, arr(*shape),
             dtypes=FLOATS + ["int64"])
    check_op(lambda x: x.tensor_split(arg, dim), None, arr(*shape))


def test_tensor_split_tensor_argument_and_keywords():
    def as_tensor(m, v):
        return m.tensor(v, dtype=m.int64)
    check_op(lambda x: lib(x).tensor_split(x, as_tensor(lib(x), [1, 3]), 1), None, arr(6, 4))
    check_op(lambda x: lib(x).tensor_split(x, as_tensor(lib(x), 3)), None, arr(6, 4))
    check_op(lambda x: lib(x).tensor_split(x, sections=2), None, arr(6, 4))
    check_op(lambda x: lib(x).tensor_split(x, indices=[2], dim=1), None, arr(6, 4))
    check_op(lambda x: lib(x).tensor_split(
        x, tensor_indices_or_sections=as_tensor(lib(x), [2])), None, arr(6, 4))
    gradcheck_op(lambda x: ember.tensor_split(x, [1, 3], 1)[1], arr(3, 5))


def test_tensor_split_pieces_are_views():
    x = ember.zeros(6)
    x.tensor_split(3)[1][0] = 5.0
    assert x.tolist() == [0, 0, 5, 0, 0, 0]


@pytest.mark.parametrize("call", [
    lambda m: m.tensor_split(m.zeros(6, 4), 0),
    lambda m: m.tensor_split(m.zeros(6, 4), -1),
    lambda m: m.tensor_split(m.zeros(6, 4), 2, 2),
    lambda m: m.tensor_split(m.tensor(1.0), 2),
    lambda m: m.tensor_split(m.zeros(6), m.tensor([[1]])),
    lambda m: m.tensor_split(m.zeros(6), m.tensor([1.0])),
    lambda m: m.tensor_split(m.zeros(6), m.tensor([1], dtype=m.int32)),
])
def test_tensor_split_errors(call):
    same_error(call)
    same_error(lambda m: m.tensor_split(m.zeros(6), 2.0), match_message=False)


@pytest.mark.parametrize("name,shape,arg", [
    ("hsplit", (6, 4), 2), ("hsplit", (3,), 3), ("hsplit", (6, 4), [1, 2]),
    ("hsplit", (2, 6, 3), 3), ("vsplit", (6, 4), 3), ("vsplit", (6, 4), [2]),
    ("dsplit", (2, 3, 4), 2), ("dsplit", (2, 3, 4), [1, 3])], ids=str)
def test_directional_splits(name, shape, arg):
    check_op(lambda x: getattr(lib(x), name)(x, arg), None, arr(*shape))
    check_op(lambda x: getattr(x, name)(arg), None, arr(*shape), layouts_=["strided"])


@pytest.mark.parametrize("call", [
    lambda m: m.hsplit(m.zeros(3), 2), lambda m: m.hsplit(m.tensor(1.0), 2),
    lambda m: m.hsplit(m.zeros(6, 4), 3), lambda m: m.hsplit(m.zeros(6, 4), 0),
    lambda m: m.vsplit(m.zeros(3), 3), lambda m: m.vsplit(m.zeros(6, 4), 4),
    lambda m: m.dsplit(m.zeros(6, 4), 2), lambda m: m.dsplit(m.zeros(2, 3, 4), 3)])
def test_directional_split_errors(call):
    same_error(call)
    same_error(lambda m: m.hsplit(m.zeros(6, 4), m.tensor([1])), match_message=False)


# -- atleast_Nd and stacking -------------------------------------------------------------------
@pytest.mark.parametrize("n", [1, 2, 3])
@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (2, 3, 4), (1, 2, 3, 1)], ids=str)
def test_atleast(n, shape):
    name = f"atleast_{n}d"
    check_op(lambda x: getattr(lib(x), name)(x), None, arr(*shape))
    x = ember.zeros(shape)
    assert (getattr(ember, name)(x) is x) == (len(shape) >= n)


@pytest.mark.parametrize("n", [1, 2, 3])
def test_atleast_several(n):
    name = f"atleast_{n}d"
    a, b = arr(), arr(4)
    check_op(lambda x, y: getattr(lib(x), name)(x, y), None, a, b)
    check_op(lambda x, y: getattr(lib(x), name)([x, y]), None, a, b)
    check_op(lambda x, y: getattr(lib(x), name)((x, y)), None, a, b)
    assert isinstance(getattr(ember, name)([ember.zeros(2)]), tuple)


@pytest.mark.parametrize("shapes", [[(), ()], [(3,), (3,)], [(3,), (3, 2)], [(2, 3), (2, 1)],
                                    [(3,), ()]], ids=str)
def test_column_stack(shapes):
    check_op(lambda *xs: lib(xs[0]).column_stack(xs), None, *[arr(*s) for s in shapes])


@pytest.mark.parametrize("shapes", [[(), ()], [(3,), (3,)], [(2, 3), (2, 3)],
                                    [(2, 3, 4), (2, 3, 1)], [(1, 3), (3,)]], ids=str)
def test_row_stack_and_dstack(shapes):
    arrays = [arr(*s) for s in shapes]
    check_op(lambda *xs: lib(xs[0]).dstack(xs), None, *arrays)
    check_op(lambda *xs: lib(xs[0]).row_stack(xs), None, *arrays)


@pytest.mark.parametrize("call", [
    lambda m: m.column_stack([]), lambda m: m.dstack([]), lambda m: m.row_stack([]),
    lambda m: m.column_stack([m.zeros(6, 4), m.zeros(3)]), lambda m: m.column_stack(m.zeros(2)),
    lambda m: m.dstack([m.zeros(2, 3), m.zeros(3, 3)])])
def test_stack_errors(call):
    same_error(call)


@pytest.mark.parametrize("shape", [(3,), (3, 4), (2, 3, 4), (0, 2)], ids=str)
def test_flipud_fliplr(shape):
    check_op(lambda x: lib(x).flipud(x), None, arr(*shape), dtypes=FLOATS + ["int32"])
    if len(shape) >= 2:
        check_op(lambda x: lib(x).fliplr(x), None, arr(*shape), dtypes=FLOATS + ["int32"])
    for call in [lambda m: m.flipud(m.tensor(1.0)), lambda m: m.fliplr(m.zeros(3)),
                 lambda m: m.fliplr(m.tensor(1.0))]:
        same_error(call)


# -- block_diag, broadcast_shapes --------------------------------------------------------------
@pytest.mark.parametrize("shapes", [[(2, 3), (3,), ()], [(2, 2)], [(0, 3), (2, 0)],
                                    [(1, 1), (2, 3), (4, 1)]], ids=str)
def test_block_diag(shapes):
    check_op(lambda *xs: lib(xs[0]).block_diag(*xs), None, *[arr(*s) for s in shapes],
             dtypes=FLOATS + ["int64"])
    gradcheck_op(lambda *xs: ember.block_diag(*xs), *[arr(*s) for s in shapes])


def test_block_diag_mixed_dtypes_and_errors():
    check_op(lambda x, y: lib(x).block_diag(x, y), None, arr(2, 2),
             np.arange(3, dtype=np.int64), dtypes=[("float32", "int64"), ("float32", "float64")])
    assert_same(ember.block_diag(), torch.block_diag())
    same_error(lambda m: m.block_diag(m.zeros(2, 2, 2)))


@pytest.mark.parametrize("shapes", [((2, 1), (3,)), (2, (3, 1)), (), ((2, 3),), ((1,), [4, 1]),
                                    ((2, 0), (1,)), ((5, 1, 3), (4, 1), 1)], ids=str)
def test_broadcast_shapes(shapes):
    assert_same(ember.broadcast_shapes(*shapes), torch.broadcast_shapes(*shapes))


@pytest.mark.parametrize("shapes", [((2, 1), (3, 4, 3)), ((2,), [3]), (2, 3), ((2, 3), 4),
                                    ((-1,), (2,)), (-1,), (1.0,)], ids=str)
def test_broadcast_shapes_errors(shapes):
    same_error(lambda m: m.broadcast_shapes(*shapes))
    same_error(lambda m: m.broadcast_shapes(m.Size([2, 3]), (4, 3)))


# -- combinations, diagflat, vander ------------------------------------------------------------
@pytest.mark.parametrize("n,r,rep", [(4, 2, False), (4, 3, False), (3, 3, True), (3, 1, False),
                                     (3, 5, False), (2, 3, True), (0, 2, False), (3, 0, False)],
                         ids=str)
def test_combinations(n, r, rep):
    check_op(lambda x: lib(x).combinations(x, r, rep), None, arr(n), dtypes=FLOATS + ["int64"])
    check_op(lambda x: lib(x).combinations(x, r=r, with_replacement=rep), None, arr(n),
             layouts_=["strided"])


def test_combinations_errors():
    for call in [lambda m: m.combinations(m.zeros(2, 2)), lambda m: m.combinations(m.tensor(1.)),
                 lambda m: m.combinations(m.zeros(3), -1)]:
        same_error(call)


@pytest.mark.parametrize("shape,offset", [((3,), 0), ((3,), 1), ((2, 3), -2), ((), 0),
                                          ((0,), 1)], ids=str)
def test_diagflat(shape, offset):
    check_op(lambda x: lib(x).diagflat(x, offset), None, arr(*shape), dtypes=FLOATS + ["int64"])


@pytest.mark.parametrize("n,N,inc", [(3, None, False), (4, 2, True), (3, 5, False),
                                     (3, 1, True), (3, 0, False), (0, 3, False)], ids=str)
def test_vander(n, N, inc):
    check_op(lambda x: lib(x).vander(x, N, inc), None, arr(n) + 1.5, requires_grad=False,
             dtypes=FLOATS + ["int64", "int32", "bool"])
    check_op(lambda x: lib(x).vander(x, N=N, increasing=inc), None, arr(n),
             requires_grad=False, dtypes=["float64"])


@pytest.mark.parametrize("N,inc", [(None, False), (4, True), (1, False), (2, True)], ids=str)
def test_vander_grad(N, inc):
    """torch records the same graph but its backward refuses N > 1 (its cumprod's saved
    input is overwritten); ember's gradient is checked against powers computed directly."""
    a = arr(3) + 0.5
    e, t = ember.from_numpy(a).requires_grad_(), torch.from_numpy(a).requires_grad_()
    ev = ember.vander(e, N, inc)
    tv = torch.vander(t, N, inc)
    assert grad_fn_names(ev, 1) == grad_fn_names(tv, 1)
    assert ev.requires_grad == tv.requires_grad
    if not tv.requires_grad:  # a single column of ones
        return
    powers = torch.arange(tv.shape[1], dtype=t.dtype)
    ref = t.unsqueeze(1) ** (powers if inc else powers.flip(0))
    g = rng(1).standard_normal(tuple(tv.shape)).astype(np.float32)
    ev.backward(ember.from_numpy(g))
    ref.backward(torch.from_numpy(g))
    assert_same(e.grad, t.grad)
    gradcheck_op(lambda x: ember.vander(x, N, inc), a)


def test_vander_errors():
    for call in [lambda m: m.vander(m.zeros(2, 2)), lambda m: m.vander(m.tensor(1.0)),
                 lambda m: m.vander(m.zeros(3), -1)]:
        same_error(call)


# -- strided views -----------------------------------------------------------------------------
@pytest.mark.parametrize("shape,dim,size,step", [
    ((6, 4), 0, 2, 1), ((6, 4), 1, 3, 2), ((6, 4), -1, 4, 1), ((6, 4), 0, 0, 1), ((), 0, 1, 1),
    ((), -1, 0, 2), ((2, 7, 3), 1, 3, 3), ((5,), 0, 1, 10)], ids=str)
def test_unfold(shape, dim, size, step):
    check_op(lambda x: x.unfold(dim, size, step), None, arr(*shape), dtypes=FLOATS + ["int64"])
    e, t = ember.from_numpy(arr(*shape)), torch.from_numpy(arr(*shape))
    assert e.unfold(dim, size, step).stride() == t.unfold(dim, size, step).stride()


def test_unfold_is_a_view_and_differentiates_twice():
    x = ember.zeros(5)
    x.unfold(0, 2, 2)[1, 0] = 7.0
    assert x.tolist() == [0, 0, 7, 0, 0]
    gradcheck_op(lambda x: x.unfold(1, 3, 1).exp(), arr(2, 5))
    a = ember.from_numpy(arr(6).astype(np.float64)).requires_grad_()
    (g,) = ember.autograd.grad((a.unfold(0, 3, 1) ** 2).sum(), a, create_graph=True)
    t = torch.from_numpy(a.detach().numpy()).requires_grad_()
    (tg,) = torch.autograd.grad((t.unfold(0, 3, 1) ** 2).sum(), t, create_graph=True)
    assert_same(g, tg)
    assert_same(ember.autograd.grad(g.sum(), a)[0], torch.autograd.grad(tg.sum(), t)[0])


@pytest.mark.parametrize("call", [
    lambda x: x.unfold(0, 7, 1), lambda x: x.unfold(0, 2, 0), lambda x: x.unfold(0, -1, 1),
    lambda x: x.unfold(2, 2, 1), lambda x: x[0, 0].unfold(0, 2, 1),
    lambda x: x[0, 0].unfold(1, 1, 1)])
def test_unfold_errors(call):
    same_error(lambda m: call(m.zeros(6, 4)))


@pytest.mark.parametrize("shape,size,stride,offset", [
    ((6, 4), (2, 2), (1, 2), None), ((6, 4), (3, 2), (4, 1), 5), ((6, 4), (4,), (0,), 3),
    ((6, 4), (3, 3), (1, 1), 0), ((6, 4), (0, 2), (1, 2), 24), ((5,), (), (), 4)], ids=str)
def test_as_strided(shape, size, stride, offset):
    check_op(lambda x: x.as_strided(size, stride, offset), None, arr(*shape),
             dtypes=FLOATS + ["int32"])
    check_op(lambda x: lib(x).as_strided(x, size, stride, offset), None, arr(*shape),
             layouts_=["contiguous"])


def test_as_strided_of_views_and_storage_offset():
    e, t = ember.arange(24.).reshape(6, 4), torch.arange(24.).reshape(6, 4)
    for f in [lambda x: x[1:].as_strided((2, 2), (1, 2)),
              lambda x: x[2:, 1:].as_strided((3,), (5,), 2)]:
        assert_same(f(e), f(t))
        assert f(e).storage_offset() == f(t).storage_offset()
    check_op(lambda x: x[1:].t().as_strided((2, 3), (2, 1)), None, arr(4, 5))
    check_op(lambda x: x.expand(3, 4).as_strided((2, 2), (0, 1)), None, arr(4),
             layouts_=["contiguous"])
    gradcheck_op(lambda x: x.as_strided((3, 3), (1, 1), 1).sin(), arr(3, 3))


@pytest.mark.parametrize("args", [((2, 2), (1, 2), 100), ((2, 2), (-1, 2)), ((-2, 2), (1, 2)),
                                  ((2, 2), (1,)), ((2, 2), (1, 2), -1)], ids=str)
def test_as_strided_errors(args):
    same_error(lambda m: m.zeros(6, 4).as_strided(*args))


@pytest.mark.parametrize("shape,dim,start,length", [
    ((6, 4), 0, 1, 2), ((6, 4), -1, 0, 0), ((6, 4), 0, 6, 0),
    ((3,), 0, 0, 3)], ids=str)
def test_narrow_copy(shape, dim, start, length):
    check_op(lambda x: x.narrow_copy(dim, start, length), None, arr(*shape),
             dtypes=FLOATS + ["int64"])
    check_op(lambda x: lib(x).narrow_copy(x, dim, start, length), None, arr(*shape),
             layouts_=["strided"])
    x = ember.zeros(shape)
    x.narrow_copy(dim, start, length).fill_(1.0)
    assert x.sum().item() == 0


def test_narrow_copy_negative_start():
    """torch's backward fails for a negative start; ember's gradient matches narrow's."""
    check_op(lambda x: x.narrow_copy(1, -2, 2), None, arr(6, 4), requires_grad=False)
    a = arr(6, 4)
    x, y = ember.from_numpy(a).requires_grad_(), ember.from_numpy(a).requires_grad_()
    x.narrow_copy(1, -3, 2).exp().sum().backward()
    y.narrow(1, -3, 2).exp().sum().backward()
    assert_same(x.grad, torch.from_numpy(y.grad.numpy()))
    gradcheck_op(lambda x: x.narrow_copy(0, -2, 2), arr(3, 2))


@pytest.mark.parametrize("args", [(0, 5, 2), (0, 7, 0), (0, -7, 0), (0, 1, -1)], ids=str)
def test_narrow_copy_errors(args):
    same_error(lambda m: m.zeros(6, 4).narrow_copy(*args))
    same_error(lambda m: m.tensor(1.0).narrow_copy(0, 0, 1))


@pytest.mark.parametrize("size,stride", [((2, 3), (1, 2)), ((2, 3), (3, 1)), ((2, 0), (1, 2)),
                                         ((), ()), ((4,), (0,))], ids=str)
def test_empty_strided(size, stride):
    for kwargs in [{}, {"dtype": "float64", "requires_grad": True}, {"dtype": "int32"}]:
        ek = {k: getattr(ember, v) if k == "dtype" else v for k, v in kwargs.items()}
        tk = {k: getattr(torch, v) if k == "dtype" else v for k, v in kwargs.items()}
        e, t = ember.empty_strided(size, stride, **ek), torch.empty_strided(size, stride, **tk)
        assert (e.shape, e.stride(), e.dtype.__repr__()[6:], e.requires_grad) == \
            (t.shape, t.stride(), t.dtype.__repr__()[6:], t.requires_grad)
        assert e.storage_offset() == 0 and e.is_contiguous() == t.is_contiguous()
    base = ember.zeros(2, dtype=ember.float16)
    n = base.new_empty_strided(size, stride)
    assert (n.dtype, n.stride(), n.requires_grad) == (ember.float16, stride, False)
    assert base.new_empty_strided(size, stride, dtype=ember.int8).dtype == ember.int8


@pytest.mark.parametrize("args", [((2, 3), (1,)), ((2, -3), (1, 2)), ((2, 3), (1, -2))],
                         ids=str)
def test_empty_strided_errors(args):
    same_error(lambda m: m.empty_strided(*args))
