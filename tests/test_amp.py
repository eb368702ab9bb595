"""ember.amp (autocast, GradScaler) against torch.amp on the CPU."""

import pickle
import threading
import warnings

import numpy as np
import pytest

import ember
import ember.amp as amp
from ember.amp import _state

from helpers import assert_same, assert_same_error, dtype_name, rng

torch = pytest.importorskip("torch")

EF, TF = ember.nn.functional, torch.nn.functional


def _pair(shape, dtype="float32", seed=0, positive=False):
    a = rng(seed).standard_normal(shape)
    if positive:
        a = np.abs(a) + 0.5
    a = a.astype(dtype)
    return ember.tensor(a), torch.tensor(a)


def _spd(n=3, dtype="float32"):
    a = (np.eye(n) * 2 + 0.1).astype(dtype)
    return ember.tensor(a), torch.tensor(a)


# Each case: (name, builder) where builder(lib, F, inputs) runs the op in one library; the
# inputs are made by ``_inputs`` (pairs of equal ember/torch tensors).
CASES = {
    "matmul": lambda m, F, x: m.matmul(x["a"], x["b"]),
    "@": lambda m, F, x: x["a"] @ x["b"],
    "rmatmul-vec": lambda m, F, x: x["v4"] @ x["b"],
    "mm": lambda m, F, x: m.mm(x["a"], x["b"]),
    "Tensor.mm": lambda m, F, x: x["a"].mm(x["b"]),
    "bmm": lambda m, F, x: m.bmm(x["ba"], x["bb"]),
    "addmm": lambda m, F, x: m.addmm(x["c"], x["a"], x["b"]),
    "baddbmm": lambda m, F, x: m.baddbmm(x["bc"], x["ba"], x["bb"]),
    "addbmm": lambda m, F, x: m.addbmm(x["c"], x["ba"], x["bb"]),
    "linear": lambda m, F, x: F.linear(x["a"], x["w"], x["bias"]),
    "conv1d": lambda m, F, x: F.conv1d(x["img1"], x["k1"]),
    "conv2d": lambda m, F, x: F.conv2d(x["img2"], x["k2"], padding=1),
    "conv_transpose2d": lambda m, F, x: F.conv_transpose2d(x["img2"], x["k2t"]),
    "conv3d": lambda m, F, x: F.conv3d(x["img3"], x["k3"]),
    "prelu": lambda m, F, x: F.prelu(x["a"], x["slope"]),
    "sdpa": lambda m, F, x: F.scaled_dot_product_attention(x["ba"], x["ba"], x["ba"]),
    "einsum-contract": lambda m, F, x: m.einsum("ij,jk->ik", x["a"], x["b"]),
    "einsum-outer": lambda m, F, x: m.einsum("i,j->ij", x["v4"], x["v4"]),
    "tensordot": lambda m, F, x: m.tensordot(x["a"], x["b"], 1),
    "multi_dot": lambda m, F, x: m.linalg.multi_dot([x["a"], x["b"]]),
    "bilinear (unlisted)": lambda m, F, x: F.bilinear(x["a"], x["a"], x["bw"]),
    "pad replicate": lambda m, F, x: F.pad(x["img1"].half(), (1, 1), mode="replicate"),
    "einsum-trace": lambda m, F, x: m.einsum("ii", x["spd"]),
    "mv (unlisted)": lambda m, F, x: m.mv(x["a"], x["v4"]),
    "dot (unlisted)": lambda m, F, x: m.dot(x["v4"], x["v4"]),
    "mixed add": lambda m, F, x: m.mm(x["a"], x["b"]) + x["c"],
    "softmax of half": lambda m, F, x: F.softmax(m.mm(x["a"], x["b"]), -1),
    "cross_entropy": lambda m, F, x: F.cross_entropy(m.mm(x["a"], x["b"]), x["target"]),
    "mse_loss": lambda m, F, x: F.mse_loss(m.mm(x["a"], x["b"]), x["c"]),
    "l1_loss": lambda m, F, x: F.l1_loss(m.mm(x["a"], x["b"]), x["c"]),
    "bce_with_logits": lambda m, F, x: F.binary_cross_entropy_with_logits(
        m.mm(x["a"], x["b"]), x["c"].sigmoid()),
    "prod": lambda m, F, x: m.mm(x["a"], x["b"]).prod(),
    "trace": lambda m, F, x: m.trace(m.mm(x["a"], x["b"])),
    "cdist": lambda m, F, x: m.cdist(m.mm(x["a"], x["b"]), x["c"]),
    "linalg.inv": lambda m, F, x: m.linalg.inv(x["spd"].half()),
    "fft.rfft": lambda m, F, x: m.fft.rfft(x["v4"].half()),
    "pad reflect": lambda m, F, x: F.pad(x["img1"].half(), (1, 1), mode="reflect"),
    "pad constant": lambda m, F, x: F.pad(x["img1"].half(), (1, 1)),
    "float64 matmul": lambda m, F, x: m.mm(x["a"].double(), x["b"].double()),
    "int matmul": lambda m, F, x: m.mm(x["a"].long(), x["b"].long()),
    "float16 already": lambda m, F, x: m.mm(x["a"].half(), x["b"]),
}


