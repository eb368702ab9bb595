"""Indexing against PyTorch: t[key], t[key] = v, gather/scatter and friends, with autograd."""

from functools import partial

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import ember
from helpers import assert_same, assert_same_error, check_op, grad_fn_names, gradcheck_op, rng

torch = pytest.importorskip("torch")

R = rng(4)


def arr(*shape, dtype=np.float32):
    return R.standard_normal(shape).astype(dtype)


def both(fn):
    return partial(fn, ember), partial(fn, torch)


# Keys as functions of the library (tensor indices must be built by each library).
KEYS = {
    "int": lambda L: 1,
    "neg_int": lambda L: -1,
    "slice": lambda L: slice(1, None),
    "slice_step": lambda L: slice(None, None, 2),
    "full_slice": lambda L: slice(None),
    "slice_out_of_range": lambda L: slice(-100, 100),
    "two_ints": lambda L: (1, 2),
    "int_slice": lambda L: (1, slice(1, 3)),
    "slice_int": lambda L: (slice(None), 1),
    "full_slices": lambda L: (slice(None), slice(None)),
    "ellipsis": lambda L: ...,
    "ellipsis_int": lambda L: (..., 1),
    "none": lambda L: None,
    "none_int": lambda L: (None, 0),
    "int_none": lambda L: (0, None),
    "ellipsis_none": lambda L: (..., None),
    "true": lambda L: True,
    "false": lambda L: False,
    "true_int": lambda L: (True, 0),
    "list": lambda L: [0, 2],
    "list_in_tuple": lambda L: ([0, 2],),
    "tensor": lambda L: L.tensor([0, 2, 0]),
    "tensor_2d": lambda L: L.tensor([[0, 1], [2, 0]]),
    "int32_tensor": lambda L: L.tensor([2, 1], dtype=L.int32),
    "two_tensors": lambda L: (L.tensor([0, 1]), L.tensor([1, 3])),
    "tensor_slice": lambda L: (L.tensor([0, 1]), slice(1, 3)),
    "slice_tensor": lambda L: (slice(1, 3), L.tensor([0, 3])),
    "int_tensor": lambda L: (0, L.tensor([0, 1])),
    "tensor_none_tensor": lambda L: (L.tensor([0, 1]), None, L.tensor([1, 2])),
    "scalar_tensor": lambda L: L.tensor(1),
    "bool_rows": lambda L: L.tensor([True, False, True]),
    "bool_cols": lambda L: (slice(None), L.tensor([True, False, True, True])),
    "bool_scalar_tensor": lambda L: L.tensor(True),
    "negative_tensor": lambda L: L.tensor([-1, -3]),
    "empty_list": lambda L: L.tensor([], dtype=L.int64),
}


@pytest.mark.parametrize("name", sorted(KEYS))
def test_getitem(name):
    check_op(*both(lambda L, x: x[KEYS[name](L)]), arr(3, 4), dtypes=["float32", "float64"])


@pytest.mark.parametrize("name", sorted(KEYS))
def test_getitem_records_torch_chain(name):
    chains = []
    for L in (ember, torch):
        x = L.ones(3, 4, requires_grad=True)
        chains.append(grad_fn_names(x[KEYS[name](L)], 4))
    assert chains[0] == chains[1]


def test_getitem_masks_and_3d_keys():
    x = arr(2, 3, 4)
    mask = arr(2, 3, 4) > 0
    for fn in (lambda L, t: t[t > 0], lambda L, t: t[0, :, [1, 2]],
               lambda L, t: t[:, L.tensor([0, 2]), 1:], lambda L, t: t[L.tensor([1, 0]), ..., 2],
               lambda L, t: t[..., L.tensor([0, 0])],
               lambda L, t: t[L.tensor([[True, False, True], [False, True, True]])],
               lambda L, t: t[None, ..., None, 1], lambda L, t: t[1][2][3]):
        check_op(*both(fn), x)
    check_op(*both(lambda L, t, m: t[m]), x, mask)


def test_getitem_0d():
    for fn in (lambda L, t: t[()], lambda L, t: t[None], lambda L, t: t[...], lambda L, t: t[True]):
        check_op(*both(fn), arr())


def test_basic_indexing_returns_views():
    x = ember.zeros(3, 4)
    for v in (x[1], x[:, 1:3], x[None], x[..., 0], x[:]):
        assert v._base is x and v._version is x._version
    x[1][2] = 5.0
    assert x[1, 2].item() == 5.0
    adv = x[[0, 1]]
    assert adv._base is None
    adv.fill_(9.0)
    assert x.sum().item() == 5.0


