"""3-d convolutions, BatchNorm3d and Dropout3d against PyTorch: values, gradients, reprs,
errors."""

import warnings

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember import nn
from helpers import assert_same_error, check_op, gradcheck_op, rng

from ._compare import assert_close, copy_params, torch_text

torch = pytest.importorskip("torch")
TF = torch.nn.functional
R = rng(11)
LAYOUTS = ("contiguous", "transposed")


def _arr(*shape):
    return R.standard_normal(shape)


# (input shape, weight shape, kwargs)
CONV3D = [
    ((2, 2, 4, 5, 3), (3, 2, 2, 3, 1), {}),
    ((2, 4, 5, 6, 5), (6, 2, 3, 2, 3), dict(stride=(1, 2, 1), padding=(1, 0, 2),
                                            dilation=(2, 1, 1), groups=2)),
    ((1, 3, 4, 4, 4), (3, 1, 3, 3, 3), dict(stride=2, padding=1, groups=3)),
    ((2, 2, 4, 5, 6), (3, 2, 2, 3, 2), dict(padding="same", dilation=(1, 2, 1))),
    ((2, 2, 4, 5, 6), (3, 2, 3, 3, 3), dict(padding="same")),
    ((2, 2, 4, 5, 6), (3, 2, 3, 3, 3), dict(padding="valid")),
    ((2, 4, 5, 4), (3, 2, 2, 2, 3), {}),                     # unbatched
]


@pytest.mark.parametrize("xs, ws, kwargs", CONV3D)
@pytest.mark.parametrize("bias", [False, True])
def test_conv3d_matches_torch(xs, ws, kwargs, bias):
    args = (_arr(*xs), _arr(*ws)) + ((_arr(ws[0]),) if bias else ())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 'same' with an even kernel warns in both
        check_op(lambda x, w, *b: F.conv3d(x, w, *b, **kwargs),
                 lambda x, w, *b: TF.conv3d(x, w, *b, **kwargs), *args,
                 dtypes=["float32", "float64"], layouts_=LAYOUTS, atol=1e-4, rtol=1e-4)


# (input shape, weight shape, kwargs)
CONV_T3D = [
    ((2, 2, 3, 4, 2), (2, 3, 2, 3, 2), {}),
    ((2, 4, 3, 2, 3), (4, 2, 3, 2, 3), dict(stride=(2, 1, 3), padding=(1, 0, 1),
                                            output_padding=(1, 0, 2), dilation=(1, 2, 1),
                                            groups=2)),
    ((1, 2, 2, 3, 2), (2, 3, 2, 2, 2), dict(output_padding=(1, 1, 0), dilation=2)),
    ((3, 2, 3, 2), (3, 2, 2, 2, 2), dict(stride=2, padding=1)),  # unbatched
]


