"""Remaining torch functions / Tensor methods (ember.ops.api_sweep) against torch."""

import warnings

import numpy as np
import pytest

import ember
from helpers import assert_same, assert_same_error, check_op, gradcheck_op, rng

torch = pytest.importorskip("torch")


def _lib(x):
    return ember if isinstance(x, ember.Tensor) else torch


def _same_error(case):
    """``case(lib)`` raises the same error with ember and with torch."""
    assert_same_error(lambda: case(ember), lambda: case(torch))


# -- queries --------------------------------------------------------------------------------
FALSE_PROPERTIES = ["is_meta", "is_sparse", "is_sparse_csr", "is_quantized", "is_nested",
                    "is_mkldnn", "is_mps", "is_xla", "is_xpu", "is_ipu", "is_maia", "is_mtia",
                    "is_vulkan"]


@pytest.mark.parametrize("name", FALSE_PROPERTIES)
def test_false_properties(name):
    assert isinstance(getattr(ember.Tensor, name), property)
    assert isinstance(type(getattr(torch.Tensor, name)).__name__, str)
    assert getattr(ember.ones(2), name) is getattr(torch.ones(2), name) is False


def test_layout_pinned_shared_dense():
    e, t = ember.ones(2, 3), torch.ones(2, 3)
    assert repr(e.layout) == repr(t.layout).replace("torch", "ember") == "ember.strided"
    assert e.layout is ember.strided and isinstance(ember.strided, ember.layout)
    assert e.is_pinned() is t.is_pinned() is False
    assert_same_error(e.pin_memory, t.pin_memory)
    assert e.is_shared() is t.is_shared() is False
    assert e.share_memory_() is e and t.share_memory_() is t
    assert e.is_shared() is t.is_shared() is True
    assert e.to_dense() is e and t.to_dense() is t
    assert e.const_data_ptr() == e.data_ptr()
    assert e.grad_dtype == ember.float32 and str(t.grad_dtype) == "torch.float32"
    assert str(ember.ones(1, dtype=ember.int64).grad_dtype)[6:] == str(
        torch.ones(1, dtype=torch.int64).grad_dtype)[6:]


def test_output_nr():
    for lib in (ember, torch):
        x = lib.ones(4, requires_grad=True)
        assert (x.output_nr, (x * 1).output_nr, x.unbind()[2].output_nr) == (0, 0, 2)


@pytest.mark.parametrize("make", [lambda lib: lib.ones(2, 3),
                                  lambda lib: lib.ones(2, 3).t(),
                                  lambda lib: lib.ones(2, 3, 4).permute(2, 0, 1),
                                  lambda lib: lib.tensor(1.0)])
def test_dim_order(make):
    assert make(ember).dim_order() == make(torch).dim_order()


def test_dim_order_ambiguity():
    assert ember.ones(2, 3, 4).dim_order(ambiguity_check=True) == (0, 1, 2)
    assert_same_error(lambda: ember.ones(1, 3, 1).dim_order(ambiguity_check=True),
                      lambda: torch.ones(1, 3, 1).dim_order(ambiguity_check=True))


# -- Tensor.new -----------------------------------------------------------------------------
NEW_OK = [lambda t: t.new(), lambda t: t.new(2, 3), lambda t: t.new((2, 3)),
          lambda t: t.new([1, 2]), lambda t: t.new([[1, 2]]), lambda t: t.new(t.shape),
          lambda t: t.new(2, device="cpu")]
NEW_ERRORS = [lambda t: t.new(2.5), lambda t: t.new(-1), lambda t: t.new(2, "a"),
              lambda t: t.new(2, dtype=t.dtype), lambda t: t.new([1], dtype=t.dtype),
              lambda t: t.new(t.long())]


@pytest.mark.parametrize("i", range(len(NEW_OK)))
def test_new(i):
    e, t = NEW_OK[i](ember.ones(2, 3, dtype=ember.float64)), NEW_OK[i](
        torch.ones(2, 3, dtype=torch.float64))
    assert tuple(e.shape) == tuple(t.shape) and str(e.dtype)[6:] == str(t.dtype)[6:]
    if i in (2, 3, 4):
        assert_same(e, t)


def test_new_from_tensor_aliases():
    x = ember.ones(3)
    y = ember.ones(2).new(x)
    assert y.data_ptr() == x.data_ptr() and y.dtype == ember.float32


@pytest.mark.parametrize("i", range(len(NEW_ERRORS)))
def test_new_errors(i):
    assert_same_error(lambda: NEW_ERRORS[i](ember.ones(2, dtype=ember.float64)),
                      lambda: NEW_ERRORS[i](torch.ones(2, dtype=torch.float64)))