def _inputs():
    shapes = {"a": (3, 4), "b": (4, 5), "c": (3, 5), "v4": (4,), "ba": (2, 3, 4),
              "bb": (2, 4, 5), "bc": (2, 3, 5), "w": (5, 4), "bias": (5,), "img1": (1, 2, 6),
              "k1": (3, 2, 3), "img2": (1, 2, 5, 5), "k2": (3, 2, 3, 3), "k2t": (2, 3, 3, 3),
              "img3": (1, 1, 4, 4, 4), "k3": (2, 1, 2, 2, 2), "slope": (1,), "bw": (2, 4, 4)}
    pairs = {k: _pair(s, seed=i) for i, (k, s) in enumerate(shapes.items())}
    pairs["spd"] = _spd()
    pairs["target"] = (ember.tensor([0, 1, 2]), torch.tensor([0, 1, 2]))
    return ({k: v[0] for k, v in pairs.items()}, {k: v[1] for k, v in pairs.items()})


@pytest.mark.parametrize("name", list(CASES))
def test_result_dtypes_and_values_follow_torch_cpu_autocast(name):
    e_in, t_in = _inputs()
    with torch.autocast("cpu", dtype=torch.float16):
        expected = CASES[name](torch, TF, t_in)
    with amp.autocast("cpu", dtype=ember.float16):
        got = CASES[name](ember, EF, e_in)
    assert_same(got, expected, atol=2e-2, rtol=2e-2, what=name)


def test_layers_follow_torch():
    tm = {"linear": torch.nn.Linear(4, 3), "conv": torch.nn.Conv2d(2, 3, 3),
          "rnncell": torch.nn.RNNCell(4, 3), "grucell": torch.nn.GRUCell(4, 3),
          "lstmcell": torch.nn.LSTMCell(4, 3), "mha": torch.nn.MultiheadAttention(4, 2)}
    em = {"linear": ember.nn.Linear(4, 3), "conv": ember.nn.Conv2d(2, 3, 3),
          "rnncell": ember.nn.RNNCell(4, 3), "grucell": ember.nn.GRUCell(4, 3),
          "lstmcell": ember.nn.LSTMCell(4, 3), "mha": ember.nn.MultiheadAttention(4, 2)}
    for key, module in tm.items():
        em[key].load_state_dict({k: ember.tensor(v.detach().numpy())
                                 for k, v in module.state_dict().items()})
    (ex, tx), (ei, ti), (es, ts) = _pair((2, 4)), _pair((1, 2, 5, 5)), _pair((3, 1, 4))
    calls = {"linear": lambda m, x, i, s: m(x), "conv": lambda m, x, i, s: m(i),
             "rnncell": lambda m, x, i, s: m(x), "grucell": lambda m, x, i, s: m(x),
             "lstmcell": lambda m, x, i, s: m(x)[1], "mha": lambda m, x, i, s: m(s, s, s)[0]}
    for key, call in calls.items():
        with torch.autocast("cpu", dtype=torch.float16):
            expected = call(tm[key], tx, ti, ts)
        with amp.autocast("cpu", dtype=ember.float16):
            got = call(em[key], ex, ei, es)
        assert_same(got, expected.detach(), atol=2e-2, rtol=2e-2, what=key)


