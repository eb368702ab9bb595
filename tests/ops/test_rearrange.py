"""roll, rot90, repeat_interleave, take, meshgrid, broadcast_tensors, cartesian_prod,
triu_indices and tril_indices against PyTorch: values, dtypes, gradients, grad_fn, errors."""

import warnings

import numpy as np
import pytest

import ember
from helpers import assert_same, assert_same_error, check_op, gradcheck_op, grad_fn_names, rng

torch = pytest.importorskip("torch")

R = rng(5)
FLOATS = ["float32", "float64"]
ALL = ["float32", "float64", "int64", "int32"]


def arr(*shape):
    return R.standard_normal(shape).astype(np.float32)


def long(values):
    return np.asarray(values, dtype=np.int64)


def same_error(call):
    """``call(module)`` raises the same error with ember as with torch."""
    assert_same_error(lambda: call(ember), lambda: call(torch))


# -- roll --------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape,shifts,dims", [
    ((5,), 2, None), ((5,), -7, 0), ((3, 4), 1, None), ((3, 4), (1, -2), (0, 1)),
    ((3, 4), 5, -1), ((2, 3, 4), (1, 1), (-1, 0)), ((), 3, None), ((0, 3), 1, 0),
    ((3, 4), (2, 2), (0, 0)), ((3, 4), 0, 1)], ids=str)
def test_roll(shape, shifts, dims):
    check_op(lambda x: ember.roll(x, shifts, dims), lambda x: torch.roll(x, shifts, dims),
             arr(*shape), dtypes=ALL)
    check_op(lambda x: x.roll(shifts, dims), None, arr(*shape), dtypes=FLOATS)


def test_roll_gradcheck_and_errors():
    gradcheck_op(lambda x: ember.roll(x, (1, -1), (0, 1)), arr(3, 4))
    gradcheck_op(lambda x: ember.roll(x, 2), arr(3, 4))
    for args in [((1, 2), 0), ((1, 2), None), ((), ()), (1, 5)]:
        same_error(lambda m, a=args: m.roll(m.zeros(3, 4), *a))
    assert_same_error(lambda: ember.roll(ember.tensor(1.0), 1, 0),
                      lambda: torch.roll(torch.tensor(1.0), 1, 0))


# -- rot90 -------------------------------------------------------------------------------------
@pytest.mark.parametrize("k", [-5, -1, 0, 1, 2, 3, 6])
@pytest.mark.parametrize("shape,dims", [((3, 4), (0, 1)), ((3, 4), (1, 0)),
                                        ((2, 3, 4), (-1, 0)), ((0, 3), (0, 1))], ids=str)
def test_rot90(shape, dims, k):
    check_op(lambda x: ember.rot90(x, k, dims), lambda x: torch.rot90(x, k, dims),
             arr(*shape), dtypes=ALL)


def test_rot90_defaults_gradcheck_and_errors():
    check_op(lambda x: x.rot90(), None, arr(3, 4))
    gradcheck_op(lambda x: ember.rot90(x, 1, (2, 0)), arr(2, 3, 4))
    for shape, dims in [((3, 4), (0, 1, 2)), ((3, 4), (0, 0)), ((3, 4), (0, -2)),
                        ((3,), (0, 1)), ((3, 4), (0, 2))]:
        same_error(lambda m, s=shape, d=dims: m.rot90(m.zeros(s), 1, d))


# -- repeat_interleave -------------------------------------------------------------------------
@pytest.mark.parametrize("shape,repeats,dim", [
    ((4,), 2, None), ((3, 4), 3, None), ((3, 4), 2, 1), ((3, 4), 2, -2), ((3, 4), 0, 0),
    ((), 3, None), ((), 2, 0), ((0, 3), 2, 1), ((2, 3, 4), 2, 1)], ids=str)
def test_repeat_interleave_int(shape, repeats, dim):
    check_op(lambda x: ember.repeat_interleave(x, repeats, dim),
             lambda x: torch.repeat_interleave(x, repeats, dim), arr(*shape), dtypes=ALL)
    check_op(lambda x: x.repeat_interleave(repeats, dim), None, arr(*shape))