# -- element-wise callbacks, subclasses, resize -------------------------------------------------
def test_map_and_map2():
    for lib in (ember, torch):
        x = lib.zeros(2, 3)
        assert x.map_(lib.ones(3), lambda a, b: a + b + 1) is x
        x.map2_(lib.ones(2, 1), lib.full((3,), 2.0), lambda a, b, c: a + b * c)
        assert x.tolist() == [[4.0] * 3] * 2
    cases = [lambda lib: lib.zeros(3).map_(lib.ones(2), lambda a, b: a),
             lambda lib: lib.zeros(3).map_(lib.ones(1), lambda a, b: "x"),
             lambda lib: lib.ones(3, requires_grad=True).map_(lib.ones(3), lambda a, b: a),
             lambda lib: lib.ones(3, dtype=lib.int64).map_(lib.ones(3), lambda a, b: a)]
    for case in cases:
        _same_error(case)


def test_as_subclass():
    class Sub(ember.Tensor):
        pass

    x = ember.ones(2, requires_grad=True) * 2
    s = x.as_subclass(Sub)
    assert type(s) is Sub and s.data_ptr() == x.data_ptr() and s.grad_fn is x.grad_fn
    assert_same_error(lambda: ember.ones(2).as_subclass(int),
                      lambda: torch.ones(2).as_subclass(int))


def test_resize_out_of_place():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_op(lambda x: x.resize(2, 2), None, rng(0).standard_normal(4),
                 layouts_=("contiguous", "strided"))
        check_op(lambda x: x.resize_as(_lib(x).ones(1, 4)), None, rng(0).standard_normal(4))
        assert_same_error(lambda: ember.ones(4).resize(3), lambda: torch.ones(4).resize(3))
    with pytest.warns(UserWarning, match="non-inplace resize is deprecated"):
        ember.ones(4).resize(4)


# -- small functions ------------------------------------------------------------------------------
@pytest.mark.parametrize("data,size,fill", [([0, 1, 2, 0], 3, -1), ([[0, 1], [2, 0]], 1, 5),
                                            (3, 2, -1), ([[0.0, 1.5], [0.0, 0.0]], 4, 0)])
def test_nonzero_static(data, size, fill):
    for method in (False, True):
        e, t = ember.tensor(data), torch.tensor(data)
        if method:
            assert_same(e.nonzero_static(size=size, fill_value=fill),
                        t.nonzero_static(size=size, fill_value=fill))
        else:
            assert_same(ember.nonzero_static(e, size=size, fill_value=fill),
                        torch.nonzero_static(t, size=size, fill_value=fill))
    assert_same_error(lambda: ember.nonzero_static(ember.ones(2), size=-1),
                      lambda: torch.nonzero_static(torch.ones(2), size=-1))


def test_hardshrink_prelu_methods():
    g = rng(1)
    check_op(lambda x: x.hardshrink(0.3), None, g.standard_normal((3, 4)))
    check_op(lambda x, w: x.prelu(w), None, g.standard_normal((2, 3, 4)), g.random(3))


def test_igamma_family():
    g = rng(2)
    a, x = g.random((3, 4)) + 0.5, g.random(4) * 3
    check_op(lambda p, q: _lib(p).igamma(p, q), None, a, x, requires_grad=(False, True))
    check_op(lambda p, q: p.igammac(q), None, a, x, requires_grad=(False, True))
    for name in ("igamma_", "igammac_"):
        e, t = ember.tensor(a), torch.tensor(a)
        assert getattr(e, name)(ember.tensor(x)) is e
        assert_same(e, getattr(t, name)(torch.tensor(x)))


# -- *_copy ---------------------------------------------------------------------------------------
COPIES = [
    lambda x: _lib(x).view_copy(x, (6, 4)),
    lambda x: _lib(x).permute_copy(x, (2, 0, 1)),
    lambda x: _lib(x).t_copy(x[0]),
    lambda x: _lib(x).transpose_copy(x, 0, 2),
    lambda x: _lib(x).unsqueeze_copy(x, 1),
    lambda x: _lib(x).squeeze_copy(x[:1]),
    lambda x: _lib(x).squeeze_copy(x[:1], 0),
    lambda x: _lib(x).squeeze_copy(x[:1], (0, 1)),
    lambda x: _lib(x).expand_copy(x[:1], (3, 3, 4)),
    lambda x: _lib(x).diagonal_copy(x, 0, 1, 2),
    lambda x: _lib(x).select_copy(x, 1, 0),
    lambda x: _lib(x).slice_copy(x, 1, 0, 2),
    lambda x: _lib(x).slice_copy(x, 2, 0, 4, 2),
    lambda x: _lib(x).slice_copy(x, 1),
    lambda x: _lib(x).split_copy(x, 3, 2),
    lambda x: _lib(x).split_with_sizes_copy(x, [1, 3], 2),
    lambda x: _lib(x).unbind_copy(x, 1),
    lambda x: _lib(x).unfold_copy(x, 2, 2, 1),
    lambda x: _lib(x).alias_copy(x),
    lambda x: _lib(x).as_strided_copy(x, (2, 2), (1, 2)),
    lambda x: _lib(x).view_as_real_copy(_lib(x).view_as_complex(x[..., :2])),
    lambda x: _lib(x).view_copy(x, (5, 5)),
]


