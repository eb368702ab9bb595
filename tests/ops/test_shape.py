"""Shape ops against PyTorch: views and copies, memory sharing, gradients, grad_fns, errors."""

import warnings
from functools import partial

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import ember
from helpers import (assert_same, assert_same_error, check_op, float_arrays, grad_fn_names,
                     gradcheck_op, rng, shapes)

torch = pytest.importorskip("torch")

R = rng(3)


def arr(*shape, dtype=np.float32):
    return R.standard_normal(shape).astype(dtype)


def both(fn):
    return partial(fn, ember), partial(fn, torch)


# name -> (fn(lib, *tensors), input shapes)
UNARY = {
    "view": (lambda L, x: x.view(4, 3), (3, 4)),
    "view_infer": (lambda L, x: x.view(-1), (3, 4)),
    "view_tuple": (lambda L, x: x.view((2, -1)), (2, 3, 4)),
    "view_0d_to_1d": (lambda L, x: x.view(1), ()),
    "view_to_0d": (lambda L, x: x.view(()), (1,)),
    "view_as": (lambda L, x: x.view_as(L.zeros(6, 2)), (3, 4)),
    "reshape": (lambda L, x: x.reshape(2, 6), (3, 4)),
    "reshape_fn": (lambda L, x: L.reshape(x, (-1, 2)), (3, 4)),
    "reshape_as": (lambda L, x: x.reshape_as(L.zeros(12)), (3, 4)),
    "flatten": (lambda L, x: x.flatten(), (2, 3, 4)),
    "flatten_1": (lambda L, x: L.flatten(x, 1), (2, 3, 4)),
    "flatten_0d": (lambda L, x: x.flatten(), ()),
    "flatten_same": (lambda L, x: x.flatten(1, 1), (2, 3, 4)),
    "unflatten": (lambda L, x: x.unflatten(1, (2, 2)), (3, 4)),
    "unflatten_infer": (lambda L, x: x.unflatten(-1, (2, -1)), (3, 4)),
    "squeeze": (lambda L, x: x.squeeze(), (1, 3, 1)),
    "squeeze_dim": (lambda L, x: x.squeeze(0), (1, 3, 1)),
    "squeeze_dim_not_1": (lambda L, x: x.squeeze(1), (1, 3, 1)),
    "squeeze_dims": (lambda L, x: L.squeeze(x, (0, 2)), (1, 3, 1)),
    "squeeze_0d": (lambda L, x: x.squeeze(0), ()),
    "unsqueeze": (lambda L, x: x.unsqueeze(1), (3, 4)),
    "unsqueeze_neg": (lambda L, x: L.unsqueeze(x, -1), (3, 4)),
    "unsqueeze_0d": (lambda L, x: x.unsqueeze(0), ()),
    "permute": (lambda L, x: x.permute(2, 0, 1), (2, 3, 4)),
    "permute_tuple": (lambda L, x: L.permute(x, (-1, 0, 1)), (2, 3, 4)),
    "transpose": (lambda L, x: x.transpose(0, 2), (2, 3, 4)),
    "swapaxes": (lambda L, x: x.swapaxes(0, 1), (3, 4)),
    "t": (lambda L, x: x.t(), (3, 4)),
    "t_1d": (lambda L, x: L.t(x), (3,)),
    "T": (lambda L, x: x.T, (3, 4)),
    "mT": (lambda L, x: x.mT, (2, 3, 4)),
    "movedim": (lambda L, x: x.movedim(0, -1), (2, 3, 4)),
    "expand": (lambda L, x: x.expand(2, 3, 4), (3, 1)),
    "expand_keep": (lambda L, x: x.expand(-1, 4), (3, 1)),
    "expand_0d": (lambda L, x: x.expand(3, 2), ()),
    "expand_as": (lambda L, x: x.expand_as(L.zeros(2, 3, 4)), (3, 1)),
    "broadcast_to": (lambda L, x: L.broadcast_to(x, (2, 3, 4)), (3, 1)),
    "repeat": (lambda L, x: x.repeat(2, 3), (3, 4)),
    "repeat_more_dims": (lambda L, x: x.repeat(2, 1, 3), (3, 4)),
    "repeat_0d": (lambda L, x: x.repeat(3), ()),
    "tile": (lambda L, x: x.tile((2,)), (3, 4)),
    "flip": (lambda L, x: x.flip(0), (3, 4)),
    "flip_dims": (lambda L, x: L.flip(x, [0, -1]), (3, 4)),
    "narrow": (lambda L, x: x.narrow(1, 1, 2), (3, 4)),
    "narrow_full": (lambda L, x: L.narrow(x, 0, 0, 3), (3, 4)),
    "clone": (lambda L, x: x.clone(), (3, 4)),
    "contiguous_t": (lambda L, x: x.t().contiguous(), (3, 4)),
    "split": (lambda L, x: x.split(2), (3, 4)),
    "split_dim": (lambda L, x: L.split(x, 3, 1), (3, 4)),
    "split_sizes": (lambda L, x: x.split([1, 3], 1), (3, 4)),
    "split_one_piece_used": (lambda L, x: x.split(2)[1], (3, 4)),
    "chunk": (lambda L, x: x.chunk(2), (3, 4)),
    "chunk_uneven": (lambda L, x: L.chunk(x, 3, 1), (3, 4)),
    "chunk_more_than_size": (lambda L, x: x.chunk(5), (3, 4)),
    "unbind": (lambda L, x: x.unbind(), (3, 4)),
    "unbind_dim": (lambda L, x: L.unbind(x, 1)[2], (3, 4)),
}
BINARY = {
    "cat": (lambda L, a, b: L.cat([a, b]), (3, 4), (2, 4)),
    "cat_dim": (lambda L, a, b: L.cat((a, b), 1), (3, 4), (3, 2)),
    "cat_neg_dim": (lambda L, a, b: L.cat((a, b), dim=-1), (3, 4), (3, 2)),
    "cat_skips_1d_empty": (lambda L, a, b: L.cat((a, b)), (3, 4), (0,)),
    "concat": (lambda L, a, b: L.concat([a, b]), (2,), (3,)),
    "stack": (lambda L, a, b: L.stack([a, b]), (3, 4), (3, 4)),
    "stack_last": (lambda L, a, b: L.stack([a, b], -1), (3, 4), (3, 4)),
    "stack_0d": (lambda L, a, b: L.stack([a, b]), (), ()),
    "hstack": (lambda L, a, b: L.hstack([a, b]), (3, 4), (3, 2)),
    "vstack": (lambda L, a, b: L.vstack([a, b]), (4,), (2, 4)),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_shape_op(name):
    fn, shape = UNARY[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # x.T on non-2-d input
        check_op(*both(fn), arr(*shape), dtypes=["float32", "float64"])


@pytest.mark.parametrize("name", sorted(BINARY))
def test_joining_op(name):
    fn, sa, sb = BINARY[name]
    check_op(*both(fn), arr(*sa), arr(*sb))


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_gradcheck(name):
    fn, shape = UNARY[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        gradcheck_op(partial(fn, ember), arr(*shape))


@pytest.mark.parametrize("name", sorted(BINARY))
def test_joining_gradcheck(name):
    fn, sa, sb = BINARY[name]
    gradcheck_op(partial(fn, ember), arr(*sa), arr(*sb))


def test_mixed_dtypes_promote():
    check_op(*both(lambda L, a, b: L.cat([a, b])), arr(1, 4), np.ones((2, 4), np.int64))
    check_op(*both(lambda L, a, b: L.stack([a, b])), arr(3), arr(3, dtype=np.float64))


def test_views_share_memory_and_version_with_base():
    base = ember.zeros(3, 4)
    views = [base.view(12), base.reshape(4, 3), base.t(), base.permute(1, 0),
             base.unsqueeze(0), base[1], base[:, 1:3], base.transpose(0, 1), base.narrow(0, 1, 1),
             base.flatten(), base.expand(2, 3, 4), base.split(2)[1], base.unbind(1)[2],
             base.view_as(base), base.squeeze(), base.unflatten(1, (2, 2))]
    for v in views:
        assert v._base is base
        assert v._version is base._version
    v = base.view(12)
    v[5] = 7.0
    assert base[1, 1].item() == 7.0
    version = base._version[0]
    base.add_(1)
    assert v._version[0] == version + 1
    assert base.t().t()._base is base  # a view of a view has the root as base


def test_copies_do_not_share_memory():
    x = ember.zeros(3, 4)
    for c in (x.t().reshape(12), x.clone(), x.repeat(1, 1), x.flip(0), ember.cat([x, x]),
              ember.stack([x]), x.t().contiguous()):
        assert c._base is None
        c.fill_(5)
    assert float(x.abs().sum()) == 0.0
    assert x.contiguous() is x  # already contiguous: the same tensor, as in torch


def test_reshape_copy_is_recorded_as_clone_then_unsafe_view():
    for L in (ember, torch):
        x = L.ones(3, 4, requires_grad=True)
        assert grad_fn_names(x.t().reshape(12), 3) == (
            "UnsafeViewBackward0", [("CloneBackward0", [("TBackward0", ["AccumulateGrad"])])])


def test_split_outputs_share_one_node():
    x = ember.ones(4, 3, requires_grad=True)
    a, b = x.split(2)
    assert a.grad_fn is b.grad_fn and (a._output_nr, b._output_nr) == (0, 1)
    assert x.split([1, 3])[0].grad_fn.name() == "SplitWithSizesBackward0"


# torch emits these once per process (from C++), so its text is spelled out here.
_T_WARNINGS = {
    0: "Tensor.T is deprecated on 0-D tensors. This function is the identity in these cases.",
    1: "The use of `x.T` on tensors of dimension other than 2 to reverse their shape is "
       "deprecated and it will throw an error in a future release. Consider `x.mT` to transpose "
       "batches of matrices or `x.permute(*ember.arange(x.ndim - 1, -1, -1))` to reverse the "
       "dimensions of a tensor.",
}


def test_transpose_property_warnings_match_torch():
    for shape in [(), (3,), (2, 3, 4)]:
        with pytest.warns(UserWarning) as ew:
            _ = ember.zeros(shape).T
        assert str(ew[0].message) == _T_WARNINGS[min(len(shape), 1)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _ = ember.zeros(2, 3).T  # no warning for matrices


def test_view_of_dtype_reinterprets_memory():
    x = arr(2, 3)
    assert_same(ember.from_numpy(x).view(ember.int32), torch.from_numpy(x).view(torch.int32))


def test_errors_match_torch():
    def x(L):
        return L.zeros(3, 4)

    cases = [
        lambda L: x(L).view(5), lambda L: x(L).view(-1, -1), lambda L: x(L).t().view(12),
        lambda L: x(L).view(-1, 5), lambda L: x(L).view(-2, 6), lambda L: x(L).reshape(5),
        lambda L: x(L).flatten(1, 0), lambda L: x(L).unflatten(1, (3, 2)),
        lambda L: x(L).squeeze(2), lambda L: x(L).unsqueeze(3), lambda L: x(L).permute(0),
        lambda L: x(L).permute(0, 0), lambda L: x(L).transpose(0, 2),
        lambda L: L.zeros(2, 3, 4).t(), lambda L: x(L).expand(3, 5), lambda L: x(L).expand(4),
        lambda L: x(L).expand(-1, 3, 4), lambda L: x(L).repeat(2),
        lambda L: L.cat([x(L), L.zeros(3)]), lambda L: L.cat([x(L), L.zeros(3, 5)]),
        lambda L: L.cat([]), lambda L: L.cat([L.tensor(1.0), L.tensor(2.0)]),
        lambda L: L.cat([x(L), x(L)], 2), lambda L: L.stack([x(L), L.zeros(3, 5)]),
        lambda L: L.stack([]), lambda L: x(L).split([1, 1]), lambda L: x(L).chunk(0),
        lambda L: x(L).split(0), lambda L: x(L).narrow(0, 2, 2), lambda L: x(L).flip(0, 0),
        lambda L: x(L).flip(2), lambda L: x(L).movedim(0, 2), lambda L: x(L).select(0, 3),
        lambda L: L.tensor(1.0).unbind(), lambda L: x(L).view_as(L.zeros(5)),
        lambda L: L.zeros(3).mT,
    ]
    for case in cases:
        assert_same_error(partial(case, ember), partial(case, torch))


@given(shapes(min_dims=1, max_dims=4), st.data())
def test_hypothesis_permute_reshape_expand(shape, data):
    x = data.draw(float_arrays(shape, dtype=np.float64))
    perm = data.draw(st.permutations(range(len(shape))))
    new_shape = data.draw(st.permutations(shape))
    lead = data.draw(st.integers(1, 3))

    def fn(L, t):
        y = t.permute(*perm).reshape(*new_shape).unsqueeze(0)
        return y.expand(lead, *new_shape).flatten(1)
    check_op(*both(fn), x, layouts_=("contiguous", "transposed"))


@pytest.mark.parametrize("call", [
    "x.view(2.0)", "x.view(1, 6.0)", "x.view('a')", "x.view([2, 3.0])",
    "x.view(2, lib.tensor(3.0))", "x.reshape(6.0)", "x.reshape(2, 3.5)", "x.permute(0.0)",
    "x.permute(0, 1.0)", "x.expand(1, 6.0)", "x.repeat(2.0)", "x.repeat(1, 2.0)",
    "x.tile(2.0)", "x.tile((2.0,))", "x.flip(0.0)", "x.flip((0.0,))",
])
def test_sizes_must_be_integers(call):
    assert_same_error(lambda: eval(call, {"x": ember.zeros(6), "lib": ember}),
                      lambda: eval(call, {"x": torch.zeros(6), "lib": torch}))


def test_integer_like_sizes():
    for lib in (ember, torch):
        x = lib.zeros(6)
        assert tuple(x.view(2, lib.tensor(3)).shape) == (2, 3)
        assert tuple(x.view(np.int64(3), True * 2).shape) == (3, 2)
        assert tuple(x.view(lib.Size([3, 2])).shape) == (3, 2)