@pytest.mark.parametrize("xs, ws, kwargs", CONV_T3D)
@pytest.mark.parametrize("bias", [False, True])
def test_conv_transpose3d_matches_torch(xs, ws, kwargs, bias):
    groups = kwargs.get("groups", 1)
    args = (_arr(*xs), _arr(*ws)) + ((_arr(ws[1] * groups),) if bias else ())
    check_op(lambda x, w, *b: F.conv_transpose3d(x, w, *b, **kwargs),
             lambda x, w, *b: TF.conv_transpose3d(x, w, *b, **kwargs), *args,
             dtypes=["float32", "float64"], layouts_=LAYOUTS, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("fn, xs, ws, kwargs", [
    (F.conv3d, (1, 2, 3, 4, 3), (2, 1, 2, 2, 2), dict(stride=(1, 2, 1), padding=1, groups=2)),
    (F.conv_transpose3d, (1, 2, 2, 3, 2), (2, 2, 2, 2, 2), dict(stride=2, output_padding=1)),
])
def test_gradcheck(fn, xs, ws, kwargs):
    gradcheck_op(lambda x, w, b: fn(x, w, b, **kwargs), _arr(*xs), _arr(*ws), _arr(2))


def test_float32_stays_float32_and_empty_batch():
    x = ember.randn(0, 2, 3, 3, 3, requires_grad=True)
    w = ember.randn(4, 2, 2, 2, 2, requires_grad=True)
    y = F.conv3d(x, w)
    assert y.dtype == ember.float32 and tuple(y.shape) == (0, 4, 2, 2, 2)
    y.sum().backward()
    assert float(w.grad.abs().sum()) == 0.0


@pytest.mark.parametrize("call", [
    lambda m, x, w: m.conv3d(x(2, 4, 4, 4, 4, 4), w(3, 2, 2, 2, 2)),
    lambda m, x, w: m.conv3d(x(4, 4, 4), w(3, 2, 2, 2, 2)),
    lambda m, x, w: m.conv3d(x(1, 2, 4, 4, 4), w(3, 2, 2, 2, 2), dilation=0),
    lambda m, x, w: m.conv3d(x(1, 2, 4, 4, 4), w(3, 2, 5, 5, 5)),
    lambda m, x, w: m.conv3d(x(1, 2, 4, 4, 4), w(3, 2, 2, 2, 2), stride=(1, 1)),
    lambda m, x, w: m.conv3d(x(1, 2, 4, 4, 4), w(3, 1, 2, 2, 2)),
    lambda m, x, w: m.conv3d(x(1, 2, 4, 4, 4), w(3, 2, 2, 2, 2), bias=x(2)),
    lambda m, x, w: m.conv3d(x(1, 2, 4, 4, 4), w(3, 2, 2, 2, 2), stride=0),
    lambda m, x, w: m.conv3d(x(1, 2, 4, 4, 4), w(3, 2, 2, 2, 2), padding=-1),
    lambda m, x, w: m.conv3d(x(1, 2, 4, 4, 4), w(3, 2, 2, 2, 2), padding="same", stride=2),
    lambda m, x, w: m.conv3d(x(1, 2, 4, 4, 4), w(3, 2, 2, 2), padding=1),
    lambda m, x, w: m.conv_transpose3d(x(1, 2, 4, 4, 4), w(2, 3, 2, 2, 2), dilation=0),
    lambda m, x, w: m.conv_transpose3d(x(1, 2, 4, 4, 4), w(2, 3, 2, 2, 2), output_padding=2),
    lambda m, x, w: m.conv_transpose3d(x(1, 2, 1, 1, 1), w(2, 3, 1, 1, 1), padding=1),
    lambda m, x, w: m.conv_transpose3d(x(1, 3, 4, 4, 4), w(2, 3, 2, 2, 2)),
    lambda m, x, w: m.conv_transpose3d(x(4, 4, 4), w(2, 3, 2, 2, 2)),
])
def test_errors_match_torch(call):
    def side(mod, lib):
        return lambda: call(mod, lambda *s: lib.from_numpy(_arr(*s).astype(np.float32)),
                            lambda *s: lib.from_numpy(_arr(*s).astype(np.float32)))
    assert_same_error(side(F, ember), side(TF, torch))


def test_mixed_dtypes_error_like_torch():
    x, w = _arr(1, 2, 3, 3, 3), _arr(3, 2, 2, 2, 2)
    assert_same_error(lambda: F.conv3d(ember.tensor(x), ember.tensor(w, dtype=ember.float32)),
                      lambda: TF.conv3d(torch.tensor(x), torch.tensor(w, dtype=torch.float32)))


MODULES = [
    ("Conv3d", (2, 4, 3), {}),
    ("Conv3d", (2, 4, (1, 2, 3)), dict(stride=2, groups=2, bias=False)),
    ("Conv3d", (2, 4, 3), dict(padding="same", padding_mode="reflect")),
    ("Conv3d", (2, 4, 2), dict(padding=1, padding_mode="circular", dilation=(1, 2, 1))),
    ("Conv3d", (2, 3, 3), dict(padding=(1, 0, 1), padding_mode="replicate")),
    ("Conv3d", (2, 4, 2), dict(padding="valid")),
    ("ConvTranspose3d", (2, 4, 3), dict(stride=2, output_padding=1, dilation=2)),
    ("ConvTranspose3d", (4, 2, (2, 1, 3)), dict(groups=2, padding=(1, 0, 1), bias=False)),
]


@pytest.mark.parametrize("name, args, kwargs", MODULES)
def test_module_matches_torch(name, args, kwargs):
    tm = getattr(torch.nn, name)(*args, **kwargs).double()
    em = getattr(nn, name)(*args, **kwargs).double()
    assert repr(em) == torch_text(repr(tm))
    assert list(em.state_dict()) == list(tm.state_dict())
    copy_params(tm, em)
    x = _arr(2, args[0], 5, 4, 6)
    ex, tx = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ey, ty = em(ex), tm(tx)
    assert_close(ey, ty)
    g = _arr(*ty.shape)
    ey.backward(ember.tensor(g))
    ty.backward(torch.tensor(g))
    assert_close(ex.grad, tx.grad)
    for (n, ep), (_, tp) in zip(em.named_parameters(), tm.named_parameters()):
        assert_close(ep.grad, tp.grad), n


def test_default_initialization_bounds_match_torch():
    for cls in ("Conv3d", "ConvTranspose3d"):
        em, tm = getattr(nn, cls)(4, 6, 3), getattr(torch.nn, cls)(4, 6, 3)
        fan_in = tm.weight.shape[1] * 27
        bound = 1 / np.sqrt(fan_in)  # kaiming_uniform(a=sqrt(5)) and the bias: U(-b, b)
        for (n, ep), (_, tp) in zip(em.named_parameters(), tm.named_parameters()):
            assert ep.shape == tp.shape and ep.dtype == ember.float32
            assert float(tp.detach().abs().max()) <= bound and float(ep.abs().max()) <= bound, n
        assert float(em.weight.abs().max()) >= 0.9 * bound
        assert abs(float(em.weight.mean())) < 0.2 * bound


def test_conv_transpose3d_output_size():
    tm = torch.nn.ConvTranspose3d(2, 3, 3, stride=2, padding=1)
    em = nn.ConvTranspose3d(2, 3, 3, stride=2, padding=1)
    copy_params(tm, em)
    x = _arr(1, 2, 3, 4, 3).astype(np.float32)
    out = (6, 8, 5)
    assert_close(em(ember.tensor(x), output_size=out), tm(torch.tensor(x), output_size=out),
                 atol=1e-5)
    assert_same_error(lambda: em(ember.tensor(x), output_size=[9, 9, 9]),
                      lambda: tm(torch.tensor(x), output_size=[9, 9, 9]))


@pytest.mark.parametrize("kwargs", [dict(groups=0), dict(groups=3), dict(padding="full"),
                                    dict(padding="same", stride=2)])
def test_module_argument_errors(kwargs):
    assert_same_error(lambda: nn.Conv3d(4, 6, 3, **kwargs),
                      lambda: torch.nn.Conv3d(4, 6, 3, **kwargs))


def _set_free(message: str) -> tuple:
    """A message with its printed set replaced by the set's items: torch prints a set, whose
    order changes with the string hash seed (it differs between runs of torch itself)."""
    head, rest = message.split("{", 1)
    items, tail = rest.split("}", 1)
    return head, sorted(item.strip() for item in items.split(",")), tail


def test_unknown_padding_mode():
    messages = []
    for lib in (nn, torch.nn):
        with pytest.raises(ValueError) as caught:
            lib.Conv3d(4, 6, 3, padding_mode="mirror")
        messages.append(_set_free(str(caught.value)))
    assert messages[0] == messages[1]


def test_conv_transpose3d_refuses_padding_modes():
    assert_same_error(lambda: nn.ConvTranspose3d(2, 4, 3, padding_mode="reflect"),
                      lambda: torch.nn.ConvTranspose3d(2, 4, 3, padding_mode="reflect"))


def test_double_backward_is_refused():
    x = ember.randn(1, 2, 3, 3, 3, dtype=ember.float64, requires_grad=True)
    w = ember.randn(2, 2, 2, 2, 2, dtype=ember.float64, requires_grad=True)
    (g,) = ember.autograd.grad(F.conv3d(x, w).sum(), x, create_graph=False)
    assert g.shape == x.shape
    with pytest.raises(RuntimeError, match="double backward"):
        ember.autograd.grad(F.conv3d(x, w).sum(), x, create_graph=True)


# -- BatchNorm3d ------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [{}, dict(affine=False), dict(momentum=None),
                                    dict(track_running_stats=False), dict(bias=False)])
