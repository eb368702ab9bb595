"""InstanceNorm, RMSNorm, LocalResponseNorm and CrossMapLRN2d against PyTorch."""

import warnings

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember import nn
from helpers import assert_same_error, check_op, gradcheck_op, rng, to_ember, to_torch

from ._compare import assert_close, copy_params

torch = pytest.importorskip("torch")
TF = torch.nn.functional
R = rng(41)
LAYOUTS = ("contiguous", "transposed")
DTYPES = ["float32", "float64"]
GRAD_TOL = {"grad_atol": 1e-4, "grad_rtol": 1e-3}


# -- instance norm ---------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(2, 3, 5), (2, 3, 4, 3), (1, 2, 2, 3, 2)])
@pytest.mark.parametrize("affine", [True, False])
def test_functional_instance_norm_matches_torch(shape, affine):
    x = R.standard_normal(shape) * 2 + 1
    w, b = (R.standard_normal(shape[1]), R.standard_normal(shape[1])) if affine else (None, None)
    check_op(lambda x, w, b: F.instance_norm(x, weight=w, bias=b, eps=1e-3),
             lambda x, w, b: TF.instance_norm(x, weight=w, bias=b, eps=1e-3), x, w, b,
             dtypes=DTYPES, layouts_=LAYOUTS, **GRAD_TOL)


def test_functional_instance_norm_running_stats_match_torch():
    mean, var = R.standard_normal(3), R.uniform(0.5, 2, 3)
    x = R.standard_normal((4, 3, 6)) * 3 + 2
    stats = {lib: (lib.from_numpy(mean.copy()), lib.from_numpy(var.copy()))
             for lib in (ember, torch)}
    outs = {lib: lib.nn.functional.instance_norm(lib.from_numpy(x.copy()), *stats[lib],
                                                 momentum=0.3)
            for lib in (ember, torch)}
    assert_close(outs[ember], outs[torch])
    for e, t in zip(stats[ember], stats[torch]):
        assert_close(e, t)
    # with use_input_stats=False the running statistics normalize and stay unchanged
    check_op(lambda x, m, v: F.instance_norm(x, m, v, use_input_stats=False),
             lambda x, m, v: TF.instance_norm(x, m, v, use_input_stats=False), x, mean, var,
             requires_grad=(True, False, False), dtypes=DTYPES, layouts_=LAYOUTS)


def test_functional_instance_norm_float32_stats_of_float64_input():
    x = R.standard_normal((2, 3, 4))
    stats = {lib: (lib.zeros(3), lib.ones(3)) for lib in (ember, torch)}
    outs = [lib.nn.functional.instance_norm(lib.from_numpy(x.copy()), *stats[lib])
            for lib in (ember, torch)]
    assert outs[0].dtype == ember.float64
    assert_close(outs[0], outs[1])
    assert_close(stats[ember][1], stats[torch][1])


@pytest.mark.parametrize("call", [
    lambda lib, x: lib.nn.functional.instance_norm(x),
    lambda lib, x: lib.nn.functional.instance_norm(x, use_input_stats=False),
    lambda lib, x: lib.nn.functional.instance_norm(x, lib.zeros(4), lib.ones(4)),
    lambda lib, x: lib.nn.functional.instance_norm(x, lib.zeros(3)),
    lambda lib, x: lib.nn.functional.instance_norm(x, weight=lib.ones(4)),
])
@pytest.mark.parametrize("shape", [(2, 3), (2, 3, 1), (2, 3, 4)])
def test_functional_instance_norm_errors_match_torch(call, shape):
    x = R.standard_normal(shape).astype(np.float32)
    try:
        expected = call(torch, to_torch(x))
    except Exception:
        assert_same_error(lambda: call(ember, to_ember(x)), lambda: call(torch, to_torch(x)))
    else:
        assert_close(call(ember, to_ember(x)), expected)


@pytest.mark.parametrize("dims", [1, 2, 3])
@pytest.mark.parametrize("affine,track", [(False, False), (True, False), (True, True),
                                          (False, True)])
def test_instance_norm_module_matches_torch(dims, affine, track):
    t = getattr(torch.nn, f"InstanceNorm{dims}d")(3, affine=affine, track_running_stats=track,
                                                  momentum=0.2, dtype=torch.float64)
    e = getattr(nn, f"InstanceNorm{dims}d")(3, affine=affine, track_running_stats=track,
                                            momentum=0.2, dtype=ember.float64)
    assert repr(e) == repr(t)
    assert list(e.state_dict()) == list(t.state_dict())
    if affine:
        with torch.no_grad():
            t.weight.normal_()
            t.bias.normal_()
    copy_params(t, e)
    for batched in (True, False):
        shape = (2, 3) + (3,) * dims if batched else (3,) + (4,) * dims
        for training in (True, False):
            e.train(training)
            t.train(training)
            check_op(e, t, R.standard_normal(shape) * 2 + 1, layouts_=LAYOUTS, **GRAD_TOL)
    for (k, ev), tv in zip(e.state_dict().items(), t.state_dict().values()):
        np.testing.assert_allclose(ev.numpy(), tv.numpy(), rtol=1e-6, err_msg=k)


