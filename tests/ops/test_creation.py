"""Tensor factories, conversions and in-place fills against PyTorch."""

import warnings
from functools import partial

import numpy as np
import pytest

import ember
from helpers import assert_same, assert_same_error, check_op, grad_fn_names, rng

torch = pytest.importorskip("torch")

R = rng(5)


def same(fn):
    """``fn(lib)`` gives the same result (values, dtype, shape) or error on both libraries."""
    try:
        expected = fn(torch)
    except Exception:
        assert_same_error(partial(fn, ember), partial(fn, torch))
        return
    assert_same(fn(ember), expected, atol=0, rtol=0)


def _version(t):
    return t._version if isinstance(t._version, int) else t._version[0]


# -- tensor ----------------------------------------------------------------------------------
TENSOR_DATA = {
    "ints": [1, 2, 3], "floats": [1.5, -2.0], "mixed": [1, 2.5], "bools": [True, False],
    "bool+int": [True, 2], "nested": [[1, 2], [3, 4]], "scalar": 3.5, "int scalar": 7,
    "bool scalar": True, "empty": [], "empty nested": [[], []], "tuple": (1, 2),
    "nan/inf": [float("nan"), float("inf")], "big float": [1e40], "ragged": [[1, 2], [3]],
    "ragged 2": [[1, 2], [3, 4, 5]], "not a sequence": [[1, 2], 3], "string": "a",
    "none": None, "too big": [2 ** 63], "too small": [-2 ** 63 - 1], "complex": [1 + 2j],
    "np f64 scalar": np.float64(1.5), "np i32 scalar": np.int32(4),
    "np scalars list": [np.float64(1), 2.0], "np mixed list": [np.int32(1), 2],
    "np f32 list": [np.float32(1), 2.0], "np arrays": [np.ones(2), np.zeros(2)],
    "np bool": np.array([True]), "np f32 array": np.ones((2, 2), np.float32),
    "3d": [[[1.0], [2.0]], [[3.0], [4.0]]],
}


@pytest.mark.parametrize("name", sorted(TENSOR_DATA))
@pytest.mark.filterwarnings("ignore:Creating a tensor from a list of numpy")
def test_tensor_inference(name):
    same(lambda L: L.tensor(TENSOR_DATA[name]))


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int8", "int16", "int32",
                                   "int64", "uint8", "bool"])
def test_tensor_with_dtype(dtype):
    for data in ([1.7, -1.7, 0.0], [[1, 0], [3, 4]], 2.5, [True, False]):
        same(lambda L, data=data: L.tensor(data, dtype=getattr(L, dtype)))
    same(lambda L: L.tensor([300], dtype=getattr(L, dtype)))


def test_tensor_of_tensors_and_copy_warning():
    same(lambda L: L.tensor([L.tensor(1.0), L.tensor(2.0)]))
    same(lambda L: L.tensor([L.tensor(1, dtype=L.int32), 2]))
    same(lambda L: L.tensor([L.ones(2), L.ones(2)]))
    for L in (ember, torch):
        src = L.ones(2, requires_grad=True)
        with pytest.warns(UserWarning, match="To copy construct from a tensor"):
            t = L.tensor(src)
        assert t.is_leaf and not t.requires_grad
        t[0] = 5
        assert src[0].item() == 1.0  # a copy


def test_tensor_requires_grad():
    same(lambda L: L.tensor([1.0, 2.0], requires_grad=True))
    same(lambda L: L.tensor([1, 2], requires_grad=True))
    for L in (ember, torch):
        t = L.tensor([1.0], requires_grad=True)
        assert t.is_leaf and t.requires_grad and t.grad_fn is None


def test_tensor_copies_numpy_memory():
    a = np.ones(3)
    t = ember.tensor(a)
    a[0] = 5
    assert t[0].item() == 1.0