# -- assignment ----------------------------------------------------------------------------
SET_CASES = {
    "int_scalar": (lambda L: 1, lambda L: 0.5),
    "slice_tensor": (lambda L: (slice(None), slice(1, 3)), lambda L: L.ones(3, 2)),
    "broadcast_row": (lambda L: slice(0, 2), lambda L: L.arange(4.0)),
    "leading_ones_dropped": (lambda L: 0, lambda L: L.ones(1, 4)),
    "bool_mask": (lambda L: L.tensor([[True, False, True, False]] * 3), lambda L: 7.0),
    "bool_rows_tensor": (lambda L: L.tensor([True, False, True]), lambda L: L.ones(2, 4)),
    "advanced": (lambda L: L.tensor([0, 2]), lambda L: L.zeros(4)),
    "advanced_pair": (lambda L: (L.tensor([0, 1]), L.tensor([1, 3])), lambda L: L.tensor([1., 2.])),
    "mixed": (lambda L: (0, L.tensor([0, 1])), lambda L: -1.0),
    "ellipsis_scalar": (lambda L: ..., lambda L: 3.0),
    "full_slice_tensor": (lambda L: slice(None), lambda L: L.arange(4.0)),
    "ellipsis_0d_tensor": (lambda L: ..., lambda L: L.tensor(2.0)),
    "int_dtype_cast": (lambda L: (1, 1), lambda L: L.tensor(3, dtype=L.int64)),
    "double_value": (lambda L: 2, lambda L: L.ones(4, dtype=L.float64)),
    "double_value_whole": (lambda L: ..., lambda L: L.ones(4, dtype=L.float64)),
}


@pytest.mark.parametrize("name", sorted(SET_CASES))
def test_setitem_values_and_gradients(name):
    key_fn, value_fn = SET_CASES[name]

    def fn(L, x, v):
        y = x * 1  # a non-leaf, so that it may be written in place
        value = value_fn(L)
        if isinstance(value, L.Tensor) and value.is_floating_point():
            value = value * v  # a value that requires grad
        y[key_fn(L)] = value
        return y
    check_op(*both(fn), arr(3, 4), arr(), layouts_=("contiguous", "transposed"))


@pytest.mark.parametrize("name", sorted(SET_CASES))
def test_setitem_grad_fn_matches_torch(name):
    key_fn, value_fn = SET_CASES[name]
    chains = []
    for L in (ember, torch):
        y = L.ones(3, 4, requires_grad=True).clone()
        value = value_fn(L)
        if isinstance(value, L.Tensor) and value.is_floating_point():
            value = value.requires_grad_()
        y[key_fn(L)] = value
        chains.append(grad_fn_names(y, 2))
    assert chains[0] == chains[1]


def _version(t):
    v = t._version  # ember keeps the shared counter in a one-element list
    return v[0] if isinstance(v, list) else v


def test_setitem_without_grad_and_version_counter():
    for L in (ember, torch):
        x = L.zeros(3, 4)
        v0 = _version(x)
        x[0] = 1.0
        x[x > 0] = 2.0
        x[L.tensor([2])] = L.arange(4.0)
        assert _version(x) == v0 + 3
    check_op(*both(lambda L, t: _assigned(t)), arr(3, 4), requires_grad=False)


def _assigned(t):
    t = t.clone()
    t[1:, ::2] = 4.0
    t[0] = t[2]
    return t


def test_setitem_value_receives_gradient_through_copy():
    def fn(L, v):
        y = L.zeros(3, 4)
        y[0:2] = v * 2  # y does not require grad; the value does
        return y
    check_op(*both(fn), arr(2, 4))


def test_duplicate_advanced_indices():
    def fn(L, x):
        return x[L.tensor([1, 1, 0, 1])] * 2
    check_op(*both(fn), arr(3, 4))

    def put(L, x, v):
        y = x * 1
        return y.index_put_((L.tensor([0, 0, 2]),), v, accumulate=True)
    check_op(*both(put), arr(3, 4), arr(3, 4))
    check_op(*both(lambda L, x, v: L.index_put(x, (L.tensor([1, 1]),), v, accumulate=True)),
             arr(3, 4), arr(4))