def test_instance_norm_momentum_none_and_defaults_match_torch():
    t, e = torch.nn.InstanceNorm2d(4, momentum=None), nn.InstanceNorm2d(4, momentum=None)
    assert repr(e) == repr(t)
    t, e = (torch.nn.InstanceNorm1d(2, track_running_stats=True, momentum=None),
            nn.InstanceNorm1d(2, track_running_stats=True, momentum=None))
    x = R.standard_normal((3, 2, 5)).astype(np.float32)
    assert_close(e(to_ember(x)), t(to_torch(x)))
    for (k, ev), tv in zip(e.state_dict().items(), t.state_dict().values()):
        np.testing.assert_allclose(ev.numpy(), tv.numpy(), rtol=1e-6, err_msg=k)
    t, e = (torch.nn.InstanceNorm3d(2, affine=True, bias=False),
            nn.InstanceNorm3d(2, affine=True, bias=False))
    assert repr(e) == repr(t) and list(e.state_dict()) == list(t.state_dict())


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_instance_norm_module_errors_and_warnings_match_torch(dims):
    name = f"InstanceNorm{dims}d"
    for rank in (dims, dims + 3):
        x = R.standard_normal((2,) * rank)
        assert_same_error(lambda x=x: getattr(nn, name)(2)(to_ember(x)),
                          lambda x=x: getattr(torch.nn, name)(2)(to_torch(x)))
    x = R.standard_normal((2, 4) + (3,) * dims)
    assert_same_error(lambda: getattr(nn, name)(3, affine=True)(to_ember(x)),
                      lambda: getattr(torch.nn, name)(3, affine=True)(to_torch(x)))
    messages = {}
    for lib, arg in ((torch, to_torch(x)), (ember, to_ember(x))):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            getattr(lib.nn, name)(3)(arg)
        messages[lib] = [str(w.message) for w in caught if w.category is UserWarning]
    assert messages[torch] and messages[ember] == messages[torch]


def test_instance_norm_gradcheck():
    x, w, b = R.standard_normal((2, 3, 4)), R.standard_normal(3), R.standard_normal(3)
    gradcheck_op(lambda x, w, b: F.instance_norm(x, weight=w, bias=b), x, w, b)


# -- RMS norm --------------------------------------------------------------------------------
@pytest.mark.parametrize("shape,norm", [((3, 4), [4]), ((2, 3, 4), (3, 4)), ((5,), [5])])
@pytest.mark.parametrize("eps", [None, 1e-3])
def test_functional_rms_norm_matches_torch(shape, norm, eps):
    x, w = R.standard_normal(shape), R.standard_normal(tuple(norm))
    check_op(lambda x, w: F.rms_norm(x, norm, w, eps),
             lambda x, w: TF.rms_norm(x, norm, w, eps), x, w, dtypes=DTYPES, layouts_=LAYOUTS)
    check_op(lambda x: F.rms_norm(x, norm, eps=eps), lambda x: TF.rms_norm(x, norm, eps=eps),
             x, dtypes=DTYPES, layouts_=LAYOUTS)


@pytest.mark.filterwarnings("ignore:Mismatch dtype")
def test_functional_rms_norm_default_eps_is_the_dtype_epsilon():
    x = np.full((2, 3), 1e-3)
    for dt in ("float16", "float32", "float64"):
        a = x.astype(dt)
        assert_close(F.rms_norm(to_ember(a), [3]), TF.rms_norm(to_torch(a), [3]), rtol=1e-3)
    x, w = R.standard_normal((3, 4)), R.standard_normal(4)
    check_op(lambda x, w: F.rms_norm(x, [4], w), lambda x, w: TF.rms_norm(x, [4], w), x, w,
             dtypes=[("float16", "float16"), ("float16", "float32")], atol=2e-3, rtol=2e-3,
             grad_atol=2e-2, grad_rtol=2e-2, layouts_=("contiguous",))


@pytest.mark.parametrize("norm,weight", [([4], None), ([3], (4,)), ([], None), ([2, 3, 4], None),
                                         ([2, 3, 4], (5,)), (3, None), ([3, 3], None)])
