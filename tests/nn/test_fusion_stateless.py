"""Conv/linear + batch-norm fusion, functional_call and skip_init against PyTorch."""

import warnings

import numpy as np
import pytest

import ember
from ember import nn
from ember.nn.utils import stateless
from helpers import assert_same_error, rng

torch = pytest.importorskip("torch")
R = rng(3)


def copy_state(e, t):
    e.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})


def close(e, t, atol=1e-6):
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), atol=atol, rtol=1e-5)


def bn_pair(cls, n, dtype, **kwargs):
    t = getattr(torch.nn, cls)(n, **kwargs).to(getattr(torch, dtype))
    e = getattr(nn, cls)(n, **kwargs).to(getattr(ember, dtype))
    with torch.no_grad():
        t.running_mean.copy_(torch.tensor(R.standard_normal(n)))
        t.running_var.copy_(torch.tensor(R.random(n) + 0.5))
        if t.weight is not None:
            t.weight.copy_(torch.tensor(R.standard_normal(n)))
            t.bias.copy_(torch.tensor(R.standard_normal(n)))
    copy_state(e, t)
    return e.eval(), t.eval()


# -- fusion ----------------------------------------------------------------------------------
@pytest.mark.parametrize("conv,bn,x_shape,transpose", [
    ("Conv2d", "BatchNorm2d", (2, 2, 5, 5), False),
    ("Conv1d", "BatchNorm1d", (2, 2, 6), False),
    ("ConvTranspose2d", "BatchNorm2d", (2, 2, 4, 4), True)])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fuse_conv_bn_eval(conv, bn, x_shape, transpose, bias, affine, dtype):
    tc = getattr(torch.nn, conv)(2, 3, 2, bias=bias).to(getattr(torch, dtype)).eval()
    ec = getattr(nn, conv)(2, 3, 2, bias=bias).to(getattr(ember, dtype)).eval()
    copy_state(ec, tc)
    eb, tb = bn_pair(bn, 3, dtype, affine=affine)
    fe = nn.utils.fuse_conv_bn_eval(ec, eb, transpose=transpose)
    ft = torch.nn.utils.fuse_conv_bn_eval(tc, tb, transpose=transpose)
    assert fe is not ec and ec.bias is not fe.bias
    assert repr(fe) == repr(ft)
    assert list(fe.state_dict()) == list(ft.state_dict())
    for name in ("weight", "bias"):
        pe, pt = getattr(fe, name), getattr(ft, name)
        assert isinstance(pe, nn.Parameter) and pe.requires_grad == pt.requires_grad
        assert str(pe.dtype)[6:] == str(pt.dtype)[6:]
        close(pe, pt)
    x = R.standard_normal(x_shape).astype(dtype)
    close(fe(ember.tensor(x)), ft(torch.tensor(x)), 1e-5)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("features", [4, 1])
def test_fuse_linear_bn_eval(bias, features):
    tl, el = torch.nn.Linear(3, 4, bias=bias).eval(), nn.Linear(3, 4, bias=bias).eval()
    copy_state(el, tl)
    eb, tb = bn_pair("BatchNorm1d", features, "float32")
    fe, ft = nn.utils.fuse_linear_bn_eval(el, eb), torch.nn.utils.fuse_linear_bn_eval(tl, tb)
    assert repr(fe) == repr(ft)
    close(fe.weight, ft.weight)
    close(fe.bias, ft.bias)
    assert fe.bias.requires_grad == ft.bias.requires_grad
    x = R.standard_normal((5, 3)).astype("float32")
    close(fe(ember.tensor(x)), ft(torch.tensor(x)), 1e-5)