def test_setitem_errors_match_torch():
    cases = [
        lambda L: L.zeros(3, 4).__setitem__(0, L.ones(3)),
        lambda L: L.zeros(3, 4).__setitem__(0, L.ones(2, 4)),
        lambda L: L.zeros(3, 4).__setitem__(L.tensor([0, 1]), L.ones(3)),
        lambda L: L.zeros(3, 4).__setitem__(L.zeros(3, 4) == 0, L.ones(3)),
        lambda L: L.zeros(3, 4).__setitem__(slice(0, 2), L.ones(3, 4)),
        lambda L: L.zeros(3, 4).__setitem__(0, [1, 2, 3, 4]),
        lambda L: L.zeros(3, 4).__setitem__(5, 1.0),
        lambda L: L.zeros(3, 4).__setitem__(L.tensor([5]), 1.0),
        lambda L: L.zeros(3, 4).__setitem__(L.tensor([1]), L.ones(4, dtype=L.float64)),
        lambda L: L.ones(3, requires_grad=True).__setitem__(0, 1.0),
        lambda L: L.ones(3, requires_grad=True).__setitem__(L.tensor([0]), 1.0),
        lambda L: L.ones(3, requires_grad=True).__setitem__(..., 1.0),
        lambda L: L.ones(3, requires_grad=True).__setitem__(slice(None), 1.0),
        lambda L: L.ones(3, requires_grad=True)[1:].__setitem__(0, 1.0),
    ]
    for case in cases:
        assert_same_error(partial(case, ember), partial(case, torch))
    for L in (ember, torch):  # allowed without grad mode
        x = L.ones(3, requires_grad=True)
        with L.no_grad():
            x[0] = 5.0
        assert x.tolist() == [5.0, 1.0, 1.0]


def test_getitem_errors_match_torch():
    cases = [
        lambda L: L.zeros(3, 4)[3], lambda L: L.zeros(3, 4)[0, 4], lambda L: L.zeros(3, 4)[-4],
        lambda L: L.zeros(3, 4)[0, 0, 0], lambda L: L.zeros(3, 4)[1.5],
        lambda L: L.zeros(3, 4)[L.tensor([5])], lambda L: L.zeros(3, 4)[:, L.tensor([5])],
        lambda L: L.zeros(3, 4)[L.tensor([True, False])], lambda L: L.zeros(3, 4)[L.tensor([1.0])],
        lambda L: L.zeros(3, 4)[::-1], lambda L: L.zeros(3, 4)[::0],
    ]
    for case in cases:
        assert_same_error(partial(case, ember), partial(case, torch))


# -- index-driven ops ----------------------------------------------------------------------
INDEX_OPS = {
    "gather": (lambda L, x: x.gather(1, L.tensor([[0, 1], [2, 2], [3, 0]])), ()),
    "gather_dim0": (lambda L, x: L.gather(x, 0, L.tensor([[0, 1, 2, 0]])), ()),
    "gather_int32": (lambda L, x: x.gather(1, L.tensor([[3], [1], [0]], dtype=L.int32)), ()),
    "take_along_dim": (lambda L, x: L.take_along_dim(x, L.tensor([[0], [1], [2]]), 1), ()),
    "take_along_flat": (lambda L, x: L.take_along_dim(x, L.tensor([0, 5, 11])), ()),
    "scatter_src": (lambda L, x, s: x.scatter(1, L.tensor([[0, 1], [2, 3], [3, 0]]), s), (3, 2)),
    "scatter_value": (lambda L, x: x.scatter(1, L.tensor([[0], [2], [3]]), 5.0), ()),
    "scatter_add": (lambda L, x, s: x.scatter_add(1, L.tensor([[0, 0], [2, 3], [3, 3]]), s),
                    (3, 2)),
    "index_select": (lambda L, x: x.index_select(1, L.tensor([0, 3, 3])), ()),
    "index_select_0d_index": (lambda L, x: L.index_select(x, 0, L.tensor(2)), ()),
    "index_add": (lambda L, x, s: x.index_add(0, L.tensor([0, 2, 0]), s), (3, 4)),
    "index_add_alpha": (lambda L, x, s: x.index_add(1, L.tensor([1]), s, alpha=2.0), (3, 1)),
    "index_fill": (lambda L, x: x.index_fill(1, L.tensor([0, 2]), -1.0), ()),
    "masked_fill": (lambda L, x: x.masked_fill(x > 0, 0.5), ()),
    "masked_fill_broadcast": (lambda L, x: x.masked_fill(L.tensor([True, False, True, False]),
                                                         -1.0), ()),
    "masked_fill_tensor": (lambda L, x, v: x.masked_fill(x > 0, v.sum()), (2,)),
    "masked_select": (lambda L, x: x.masked_select(x > 0), ()),
    "masked_select_broadcast": (lambda L, x: L.masked_select(x, L.tensor([True, False, True,
                                                                          False])), ()),
}


