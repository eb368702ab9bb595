"""Indexing corners against PyTorch: how keys are read (lists, ranges, NumPy arrays, index
dtypes), how ``t[key] = v`` fits its value (leading 1s, one-element values through a mask,
scalars that overflow), and the argument checks of the index-driven ops."""

import warnings
from functools import partial

import numpy as np
import pytest

import ember
from helpers import assert_same, assert_same_error, check_op, grad_fn_names, rng

torch = pytest.importorskip("torch")

R = rng(11)


def arr(*shape, dtype=np.float32):
    return R.standard_normal(shape).astype(dtype)


def both(fn):
    return partial(fn, ember), partial(fn, torch)


def _quiet(fn, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args)


# -- reading keys ---------------------------------------------------------------------------
KEYS = {
    "nested_list": lambda L: [[0, 1], [1, 2]],
    "list_with_slice": lambda L: [0, slice(1, None)],
    "list_with_none": lambda L: [1, None],
    "list_with_tensors": lambda L: [L.tensor(1), L.tensor(2)],
    "list_with_0d_array": lambda L: [np.array(1)],
    "list_with_array": lambda L: [np.array([1, 2])],
    "long_nested_list": lambda L: [[0]] * 33,
    "range": lambda L: range(0, 3, 2),
    "range_in_tuple": lambda L: (range(2), 0),
    "tuple_in_tuple": lambda L: ((0, 1), (1, 2)),
    "float_list": lambda L: [0.5, 1.7, -0.5],
    "bool_int_list": lambda L: [True, 1],
    "empty_list": lambda L: [],
    "numpy_int8": lambda L: np.array([1, 0], dtype=np.int8),
    "numpy_uint64": lambda L: np.array([2, 0], dtype=np.uint64),
    "numpy_uint8_mask": lambda L: np.array([1, 0, 1], dtype=np.uint8),
    "numpy_float": lambda L: np.array([1.5]),
    "numpy_0d_int": lambda L: np.array(2),
    "numpy_0d_bool": lambda L: (np.array(True), 0),
    "uint8_0d_tensor": lambda L: L.tensor(1, dtype=L.uint8),
    "int16_0d_tensor": lambda L: (0, L.tensor(1, dtype=L.int16)),
    "int8_tensor": lambda L: L.tensor([1, 0], dtype=L.int8),
    "int16_tensor": lambda L: L.tensor([1, 0], dtype=L.int16),
    "empty_float_tensor": lambda L: L.tensor([]),
    "str": lambda L: "a",
    "str_in_list": lambda L: [1, "a"],
    "numpy_bool_scalar": lambda L: np.bool_(True),
    "numpy_float_scalar": lambda L: np.float64(1.0),
    "object": lambda L: object,
}


@pytest.mark.parametrize("name", sorted(KEYS))
def test_getitem_key_kinds(name):
    check_op(*both(lambda L, x: _quiet(x.__getitem__, KEYS[name](L))), arr(3, 4),
             layouts_=("contiguous",))


# A uint8 mask with a scalar value is refused by torch (its masked_fill takes bool only);
# ember takes it, as uint8 masks are read as bool everywhere else.
@pytest.mark.parametrize("name", sorted(set(KEYS) - {"numpy_uint8_mask"}))
def test_setitem_key_kinds(name):
    def fn(L, x):
        y = x * 1
        _quiet(y.__setitem__, KEYS[name](L), 7.0)
        return y
    check_op(*both(fn), arr(3, 4), layouts_=("contiguous",))


def test_list_read_as_tuple_warns_like_torch():
    caught = []
    for L in (ember, torch):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            x = L.zeros(3, 3)
            x[[[0, 1], [1, 2]]]
            x[[[0, 1], [1, 2]]] = 1.0
            x[[0, 1]]  # a flat list is one index: no warning
        caught.append([(w_.category, w_.filename) for w_ in w])
    assert caught[0] == caught[1]
    assert len(caught[0]) == 2 and caught[0][0][1] == __file__