def test_gradients_reach_float32_leaves_as_in_torch():
    (ex, tx), (ew, tw) = _pair((3, 4)), _pair((5, 4), seed=1)
    ew.requires_grad_(True)
    tw.requires_grad_(True)
    g = rng(2).standard_normal((3, 5)).astype("float16")
    with torch.autocast("cpu", dtype=torch.float16):
        ty = TF.linear(tx, tw)
    with amp.autocast("cpu", dtype=ember.float16):
        ey = EF.linear(ex, ew)
    ty.backward(torch.tensor(g))
    ey.backward(ember.tensor(g))
    assert_same(ew.grad, tw.grad, atol=2e-2, rtol=2e-2)
    assert ey.grad_fn.name() == ty.grad_fn.name()


def test_weight_casts_are_cached_within_a_region_only():
    w = ember.ones(3, 4, requires_grad=True)
    with amp.autocast("cpu", dtype=ember.float16):
        first = _state.state.cache.copy()
        EF.linear(ember.ones(2, 4), w)
        EF.linear(ember.ones(2, 4), w)
        assert len(_state.state.cache) == len(first) + 1
    assert _state.state.cache == {}
    with amp.autocast("cpu", dtype=ember.float16, cache_enabled=False):
        EF.linear(ember.ones(2, 4), w)
        assert _state.state.cache == {}


def test_nesting_disabling_and_restoring_functions():
    original_mm, original_matmul = ember.mm, ember.Tensor.__matmul__
    a = ember.ones(2, 2)
    with amp.autocast("cpu", dtype=ember.float16):
        assert _state.is_autocast_enabled("cpu") and not _state.is_autocast_enabled()
        with amp.autocast("cpu", enabled=False):
            assert (a @ a).dtype == ember.float32
            assert _state.get_autocast_dtype("cpu") == ember.float16
        with pytest.warns(UserWarning):
            inner = amp.autocast("cpu", dtype=ember.float32)
        with inner:
            assert (a @ a).dtype == ember.float32
        assert (a @ a).dtype == ember.float16
        assert _state.state.nesting == 1
    assert ember.mm is original_mm and ember.Tensor.__matmul__ is original_matmul
    assert not _state.is_autocast_enabled("cpu") and _state.get_autocast_dtype("cpu") is None
    assert _state.state.nesting == 0


def test_exception_inside_region_restores_state():
    with pytest.raises(ZeroDivisionError):
        with amp.autocast("cpu", dtype=ember.float16):
            _ = 1 / 0
    assert not _state.is_autocast_enabled("cpu")
    assert (ember.ones(2, 2) @ ember.ones(2, 2)).dtype == ember.float32


def test_decorator():
    @amp.autocast("cpu", dtype=ember.float16)
    def product(x):
        """doc"""
        return x @ x

    assert product(ember.ones(2, 2)).dtype == ember.float16
    assert product.__name__ == "product" and product.__doc__ == "doc"
    assert (ember.ones(2, 2) @ ember.ones(2, 2)).dtype == ember.float32
    assert_same_error(lambda: amp.autocast("cpu", dtype=ember.float16)(3),
                      lambda: torch.autocast("cpu", dtype=torch.float16)(3))


def test_other_threads_are_not_cast():
    results = {}
    inside, done = threading.Event(), threading.Event()

    def worker():
        inside.wait()
        results["dtype"] = (ember.ones(2, 2) @ ember.ones(2, 2)).dtype
        done.set()

    thread = threading.Thread(target=worker)
    thread.start()
    with amp.autocast("cpu", dtype=ember.float16):
        inside.set()
        done.wait(10)
        assert (ember.ones(2, 2) @ ember.ones(2, 2)).dtype == ember.float16
    thread.join()
    assert results["dtype"] == ember.float32


def _warning_of(make):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        obj = make()
    assert len(caught) == 1 and caught[0].category is UserWarning
    assert caught[0].filename == __file__  # reported where the user wrote the call
    return obj, str(caught[0].message)