@pytest.mark.parametrize("i", range(len(COPIES)))
def test_copy_family(i):
    check_op(COPIES[i], None, rng(3).standard_normal((2, 3, 4)), layouts_=("contiguous",),
             dtypes=["float64"])
    if i == len(COPIES) - 1:  # the error case
        return
    e = COPIES[i](ember.ones(2, 3, 4))
    for out in e if isinstance(e, tuple) else (e,):
        assert out.is_contiguous() and out._base is None


def test_copy_results_do_not_share_memory():
    x = ember.zeros(2, 3)
    y = ember.transpose_copy(x, 0, 1)
    y[0, 0] = 5.0
    assert x[0, 0].item() == 0.0


def test_detach_and_complex_copies():
    for lib in (ember, torch):
        x = lib.ones(2, 3, requires_grad=True)
        y = lib.detach_copy(x)
        assert y.requires_grad and y.grad_fn.name().endswith("NotImplemented")
    assert_same_error(lambda: ember.detach_copy(ember.ones(2, requires_grad=True)).sum()
                      .backward(),
                      lambda: torch.detach_copy(torch.ones(2, requires_grad=True)).sum()
                      .backward())
    c = rng(4).standard_normal((3, 2))
    assert_same(ember.view_as_complex_copy(ember.tensor(c)),
                torch.view_as_complex_copy(torch.tensor(c)))
    assert_same_error(
        lambda: ember.view_as_complex_copy(ember.tensor(c, requires_grad=True)),
        lambda: torch.view_as_complex_copy(torch.tensor(c, requires_grad=True)))


def test_copy_out_argument():
    for lib in (ember, torch):
        out = lib.empty(3, 2)
        assert lib.t_copy(lib.ones(2, 3), out=out) is out


# -- top-level in-place forms ---------------------------------------------------------------------
def test_top_level_inplace():
    g = rng(5)
    a, m, v = g.standard_normal(3), g.standard_normal((3, 2)), g.standard_normal(2)
    for name, args in [("addmv_", (m, v)), ("i0_", ()), ("ldexp_", (np.array([1.0, 2.0, 3.0]),))]:
        e, t = ember.tensor(a), torch.tensor(a)
        assert getattr(ember, name)(e, *map(ember.tensor, args)) is e
        getattr(torch, name)(t, *map(torch.tensor, args))
        assert_same(e, t)
    for name in ("gcd_", "lcm_"):
        e, t = ember.tensor([4, 6, 9]), torch.tensor([4, 6, 9])
        getattr(ember, name)(e, ember.tensor([6, 4, 3]))
        assert_same(e, getattr(torch, name)(t, torch.tensor([6, 4, 3])))
    for lib in (ember, torch):
        x = lib.ones(2, 3, requires_grad=True) * 2
        assert lib.detach_(x) is x and x.grad_fn is None and not x.requires_grad
        z = lib.arange(6.0)
        assert lib.as_strided_(z, (2, 2), (1, 2)).tolist() == [[0.0, 2.0], [1.0, 3.0]]


# -- binomial, histogramdd, norms, empty_permuted --------------------------------------------------
def test_binomial():
    count = ember.tensor([10.0, 5.0, 0.0, 7.0])
    draws = ember.binomial(count, ember.tensor([0.5, 0.2, 0.3, 1.0]))
    assert draws.dtype == ember.float32
    assert ((draws >= 0) & (draws <= count)).all() and draws[2] == 0 and draws[3] == 7
    assert ember.binomial(ember.ones(2, 3), ember.tensor([0.5])).shape == (2, 3)
    cases = [lambda lib: lib.binomial(lib.tensor([10, 5]), lib.tensor([0.5, 0.2])),
             lambda lib: lib.binomial(lib.tensor([10.0]), lib.tensor([0.5], dtype=lib.float64)),
             lambda lib: lib.binomial(lib.tensor([4.0], requires_grad=True),
                                      lib.tensor([0.5])).sum().backward()]
    for case in cases:
        _same_error(case)


@pytest.mark.parametrize("kwargs", [{"bins": [2, 3]}, {"bins": 2, "range": [0., 4., 0., 2.],
                                                        "density": True},
                                    {"bins": [np.array([0., 1., 5.]), np.array([0., 2.])],
                                     "weight": np.array([1., 2., 3.])}])