@pytest.mark.parametrize("shape,repeats,dim", [
    ((3, 4), [1, 0, 2], 0), ((3, 4), [2, 1, 1, 3], -1), ((3, 4), [2], 1), ((3, 4), 2, 0),
    ((2, 3), [1] * 6, None), ((4,), [0, 0, 0, 0], 0)], ids=str)
def test_repeat_interleave_tensor(shape, repeats, dim):
    check_op(lambda x, r: ember.repeat_interleave(x, r, dim),
             lambda x, r: torch.repeat_interleave(x, r, dim), arr(*shape), long(repeats),
             dtypes=[(d, None) for d in ALL])


def test_repeat_interleave_counts_output_size_and_gradcheck():
    for counts in [[1, 2, 3], [0, 2], [], [4]]:
        for dt in ["int64", "int32"]:
            check_op(ember.repeat_interleave, torch.repeat_interleave,
                     np.asarray(counts, dtype=dt), layouts_=["contiguous", "strided"])
    assert_same(ember.repeat_interleave(ember.tensor([1, 2]), output_size=3),
                torch.repeat_interleave(torch.tensor([1, 2]), output_size=3))
    assert_same(ember.repeat_interleave(ember.ones(2, 2), 2, 0, output_size=4),
                torch.repeat_interleave(torch.ones(2, 2), 2, 0, output_size=4))
    gradcheck_op(lambda x: ember.repeat_interleave(x, 2, 1), arr(2, 3))
    gradcheck_op(lambda x: ember.repeat_interleave(x, ember.tensor([2, 0, 1]), 0), arr(3, 2))


def test_repeat_interleave_grad_fn_chain_matches_torch():
    for args in [(2,), (2, 1), (torch.tensor([1, 2, 0]), 0)]:
        e_args = tuple(ember.tensor(a.numpy()) if isinstance(a, torch.Tensor) else a
                       for a in args)
        e = ember.repeat_interleave(ember.ones(3, 4, requires_grad=True), *e_args)
        t = torch.repeat_interleave(torch.ones(3, 4, requires_grad=True), *args)
        assert grad_fn_names(e, 4) == grad_fn_names(t, 4)


@pytest.mark.parametrize("call", [
    lambda m: m.repeat_interleave(m.zeros(3, 4), -1),
    lambda m: m.repeat_interleave(m.zeros(3, 4), m.tensor([-1, 1, 1]), 0),
    lambda m: m.repeat_interleave(m.zeros(3, 4), m.tensor([1, 1]), 0),
    lambda m: m.repeat_interleave(m.zeros(3, 4), m.tensor([[1, 1]]), 0),
    lambda m: m.repeat_interleave(m.tensor([[1, 2]])),
    lambda m: m.repeat_interleave(m.tensor([1.0, 2.0])),
    lambda m: m.repeat_interleave(m.tensor(3)),
    lambda m: m.repeat_interleave(m.tensor([1, 2]), output_size=2),
    lambda m: m.repeat_interleave(m.zeros(3, 4), 2, 0, output_size=5),
    lambda m: m.repeat_interleave(m.zeros(3, 4), 2, 2),
    lambda m: m.repeat_interleave(m.tensor(2.0), 3, 1),
])
def test_repeat_interleave_errors(call):
    assert_same_error(lambda: call(ember), lambda: call(torch))


# -- take --------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape,index", [
    ((3, 4), [0, 5, -1, 11, 5]), ((3, 4), [[1, 2], [3, -12]]), ((5,), 2), ((), [0, -1, 0]),
    ((3, 4), np.zeros((0, 2))), ((0,), np.zeros(0)), ((2, 3, 4), [[[7]]])], ids=str)
def test_take(shape, index):
    check_op(ember.take, torch.take, arr(*shape), long(index),
             dtypes=[(d, None) for d in ALL])
    check_op(lambda x, i: x.take(i), None, arr(*shape), long(index))


def test_take_gradcheck_and_errors():
    gradcheck_op(lambda x, i: ember.take(x, i), arr(3, 4), long([[0, 0], [11, -1]]))
    for data, index in [(np.zeros((3, 4)), long([12])), (np.zeros((3, 4)), long([-13])),
                        (np.zeros((3, 4)), np.array([1.0])),
                        (np.zeros((3, 4)), np.array([1], dtype=np.int32)),
                        (np.zeros(0), long([0]))]:
        same_error(lambda m, x=data, i=index: m.take(m.tensor(x), m.tensor(i)))