def test_batchnorm3d_matches_torch(kwargs):
    tm, em = torch.nn.BatchNorm3d(3, **kwargs).double(), nn.BatchNorm3d(3, **kwargs).double()
    assert repr(em) == torch_text(repr(tm))
    assert list(em.state_dict()) == list(tm.state_dict())
    copy_params(tm, em)
    for _ in range(2):
        x = _arr(2, 3, 2, 3, 2)
        ex, tx = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        ey, ty = em(ex), tm(tx)
        assert_close(ey, ty)
        g = _arr(*ty.shape)
        ey.backward(ember.tensor(g))
        ty.backward(torch.tensor(g))
        assert_close(ex.grad, tx.grad)
    for key, value in tm.state_dict().items():
        assert_close(em.state_dict()[key], value)
    em.eval()
    tm.eval()
    x = _arr(1, 3, 2, 2, 2)
    assert_close(em(ember.tensor(x)), tm(torch.tensor(x)))


def test_batchnorm3d_rank_error():
    assert_same_error(lambda: nn.BatchNorm3d(3)(ember.randn(2, 3, 4, 4)),
                      lambda: torch.nn.BatchNorm3d(3)(torch.randn(2, 3, 4, 4)))


# -- Dropout3d --------------------------------------------------------------------------------
def test_dropout3d_zeros_whole_channels():
    ember.manual_seed(0)
    y = F.dropout3d(ember.ones(4, 6, 2, 2, 2), 0.5)
    per_channel = y.numpy().reshape(4, 6, -1)
    assert set(np.unique(per_channel)) <= {0.0, 2.0}
    assert (per_channel.min(-1) == per_channel.max(-1)).all()
    assert 0 < (per_channel == 0).mean() < 1