# -- as_tensor / from_numpy --------------------------------------------------------------------
def test_from_numpy_shares_memory_both_ways():
    for dt in (np.float32, np.float64, np.int64, np.uint8, np.bool_, np.float16, np.int16):
        a = np.zeros((2, 3), dtype=dt)
        t = ember.from_numpy(a)
        assert t.dtype is ember._dtype.from_np(np.dtype(dt))
        a[0, 1] = 1
        assert t[0, 1].item() == 1
        t[1, 2] = 1
        assert a[1, 2] == 1
        assert t.numpy() is a or np.shares_memory(t.numpy(), a)
    view = np.arange(12.0).reshape(3, 4)[:, ::2]
    same(lambda L: L.from_numpy(view))
    same(lambda L: L.from_numpy(np.array(2.5)))
    same(lambda L: L.from_numpy(np.arange(3)[::-1]))
    same(lambda L: L.from_numpy([1, 2]))


def test_from_numpy_then_inplace_op_visible_in_numpy():
    a = np.ones(3, np.float32)
    t = ember.from_numpy(a)
    t.add_(1)
    t.mul_(ember.tensor([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(a, [2.0, 4.0, 6.0])
    np.add(a, 1, out=a)
    assert t.tolist() == [3.0, 5.0, 7.0]


def test_as_tensor():
    a = np.ones(3, np.float32)
    t = ember.as_tensor(a)
    a[0] = 5
    assert t[0].item() == 5  # shared: no conversion needed
    t64 = ember.as_tensor(a, dtype=ember.float64)
    a[1] = 7
    assert t64[1].item() == 1  # converted: a copy
    x = ember.ones(2)
    assert ember.as_tensor(x) is x
    same(lambda L: L.as_tensor([1, 2]))
    same(lambda L: L.as_tensor([1, 2], dtype=L.float64))
    same(lambda L: L.as_tensor(2.5))
    same(lambda L: L.as_tensor(L.tensor([1, 2]), dtype=L.float32))


# -- constant factories ------------------------------------------------------------------------
FACTORIES = {
    "zeros": lambda L: L.zeros(2, 3), "zeros tuple": lambda L: L.zeros((2, 3)),
    "zeros list": lambda L: L.zeros([2]), "zeros 0-d": lambda L: L.zeros(()),
    "zeros none": lambda L: L.zeros(), "zeros neg": lambda L: L.zeros(-1),
    "zeros float": lambda L: L.zeros(2.0), "zeros Size": lambda L: L.zeros(L.Size([2, 2])),
    "zeros empty dim": lambda L: L.zeros(2, 0), "ones": lambda L: L.ones(3),
    "ones int": lambda L: L.ones(2, dtype=L.int32), "ones neg": lambda L: L.ones(2, -3),
    "ones bool": lambda L: L.ones(2, dtype=L.bool),
    "ones rg": lambda L: L.ones(2, requires_grad=True),
    "ones int rg": lambda L: L.ones(2, dtype=L.int64, requires_grad=True),
    "full int": lambda L: L.full((2,), 3), "full float": lambda L: L.full((2, 2), 3.5),
    "full bool": lambda L: L.full((2,), True),
    "full dtype": lambda L: L.full((2,), 3, dtype=L.float64),
    "full list": lambda L: L.full([2, 1], 1.0), "full int size": lambda L: L.full(2, 1.0),
    "full tensor": lambda L: L.full((2,), L.tensor(2.0)),
    "full float to int": lambda L: L.full((2,), 1.5, dtype=L.int64),
    "empty shape": lambda L: L.empty(2, 3).shape,
    "empty dtype": lambda L: L.empty(2, dtype=L.int64).dtype,
    "empty none": lambda L: L.empty(), "eye": lambda L: L.eye(3), "eye nm": lambda L: L.eye(2, 4),
    "eye int": lambda L: L.eye(2, dtype=L.int64), "eye 0": lambda L: L.eye(0),
    "eye neg": lambda L: L.eye(-1), "scalar_tensor": lambda L: L.scalar_tensor(3),
}


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_factories(name):
    same(FACTORIES[name])


def test_factories_follow_default_dtype():
    ember.set_default_dtype(ember.float64)
    torch.set_default_dtype(torch.float64)
    try:
        for fn in (lambda L: L.zeros(2), lambda L: L.tensor([1.5]), lambda L: L.full((1,), 2.0),
                   lambda L: L.arange(0.0, 1.0, 0.5), lambda L: L.linspace(0, 1, 3),
                   lambda L: L.eye(2), lambda L: L.rand(2).dtype, lambda L: L.tensor(2.5) * 2,
                   lambda L: L.tensor([1, 2]) / 2):
            same(fn)
    finally:
        ember.set_default_dtype(ember.float32)
        torch.set_default_dtype(torch.float32)


LIKE = {
    "zeros_like": lambda L, x: L.zeros_like(x), "ones_like": lambda L, x: L.ones_like(x),
    "ones_like dtype": lambda L, x: L.ones_like(x, dtype=L.float64),
    "full_like": lambda L, x: L.full_like(x, 2.7), "full_like int": lambda L, x: L.full_like(x, 3),
    "empty_like": lambda L, x: L.empty_like(x).shape,
    "zeros_like rg": lambda L, x: L.zeros_like(x, dtype=L.float32, requires_grad=True),
    "rand_like dtype": lambda L, x: L.rand_like(x, dtype=L.float64).dtype,
    "randn_like shape": lambda L, x: L.randn_like(x.float()).shape,
    "rand_like int": lambda L, x: L.rand_like(x.long()),
    "randint_like": lambda L, x: L.randint_like(x, 5).dtype,
    "randint_like lohi": lambda L, x: L.randint_like(x, 3, 5).shape,
}


@pytest.mark.parametrize("name", sorted(LIKE))
@pytest.mark.parametrize("dtype", ["float32", "int64", "int32"])
def test_like_factories(name, dtype):
    a = np.ones((2, 3), dtype=dtype)
    same(lambda L: LIKE[name](L, L.from_numpy(a.copy())))
    for L in (ember, torch):  # a fresh leaf, not connected to the input
        out = L.zeros_like(L.ones(2, requires_grad=True))
        assert not out.requires_grad and out.grad_fn is None


# -- ranges ---------------------------------------------------------------------------------
RANGES = {
    "arange": lambda L: L.arange(5), "arange 2": lambda L: L.arange(2, 7),
    "arange float": lambda L: L.arange(0, 1, 0.1),
    "arange float 2": lambda L: L.arange(1.0, 2.5, 0.5),
    "arange neg": lambda L: L.arange(5, 0, -1), "arange neg float": lambda L: L.arange(1, -1, -0.3),
    "arange empty": lambda L: L.arange(3, 3), "arange bad sign": lambda L: L.arange(3, 1),
    "arange bad sign 2": lambda L: L.arange(0, 5, -1), "arange step 0": lambda L: L.arange(0, 1, 0),
    "arange float end": lambda L: L.arange(5.0),
    "arange dtype": lambda L: L.arange(5, dtype=L.float64),
    "arange thirds": lambda L: L.arange(0, 1, 1 / 3),
    "arange tensor": lambda L: L.arange(L.tensor(3)),
    "arange np": lambda L: L.arange(np.int64(3)),
    "arange f32 dtype": lambda L: L.arange(0, 10, 3, dtype=L.float32),
    "arange inf": lambda L: L.arange(float("inf")), "arange -0.3": lambda L: L.arange(-1, 1, 0.3),
    "arange long": lambda L: L.arange(0, 10000, 0.7),
    "linspace": lambda L: L.linspace(0, 1, 5), "linspace 1": lambda L: L.linspace(0, 1, 1),
    "linspace 0": lambda L: L.linspace(0, 1, 0), "linspace rev": lambda L: L.linspace(3, -1, 7),
    "linspace int dtype": lambda L: L.linspace(0, 10, 4, dtype=L.int64),
    "linspace ints": lambda L: L.linspace(0, 10, 6), "linspace neg": lambda L: L.linspace(0, 1, -1),
    "linspace f64": lambda L: L.linspace(-2.5, 7.3, 11, dtype=L.float64),
    "linspace many": lambda L: L.linspace(-3.7, 12.1, 1001),
    "linspace odd": lambda L: L.linspace(0.1, 0.7, 8),
    "logspace": lambda L: L.logspace(0, 2, 3),
    "logspace base": lambda L: L.logspace(0, 3, 4, base=2),
}


@pytest.mark.parametrize("name", sorted(RANGES))
def test_ranges(name):
    """Exact dtypes and lengths; values to the last bit or so (torch's kernels step from a
    vector-sized block start, so their rounding depends on the machine's SIMD width)."""
    try:
        expected = RANGES[name](torch)
    except Exception:
        assert_same_error(partial(RANGES[name], ember), partial(RANGES[name], torch))
        return
    got = RANGES[name](ember)
    eps = np.finfo(np.float32).eps if expected.dtype != torch.float64 else np.finfo(float).eps
    assert_same(got, expected, atol=4 * eps * float(expected.abs().max()) if expected.numel()
                else 0, rtol=0)
    assert got.tolist()[-1:] == expected.tolist()[-1:]  # the end point is exact


# -- random factories: shapes, dtypes, errors (values are ember's own) --------------------------
RANDOM = {
    "rand": lambda L: L.rand(2, 3).shape, "rand dtype": lambda L: L.rand(2, dtype=L.float64).dtype,
    "rand tuple": lambda L: L.rand((2, 3)).shape, "rand 0-d": lambda L: L.rand(()).shape,
    "rand int": lambda L: L.rand(2, dtype=L.int64),
    "rand f16": lambda L: L.rand(3, dtype=L.float16).dtype,
    "randn": lambda L: L.randn(4).dtype, "randn int": lambda L: L.randn(2, dtype=L.int64),
    "randn float size": lambda L: L.randn(2.0),
    "randn rg": lambda L: L.randn(2, requires_grad=True).requires_grad,
    "randint": lambda L: L.randint(5, (3,)).dtype,
    "randint lohi": lambda L: L.randint(2, 5, (3,)).shape,
    "randint bad": lambda L: L.randint(5, 2, (3,)),
    "randint dtype": lambda L: L.randint(5, (2,), dtype=L.float32).dtype,
    "randint size int": lambda L: L.randint(5, 3),
    "randint size kw": lambda L: L.randint(5, size=(3,)).shape,
    "randint lohi kw": lambda L: L.randint(3, 5, size=(2, 2)).dtype,
    "randint rg": lambda L: L.randint(5, (2,), requires_grad=True),
    "randperm": lambda L: L.randperm(5).dtype, "randperm 0": lambda L: L.randperm(0),
    "randperm neg": lambda L: L.randperm(-1),
    "randperm dtype": lambda L: L.randperm(3, dtype=L.float32).dtype,
}


@pytest.mark.parametrize("name", sorted(RANDOM))
def test_random_factories(name):
    same(RANDOM[name])


def test_random_value_ranges():
    ember.manual_seed(0)
    u = ember.rand(10000)
    assert u.dtype is ember.float32 and 0 <= u.min().item() and u.max().item() < 1
    assert abs(u.mean().item() - 0.5) < 0.02
    n = ember.randn(10000, dtype=ember.float64)
    assert abs(n.mean().item()) < 0.05 and abs(n.std().item() - 1) < 0.05
    i = ember.randint(-3, 4, (10000,))
    assert set(i.tolist()) == set(range(-3, 4))
    p = ember.randperm(50)
    assert sorted(p.tolist()) == list(range(50))


# -- in-place fills ------------------------------------------------------------------------------
FILLS = {
    "fill_": lambda L, x: x.fill_(2.5), "fill_ int": lambda L, x: x.fill_(3),
    "fill_ tensor": lambda L, x: x.fill_(L.tensor(1.5)), "zero_": lambda L, x: x.zero_(),
    "copy_": lambda L, x: x.copy_(L.arange(12.0).reshape(3, 4)),
    "copy_ broadcast": lambda L, x: x.copy_(L.arange(4)),
    "copy_ f64": lambda L, x: x.copy_(L.ones(3, 1, dtype=L.float64)),
    "uniform_ shape": lambda L, x: x.uniform_(-1, 1).shape,
    "normal_ dtype": lambda L, x: x.normal_(2, 3).dtype,
}


@pytest.mark.parametrize("name", sorted(FILLS))
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_fills(name, dtype):
    a = R.standard_normal((3, 4)).astype(dtype)
    res = []
    for L in (ember, torch):
        x = L.from_numpy(a.copy())
        v = _version(x)
        try:
            out = FILLS[name](L, x)
        except Exception:
            res.append(None)
            continue
        if isinstance(out, (L.Tensor,)):
            assert out is x
        assert _version(x) == v + 1
        res.append(out)
    if res[1] is None:
        assert_same_error(lambda: FILLS[name](ember, ember.from_numpy(a.copy())),
                          lambda: FILLS[name](torch, torch.from_numpy(a.copy())))
    else:
        assert_same(*res, atol=0, rtol=0)


FILL_ERRORS = [
    lambda L: L.zeros(2).fill_(L.tensor([1.0, 2.0])),
    lambda L: L.zeros(2, dtype=L.uint8).fill_(300),
    lambda L: L.zeros(2).copy_(L.ones(3)), lambda L: L.zeros(2).copy_([1, 2]),
    lambda L: L.zeros(2).copy_(L.ones(1, 2)),
    lambda L: L.zeros(2).uniform_(1, 0), lambda L: L.zeros(2).normal_(0, -1),
    lambda L: L.zeros(2, dtype=L.int64).uniform_(), lambda L: L.zeros(2, dtype=L.int64).normal_(),
    lambda L: L.ones(2, requires_grad=True).fill_(1),
    lambda L: L.ones(2, requires_grad=True).zero_(),
    lambda L: L.ones(2, requires_grad=True).copy_(L.ones(2)),
    lambda L: L.ones(2, requires_grad=True).uniform_(),
    lambda L: L.ones(2, requires_grad=True).normal_(),
]


@pytest.mark.parametrize("call", FILL_ERRORS)
def test_fill_errors(call):
    assert_same_error(partial(call, ember), partial(call, torch))


def test_fill_values_and_casts():
    same(lambda L: L.zeros(2, dtype=L.int64).fill_(2.7))
    same(lambda L: L.zeros(2, dtype=L.bool).fill_(5))
    same(lambda L: L.zeros(2, dtype=L.float64).fill_(True))
    same(lambda L: L.zeros(2, dtype=L.int64).copy_(L.tensor([1.7, -1.7])))
    with ember.no_grad():
        x = ember.ones(2, requires_grad=True)
        x.fill_(3).uniform_().normal_().zero_()
    assert x.is_leaf and x.requires_grad


INPLACE_GRAPHS = {
    "fill_": lambda L, y, s: y.fill_(3), "zero_": lambda L, y, s: y.zero_(),
    "copy_": lambda L, y, s: y.copy_(s), "uniform_": lambda L, y, s: y.uniform_(),
    "normal_": lambda L, y, s: y.normal_(), "fill_ tensor": lambda L, y, s: y.fill_(s.sum()),
}


@pytest.mark.parametrize("name", sorted(INPLACE_GRAPHS))
def test_fills_on_non_leaf_record_history(name):
    names, grads = [], []
    for L in (ember, torch):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        s = L.tensor([3.0, 4.0], dtype=L.float64, requires_grad=True)
        y = x * 2
        INPLACE_GRAPHS[name](L, y, s)
        names.append(grad_fn_names(y, 2))
        (y * L.tensor([1.0, 2.0])).sum().backward()
        grads.append((x.grad, s.grad))
    assert names[0] == names[1]
    assert_same(*grads)


def test_copy_into_fresh_tensor_records_copy():
    check_op(lambda x: ember.zeros(2, 3).copy_(x), lambda x: torch.zeros(2, 3).copy_(x),
             R.standard_normal(3).astype(np.float64))


# -- to / type conversions ----------------------------------------------------------------------
def test_to_dtype_and_copy_semantics():
    a = R.standard_normal((2, 3)).astype(np.float32)
    for fn in (lambda L, x: x.to(L.float64), lambda L, x: x.double(), lambda L, x: x.long(),
               lambda L, x: x.to(L.float16), lambda L, x: x.to(dtype=L.int32),
               lambda L, x: x.bool(),
               lambda L, x: x.half().float(), lambda L, x: x.type_as(L.ones(1, dtype=L.float64))):
        check_op(partial(fn, ember), partial(fn, torch), a)
    x = ember.ones(2)
    assert x.to(ember.float32) is x and x.float() is x
    assert x.to(ember.float32, copy=True) is not x


def test_no_accidental_float64():
    x = ember.ones(3)
    assert (ember.arange(3.0) * x).dtype is ember.float32
    assert ember.linspace(0, 1, 3).dtype is ember.float32
    assert ember.full((2,), 0.5).dtype is ember.float32
    assert ember.tensor([0.1, 0.2]).dtype is ember.float32


def test_factories_never_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ember.linspace(0, 1, 0)
        ember.arange(0)
        ember.zeros(0, 3)