def test_unsupported_dtype_warns_and_disables_like_torch():
    t_obj, t_msg = _warning_of(lambda: torch.autocast("cpu", dtype=torch.float32))
    e_obj, e_msg = _warning_of(lambda: amp.autocast("cpu", dtype=ember.float32))
    assert e_msg == t_msg.replace("torch.bfloat16, torch.float16", "ember.float16")
    assert e_obj._enabled is t_obj._enabled is False
    e_obj, e_msg = _warning_of(lambda: amp.autocast("cpu"))  # torch's bfloat16 default
    assert "bfloat16" in e_msg and "Disabling autocast" in e_msg and not e_obj._enabled
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with amp.autocast("cpu"):
            assert (ember.ones(2, 2) @ ember.ones(2, 2)).dtype == ember.float32


def test_cuda_without_gpu_warns_and_disables():
    if ember.cuda.is_available():
        pytest.skip("a GPU is present")
    t_obj, t_msg = _warning_of(lambda: torch.autocast("cuda"))
    e_obj, e_msg = _warning_of(lambda: amp.autocast("cuda"))
    assert e_msg == t_msg.replace(" or torch_xla is imported", "")
    assert e_obj._enabled is t_obj._enabled is False
    assert e_obj.fast_dtype == ember.float16


def test_argument_errors_like_torch():
    assert_same_error(lambda: amp.autocast(None), lambda: torch.autocast(None))
    assert_same_error(lambda: amp.autocast("meta"), lambda: torch.autocast("meta"))
    assert_same_error(lambda: amp.autocast("meta", dtype=ember.float16),
                      lambda: torch.autocast("meta", dtype=torch.float16))
    assert_same_error(lambda: amp.autocast("foo"), lambda: torch.autocast("foo"),
                      match_message=False)  # each lists its own device types
    assert_same_error(lambda: amp.is_autocast_available(3),
                      lambda: torch.amp.is_autocast_available(3))
    with amp.autocast("cpu", dtype=ember.float16, enabled=False) as region:
        assert isinstance(region, amp.autocast)
    for name in ("cpu", "cuda", "cpu:0"):
        assert amp.is_autocast_available(name) == torch.amp.is_autocast_available(name)
    assert amp.is_autocast_available("meta") == torch.amp.is_autocast_available("meta")


def test_state_functions_like_torch():
    S = _state
    assert_same(S.get_autocast_dtype("cuda"), torch.get_autocast_dtype("cuda"))
    assert S.is_autocast_enabled() == torch.is_autocast_enabled() is False
    assert S.is_autocast_cache_enabled() == torch.is_autocast_cache_enabled()
    assert_same_error(lambda: S.is_autocast_enabled(3), lambda: torch.is_autocast_enabled(3))
    assert_same_error(lambda: S.set_autocast_enabled("cpu"),
                      lambda: torch.set_autocast_enabled("cpu"))
    assert_same_error(lambda: S.set_autocast_enabled("cpu", 1),
                      lambda: torch.set_autocast_enabled("cpu", 1))
    assert_same_error(lambda: S.set_autocast_dtype("cpu", "x"),
                      lambda: torch.set_autocast_dtype("cpu", "x"))
    assert_same_error(lambda: S.is_autocast_enabled("meta"),
                      lambda: torch.is_autocast_enabled("meta"))
    assert_same_error(lambda: S.get_autocast_dtype("meta"),
                      lambda: torch.get_autocast_dtype("meta"))
    assert_same_error(lambda: S.set_autocast_cache_enabled(1),
                      lambda: torch.set_autocast_cache_enabled(1))
    counts = [S.autocast_increment_nesting(), S.autocast_increment_nesting(),
              S.autocast_decrement_nesting(), S.autocast_decrement_nesting()]
    assert counts == [1, 2, 1, 0]
    with pytest.warns(DeprecationWarning, match=r"get_autocast_dtype\('cuda'\)"):
        assert S.get_autocast_gpu_dtype() == ember.float16