def test_fuse_weights_functions_with_missing_pieces():
    w, rm, rv = R.standard_normal((3, 2, 2, 2)), R.standard_normal(3), R.random(3) + 0.5
    tw, trm, trv = (torch.tensor(a) for a in (w, rm, rv))
    fe = nn.utils.fuse_conv_bn_weights(ember.tensor(w), None, ember.tensor(rm),
                                       ember.tensor(rv), 1e-3, None, None)
    ft = torch.nn.utils.fuse_conv_bn_weights(tw, None, trm, trv, 1e-3, None, None)
    for a, b in zip(fe, ft):
        close(a, b, 1e-12)
        assert a.requires_grad == b.requires_grad
    lw, lb, bw, bb = (R.standard_normal(s) for s in ((3, 5), 3, 3, 3))
    fe = nn.utils.fuse_linear_bn_weights(*(ember.tensor(a) for a in (lw, lb, rm, rv)), 1e-5,
                                         ember.tensor(bw), ember.tensor(bb))
    ft = torch.nn.utils.fuse_linear_bn_weights(*(torch.tensor(a) for a in (lw, lb, rm, rv)),
                                               1e-5, torch.tensor(bw), torch.tensor(bb))
    for a, b in zip(fe, ft):
        close(a, b, 1e-12)


def test_fusion_errors():
    ec, tc = nn.Conv2d(2, 3, 1), torch.nn.Conv2d(2, 3, 1)
    eb, tb = nn.BatchNorm2d(3), torch.nn.BatchNorm2d(3)
    assert_same_error(lambda: nn.utils.fuse_conv_bn_eval(ec, eb),
                      lambda: torch.nn.utils.fuse_conv_bn_eval(tc, tb))
    el, tl = nn.Linear(3, 4).eval(), torch.nn.Linear(3, 4).eval()
    eb, tb = nn.BatchNorm1d(5).eval(), torch.nn.BatchNorm1d(5).eval()
    assert_same_error(lambda: nn.utils.fuse_linear_bn_eval(el, eb),
                      lambda: torch.nn.utils.fuse_linear_bn_eval(tl, tb))
    eb = nn.BatchNorm1d(4, track_running_stats=False).eval()
    tb = torch.nn.BatchNorm1d(4, track_running_stats=False).eval()
    assert_same_error(lambda: nn.utils.fuse_linear_bn_eval(el, eb),
                      lambda: torch.nn.utils.fuse_linear_bn_eval(tl, tb))


# -- stateless.functional_call ---------------------------------------------------------------
def torch_call(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return torch.nn.utils.stateless.functional_call(*args, **kwargs)


def seq_pair():
    t = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.BatchNorm1d(3)).double()
    e = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3)).double()
    copy_state(e, t)
    return e, t


def test_functional_call_output_gradients_and_restore():
    e, t = seq_pair()
    originals = dict(e.named_parameters())
    w, b = R.standard_normal((3, 2)), R.standard_normal(3)
    we, be = ember.tensor(w, requires_grad=True), ember.tensor(b, requires_grad=True)
    wt, bt = torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True)
    x = R.standard_normal((4, 2))
    ye = stateless.functional_call(e, {"0.weight": we, "0.bias": be}, (ember.tensor(x),))
    yt = torch_call(t, {"0.weight": wt, "0.bias": bt}, (torch.tensor(x),))
    close(ye, yt, 1e-10)
    g = R.standard_normal((4, 3))
    (ye * ember.tensor(g)).sum().backward()
    (yt * torch.tensor(g)).sum().backward()
    close(we.grad, wt.grad, 1e-10)
    close(be.grad, bt.grad, 1e-10)
    assert dict(e.named_parameters()) == originals
    assert e[0].weight.grad is None
    close(e[1].running_mean, t[1].running_mean, 1e-10)  # training-mode buffers still update


def test_functional_call_single_arg_kwargs_and_buffers():
    e, t = nn.Linear(2, 2), torch.nn.Linear(2, 2)
    ye = stateless.functional_call(e, {"weight": ember.eye(2), "bias": ember.zeros(2)},
                                   kwargs={"input": ember.ones(1, 2)})
    yt = torch_call(t, {"weight": torch.eye(2), "bias": torch.zeros(2)},
                    kwargs={"input": torch.ones(1, 2)})
    close(ye, yt)
    ye = stateless.functional_call(e, {"bias": ember.ones(2)}, ember.zeros(1, 2))
    close(ye, ember.ones(1, 2))
    eb, tb = nn.BatchNorm1d(3), torch.nn.BatchNorm1d(3)
    rm_e, rm_t = ember.zeros(3), torch.zeros(3)
    x = R.standard_normal((4, 3)).astype("float32")
    stateless.functional_call(eb, {"running_mean": rm_e}, ember.tensor(x))
    torch_call(tb, {"running_mean": rm_t}, torch.tensor(x))
    close(rm_e, rm_t)
    assert float(eb.running_mean.abs().sum()) == 0.0