def test_functional_rms_norm_errors_match_torch(norm, weight):
    x = R.standard_normal((2, 3))
    w = None if weight is None else np.ones(weight)
    assert_same_error(
        lambda: F.rms_norm(to_ember(x), norm, None if w is None else to_ember(w)),
        lambda: TF.rms_norm(to_torch(x), norm, None if w is None else to_torch(w)))


@pytest.mark.parametrize("args", [(4,), ([2, 3], 1e-3, False), ((3,), 1e-6), (ember.Size([3]),)])
def test_rms_norm_module_matches_torch(args):
    targs = tuple(torch.Size(a) if isinstance(a, ember.Size) else a for a in args)
    e, t = nn.RMSNorm(*args), torch.nn.RMSNorm(*targs)
    assert repr(e) == repr(t)
    assert list(e.state_dict()) == list(t.state_dict())
    if t.weight is not None:
        with torch.no_grad():
            t.weight.normal_()
        copy_params(t, e)
    check_op(e, t, R.standard_normal((2,) + tuple(e.normalized_shape)).astype(np.float32),
             layouts_=LAYOUTS)


def test_rms_norm_gradcheck():
    gradcheck_op(lambda x, w: F.rms_norm(x, [2, 3], w), R.standard_normal((2, 2, 3)),
                 R.standard_normal((2, 3)))


# -- local response norm ---------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(2, 5, 3), (2, 5, 3, 2), (1, 4, 2, 2, 3)])
@pytest.mark.parametrize("size", [1, 2, 3, 6])
def test_local_response_norm_matches_torch(shape, size):
    x = R.standard_normal(shape) * 2
    e = nn.LocalResponseNorm(size, alpha=0.3, beta=0.6, k=1.5)
    t = torch.nn.LocalResponseNorm(size, alpha=0.3, beta=0.6, k=1.5)
    assert repr(e) == repr(t)
    check_op(e, t, x, dtypes=DTYPES, layouts_=LAYOUTS, **GRAD_TOL)


def test_local_response_norm_repr_errors_and_gradcheck():
    assert repr(nn.LocalResponseNorm(2)) == repr(torch.nn.LocalResponseNorm(2))
    x = R.standard_normal((2, 3))
    assert_same_error(lambda: F.local_response_norm(to_ember(x), 2),
                      lambda: TF.local_response_norm(to_torch(x), 2))
    empty = np.zeros((0, 3, 2))
    assert F.local_response_norm(to_ember(empty), 2).shape == (0, 3, 2)
    gradcheck_op(lambda x: F.local_response_norm(x, 3, 0.5, 0.75, 1.2),
                 R.standard_normal((2, 4, 3)))


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("channels", [3, 6])
def test_cross_map_lrn2d_matches_torch(size, channels):
    e, t = nn.CrossMapLRN2d(size, 0.6, 0.7, 1.4), torch.nn.CrossMapLRN2d(size, 0.6, 0.7, 1.4)
    assert repr(e) == repr(t)
    check_op(e, t, R.standard_normal((2, channels, 3, 2)), dtypes=DTYPES, layouts_=LAYOUTS,
             **GRAD_TOL)


def test_cross_map_lrn2d_repr_and_errors_match_torch():
    for args in [(3,), (2, 1e-3, 0.5, 2.0)]:
        assert repr(nn.CrossMapLRN2d(*args)) == repr(torch.nn.CrossMapLRN2d(*args))
    x = R.standard_normal((2, 3, 4))
    assert_same_error(lambda: nn.CrossMapLRN2d(3)(to_ember(x)),
                      lambda: torch.nn.CrossMapLRN2d(3)(to_torch(x)))


def test_instance_norm_is_not_a_batch_norm_for_update_bn():
    # torch's update_bn resets only batch-norm layers; instance norm keeps its statistics
    e = nn.Sequential(nn.InstanceNorm1d(2, track_running_stats=True))
    t = torch.nn.Sequential(torch.nn.InstanceNorm1d(2, track_running_stats=True))
    x = R.standard_normal((3, 2, 5)).astype(np.float32)
    e(to_ember(x))
    t(to_torch(x))
    ember.optim.swa_utils.update_bn([to_ember(x)], e)
    torch.optim.swa_utils.update_bn([to_torch(x)], t)
    assert_close(e[0].running_mean, t[0].running_mean)
    # a plain dict lacking num_batches_tracked (an old checkpoint) still loads
    state = {k: v for k, v in e.state_dict().items() if k != "0.num_batches_tracked"}
    e.load_state_dict(state)