def test_low_level_switch_casts_too():
    _state.set_autocast_dtype("cpu", ember.float16)
    _state.set_autocast_enabled("cpu", True)
    try:
        assert (ember.ones(2, 2) @ ember.ones(2, 2)).dtype == ember.float16
    finally:
        _state.set_autocast_enabled("cpu", False)
        _state.restore_autocast_dtype("cpu", None)
    assert (ember.ones(2, 2) @ ember.ones(2, 2)).dtype == ember.float32


def _custom_function(lib, amp_mod):
    class Twice(lib.autograd.Function):
        @staticmethod
        @amp_mod.custom_fwd(device_type="cpu", cast_inputs=lib.float16)
        def forward(ctx, x):
            ctx.inside = lib.is_autocast_enabled("cpu") if lib is torch else \
                _state.is_autocast_enabled("cpu")
            return x * 2

        @staticmethod
        @amp_mod.custom_bwd(device_type="cpu")
        def backward(ctx, g):
            return g * 2

    return Twice


def test_custom_fwd_and_bwd_like_torch():
    (ex, tx) = _pair((3,))
    ex.requires_grad_(True)
    tx.requires_grad_(True)
    with torch.autocast("cpu", dtype=torch.float16):
        ty = _custom_function(torch, torch.amp).apply(tx)
    with amp.autocast("cpu", dtype=ember.float16):
        ey = _custom_function(ember, amp).apply(ex)
    assert_same(ey, ty.detach())
    ty.sum().backward()
    ey.sum().backward()
    assert_same(ex.grad, tx.grad)
    assert_same(_custom_function(ember, amp).apply(ex), _custom_function(torch, torch.amp)
                .apply(tx).detach())
    assert_same_error(lambda: amp.custom_fwd(device_type=None),
                      lambda: torch.amp.custom_fwd(device_type=None))


# -- GradScaler ---------------------------------------------------------------------------
def _scalers(**kwargs):
    return amp.GradScaler("cpu", **kwargs), torch.amp.GradScaler("cpu", **kwargs)


def _model_pair(dtype="float32"):
    e_param, t_param = _pair((3,), dtype=dtype)
    e_param, t_param = ember.nn.Parameter(e_param), torch.nn.Parameter(t_param)
    return (e_param, ember.optim.SGD([e_param], lr=0.1),
            t_param, torch.optim.SGD([t_param], lr=0.1))


def _iteration(lib, scaler, param, opt, factors, unscale_first):
    opt.zero_grad()
    loss = (param * lib.tensor(factors, dtype=param.dtype)).sum()
    scaled = scaler.scale(loss)
    scaled.backward()
    if unscale_first:
        scaler.unscale_(opt)
    result = scaler.step(opt)
    scaler.update()
    return scaled, result


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_scaler_sequence_matches_torch(dtype):
    e_scaler, t_scaler = _scalers(init_scale=4.0, growth_interval=2)
    e_param, e_opt, t_param, t_opt = _model_pair(dtype)
    inf, nan = float("inf"), float("nan")
    steps = [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0], [1.0, inf, 3.0], [nan, 1.0, 1.0],
             [0.5, 1.0, 1.0], [1.0, 1.0, 1.0], [1e30, 1.0, 1.0]]
    for i, factors in enumerate(steps):
        unscale_first = i % 2 == 1
        e_out = _iteration(ember, e_scaler, e_param, e_opt, factors, unscale_first)
        t_out = _iteration(torch, t_scaler, t_param, t_opt, factors, unscale_first)
        assert_same(e_out[0], t_out[0].detach(), what=f"scaled loss {i}")
        assert e_out[1] is t_out[1] is None
        assert_same(e_param.detach(), t_param.detach(), what=f"param {i}")
        assert_same(e_param.grad, t_param.grad, what=f"grad {i}")
        assert e_scaler.state_dict() == t_scaler.state_dict(), i
    assert_same(e_scaler._scale, t_scaler._scale)
    assert_same(e_scaler._growth_tracker, t_scaler._growth_tracker)


def test_scaler_growth_stops_at_float32_overflow():
    e_scaler, t_scaler = _scalers(init_scale=2.0**127, growth_interval=1)
    e_param, e_opt, t_param, t_opt = _model_pair()
    for _ in range(2):
        _iteration(ember, e_scaler, e_param, e_opt, [1e-30] * 3, False)
        _iteration(torch, t_scaler, t_param, t_opt, [1e-30] * 3, False)
        assert e_scaler.state_dict() == t_scaler.state_dict()


