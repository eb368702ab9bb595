"""Convolutions (functional and modules) against PyTorch: values, gradients, reprs, errors."""

import io
import math

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember import nn
from helpers import assert_same_error, check_op, gradcheck_op, rng

from ._compare import assert_close, copy_params, numpy_of, torch_text

torch = pytest.importorskip("torch")
TF = torch.nn.functional
R = rng(7)
LAYOUTS = ("contiguous", "transposed")
TOL = {"atol": 1e-4, "rtol": 1e-4}

# (N, C, H, W, out_channels, kernel, stride, padding, dilation, groups)
CONV2D = [
    (2, 3, 7, 9, 4, 3, 1, 0, 1, 1),
    (2, 4, 7, 9, 6, (3, 2), (2, 1), (1, 0), (1, 2), 2),
    (1, 6, 8, 8, 6, 3, 2, 1, 1, 6),         # depthwise
    (2, 2, 9, 7, 4, 4, 3, 2, 2, 2),
    (3, 4, 5, 5, 2, 1, 1, 0, 1, 1),         # 1x1
    (2, 3, 6, 7, 4, 5, 2, 2, 1, 1),
    (2, 3, 6, 7, 4, 3, 1, "same", 2, 1),
    (2, 3, 6, 7, 4, (2, 4), 1, "same", 1, 1),  # even kernel: the extra padding goes after
    (2, 3, 6, 7, 4, 3, 1, "valid", 1, 1),
    (1, 2, 3, 3, 2, 3, 5, 0, 1, 1),         # one output position
    (2, 3, 5, 6, 4, 3, 1, 3, 1, 1),         # padding wider than the kernel reaches
    (2, 4, 6, 5, 4, (3, 1), 1, (4, 2), (2, 1), 2),
]

# stride 1 with at least 8 input channels per group: the shifted-rows route (_conv_shift)
CONV2D_SHIFTED = [
    (3, 8, 7, 9, 5, 3, 1, 1, 1, 1),
    (2, 16, 5, 6, 12, (3, 2), 1, (2, 1), (2, 1), 2),
    (2, 8, 5, 5, 4, 3, 1, 4, 1, 1),         # padding wider than the kernel reaches
    (2, 8, 4, 6, 3, 1, 1, 0, 1, 1),         # 1x1
    (2, 8, 6, 7, 4, (2, 4), 1, "same", 1, 1),
    (1, 16, 6, 5, 16, 3, 1, "valid", (1, 2), 2),
]