# -- writing: fitting the value ----------------------------------------------------------------
SET_VALUES = {
    "adv_leading_ones": (lambda L: L.tensor([0, 1]), (1, 2, 4), "float32"),
    "adv_leading_ones_broadcast": (lambda L: L.tensor([0, 1]), (1, 1, 4), "float32"),
    "adv_leading_one": (lambda L: L.tensor([0]), (1, 4), "float32"),
    "basic_leading_ones_expand": (lambda L: slice(0, 1), (1, 1, 4), "float32"),
    "mask_double_scalar": (lambda L: L.tensor([True, False, True]), (), "float64"),
    "mask_double_one_element": (lambda L: L.tensor([True, False, True]), (1, 1), "float64"),
    "full_mask_double": (lambda L: L.ones(3, 4, dtype=L.bool), (1,), "float64"),
    "mask_then_int": (lambda L: (L.tensor([True, False, True]), 0), (), "float64"),
    "none_then_mask": (lambda L: (None, L.tensor([True, False, True])), (), "float64"),
    "true_key": (lambda L: True, (4,), "float32"),
    "true_key_full": (lambda L: True, (1, 3, 4), "float32"),
    "false_in_tuple": (lambda L: (False,), (), "float32"),
}


@pytest.mark.parametrize("name", sorted(SET_VALUES))
def test_setitem_value_fitting(name):
    key_fn, shape, dtype = SET_VALUES[name]

    def fn(L, x, v):
        y = x * 1
        y[key_fn(L)] = v.to(getattr(L, dtype)) * 2
        return y
    check_op(*both(fn), arr(3, 4), arr(*shape), layouts_=("contiguous",))
    chains = []
    for L in (ember, torch):
        y = L.zeros(3, 4, requires_grad=True).clone()
        y[key_fn(L)] = L.ones(shape, dtype=getattr(L, dtype), requires_grad=True)
        chains.append(grad_fn_names(y, 3))
    assert chains[0] == chains[1]


def test_setitem_integer_values_through_a_mask():
    for value in (lambda L: L.tensor(2), lambda L: L.tensor(True), lambda L: L.tensor([3])):
        def fn(L, x, value=value):
            y = x.clone()
            y[y > 0] = value(L)
            return y
        check_op(*both(fn), arr(3, 4), requires_grad=False)
        check_op(*both(fn), arr(3, 4).astype(np.int32), requires_grad=False)


def test_setitem_false_changes_nothing():
    results = []
    for L in (ember, torch):
        x = L.ones(3, requires_grad=True).clone()
        version = x._version
        x[False] = 5.0
        version_after = x._version
        results.append((x.tolist(), x.grad_fn.name(),
                        (version_after[0] - version[0]) if isinstance(version, list)
                        else version_after - version))
    assert results[0] == results[1]


SET_ERRORS = [
    lambda L: L.zeros(3, 4, dtype=L.int32).__setitem__(L.zeros(3, 4) > 1, L.ones(2)),
    lambda L: L.zeros(3, 4, dtype=L.int32).__setitem__((L.tensor([0, 1]), slice(None),
                                                       None), L.ones(3, 2)),
    lambda L: L.zeros(3, 4).__setitem__(L.tensor([0]), L.tensor(2)),
    lambda L: L.zeros(3, 4).__setitem__(L.tensor([True, False, True]), L.ones(2)),
    lambda L: L.zeros(3, 4).__setitem__((L.tensor([True, False, True]), L.tensor([0, 1])),
                                        L.tensor(1)),
    lambda L: L.zeros(3, 4).__setitem__(0, np.ones(4)),
    lambda L: L.zeros(3, 4).__setitem__(0, None),
    lambda L: L.zeros(3, 4).__setitem__(0, "a"),
    lambda L: L.zeros(3, 4).index_put_((L.tensor([0, 1]),), L.ones(1, 2, 4)),
    lambda L: L.zeros(3).index_put_((L.tensor([True, False, True]),),
                                    L.tensor(1.0, dtype=L.float64), accumulate=True),
    lambda L: L.zeros(3, 4).index_put_((0,), L.tensor(1.0)),
    lambda L: L.zeros(3, 4).index_put((None, L.tensor([0])), L.tensor(1.0)),
    lambda L: L.zeros(3, 4).index_put((L.tensor([0]),), 1.0),
    lambda L: L.zeros(3, 4).index_put_((L.tensor([0]),) * 3, L.tensor(1.0)),
]


@pytest.mark.parametrize("case", range(len(SET_ERRORS)))
def test_setitem_and_index_put_errors(case):
    assert_same_error(partial(SET_ERRORS[case], ember), partial(SET_ERRORS[case], torch))


SCALARS = [-1, -255, -256, 255, 256, 2 ** 31, 2 ** 63, -2 ** 63 - 1, 255.0, 255.5, -0.5,
           float("inf"), float("nan"), 3.5e38, 1 + 0j, 1 + 1j, True]
DTYPES = ["uint8", "int8", "int32", "int64", "bool", "float32", "float64"]