def test_histogramdd(kwargs):
    x = np.array([[0., 1.], [2., 3.], [1., 1.]])
    for dtype in ("float32", "float64"):
        def convert(lib, v, dtype=dtype):
            if isinstance(v, np.ndarray):
                return lib.tensor(v.astype(dtype))
            return [convert(lib, b, dtype) for b in v] if isinstance(v, list) and isinstance(
                v[0], np.ndarray) else v
        e = ember.histogramdd(ember.tensor(x.astype(dtype)),
                              **{k: convert(ember, v) for k, v in kwargs.items()})
        t = torch.histogramdd(torch.tensor(x.astype(dtype)),
                              **{k: convert(torch, v) for k, v in kwargs.items()})
        assert type(e).__name__ == "histogramdd"
        assert_same(e.hist, t.hist)
        assert_same(e.bin_edges, tuple(t.bin_edges))


def test_histogramdd_errors():
    x = [[0., 1.], [2., 3.]]
    for case in [lambda lib: lib.histogramdd(lib.tensor(x), bins=[2]),
                 lambda lib: lib.histogramdd(lib.tensor(x).long(), 2),
                 lambda lib: lib.histogramdd(lib.tensor(x), 2, range=[0., 1.])]:
        _same_error(case)


def test_deprecated_norms():
    g = rng(6)
    a = g.standard_normal((3, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_op(lambda x: _lib(x).frobenius_norm(x, (0, 1)), None, a)
        check_op(lambda x: _lib(x).frobenius_norm(x, (0,), True), None, a)
        check_op(lambda x: _lib(x).nuclear_norm(x), None, a, atol=1e-4)
        check_op(lambda x: _lib(x).nuclear_norm(x, True), None, a, atol=1e-4)
        check_op(lambda x: _lib(x).nuclear_norm(x, (1, 0)), None, a, atol=1e-4)
        gradcheck_op(lambda x: ember.frobenius_norm(x, (0, 1)), a)
        for case in [lambda lib: lib.frobenius_norm(lib.ones(2, 2, 2), (0, 1, 2)),
                     lambda lib: lib.nuclear_norm(lib.ones(3, 3), (1,)),
                     lambda lib: lib.nuclear_norm(lib.ones(3))]:
            _same_error(case)
    with pytest.warns(UserWarning, match="frobenius_norm is deprecated"):
        ember.frobenius_norm(ember.ones(2, 2), (0, 1))


@pytest.mark.parametrize("size,layout", [((2, 3, 4), (0, 2, 1)), ((2, 3, 4), (2, 1, 0)),
                                         ((5,), (0,)), ((), ())])
def test_empty_permuted(size, layout):
    e = ember.empty_permuted(size, layout, dtype=ember.float64)
    t = torch.empty_permuted(size, layout, dtype=torch.float64)
    assert (e.shape, e.stride(), str(e.dtype)[6:]) == (t.shape, t.stride(), str(t.dtype)[6:])
    for bad in [((2, 3, 4), (0, 2)), ((2, 3, 4), (0, 2, 2))]:
        _same_error(lambda lib, bad=bad: lib.empty_permuted(*bad))


# -- DLPack, default device ------------------------------------------------------------
def test_dlpack_both_ways_shares_memory():
    t = torch.arange(6.0).reshape(2, 3)
    e = ember.from_dlpack(t)
    e[0, 0] = 7.0
    assert t[0, 0].item() == 7.0 and e.shape == (2, 3)
    src = ember.arange(6, dtype=ember.int32).reshape(3, 2).t()
    back = torch.from_dlpack(src)
    back[1, 0] = 42
    assert src[1, 0].item() == 42 and back.stride() == tuple(src.stride())
    assert back.dtype == torch.int32
    cap = ember.to_dlpack(ember.ones(3))
    assert torch.from_dlpack(cap).tolist() == [1.0, 1.0, 1.0]
    assert ember.from_dlpack(torch.to_dlpack(torch.full((2,), 3.0))).tolist() == [3.0, 3.0]
    assert tuple(ember.ones(2).__dlpack_device__()) == tuple(torch.ones(2).__dlpack_device__())
    assert_same_error(lambda: ember.ones(2, requires_grad=True).__dlpack__(),
                      lambda: torch.ones(2, requires_grad=True).__dlpack__())


def test_set_default_device():
    ember.set_default_device("cpu")
    ember.set_default_device(None)
    ember.set_default_device(ember.device("cpu"))
    assert ember.ones(1).device == ember.device("cpu")
    with pytest.raises(RuntimeError, match="cpu"):
        ember.set_default_device("meta")
