"""BatchNorm, LayerNorm and GroupNorm against PyTorch: values, gradients, running statistics."""

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember import nn
from helpers import assert_same_error, check_op, gradcheck_op, rng

from ._compare import assert_close, copy_params, numpy_of, torch_text

torch = pytest.importorskip("torch")
TF = torch.nn.functional
R = rng(9)
LAYOUTS = ("contiguous", "transposed")
GRAD_TOL = {"grad_atol": 1e-4, "grad_rtol": 1e-3}


@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 5), (4, 3, 5, 6), (2, 3, 1, 1)])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_training_matches_torch(shape, affine):
    x = R.standard_normal(shape) * 3 + 1
    w, b = (R.standard_normal(3), R.standard_normal(3)) if affine else (None, None)
    check_op(lambda x, w, b: F.batch_norm(x, None, None, w, b, True, 0.1, 1e-5),
             lambda x, w, b: TF.batch_norm(x, None, None, w, b, True, 0.1, 1e-5), x, w, b,
             dtypes=["float32", "float64"], layouts_=LAYOUTS, **GRAD_TOL)


@pytest.mark.parametrize("shape", [(9, 3), (7, 3, 5, 6)])
def test_batch_norm_on_op_threads_matches_torch(monkeypatch, shape):
    # one sample per range, the ranges spread over two threads
    from ember.ops import _parallel, normalization
    monkeypatch.setattr(normalization, "_CHUNK_BYTES", 1)
    monkeypatch.setitem(_parallel._state, "threads", 2)
    x, w, b = R.standard_normal(shape) * 3 + 1, R.standard_normal(3), R.standard_normal(3)
    check_op(lambda x, w, b: F.batch_norm(x, None, None, w, b, True, 0.1, 1e-5),
             lambda x, w, b: TF.batch_norm(x, None, None, w, b, True, 0.1, 1e-5), x, w, b,
             dtypes=["float32", "float64"], layouts_=LAYOUTS, **GRAD_TOL)
    test_batch_norm_module_over_several_steps("BatchNorm1d", (9, 4), {})


@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 5, 6), (1, 3, 2, 2)])
def test_batch_norm_eval_matches_torch(shape):
    x, w, b = R.standard_normal(shape), R.standard_normal(3), R.standard_normal(3)
    mean, var = R.standard_normal(3), R.uniform(0.5, 2, 3)
    check_op(lambda x, w, b, m, v: F.batch_norm(x, m, v, w, b, False, 0.1, 1e-3),
             lambda x, w, b, m, v: TF.batch_norm(x, m, v, w, b, False, 0.1, 1e-3),
             x, w, b, mean, var, requires_grad=(True, True, True, False, False),
             dtypes=["float32", "float64"], layouts_=LAYOUTS)


def test_functional_batch_norm_updates_running_stats_like_torch():
    stats = {lib: (lib.zeros(3, dtype=lib.float64), lib.ones(3, dtype=lib.float64))
             for lib in (ember, torch)}
    for momentum in (0.1, 0.5, 1.0):
        x = R.standard_normal((6, 3, 4)) * 2 + 3
        for lib in (ember, torch):
            lib.nn.functional.batch_norm(lib.from_numpy(x.copy()), *stats[lib], training=True,
                                         momentum=momentum)
        for e, t in zip(stats[ember], stats[torch]):
            assert_close(e, t, rtol=1e-12, atol=1e-12)


def bn_pair(cls, *args, **kwargs):
    e, t = getattr(nn, cls)(*args, **kwargs), getattr(torch.nn, cls)(*args, **kwargs)
    copy_params(t, e)
    return e, t


@pytest.mark.parametrize("cls,shape", [("BatchNorm2d", (6, 4, 5, 3)), ("BatchNorm1d", (8, 4)),
                                       ("BatchNorm1d", (5, 4, 7))])
@pytest.mark.parametrize("kwargs", [{}, {"momentum": None}, {"momentum": 0.3, "eps": 1e-3},
                                    {"affine": False}, {"bias": False},
                                    {"track_running_stats": False}])
def test_batch_norm_module_over_several_steps(cls, shape, kwargs):
    e, t = bn_pair(cls, 4, **kwargs)
    assert repr(e) == torch_text(repr(t))
    for step in range(4):
        x = (R.standard_normal(shape) * (step + 1) + step).astype(np.float32)
        check_op(e, t, x, layouts_=("contiguous",), atol=1e-4, **GRAD_TOL)
        for (name, ve), (_, vt) in zip(e.state_dict().items(), t.state_dict().items()):
            assert str(ve.dtype)[6:] == str(vt.dtype)[6:], name
            assert_close(ve, vt, rtol=1e-5, atol=1e-6)
    e.eval(), t.eval()
    x = R.standard_normal(shape).astype(np.float32)
    check_op(e, t, x, layouts_=("contiguous",), atol=1e-4, **GRAD_TOL)


def test_batch_norm_state_dict_and_buffers():
    e, t = bn_pair("BatchNorm2d", 32)
    assert list(e.state_dict()) == ["weight", "bias", "running_mean", "running_var",
                                    "num_batches_tracked"] == list(t.state_dict())
    assert e.num_batches_tracked.dtype == ember.int64 and e.num_batches_tracked.ndim == 0
    assert [n for n, _ in e.named_buffers()] == [n for n, _ in t.named_buffers()]
    assert np.array_equal(numpy_of(e.weight), np.ones(32, np.float32))
    assert np.array_equal(numpy_of(e.bias), np.zeros(32, np.float32))
    plain = nn.BatchNorm2d(3, affine=False, track_running_stats=False)
    assert list(plain.state_dict()) == [] and plain.running_mean is None
    e(ember.randn(4, 32, 2, 2))
    e.reset_running_stats()
    assert e.num_batches_tracked.item() == 0 and e.running_var.sum().item() == 32