@pytest.mark.parametrize("dtype", DTYPES)
def test_setitem_python_scalars_convert_like_torch(dtype):
    for value in SCALARS:
        for key in (0, slice(None), (0, 1), [0]):
            def fn(L, key=key, value=value):
                x = L.zeros(2, 2, dtype=getattr(L, dtype))
                x[key] = value
                return x
            try:
                expected = fn(torch)
            except Exception:
                assert_same_error(partial(fn, ember), partial(fn, torch))
                continue
            assert_same(fn(ember), expected, what=f"{dtype} {key!r} = {value!r}")


# -- index-driven ops --------------------------------------------------------------------------
def _idx(L, values, dtype="int64"):
    return L.tensor(values, dtype=getattr(L, dtype))


OP_ERRORS = {
    "gather_negative": lambda L, x: x.gather(1, _idx(L, [[-1]])),
    "gather_int16": lambda L, x: x.gather(1, _idx(L, [[0]], "int16")),
    "scatter_negative": lambda L, x: x.scatter(1, _idx(L, [[-1]]), 9.0),
    "scatter_src_smaller": lambda L, x: x.scatter(1, _idx(L, [[0, 1]]), L.ones(1, 1)),
    "scatter_index_taller": lambda L, x: x.scatter(1, _idx(L, [[0]] * 5), L.ones(5, 1)),
    "scatter_value_index_wider": lambda L, x: x.scatter(0, _idx(L, [[0] * 5]), 1.0),
    "scatter_index_ndim": lambda L, x: x.scatter(1, _idx(L, [0]), 2.5),
    "scatter_src_1d": lambda L, x: x.scatter(0, _idx(L, [[0]]), L.ones(5)),
    "scatter_src_3d": lambda L, x: x.scatter(0, _idx(L, [[0]]), L.ones(2, 2, 2)),
    "scatter_src_0d": lambda L, x: x.scatter(1, _idx(L, [[0], [2]]), L.tensor(5.0)),
    "scatter_src_dtype": lambda L, x: x.scatter(1, _idx(L, [[0]]), L.ones(1, 1).double()),
    "scatter_int16": lambda L, x: x.scatter(1, _idx(L, [[0]], "int16"), 1.0),
    "scatter_float_index": lambda L, x: x.scatter_add(1, L.tensor([[0.0]]), x),
    "scatter_bad_reduce": lambda L, x: x.scatter(1, _idx(L, [[0]]), L.ones(1, 1),
                                                 reduce="mean"),
    "scatter_int_inf": lambda L, x: x.long().scatter(1, _idx(L, [[0]]), float("inf")),
    "scatter_add_dtype": lambda L, x: x.scatter_add(1, _idx(L, [[0]]), L.ones(1, 1).long()),
    "scatter_add_scalar": lambda L, x: x.scatter_add(1, _idx(L, [[0]]), 2.0),
    "scatter_add_negative": lambda L, x: x.scatter_add(1, _idx(L, [[-1]]), L.ones(1, 1)),
    "index_select_negative_dim0": lambda L, x: x.index_select(0, _idx(L, [-1])),
    "index_select_negative_dim1": lambda L, x: x.index_select(1, _idx(L, [0, -2])),
    "index_select_past_end_dim1": lambda L, x: x.index_select(1, _idx(L, [4])),
    "index_select_3d_last_dim": lambda L, x: x.view(3, 2, 2).index_select(2, _idx(L, [2])),
    "index_select_int16": lambda L, x: x.index_select(1, _idx(L, [1], "int16")),
    "index_select_list": lambda L, x: x.index_select(0, [0]),
    "index_add_dtype": lambda L, x: x.index_add(0, _idx(L, [0]), L.ones(1, 4).double()),
    "index_add_shape": lambda L, x: x.index_add(0, _idx(L, [0]), L.ones(1, 3)),
    "index_add_3d_source": lambda L, x: x.index_add(0, _idx(L, [0]), L.ones(1, 1, 4)),
    "index_add_count": lambda L, x: x.index_add(0, _idx(L, [0]), L.ones(4)),
    "index_add_past_end": lambda L, x: x.index_add(0, _idx(L, [3]), L.ones(1, 4)),
    "index_add_negative": lambda L, x: x.index_add(0, _idx(L, [-1]), L.ones(1, 4)),
    "index_add_int16": lambda L, x: x.index_add(0, _idx(L, [0], "int16"), L.ones(1, 4)),
    "index_add_2d_index": lambda L, x: x.index_add(0, _idx(L, [[0]]), L.ones(1, 4)),
    "index_fill_past_end": lambda L, x: x.index_fill(1, _idx(L, [4]), 0.0),
    "index_fill_2d_index": lambda L, x: x.index_fill(0, _idx(L, [[0]]), 1.0),
    "index_fill_int32": lambda L, x: x.index_fill(0, _idx(L, [0], "int32"), 1.0),
    "index_fill_1d_value": lambda L, x: x.index_fill(1, _idx(L, [0]), L.tensor([2.0])),
    "index_fill_int_inf": lambda L, x: x.long().index_fill(0, _idx(L, [0]), float("inf")),
    "masked_fill_int_inf": lambda L, x: x.long().masked_fill(x > 0, float("-inf")),
    "masked_fill_uint8_overflow": lambda L, x: x.byte().masked_fill(x > 0, 300),
    "masked_fill__broadcast_self": lambda L, x: x[0].masked_fill_(x > 0, 1.0),
    "masked_select_uint8": lambda L, x: x.masked_select(_idx(L, [1, 0, 1, 0], "uint8")),
    "masked_select_long": lambda L, x: x.masked_select(_idx(L, [1, 0, 1, 0])),
    "masked_select_bad_shape": lambda L, x: x.masked_select(L.tensor([True, False])),
    "masked_select_bad_shape_2": lambda L, x: x[0, :2].masked_select(x > 0),
    "take_along_dim_float": lambda L, x: L.take_along_dim(x, L.tensor([[0.0]]), 1),
    "take_along_dim_int32": lambda L, x: L.take_along_dim(x, _idx(L, [[0]], "int32"), 1),
    "take_along_dim_ndim": lambda L, x: L.take_along_dim(x, _idx(L, [[[0]]]), 1),
    "take_along_dim_broadcast": lambda L, x: L.take_along_dim(x, _idx(L, [[0]] * 2), 1),
    "take_along_dim_flat_negative": lambda L, x: L.take_along_dim(x, _idx(L, [-1])),
}