def test_functional_call_restores_after_an_error():
    class Failing(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(2, 2)

        def forward(self, x):
            raise ValueError("boom")
    m = Failing()
    weight = m.lin.weight
    with pytest.raises(ValueError, match="boom"):
        stateless.functional_call(m, {"lin.weight": ember.zeros(2, 2), "extra": ember.ones(1)},
                                  ember.ones(1, 2))
    assert m.lin.weight is weight and not hasattr(m, "extra")


def make_tied(lib):
    class Tied(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = lib.nn.Linear(2, 2), lib.nn.Linear(2, 2)
            self.b.weight = self.a.weight

        def forward(self, x):
            return self.b(self.a(x))
    return Tied()


def tied_pair():
    e, t = make_tied(ember), make_tied(torch)
    copy_state(e, t)
    return e, t


@pytest.mark.parametrize("tie_weights", [True, False])
def test_functional_call_tied_weights(tie_weights):
    e, t = tied_pair()
    x = R.standard_normal((1, 2)).astype("float32")
    ye = stateless.functional_call(e, {"a.weight": ember.eye(2) * 2}, ember.tensor(x),
                                   tie_weights=tie_weights)
    yt = torch_call(t, {"a.weight": torch.eye(2) * 2}, torch.tensor(x),
                    tie_weights=tie_weights)
    close(ye, yt)
    assert_same_error(
        lambda: stateless.functional_call(e, {"a.weight": ember.eye(2),
                                              "b.weight": ember.zeros(2, 2)}, ember.tensor(x)),
        lambda: torch_call(t, {"a.weight": torch.eye(2), "b.weight": torch.zeros(2, 2)},
                           torch.tensor(x)))


def test_functional_call_errors():
    e, t = seq_pair()
    x_e, x_t = ember.zeros(4, 2).double(), torch.zeros(4, 2).double()
    cases = [({"foo.bar": "z3"}, {}),
             ({"0.weight": "w"}, {"strict": True}),
             ({"0.weight": "w", "zz": "z3"}, {"strict": True})]
    values = {"w": R.standard_normal((3, 2)), "z3": np.zeros(3)}
    for given, kwargs in cases:
        de = {k: ember.tensor(values[v]) for k, v in given.items()}
        dt = {k: torch.tensor(values[v]) for k, v in given.items()}
        assert_same_error(lambda de=de, kw=kwargs: stateless.functional_call(e, de, x_e, **kw),
                          lambda dt=dt, kw=kwargs: torch_call(t, dt, x_t, **kw))
    assert_same_error(lambda: stateless.functional_call(e, {"0.weight": 3}, x_e),
                      lambda: torch_call(t, {"0.weight": 3}, x_t))


# -- skip_init -------------------------------------------------------------------------------
def test_skip_init():
    m = nn.utils.skip_init(nn.Linear, 6, out_features=2, bias=False)
    ref = torch.nn.utils.skip_init(torch.nn.Linear, 6, out_features=2, bias=False)
    assert type(m) is nn.Linear and repr(m) == repr(ref)
    assert list(m.state_dict()) == list(ref.state_dict())
    assert m.weight.shape == tuple(ref.weight.shape) and m.weight.requires_grad
    conv = nn.utils.skip_init(nn.Conv2d, 2, 3, 3, dtype=ember.float64)
    assert conv.weight.dtype == ember.float64 and type(conv) is nn.Conv2d
    assert_same_error(lambda: nn.utils.skip_init(nn.ReLU),
                      lambda: torch.nn.utils.skip_init(torch.nn.ReLU))
    assert_same_error(lambda: nn.utils.skip_init(int), lambda: torch.nn.utils.skip_init(int))