def conv_case(case, bias):
    n, c, h, w, o, k, s, p, d, g = case
    kh, kw = (k, k) if isinstance(k, int) else k
    x = R.standard_normal((n, c, h, w))
    weight = R.standard_normal((o, c // g, kh, kw))
    b = R.standard_normal(o) if bias else None
    return (x, weight, b), (s, p, d, g)


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("case", CONV2D)
def test_conv2d_matches_torch(case, bias):
    arrays, args = conv_case(case, bias)
    check_op(lambda x, w, b: F.conv2d(x, w, b, *args), lambda x, w, b: TF.conv2d(x, w, b, *args),
             *arrays, dtypes=["float32", "float64"], layouts_=LAYOUTS, **TOL)


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("case", CONV2D_SHIFTED)
def test_conv2d_shifted_rows_route_matches_torch(case):
    from ember.ops import _conv_kernels, _conv_shift
    arrays, args = conv_case(case, bias=True)
    geo = _conv_kernels.Geometry((1, 1), (1, 1), (1, 1), (0, 0, 0, 0), case[-1], (1, 1), (1, 1))
    assert _conv_shift.usable(arrays[0], geo)  # the case does exercise that route
    check_op(lambda x, w, b: F.conv2d(x, w, b, *args), lambda x, w, b: TF.conv2d(x, w, b, *args),
             *arrays, dtypes=["float32", "float64"], layouts_=LAYOUTS, **TOL)
    gradcheck_op(lambda x, w, b: F.conv2d(x, w, b, *args), *arrays)


@pytest.mark.parametrize("threads", [1, 2])
def test_conv2d_in_many_chunks_matches_torch(monkeypatch, threads):
    # a tiny chunk budget makes every sample (and the odd last one) its own im2col chunk,
    # and with two threads the chunks are computed on the op threads
    from ember.ops import _conv_kernels, _parallel
    monkeypatch.setattr(_conv_kernels, "_CHUNK_BYTES", 1500)
    monkeypatch.setattr(_conv_kernels, "_PARALLEL_BYTES", 0)
    monkeypatch.setitem(_parallel._state, "threads", threads)
    for case in (CONV2D[0], CONV2D[1], CONV2D[3], CONV2D_SHIFTED[0], CONV2D_SHIFTED[1]):
        arrays, args = conv_case((5,) + case[1:], bias=True)
        check_op(lambda x, w, b, a=args: F.conv2d(x, w, b, *a),
                 lambda x, w, b, a=args: TF.conv2d(x, w, b, *a), *arrays, dtypes=["float32"],
                 layouts_=("contiguous",), **TOL)
    x, w = R.standard_normal((5, 4, 5, 6)), R.standard_normal((4, 3, 3, 3))
    check_op(lambda x, w: F.conv_transpose2d(x, w, stride=2, padding=1, groups=2),
             lambda x, w: TF.conv_transpose2d(x, w, stride=2, padding=1, groups=2), x, w,
             layouts_=("contiguous",), **TOL)


@pytest.mark.parametrize("stride", [1, 2])
def test_empty_batch_matches_torch(stride):
    x, w = np.zeros((0, 3, 5, 5), np.float32), R.standard_normal((4, 3, 3, 3)).astype(np.float32)
    grads = []
    for lib in (ember, torch):
        xt, wt = lib.from_numpy(x).requires_grad_(), lib.from_numpy(w).requires_grad_()
        out = lib.nn.functional.conv2d(xt, wt, stride=stride, padding=1)
        out.sum().backward()
        grads.append((tuple(out.shape), tuple(xt.grad.shape), numpy_of(wt.grad)))
    assert grads[0][:2] == grads[1][:2]
    np.testing.assert_array_equal(grads[0][2], grads[1][2])


@pytest.mark.parametrize("case", [(2, 4, 9, 6, 3, 2, 1, 1, 2), (1, 3, 11, 4, 5, 3, 2, 2, 1),
                                  (2, 2, 7, 2, 1, 1, 0, 1, 2), (2, 3, 8, 4, 3, 1, "same", 3, 1)])
def test_conv1d_matches_torch(case):
    n, c, length, o, k, s, p, d, g = case
    x, w = R.standard_normal((n, c, length)), R.standard_normal((o, c // g, k))
    b = R.standard_normal(o)
    check_op(lambda x, w, b: F.conv1d(x, w, b, s, p, d, g),
             lambda x, w, b: TF.conv1d(x, w, b, s, p, d, g), x, w, b,
             dtypes=["float32", "float64"], layouts_=LAYOUTS, **TOL)


# (N, C_in, H, W, C_out, kernel, stride, padding, output_padding, groups, dilation)
TRANSPOSED = [
    (2, 4, 5, 6, 3, 3, 1, 0, 0, 1, 1),
    (2, 4, 5, 6, 6, 3, 2, 1, 1, 2, 1),
    (1, 3, 4, 3, 2, (2, 3), (3, 2), (1, 0), (2, 1), 1, 1),
    (2, 2, 5, 5, 4, 3, 1, 1, 1, 2, 2),       # output_padding below dilation, stride 1
    (2, 3, 7, 9, 2, 4, 2, 1, 0, 1, 1),
]


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("case", TRANSPOSED)
def test_conv_transpose2d_matches_torch(case, bias):
    n, c, h, w, o, k, s, p, op, g, d = case
    kh, kw = (k, k) if isinstance(k, int) else k
    x, weight = R.standard_normal((n, c, h, w)), R.standard_normal((c, o // g, kh, kw))
    b = R.standard_normal(o) if bias else None
    check_op(lambda x, w, b: F.conv_transpose2d(x, w, b, s, p, op, g, d),
             lambda x, w, b: TF.conv_transpose2d(x, w, b, s, p, op, g, d), x, weight, b,
             dtypes=["float32", "float64"], layouts_=LAYOUTS, **TOL)


def test_conv_transpose1d_matches_torch():
    x, w, b = R.standard_normal((2, 4, 7)), R.standard_normal((4, 3, 3)), R.standard_normal(6)
    check_op(lambda x, w, b: F.conv_transpose1d(x, w, b, 2, 1, 1, 2),
             lambda x, w, b: TF.conv_transpose1d(x, w, b, 2, 1, 1, 2), x, w, b, **TOL)


def test_unbatched_input_matches_torch():
    x, w = R.standard_normal((3, 6, 5)), R.standard_normal((4, 3, 3, 3))
    check_op(lambda x, w: F.conv2d(x, w, padding=1), lambda x, w: TF.conv2d(x, w, padding=1),
             x, w, layouts_=("contiguous",))
    x1, w1 = R.standard_normal((3, 8)), R.standard_normal((4, 3, 3))
    check_op(F.conv1d, TF.conv1d, x1, w1, layouts_=("contiguous",))
    check_op(F.conv_transpose2d, TF.conv_transpose2d, x, w.transpose(1, 0, 2, 3).copy(),
             layouts_=("contiguous",))


def test_only_input_or_only_weight_requires_grad():
    x, w = R.standard_normal((2, 3, 5, 5)), R.standard_normal((4, 3, 3, 3))
    for flags in ((True, False), (False, True)):
        check_op(lambda x, w: F.conv2d(x, w, stride=2), lambda x, w: TF.conv2d(x, w, stride=2),
                 x, w, requires_grad=flags, layouts_=("contiguous",))


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("fn,shapes,kwargs", [
    (F.conv2d, ((1, 2, 4, 5), (2, 1, 3, 2), (2,)), {"stride": (2, 1), "padding": 1,
                                                      "groups": 2}),
    (F.conv2d, ((1, 1, 4, 4), (2, 1, 2, 2), (2,)), {"padding": "same", "dilation": 1}),
    (F.conv1d, ((2, 2, 6), (2, 2, 3), (2,)), {"stride": 2, "padding": 1, "dilation": 2}),
    (F.conv_transpose2d, ((1, 2, 3, 3), (2, 1, 3, 3), (1,)), {"stride": 2, "padding": 1,
                                                               "output_padding": 1}),
])
def test_gradcheck(fn, shapes, kwargs):
    arrays = [R.standard_normal(s) for s in shapes]
    gradcheck_op(lambda x, w, b: fn(x, w, b, **kwargs), *arrays)


def test_float32_stays_float32():
    x = ember.randn(2, 3, 6, 6, requires_grad=True)
    conv = nn.Conv2d(3, 4, 3)
    out = conv(x)
    out.sum().backward()
    assert out.dtype == ember.float32 and x.grad.dtype == ember.float32
    assert conv.weight.grad.dtype == ember.float32 and out.is_contiguous()


x4 = np.zeros((2, 4, 7, 9))
w4 = np.zeros((4, 2, 3, 3))


@pytest.mark.parametrize("call", [
    lambda F, t: F.conv2d(t(x4), t(w4)),                                  # channels
    lambda F, t: F.conv2d(t(x4[0, 0]), t(w4)),                            # rank
    lambda F, t: F.conv2d(t(x4), t(w4), groups=3),                        # groups
    lambda F, t: F.conv2d(t(x4), t(w4), stride=2, padding="same", groups=2),
    lambda F, t: F.conv2d(t(x4), t(w4), padding="foo", groups=2),
    lambda F, t: F.conv2d(t(x4), t(w4), padding=-1, groups=2),
    lambda F, t: F.conv2d(t(x4), t(w4), stride=0, groups=2),
    lambda F, t: F.conv2d(t(x4), t(w4), t(np.zeros(3)), groups=2),          # bias size
    lambda F, t: F.conv2d(t(x4[:, :, :1, :1]), t(w4), groups=2),            # kernel too big
    lambda F, t: F.conv2d(t(x4), t(w4), padding=(1, 2, 3), groups=2),
    lambda F, t: F.conv2d(t(x4), t(w4.astype(np.float32)), groups=2),       # dtypes
    lambda F, t: F.conv2d(t(x4.astype(np.float32)), t(w4), groups=2),
    lambda F, t: F.conv1d(t(x4), t(w4[..., 0])),
    lambda F, t: F.conv_transpose2d(t(x4), t(w4), stride=2, output_padding=2),
    lambda F, t: F.conv_transpose2d(t(x4), t(w4[:3])),
    lambda F, t: F.conv_transpose2d(t(x4), t(w4), t(np.zeros(3))),
])
def test_errors_match_torch(call):
    assert_same_error(lambda: call(F, ember.from_numpy), lambda: call(TF, torch.from_numpy))


# -- modules -----------------------------------------------------------------------------
MODULES = [
    ("Conv2d", (1, 32, 3), {"padding": 1}),
    ("Conv2d", (3, 6, (3, 5)), {"stride": 2, "dilation": 2, "groups": 3, "bias": False,
                                "padding_mode": "reflect"}),
    ("Conv2d", (4, 4, 3), {"padding": "same", "padding_mode": "circular"}),
    ("Conv2d", (4, 2, 2), {"padding": "same", "padding_mode": "replicate"}),
    ("Conv2d", (4, 4, 3), {"padding": "valid"}),
    ("Conv2d", (4, 6, 3), {"padding": (2, 1), "padding_mode": "circular"}),
    ("Conv1d", (2, 4, 3), {}),
    ("Conv1d", (2, 4, 3), {"padding": 2, "padding_mode": "reflect", "stride": 2}),
    ("ConvTranspose2d", (4, 2, 3), {"stride": 2, "output_padding": 1}),
    ("ConvTranspose2d", (4, 6, (2, 3)), {"stride": (2, 1), "padding": 1, "groups": 2,
                                         "dilation": 2, "bias": False}),
    ("ConvTranspose1d", (4, 2, 3), {}),
]


def module_pair(name, args, kwargs):
    e, t = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    copy_params(t, e)
    return e, t


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("name,args,kwargs", MODULES)
def test_module_matches_torch(name, args, kwargs):
    e, t = module_pair(name, args, kwargs)
    assert repr(e) == torch_text(repr(t))
    assert list(e.state_dict()) == list(t.state_dict())
    assert e.padding == t.padding and e.kernel_size == t.kernel_size
    assert e._reversed_padding_repeated_twice == list(t._reversed_padding_repeated_twice)
    spatial = (7, 9) if "2d" in name else (9,)
    x = R.standard_normal((2, args[0]) + spatial).astype(np.float32)
    check_op(e, t, x, layouts_=("contiguous",), **TOL)
    e(ember.from_numpy(x)).sum().backward()
    t(torch.from_numpy(x)).sum().backward()
    for (_, pe), (_, pt) in zip(e.named_parameters(), t.named_parameters()):
        assert_close(pe.grad, pt.grad, rtol=1e-4, atol=1e-4)


def test_conv_transpose_output_size():
    e, t = module_pair("ConvTranspose2d", (3, 2, 3), {"stride": 2, "padding": 1})
    x = R.standard_normal((1, 3, 5, 5)).astype(np.float32)
    for size in ([10, 10], (1, 2, 9, 10)):
        assert_close(e(ember.from_numpy(x), output_size=size), t(torch.from_numpy(x),
                                                                 output_size=size))
    assert_same_error(lambda: e(ember.from_numpy(x), output_size=[12, 12]),
                      lambda: t(torch.from_numpy(x), output_size=[12, 12]))


@pytest.mark.parametrize("kwargs", [{"groups": 0}, {"groups": 2, "in_channels": 3},
                                    {"groups": 2, "out_channels": 3}, {"padding_mode": "zero"},
                                    {"padding": "same", "stride": 2}])
def test_module_argument_errors(kwargs):
    full = {"in_channels": 4, "out_channels": 4, "kernel_size": 3, **kwargs}
    assert_same_error(lambda: nn.Conv2d(**full), lambda: torch.nn.Conv2d(**full),
                      match_message="padding_mode" not in kwargs)


def test_default_initialization_matches_torch():
    ember.manual_seed(0)
    torch.manual_seed(0)
    e, t = nn.Conv2d(32, 64, 3), torch.nn.Conv2d(32, 64, 3)
    bound = 1 / math.sqrt(32 * 9)  # kaiming_uniform_(a=sqrt(5)) gives U(-1/sqrt(fan_in), ...)
    for pe, pt in ((e.weight, t.weight), (e.bias, t.bias)):
        we, wt = numpy_of(pe), numpy_of(pt)
        assert np.abs(we).max() <= bound and we.dtype == np.float32
        assert abs(we.std() - wt.std()) < 0.1 * wt.std()
    assert abs(numpy_of(e.weight).std() - bound / math.sqrt(3)) < 0.05 * bound
    ember.manual_seed(0)
    assert np.array_equal(numpy_of(nn.Conv2d(32, 64, 3).weight), numpy_of(e.weight))


# -- a small CNN end to end ----------------------------------------------------------------
def cnn(lib, conv_bias=True):
    return lib.Sequential(
        lib.Conv2d(1, 8, 3, padding=1, bias=conv_bias), lib.BatchNorm2d(8), lib.ReLU(),
        lib.MaxPool2d(2),
        lib.Conv2d(8, 16, 3, padding=1, bias=conv_bias), lib.BatchNorm2d(16), lib.ReLU(),
        lib.MaxPool2d(2),
        lib.Flatten(), lib.Linear(16 * 3 * 3, 10))


def test_torch_checkpoint_of_a_cnn_gives_the_same_logits():
    t = cnn(torch.nn)
    buf = io.BytesIO()
    torch.save(t.state_dict(), buf)
    buf.seek(0)
    e = cnn(nn)
    e.load_state_dict(ember.load(buf))
    x = R.standard_normal((4, 1, 13, 13)).astype(np.float32)
    e.eval(), t.eval()
    assert_close(e(ember.from_numpy(x)), t(torch.from_numpy(x)), rtol=1e-4, atol=1e-5)


def test_cnn_training_steps_match_torch():
    # Without conv biases: a bias before batch norm gets a zero gradient, whose rounding
    # noise Adam would turn into full-size, library-dependent steps.
    t = cnn(torch.nn, conv_bias=False)
    e = cnn(nn, conv_bias=False)
    copy_params(t, e)
    topt = torch.optim.Adam(t.parameters(), lr=1e-2)
    eopt = ember.optim.Adam(e.parameters(), lr=1e-2)
    for step in range(3):
        x = R.standard_normal((8, 1, 13, 13)).astype(np.float32)
        y = R.integers(0, 10, 8)
        losses = []
        for model, opt, lib, conv in ((t, topt, torch, torch.from_numpy),
                                      (e, eopt, ember, ember.from_numpy)):
            opt.zero_grad()
            loss = lib.nn.functional.cross_entropy(model(conv(x)), conv(y))
            loss.backward()
            opt.step()
            losses.append(loss.item())
        assert losses[1] == pytest.approx(losses[0], rel=1e-4, abs=1e-5), f"step {step}"
    for (k, ve), (_, vt) in zip(e.state_dict().items(), t.state_dict().items()):
        np.testing.assert_allclose(numpy_of(ve), numpy_of(vt), rtol=1e-3, atol=1e-4,
                                   err_msg=k)


@pytest.mark.parametrize("op", [
    lambda x, w: F.conv2d(x, w), lambda x, w: F.max_pool2d(x, 2),
    lambda x, w: F.batch_norm(x, None, None, training=True),
    lambda x, w: F.interpolate(x, scale_factor=2, mode="bilinear"),
])
def test_double_backward_is_refused_not_silently_wrong(op):
    x = ember.randn(2, 3, 4, 4, requires_grad=True)
    w = ember.randn(2, 3, 3, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match="double backward"):
        ember.autograd.grad(op(x, w).pow(2).sum(), x, create_graph=True)


def test_transposed_output_size_error_shows_the_size_as_given():
    for size in ((1, 1, 30, 30), [30, 30]):
        assert_same_error(
            lambda s=size: ember.nn.ConvTranspose2d(1, 1, 3, stride=2)(ember.zeros(1, 1, 4, 4),
                                                                      output_size=s),
            lambda s=size: torch.nn.ConvTranspose2d(1, 1, 3, stride=2)(torch.zeros(1, 1, 4, 4),
                                                                      output_size=s))