def test_dropout3d_unbatched_and_eval():
    ember.manual_seed(1)
    y = F.dropout3d(ember.ones(8, 2, 2, 2), 0.5)
    flat = y.numpy().reshape(8, -1)
    assert (flat.min(-1) == flat.max(-1)).all()
    m = nn.Dropout3d(0.3)
    assert repr(m) == torch_text(repr(torch.nn.Dropout3d(0.3)))
    x = ember.randn(2, 3, 2, 2, 2)
    m.eval()
    assert m(x) is x
    x = ember.ones(3, 2, 2, 2, 2)
    assert F.dropout3d(x, 0.5, inplace=True) is x


@pytest.mark.parametrize("shape", [(2, 3, 4), (2, 3, 2, 2, 2, 2)])
def test_dropout3d_warns_like_torch(shape):
    with warnings.catch_warnings(record=True) as tw:
        warnings.simplefilter("always")
        TF.dropout3d(torch.ones(shape), 0.5)
    with warnings.catch_warnings(record=True) as ew:
        warnings.simplefilter("always")
        F.dropout3d(ember.ones(shape), 0.5)
    assert [str(w.message) for w in ew] == [str(w.message) for w in tw]
    assert [w.category for w in ew] == [w.category for w in tw]


def test_dropout3d_probability_errors():
    assert_same_error(lambda: F.dropout3d(ember.ones(1, 1, 1, 1, 1), 1.5),
                      lambda: TF.dropout3d(torch.ones(1, 1, 1, 1, 1), 1.5))
    assert_same_error(lambda: nn.Dropout3d(-0.1), lambda: torch.nn.Dropout3d(-0.1))