@pytest.mark.parametrize("cls,shape", [("BatchNorm2d", (2, 3)), ("BatchNorm1d", (2, 3, 4, 5)),
                                       ("BatchNorm1d", (1, 3))])
def test_batch_norm_module_errors_match_torch(cls, shape):
    e, t = bn_pair(cls, 3)
    x = np.zeros(shape)
    assert_same_error(lambda: e(ember.from_numpy(x)), lambda: t(torch.from_numpy(x)))


x3 = np.zeros((2, 4, 3))
x4 = np.zeros((2, 4, 7, 9))


@pytest.mark.parametrize("call", [
    lambda F, f: F.batch_norm(f(x3), None, None, training=False),
    lambda F, f: F.batch_norm(f(x3), f(np.zeros(3)), f(np.ones(3)), training=True),
    lambda F, f: F.batch_norm(f(x3), None, None, f(np.ones(3)), training=True),
    lambda F, f: F.layer_norm(f(x4), (8,)),
    lambda F, f: F.layer_norm(f(x4), (9,), f(np.ones(8))),
    lambda F, f: F.group_norm(f(x4), 3),
])
def test_functional_errors_match_torch(call):
    assert_same_error(lambda: call(F, ember.from_numpy), lambda: call(TF, torch.from_numpy))


@pytest.mark.parametrize("shape,norm", [((4, 6), (6,)), ((2, 3, 5), (5,)), ((2, 3, 4, 5), (4, 5)),
                                        ((2, 3, 4), (2, 3, 4))])
@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm_matches_torch(shape, norm, affine):
    x = R.standard_normal(shape) * 2 - 1
    w, b = (R.standard_normal(norm), R.standard_normal(norm)) if affine else (None, None)
    check_op(lambda x, w, b: F.layer_norm(x, norm, w, b), lambda x, w, b: TF.layer_norm(
        x, norm, w, b), x, w, b, dtypes=["float32", "float64"], layouts_=LAYOUTS, **GRAD_TOL)


@pytest.mark.parametrize("shape,groups", [((2, 6, 5, 3), 3), ((3, 4, 7), 1), ((2, 4), 4),
                                          ((2, 6, 2, 2), 6)])
@pytest.mark.parametrize("affine", [True, False])
def test_group_norm_matches_torch(shape, groups, affine):
    x = R.standard_normal(shape) + 0.5
    c = shape[1]
    w, b = (R.standard_normal(c), R.standard_normal(c)) if affine else (None, None)
    check_op(lambda x, w, b: F.group_norm(x, groups, w, b),
             lambda x, w, b: TF.group_norm(x, groups, w, b), x, w, b,
             dtypes=["float32", "float64"], layouts_=LAYOUTS, **GRAD_TOL)


@pytest.mark.parametrize("name,args,kwargs,shape", [
    ("LayerNorm", (10,), {}, (3, 10)), ("LayerNorm", ((3, 4),), {"elementwise_affine": False},
                                        (2, 3, 4)),
    ("LayerNorm", (5,), {"bias": False, "eps": 1e-3}, (2, 5)),
    ("GroupNorm", (2, 4), {}, (3, 4, 5)), ("GroupNorm", (2, 4), {"affine": False, "eps": 1e-3},
                                           (3, 4, 2, 2)),
])
def test_layer_and_group_norm_modules(name, args, kwargs, shape):
    e, t = bn_pair(name, *args, **kwargs)
    assert repr(e) == torch_text(repr(t))
    assert list(e.state_dict()) == list(t.state_dict())
    for pe, pt in zip(e.parameters(), t.parameters()):
        assert_close(pe, pt)  # default init: ones and zeros
    check_op(e, t, R.standard_normal(shape).astype(np.float32), layouts_=("contiguous",),
             atol=1e-4, **GRAD_TOL)


def test_group_norm_module_error_matches_torch():
    assert_same_error(lambda: nn.GroupNorm(3, 4), lambda: torch.nn.GroupNorm(3, 4))


@pytest.mark.parametrize("fn", [
    lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
    lambda x, w, b: F.layer_norm(x, (3,), w, b),
    lambda x, w, b: F.group_norm(x.reshape(2, 3, 2), 3, w, b),
])
def test_gradcheck(fn):
    gradcheck_op(fn, R.standard_normal((4, 3)), R.standard_normal(3), R.standard_normal(3))


def test_eval_batch_norm_gradcheck():
    mean, var = ember.from_numpy(R.standard_normal(3)), ember.from_numpy(R.uniform(1, 2, 3))
    gradcheck_op(lambda x, w, b: F.batch_norm(x, mean, var, w, b, training=False),
                 R.standard_normal((4, 3, 2)), R.standard_normal(3), R.standard_normal(3))


def test_input_modified_in_place_is_refused():
    x = ember.randn(4, 3, requires_grad=True)
    y = x * 1
    out = F.batch_norm(y, None, None, training=True)
    with ember.no_grad():
        y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()