@pytest.mark.parametrize("name", sorted(OP_ERRORS))
def test_index_op_errors(name):
    x = arr(3, 4)
    assert_same_error(lambda: OP_ERRORS[name](ember, ember.tensor(x)),
                      lambda: OP_ERRORS[name](torch, torch.tensor(x)))


OPS = {
    "gather_0d_input_1d_index": (lambda L, x: x.sum().gather(0, _idx(L, [0, 0])), (3,)),
    "gather_1d_input_0d_index": (lambda L, x: x.gather(0, _idx(L, 2)), (3,)),
    "gather_empty_index": (lambda L, x: x.gather(0, L.zeros(0, dtype=L.int64)), (3, 4)),
    "gather_index_longer_along_dim": (lambda L, x: x.gather(1, _idx(L, [[0] * 6])), (3, 4)),
    "scatter_empty_index": (lambda L, x: x.scatter(0, L.zeros(0, dtype=L.int64), 5.0), (3, 4)),
    "scatter_0d_index": (lambda L, x: x.scatter(0, _idx(L, 1), 5.0), (3,)),
    "scatter_int_truncates": (lambda L, x: x.long().scatter(1, _idx(L, [[0]]), 2.7), (3, 4)),
    "index_select_int32": (lambda L, x: x.index_select(1, _idx(L, [3, 0], "int32")), (3, 4)),
    "index_add_int_alpha": (lambda L, x: x.long().index_add(0, _idx(L, [0, 0]),
                                                            x[:2].long(), alpha=2.5), (3, 4)),
    "index_fill_negative": (lambda L, x: x.index_fill(1, _idx(L, [-1]), 0.0), (3, 4)),
    "index_fill_double_value": (lambda L, x: x.index_fill(1, _idx(L, [0, 2, 0]),
                                                          x[0, 0].double() * 3), (3, 4)),
    "index_fill_0d_value": (lambda L, x: x.index_fill(0, _idx(L, [1]), x.sum() * 0), (3, 4)),
    "masked_fill_double_value": (lambda L, x: x.masked_fill(x > 0, L.tensor(1.0).double()),
                                 (3, 4)),
    "take_along_dim_negative": (lambda L, x: L.take_along_dim(x, _idx(L, [[-1], [-4], [0]]),
                                                              1), (3, 4)),
    "take_along_dim_broadcast": (lambda L, x: L.take_along_dim(x, _idx(L, [[0, 2]]), 1),
                                 (3, 4)),
    "index_put_mask_value": (lambda L, x: x.index_put((x > 0,), L.tensor([2.0]).double()),
                             (3, 4)),
}


@pytest.mark.parametrize("name", sorted(OPS))
def test_index_ops_match_torch(name):
    fn, shape = OPS[name]
    check_op(*both(fn), arr(*shape), layouts_=("contiguous", "transposed"))