@pytest.mark.parametrize("name", sorted(INDEX_OPS))
def test_index_op(name):
    fn, extra = INDEX_OPS[name]
    args = (arr(3, 4),) + ((arr(*extra),) if extra else ())
    check_op(*both(fn), *args, dtypes=["float32", "float64"])


@pytest.mark.parametrize("name", sorted(INDEX_OPS))
def test_index_op_gradcheck(name):
    fn, extra = INDEX_OPS[name]
    args = (arr(3, 4),) + ((arr(*extra),) if extra else ())
    gradcheck_op(partial(fn, ember), *args)


def test_inplace_index_ops():
    for fn in (lambda L, x: (x * 1).masked_fill_(x > 0, 0.0),
               lambda L, x: (x * 1).scatter_(1, L.tensor([[1], [0], [2]]), 2.0),
               lambda L, x, s=None: (x * 1).index_fill_(0, L.tensor([1]), 3.0),
               lambda L, x: (x * 1).scatter_add_(0, L.tensor([[0, 1, 2, 0]]), x[:1] * 2),
               lambda L, x: (x * 1).index_add_(1, L.tensor([0]), x[:, 1:2])):
        check_op(*both(fn), arr(3, 4))


def test_nonzero():
    x = (arr(3, 4) > 0).astype(np.float32)
    check_op(*both(lambda L, t: L.nonzero(t)), x, requires_grad=False)
    check_op(*both(lambda L, t: t.nonzero(as_tuple=True)), x, requires_grad=False)
    for v in (np.float32(1.0), np.float32(0.0)):
        check_op(*both(lambda L, t: t.nonzero()), np.array(v), requires_grad=False)
    check_op(*both(lambda L, t: t.nonzero()), np.zeros((0, 3), np.float32), requires_grad=False)


def test_index_op_errors_match_torch():
    x = [lambda L: L.zeros(3, 4)]
    cases = [
        lambda L: x[0](L).gather(1, L.tensor([0, 1])),
        lambda L: x[0](L).gather(1, L.tensor([[7]])),
        lambda L: x[0](L).gather(1, L.tensor([[0.5]])),
        lambda L: x[0](L).gather(0, L.tensor([[0, 1, 2, 0, 1]])),
        lambda L: x[0](L).scatter(1, L.tensor([[9]]), 1.0),
        lambda L: x[0](L).index_select(0, L.tensor([[0]])),
        lambda L: x[0](L).index_select(0, L.tensor([0.0])),
        lambda L: x[0](L).index_select(0, L.tensor([5])),
        lambda L: x[0](L).index_add(0, L.tensor([0]), L.ones(2, 4)),
        lambda L: x[0](L).masked_fill(L.tensor([1, 0, 1, 0]), 1.0),
        lambda L: x[0](L).masked_fill(L.tensor([True, False]), 1.0),
        lambda L: x[0](L).masked_fill(L.tensor([True] * 4), L.tensor([2.0])),
    ]
    for case in cases:
        assert_same_error(partial(case, ember), partial(case, torch))


def test_second_derivative_through_indexing():
    x = arr(3, 4, dtype=np.float64)
    results = []
    for L in (ember, torch):
        t = L.tensor(x, requires_grad=True)
        y = (t[t > 0] ** 2).sum() + (t[:, 1:3] ** 3).sum() + t.gather(1, L.tensor([[1]] * 3)).pow(
            2).sum()
        (g,) = L.autograd.grad(y, t, create_graph=True)
        (gg,) = L.autograd.grad((g * g).sum(), t)
        results.append((g, gg))
    assert_same(results[0][0], results[1][0])
    assert_same(results[0][1], results[1][1])


@given(st.data())
def test_hypothesis_basic_keys(data):
    shape = data.draw(st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple))
    items = []
    for n in shape:
        kind = data.draw(st.sampled_from(["int", "slice", "full", "none"]))
        if kind == "int":
            items.append(data.draw(st.integers(-n, n - 1)))
        elif kind == "slice":
            a = data.draw(st.integers(-n - 1, n + 1))
            b = data.draw(st.integers(-n - 1, n + 1))
            items.append(slice(a, b, data.draw(st.integers(1, 3))))
        elif kind == "full":
            items.append(slice(None))
        else:
            items.extend([None, slice(None)])
    key = tuple(items)
    check_op(*both(lambda L, t: t[key]), arr(*shape).astype(np.float64),
             layouts_=("contiguous",))