# -- broadcast_tensors -------------------------------------------------------------------------
@pytest.mark.parametrize("shapes", [((3, 4), (4,)), ((3, 1), (1, 4), ()), ((2, 1, 3), (5, 1)),
                                    ((0, 3), (1,)), ((), ()), ((3, 4),)], ids=str)
def test_broadcast_tensors(shapes):
    check_op(ember.broadcast_tensors, torch.broadcast_tensors,
             *[arr(*s) for s in shapes], dtypes=FLOATS + ["int64"])


def test_broadcast_tensors_views_identity_gradcheck_and_errors():
    a, b = ember.zeros(3, 4), ember.zeros(4)
    out = ember.broadcast_tensors(a, b)
    assert out[0] is a and out[1]._base is b
    gradcheck_op(lambda x, y: ember.broadcast_tensors(x, y), arr(3, 1), arr(2))
    assert_same_error(lambda: ember.broadcast_tensors(ember.zeros(3, 4), ember.zeros(5)),
                      lambda: torch.broadcast_tensors(torch.zeros(3, 4), torch.zeros(5)))
    assert ember.broadcast_tensors() == torch.broadcast_tensors() == ()


# -- meshgrid ----------------------------------------------------------------------------------
@pytest.mark.parametrize("indexing", ["ij", "xy"])
@pytest.mark.parametrize("shapes", [((3,), (4,)), ((2,), (), (3,)), ((0,), (2,)), ((5,),),
                                    ((2,), (3,), (4,))], ids=str)
def test_meshgrid(shapes, indexing):
    check_op(lambda *ts: ember.meshgrid(*ts, indexing=indexing),
             lambda *ts: torch.meshgrid(*ts, indexing=indexing),
             *[arr(*s) for s in shapes], dtypes=FLOATS + ["int64"])
    check_op(lambda *ts: ember.meshgrid(list(ts), indexing=indexing),
             lambda *ts: torch.meshgrid(list(ts), indexing=indexing), *[arr(*s) for s in shapes])


def test_meshgrid_warns_like_torch_without_indexing():
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        e = ember.meshgrid(ember.zeros(2), ember.zeros(3))
        t = torch.meshgrid(torch.zeros(2), torch.zeros(3))
    assert_same(e, t)
    (we, wt) = got
    assert we.category is wt.category is UserWarning
    assert str(wt.message).replace("torch.", "ember.").startswith(str(we.message))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ember.meshgrid(ember.zeros(2), indexing="ij")


def test_meshgrid_views_gradcheck_and_errors():
    x, y = ember.zeros(2), ember.zeros(3)
    gx, _ = ember.meshgrid(x, y, indexing="ij")
    assert gx._base is x
    gradcheck_op(lambda a, b: ember.meshgrid(a, b, indexing="xy"), arr(2), arr(3))
    for call in [lambda m: m.meshgrid(indexing="ij"),
                 lambda m: m.meshgrid(m.zeros(2), m.zeros(2, dtype=m.float64), indexing="ij"),
                 lambda m: m.meshgrid(m.zeros(2), indexing="foo")]:
        same_error(call)
    # The message prints the tensor, whose text differs: compare the type and the prefix.
    assert_same_error(lambda: ember.meshgrid(ember.zeros(2, 2), indexing="ij"),
                      lambda: torch.meshgrid(torch.zeros(2, 2), indexing="ij"),
                      match_message=False)


# -- cartesian_prod ----------------------------------------------------------------------------
@pytest.mark.parametrize("shapes", [((3,), (4,)), ((2,), (3,), (2,)), ((0,), (2,)), ((4,),)],
                         ids=str)
def test_cartesian_prod(shapes):
    check_op(ember.cartesian_prod, torch.cartesian_prod, *[arr(*s) for s in shapes],
             dtypes=FLOATS + ["int64"])