def test_scaler_scale_nested_outputs():
    e_scaler, t_scaler = _scalers(init_scale=3.0)
    (ea, ta), (eb, tb) = _pair((2,)), _pair((2,), seed=1)
    assert_same(e_scaler.scale([ea, (eb,)]), t_scaler.scale([ta, (tb,)]))
    assert_same(list(e_scaler.scale(x for x in [ea])), list(t_scaler.scale(x for x in [ta])))
    assert_same(e_scaler.scale(ea.half()), t_scaler.scale(ta.half()))
    assert_same_error(lambda: e_scaler.scale(3), lambda: t_scaler.scale(3))


def test_scaler_misuse_errors_like_torch():
    e_param, e_opt, t_param, t_opt = _model_pair()
    fresh = _scalers()
    assert_same_error(lambda: fresh[0].unscale_(e_opt), lambda: fresh[1].unscale_(t_opt))
    assert_same_error(lambda: fresh[0].step(e_opt), lambda: fresh[1].step(t_opt))
    assert_same_error(lambda: fresh[0].update(), lambda: fresh[1].update())
    e_scaler, t_scaler = _scalers()
    e_scaler.scale(e_param.sum())
    t_scaler.scale(t_param.sum())
    assert_same_error(lambda: e_scaler.step(e_opt), lambda: t_scaler.step(t_opt))  # no grads
    assert_same_error(lambda: e_scaler.update(), lambda: t_scaler.update())
    assert_same_error(lambda: e_scaler.step(e_opt, closure=None),
                      lambda: t_scaler.step(t_opt, closure=None))
    e_scaler, t_scaler = _scalers()  # those are stuck mid-iteration, in torch too
    e_scaler.scale(e_param.sum()).backward()
    t_scaler.scale(t_param.sum()).backward()
    e_scaler.unscale_(e_opt)
    t_scaler.unscale_(t_opt)
    assert_same_error(lambda: e_scaler.unscale_(e_opt), lambda: t_scaler.unscale_(t_opt))
    e_scaler.step(e_opt)
    t_scaler.step(t_opt)
    assert_same_error(lambda: e_scaler.unscale_(e_opt), lambda: t_scaler.unscale_(t_opt))
    assert_same_error(lambda: e_scaler.step(e_opt), lambda: t_scaler.step(t_opt))
    assert_same_error(lambda: e_scaler.update(3), lambda: t_scaler.update(3))
    assert_same_error(lambda: e_scaler.update(ember.ones(2)),
                      lambda: t_scaler.update(torch.ones(2)))
    assert_same_error(lambda: e_scaler.update(ember.tensor([8.0])),
                      lambda: t_scaler.update(torch.tensor([8.0])))
    e_scaler.update(ember.tensor(8.0))
    t_scaler.update(torch.tensor(8.0))
    assert e_scaler.state_dict() == t_scaler.state_dict()
    e_scaler.update(5.0)
    t_scaler.update(5.0)
    assert e_scaler.get_scale() == t_scaler.get_scale() == 5.0
    assert_same_error(lambda: e_scaler.load_state_dict({}), lambda: t_scaler.load_state_dict({}))
    assert_same_error(lambda: amp.GradScaler("cpu", growth_factor=1.0),
                      lambda: torch.amp.GradScaler("cpu", growth_factor=1.0))
    assert_same_error(lambda: amp.GradScaler("cpu", backoff_factor=1.0),
                      lambda: torch.amp.GradScaler("cpu", backoff_factor=1.0))


def test_scaler_refuses_float16_gradients():
    e_param, e_opt, t_param, t_opt = _model_pair("float16")
    e_scaler, t_scaler = _scalers(init_scale=1024.0)
    e_scaler.scale(e_param.sum()).backward()
    t_scaler.scale(t_param.sum()).backward()
    assert_same_error(lambda: e_scaler.step(e_opt), lambda: t_scaler.step(t_opt))