def test_cartesian_prod_chain_gradcheck_and_errors():
    e = ember.cartesian_prod(ember.ones(2, requires_grad=True), ember.ones(3))
    t = torch.cartesian_prod(torch.ones(2, requires_grad=True), torch.ones(3))
    assert grad_fn_names(e, 4) == grad_fn_names(t, 4)
    one = ember.zeros(3)
    assert ember.cartesian_prod(one) is one
    gradcheck_op(ember.cartesian_prod, arr(2), arr(3))
    for call in [lambda m: m.cartesian_prod(m.zeros(3, 4)), lambda m: m.cartesian_prod(),
                 lambda m: m.cartesian_prod(m.zeros(2), m.zeros(2, dtype=m.int64)),
                 lambda m: m.cartesian_prod(m.tensor(2.0), m.zeros(2))]:
        same_error(call)


# -- triu_indices / tril_indices ---------------------------------------------------------------
@pytest.mark.parametrize("name", ["triu_indices", "tril_indices"])
@pytest.mark.parametrize("row,col,offset", [(3, 3, 0), (3, 4, 1), (4, 3, -1), (3, 4, -5),
                                            (3, 4, 9), (0, 3, 0), (3, 0, 0), (1, 1, 0)])
def test_tri_indices(name, row, col, offset):
    assert_same(getattr(ember, name)(row, col, offset), getattr(torch, name)(row, col, offset))
    assert_same(getattr(ember, name)(row, col, offset, dtype=ember.int32),
                getattr(torch, name)(row, col, offset, dtype=torch.int32))


@pytest.mark.parametrize("name", ["triu_indices", "tril_indices"])
def test_tri_indices_errors(name):
    for args, kw in [((-1, 3), {}), ((3, -1), {}), ((3, 3), {"dtype": "float32"}),
                     ((3, 3), {"dtype": "uint8"}), ((3, 3), {"dtype": "int16"})]:
        same_error(lambda m, a=args, kw=kw: getattr(m, name)(
            *a, **{k: getattr(m, v) for k, v in kw.items()}))


# -- searchsorted / bucketize ------------------------------------------------------------------
SEQ = np.array([1.0, 2.0, 2.0, 3.0, 5.0])
VALUES = np.array([[2.0, 0.0, 6.0], [3.0, 5.0, 2.5]])


@pytest.mark.parametrize("kw", [{}, {"right": True}, {"side": "right"}, {"side": "left"},
                                {"out_int32": True}], ids=str)
def test_searchsorted(kw):
    for dt in ALL:
        check_op(lambda s, v: ember.searchsorted(s, v, **kw),
                 lambda s, v: torch.searchsorted(s, v, **kw), SEQ.astype(dt),
                 VALUES.astype(dt), layouts_=["contiguous", "strided"])
    rows = np.sort(R.integers(0, 6, (2, 3, 5)).astype(np.float32), -1)
    check_op(lambda s, v: ember.searchsorted(s, v, **kw),
             lambda s, v: torch.searchsorted(s, v, **kw), rows, arr(2, 3, 4) * 3)
    check_op(lambda s, v: ember.searchsorted(s, v, **kw),
             lambda s, v: torch.searchsorted(s, v, **kw), SEQ, np.array(2.0))
    assert_same(ember.searchsorted(ember.tensor(SEQ), 2.0, **kw),
                torch.searchsorted(torch.tensor(SEQ), 2.0, **kw))
    check_op(lambda s, v: ember.searchsorted(s, v, **kw),
             lambda s, v: torch.searchsorted(s, v, **kw), SEQ, np.zeros((0, 2)))


def test_searchsorted_sorter_and_errors():
    unsorted = np.array([3.0, 1.0, 5.0, 2.0])
    sorter = np.argsort(unsorted)
    check_op(lambda s, v, o: ember.searchsorted(s, v, sorter=o),
             lambda s, v, o: torch.searchsorted(s, v, sorter=o), unsorted, VALUES, sorter,
             layouts_=["contiguous"])
    seq = torch.tensor(SEQ)
    for args, kw in [((seq, VALUES), {"right": True, "side": "left"}),
                     ((seq, VALUES), {"side": "foo"}),
                     ((torch.ones(2, 2), torch.ones(3)), {}),
                     ((torch.ones(2, 2), torch.ones(3, 3)), {}),
                     ((torch.tensor(1.0), torch.ones(1)), {}),
                     ((seq, VALUES), {"sorter": torch.tensor([0, 1, 2])}),
                     ((seq, VALUES), {"sorter": torch.arange(5, dtype=torch.int32)})]:
        t_args = [a if isinstance(a, torch.Tensor) else torch.tensor(a) for a in args]
        e_args = [ember.tensor(a.numpy()) for a in t_args]
        e_kw = {k: ember.tensor(v.numpy()) if isinstance(v, torch.Tensor) else v
                for k, v in kw.items()}
        assert_same_error(lambda a=e_args, k=e_kw: ember.searchsorted(*a, **k),
                          lambda a=t_args, k=kw: torch.searchsorted(*a, **k))


@pytest.mark.parametrize("kw", [{}, {"right": True}, {"out_int32": True}], ids=str)
def test_bucketize(kw):
    for dt in ALL:
        check_op(lambda v, b: ember.bucketize(v, b, **kw),
                 lambda v, b: torch.bucketize(v, b, **kw), VALUES.astype(dt), SEQ.astype(dt))
    check_op(lambda v, b: ember.bucketize(v, b, **kw),
             lambda v, b: torch.bucketize(v, b, **kw), np.array(2.0), SEQ)
    assert_same(ember.bucketize(2.0, ember.tensor(SEQ), **kw),
                torch.bucketize(2.0, torch.tensor(SEQ), **kw))
    same_error(lambda m: m.bucketize(m.ones(3), m.ones(1, 2)))


# -- bincount / histc --------------------------------------------------------------------------
@pytest.mark.parametrize("values", [[1, 2, 2, 5], [], [0], [3, 3, 3]], ids=str)
@pytest.mark.parametrize("minlength", [0, 2, 8])
def test_bincount(values, minlength):
    for dt in ["int64", "int32", "uint8"]:
        check_op(lambda x: ember.bincount(x, minlength=minlength),
                 lambda x: torch.bincount(x, minlength=minlength), np.array(values, dtype=dt))
        check_op(lambda x: x.bincount(None, minlength), None, np.array(values, dtype=dt))
    for wdt in ["float32", "float64", "int64"]:
        weights = R.standard_normal(len(values)).astype(wdt)
        check_op(lambda x, w: ember.bincount(x, w, minlength),
                 lambda x, w: torch.bincount(x, w, minlength), long(values), weights,
                 requires_grad=False)


def test_bincount_errors():
    for call in [lambda m: m.bincount(m.tensor([[1, 2]])), lambda m: m.bincount(m.tensor([-1])),
                 lambda m: m.bincount(m.tensor([1.0, 2.0])),
                 lambda m: m.bincount(m.tensor([1, 2]), minlength=-1),
                 lambda m: m.bincount(m.tensor([1, 2]), m.tensor([1.0, 2.0, 3.0]))]:
        same_error(call)


@pytest.mark.parametrize("bins,lo,hi", [(100, 0, 0), (4, 0, 0), (5, -1, 1), (3, 0.5, 0.5),
                                        (7, -10, 2)], ids=str)
@pytest.mark.parametrize("shape", [(20,), (4, 5), (), (0,)], ids=str)
def test_histc(shape, bins, lo, hi):
    check_op(lambda x: ember.histc(x, bins, lo, hi), lambda x: torch.histc(x, bins, lo, hi),
             arr(*shape), dtypes=FLOATS)
    check_op(lambda x: x.histc(bins, lo, hi), None, np.round(arr(*shape)))
    check_op(lambda x: x.histc(bins), None, np.ones(shape, np.float32))


def test_histc_edges_and_errors():
    check_op(lambda x: ember.histc(x, 4, 0, 4), lambda x: torch.histc(x, 4, 0, 4),
             np.array([0.0, 1, 2, 3, 4, 5, -1, np.nan]), dtypes=FLOATS)
    for call in [lambda m: m.histc(m.tensor([1, 2])), lambda m: m.histc(m.ones(2), bins=-1),
                 lambda m: m.histc(m.ones(2), 4, 3, 1)]:
        same_error(call)