def test_scaler_disabled_and_cuda_without_gpu():
    if not ember.cuda.is_available():
        t_obj, t_msg = _warning_of(lambda: torch.amp.GradScaler())
        e_obj, e_msg = _warning_of(lambda: amp.GradScaler())
        assert e_msg == t_msg.replace("torch.cuda.amp.", "ember.amp.")
        assert not e_obj.is_enabled() and not t_obj.is_enabled()
    e_scaler, t_scaler = _scalers(enabled=False)
    e_param, e_opt, t_param, t_opt = _model_pair()
    out = e_scaler.scale(e_param.sum())
    assert_same(out, t_scaler.scale(t_param.sum()).detach())
    out.backward()
    t_param.sum().backward()
    e_scaler.step(e_opt)
    t_scaler.step(t_opt)
    e_scaler.update()
    assert_same(e_param.detach(), t_param.detach())
    assert e_scaler.get_scale() == t_scaler.get_scale() == 1.0
    assert e_scaler.state_dict() == t_scaler.state_dict() == {}


def test_scaler_getters_setters_state_dict_and_pickle():
    e_scaler, t_scaler = _scalers(init_scale=16.0, growth_factor=3.0, backoff_factor=0.25,
                                  growth_interval=7)
    for s in (e_scaler, t_scaler):
        s.set_growth_factor(4.0)
        s.set_backoff_factor(0.125)
        s.set_growth_interval(5)
    for getter in ("get_scale", "get_growth_factor", "get_backoff_factor", "get_growth_interval",
                   "is_enabled", "state_dict", "_get_growth_tracker"):
        assert getattr(e_scaler, getter)() == getattr(t_scaler, getter)(), getter
    e_param, e_opt, t_param, t_opt = _model_pair()
    _iteration(ember, e_scaler, e_param, e_opt, [1.0, 2.0, 3.0], False)
    _iteration(torch, t_scaler, t_param, t_opt, [1.0, 2.0, 3.0], False)
    restored = pickle.loads(pickle.dumps(e_scaler))
    assert restored.state_dict() == t_scaler.state_dict()
    other = amp.GradScaler("cpu")
    other.load_state_dict(t_scaler.state_dict())
    assert other.state_dict() == t_scaler.state_dict()
    e_scaler.scale(e_param.sum())
    with pytest.raises(AssertionError):
        e_param.sum().backward()
        e_scaler.unscale_(e_opt)
        pickle.dumps(e_scaler)


def test_scaler_with_autocast_training_loop():
    ember.manual_seed(0)
    model = ember.nn.Linear(4, 2)
    opt = ember.optim.SGD(model.parameters(), lr=0.1)
    scaler = amp.GradScaler("cpu")
    # Small, seeded data: the scaled gradients stay finite in float16, so no step is skipped.
    x, y = ember.randn(8, 4) * 0.1, ember.randn(8, 2) * 0.1
    for _ in range(3):
        opt.zero_grad()
        with amp.autocast("cpu", dtype=ember.float16):
            loss = EF.mse_loss(model(x), y)
        assert loss.dtype == ember.float32
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        assert dtype_name(model.weight.grad.dtype) == "float32"
    assert scaler.get_scale() == 65536.0 and scaler._get_growth_tracker() == 3


def test_namespace_matches_torch_amp():
    assert sorted(amp.__all__) == sorted(torch.amp.__all__)
    assert sorted(amp.autocast_mode.__all__) == sorted(torch.amp.autocast_mode.__all__)
    assert sorted(amp.grad_scaler.__all__) == sorted(torch.amp.grad_scaler.__all__)
    assert [s.name for s in amp.grad_scaler.OptState] == \
        [s.name for s in torch.amp.grad_scaler.OptState]


def test_top_level_names_are_the_amp_ones():
    import ember.amp._state as state
    assert ember.autocast is ember.amp.autocast and ember.GradScaler is ember.amp.GradScaler
    for name in ("get_autocast_dtype", "is_autocast_enabled", "set_autocast_enabled",
                 "clear_autocast_cache", "autocast_increment_nesting"):
        assert getattr(ember, name) is getattr(state, name)
        assert hasattr(torch, name)
