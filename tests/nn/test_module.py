"""nn.Module against PyTorch: registration, attribute errors, iteration, hooks, modes,
conversions, state_dict / load_state_dict and printing."""

import copy
import pickle

import numpy as np
import pytest

import ember
from ember import nn
from helpers import assert_same_error

from ._compare import copy_params, numpy_of, torch_text

torch = pytest.importorskip("torch")


def build(lib):
    """The same small model in ember or torch: nested children, buffers, a shared layer."""
    class Block(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = lib.nn.Linear(3, 3)
            self.register_buffer("steps", lib.zeros((), dtype=lib.int64))
            self.register_buffer("cache", lib.ones(2), persistent=False)

        def forward(self, x):
            return self.fc(x).relu()

    class NeuralNetwork(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.block = Block()
            self.head = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.Tanh())
            self.tied = self.block.fc  # the same module twice
            self.scale = lib.nn.Parameter(lib.ones(1))
            self.register_buffer("running", lib.zeros(4))
            self.register_parameter("unused", None)

        def forward(self, x):
            return self.head(self.block(x)) * self.scale

    return NeuralNetwork()


@pytest.fixture
def pair():
    t = build(torch)
    e = build(ember)
    copy_params(t, e)
    return e, t


def names(it):
    return [n for n, _ in it]


# -- registration and attributes ----------------------------------------------------------
def test_iteration_matches_torch(pair):
    e, t = pair
    assert names(e.named_parameters()) == names(t.named_parameters())
    assert names(e.named_parameters(remove_duplicate=False)) == \
        names(t.named_parameters(remove_duplicate=False))
    assert names(e.named_parameters(prefix="m", recurse=False)) == \
        names(t.named_parameters(prefix="m", recurse=False))
    assert names(e.named_buffers()) == names(t.named_buffers())
    assert names(e.named_modules()) == names(t.named_modules())
    assert names(e.named_modules(remove_duplicate=False)) == \
        names(t.named_modules(remove_duplicate=False))
    assert names(e.named_children()) == names(t.named_children())
    assert len(list(e.parameters())) == len(list(t.parameters())) == 5
    assert len(list(e.modules())) == len(list(t.modules()))
    assert len(list(e.children())) == len(list(t.children()))
    assert len(list(e.buffers())) == len(list(t.buffers()))


def test_attribute_routing(pair):
    e, _ = pair
    assert isinstance(e.scale, nn.Parameter) and e.unused is None
    assert "scale" in e._parameters and "scale" not in e.__dict__
    e.scale = None
    assert e._parameters["scale"] is None
    e.extra = nn.Linear(1, 1)
    assert "extra" in e._modules
    e.extra = None
    assert e._modules["extra"] is None
    e.running = ember.ones(4)
    assert float(e._buffers["running"].sum()) == 4.0
    e.plain = ember.ones(2)  # a plain tensor is a plain attribute
    assert "plain" in e.__dict__ and "plain" not in e._buffers
    e.plain = nn.Parameter(ember.ones(2))  # becomes a parameter, leaves __dict__
    assert "plain" in e._parameters and "plain" not in e.__dict__
    e.buf = nn.Buffer(ember.zeros(3), persistent=False)
    assert type(e.buf) is ember.Tensor and "buf" in e._non_persistent_buffers_set
    del e.plain, e.buf, e.extra, e.running
    for store in (e._parameters, e._buffers, e._modules):
        assert not {"plain", "buf", "extra", "running"} & set(store)
    del e.tied
    assert "tied" not in e._modules
    with pytest.raises(AttributeError):
        del e.nothing_here


def test_attribute_errors_match_torch(pair):
    e, t = pair
    cases = [
        lambda m, L: m.foo,
        lambda m, L: setattr(m.block.fc, "weight", L.ones(3, 3)),
        lambda m, L: setattr(m, "head", L.ones(2)),
        lambda m, L: setattr(m, "running", 3),
        lambda m, L: m.register_parameter(1, None),
        lambda m, L: m.register_parameter("a.b", None),
        lambda m, L: m.register_parameter("", None),
        lambda m, L: m.register_parameter("training", None),
        lambda m, L: m.register_parameter("w", L.ones(2)),
        lambda m, L: m.register_buffer(1, None),
        lambda m, L: m.register_buffer("a.b", None),
        lambda m, L: m.register_buffer("", None),
        lambda m, L: m.register_buffer("head", None),
        lambda m, L: m.register_buffer("q", 3),
        lambda m, L: m.add_module("q", 3),
        lambda m, L: m.add_module(1, L.nn.ReLU()),
        lambda m, L: m.add_module("training", L.nn.ReLU()),
        lambda m, L: m.add_module("a.b", L.nn.ReLU()),
        lambda m, L: m.add_module("", L.nn.ReLU()),
        lambda m, L: m.get_submodule("block.fc.x"),
        lambda m, L: m.get_submodule("block.fc.weight"),
        lambda m, L: m.get_submodule("zz"),
        lambda m, L: m.get_parameter("block.zz"),
        lambda m, L: m.get_parameter("running"),
        lambda m, L: m.get_buffer("block.fc.weight"),
        lambda m, L: m.get_buffer("nope"),
        lambda m, L: m.to(L.int64),
        lambda m, L: m.train("x"),
        lambda m, L: L.nn.Module()(1),
        lambda m, L: L.nn.Module(a=1),
        lambda m, L: L.nn.Module(1),
    ]
    for case in cases:
        assert_same_error(lambda c=case: c(e, ember), lambda c=case: c(t, torch))


def test_assignment_before_init_matches_torch():
    for kind in ("param", "module", "buffer"):
        def make(L, kind=kind):
            class Early(L.nn.Module):
                def __init__(self):
                    if kind == "param":
                        self.w = L.nn.Parameter(L.ones(1))
                    elif kind == "module":
                        self.w = L.nn.Linear(1, 1)
                    else:
                        self.register_buffer("w", None)
            return Early()
        assert_same_error(lambda: make(ember), lambda: make(torch))


def test_get_submodule_and_parameter(pair):
    e, _ = pair
    assert e.get_submodule("") is e
    assert e.get_submodule("head.0") is e.head[0]
    assert e.get_parameter("head.0.bias") is e.head[0].bias
    assert e.get_parameter("scale") is e.scale
    assert e.get_buffer("block.steps") is e.block.steps
    assert "scale" in dir(e) and "head" in dir(e) and "running" in dir(e)


def test_non_leaf_parameter_refused():
    m = nn.Module()
    p = nn.Parameter(ember.ones(2))
    p.grad_fn = (ember.ones(2, requires_grad=True) * 2).grad_fn  # as if computed
    with pytest.raises(ValueError, match="Cannot assign non-leaf Tensor to parameter 'w'"):
        m.register_parameter("w", p)


# -- forward and hooks -----------------------------------------------------------------
def test_forward_matches_torch(pair):
    e, t = pair
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    np.testing.assert_allclose(numpy_of(e(ember.tensor(x))), numpy_of(t(torch.tensor(x))),
                               rtol=1e-5, atol=1e-6)


def hooked_run(lib):
    """Register every kind of forward hook on a Linear, call it, remove them, call again."""
    m = lib.nn.Linear(2, 2)
    log = []
    handles = [
        m.register_forward_pre_hook(lambda mod, args: log.append("pre1")),
        m.register_forward_pre_hook(lambda mod, args: (args[0] * 0,)),
        m.register_forward_hook(lambda mod, args, out: log.append(("post", out.shape))),
        m.register_forward_hook(lambda mod, args, out: out + 1),
        m.register_forward_pre_hook(lambda mod, args: log.append("first"), prepend=True),
        m.register_forward_hook(lambda mod, a, kw, out: log.append(("kw", sorted(kw))),
                                with_kwargs=True),
    ]
    with lib.no_grad():
        out = m(lib.ones(1, 2))
        log.append(np.allclose(numpy_of(out), numpy_of(m.bias + 1)))  # input zeroed, +1 after
        for h in handles:
            h.remove()
        out = m(lib.ones(1, 2))
        log.append(np.allclose(numpy_of(out), numpy_of(m.weight.sum(1) + m.bias)))
    assert not m._forward_hooks and not m._forward_pre_hooks
    return [str(x).replace("torch.", "ember.") for x in log]


def test_forward_hooks_order_and_removal():
    assert hooked_run(ember) == hooked_run(torch)
    assert hooked_run(ember)[-2:] == ["True", "True"]


def test_hook_kwargs_and_context_manager():
    m = nn.Identity()

    def pre(mod, args, kwargs):
        return (args[0] + 1,), kwargs

    with m.register_forward_pre_hook(pre, with_kwargs=True):
        assert float(m(ember.zeros(1))) == 1.0
    assert float(m(ember.zeros(1))) == 0.0
    assert not m._forward_pre_hooks_with_kwargs


def test_always_call_hook_runs_when_forward_raises():
    class Boom(nn.Module):
        def forward(self, x):
            raise ValueError("boom")
    seen = []
    m = Boom()
    m.register_forward_hook(lambda mod, args, out: seen.append(out), always_call=True)
    m.register_forward_hook(lambda mod, args, out: seen.append("never"))
    with pytest.raises(ValueError, match="boom"):
        m(1)
    assert seen == [None]


def test_global_hooks():
    seen = []
    handle = nn.modules.module.register_module_forward_hook(
        lambda mod, args, out: seen.append(type(mod).__name__))
    try:
        nn.Sequential(nn.ReLU())(ember.ones(1))
    finally:
        handle.remove()
    nn.ReLU()(ember.ones(1))
    assert seen == ["ReLU", "Sequential"]


# -- modes and gradients ---------------------------------------------------------------
def test_train_eval_requires_grad_zero_grad(pair):
    e, _ = pair
    assert e.training and e.block.training
    assert e.eval() is e and not e.block.training and not e.head[1].training
    e.train()
    assert e.head[0].training
    e.requires_grad_(False)
    assert not any(p.requires_grad for p in e.parameters())
    e.requires_grad_()
    e(ember.ones(2, 3)).sum().backward()
    assert all(p.grad is not None for p in e.parameters())
    e.zero_grad(set_to_none=False)
    assert all(float(p.grad.abs().sum()) == 0.0 for p in e.parameters())
    e.zero_grad()
    assert all(p.grad is None for p in e.parameters())


def test_apply_visits_children_first():
    order = []
    m = nn.Sequential(nn.Linear(1, 1), nn.Sequential(nn.ReLU()))
    assert m.apply(lambda mod: order.append(type(mod).__name__)) is m
    assert order == ["Linear", "ReLU", "Sequential", "Sequential"]


# -- conversions -------------------------------------------------------------------------
def test_to_dtype_keeps_parameter_identity(pair):
    e, t = pair
    params = list(e.parameters())
    e(ember.ones(1, 3)).sum().backward()
    assert e.to(ember.float64) is e
    assert [p is q for p, q in zip(params, e.parameters())] == [True] * len(params)
    assert all(p.dtype == ember.float64 and p.grad.dtype == ember.float64 for p in params)
    assert e.block.steps.dtype == ember.int64  # integer buffers keep their dtype
    t.to(torch.float64)
    assert [str(b.dtype) for b in e.buffers()] == \
        [str(b.dtype).replace("torch", "ember") for b in t.buffers()]
    e.float()
    assert e.scale.dtype == ember.float32 and e.block.steps.dtype == ember.int64
    assert e.half().scale.dtype == ember.float16
    assert e.double().scale.dtype == ember.float64
    assert e.type(ember.float32).block.steps.dtype == ember.float32  # type() casts all
    assert e.to("cpu", dtype=ember.float32).scale.dtype == ember.float32
    assert e.to(ember.zeros(1, dtype=ember.float64)).scale.dtype == ember.float64
    assert e.cpu() is e and e.scale.requires_grad and e.scale.is_leaf


def test_tutorial_device_lines():
    device = "cuda" if ember.cuda.is_available() else "cpu"
    model = nn.Linear(2, 2).to(device)
    assert model.weight.device.type == device
    device = (ember.accelerator.current_accelerator().type
              if ember.accelerator.is_available() else "cpu")
    assert nn.Linear(2, 2).to(device).weight.device.type == device
    assert nn.Linear(2, 2).to(ember.device("cpu")).weight.device == ember.device("cpu")


# -- state_dict ------------------------------------------------------------------------
def test_state_dict_matches_torch(pair):
    e, t = pair
    es, ts = e.state_dict(), t.state_dict()
    assert type(es).__name__ == "OrderedDict"
    assert list(es) == list(ts)  # order, dotted names, shared modules listed twice
    assert "block.cache" not in es  # not persistent
    for k in ts:
        assert type(es[k]) is ember.Tensor and not es[k].requires_grad
        np.testing.assert_array_equal(es[k].numpy(), ts[k].numpy())
    assert list(e.state_dict(prefix="model.")) == list(t.state_dict(prefix="model."))
    assert dict(es._metadata) == dict(ts._metadata)
    kept = e.state_dict(keep_vars=True)
    assert kept["scale"] is e.scale
    es["scale"].add_(1)  # detached values share memory with the parameters
    assert float(e.scale) == float(t.scale) + 1


def test_load_state_dict_round_trip_and_numpy(pair):
    e, t = pair
    other = build(ember)
    result = other.load_state_dict(e.state_dict())
    assert repr(result) == "<All keys matched successfully>"
    assert result.missing_keys == [] and result.unexpected_keys == []
    # NumPy arrays (what a safetensors file gives) load as well, cast to the model's dtype.
    arrays = {k: v.detach().numpy().astype(np.float64) if v.is_floating_point()
              else v.numpy() for k, v in t.state_dict().items()}
    arrays["scale"] = np.array([3.0])
    other.load_state_dict(arrays)
    assert other.scale.dtype == ember.float32 and float(other.scale) == 3.0
    x = ember.ones(2, 3)
    np.testing.assert_allclose(numpy_of(other(x)) / 3, numpy_of(e(x)), rtol=1e-5)


def test_load_state_dict_errors_match_torch_and_change_nothing(pair):
    e, t = pair
    good = t.state_dict()
    bad_cases = []
    sd = dict(good)
    sd["extra.x"] = torch.ones(1)
    sd["head.0.zz"] = torch.ones(1)
    sd["bogus"] = torch.ones(2)
    del sd["head.0.bias"]
    bad_cases.append(sd)
    sd = dict(good)
    sd["block.fc.weight"] = torch.ones(2, 2)  # a size mismatch after a valid key
    sd["scale"] = torch.full((1,), 7.0)
    bad_cases.append(sd)
    sd = dict(good)
    sd["head.0.weight"] = 3
    bad_cases.append(sd)
    sd = dict(good)
    sd["block.cache"] = torch.ones(2)  # non-persistent buffers are not expected
    bad_cases.append(sd)
    before = {k: v.clone() for k, v in e.state_dict().items()}
    for sd in bad_cases:
        esd = {k: ember.tensor(v.numpy()) if isinstance(v, torch.Tensor) else v
               for k, v in sd.items()}
        for strict in (True, False):
            try:
                t_res = t.load_state_dict(copy.deepcopy(sd), strict=strict)
            except RuntimeError:
                assert_same_error(
                    lambda esd=esd, strict=strict: e.load_state_dict(esd, strict=strict),
                    lambda sd=sd, strict=strict: t.load_state_dict(copy.deepcopy(sd),
                                                                   strict=strict))
                for k, v in e.state_dict().items():
                    np.testing.assert_array_equal(v.numpy(), before[k].numpy())
            else:
                e_res = e.load_state_dict(esd, strict=strict)
                assert repr(e_res) == repr(t_res)
                copy_params(t, e)
    assert_same_error(lambda: e.load_state_dict([1]), lambda: t.load_state_dict([1]))


def test_load_state_dict_assign():
    m = nn.Linear(2, 2)
    w = ember.ones(2, 2)
    m.load_state_dict({"weight": w, "bias": np.zeros(2, dtype=np.float32)}, assign=True)
    assert isinstance(m.weight, nn.Parameter) and m.weight.requires_grad
    m.weight.data.fill_(5)
    assert float(w.sum()) == 20.0  # assign keeps the given tensor's memory


def test_extra_state_round_trip():
    class Counter(nn.Module):
        def __init__(self):
            super().__init__()
            self.count = 0

        def get_extra_state(self):
            return {"count": self.count}

        def set_extra_state(self, state):
            self.count = state["count"]

    a, b = Counter(), Counter()
    a.count = 5
    sd = a.state_dict()
    assert list(sd) == ["_extra_state"]
    b.load_state_dict(sd)
    assert b.count == 5
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "_extra_state"'):
        b.load_state_dict({})


def test_scalar_parameter_from_one_element_vector():
    m = nn.Module()
    m.s = nn.Parameter(ember.tensor(1.0))
    m.load_state_dict({"s": ember.tensor([4.0])})
    assert float(m.s) == 4.0 and m.s.shape == ()


# -- copies and printing -----------------------------------------------------------------
def test_deepcopy_and_pickle_keep_sharing(pair):
    e, _ = pair
    clone = copy.deepcopy(e)
    assert clone.tied is clone.block.fc and clone.tied is not e.block.fc
    assert isinstance(clone.scale, nn.Parameter) and clone.scale.requires_grad
    np.testing.assert_array_equal(clone.block.fc.weight.detach().numpy(),
                                  e.block.fc.weight.detach().numpy())
    lin = nn.Linear(2, 2)
    seq = pickle.loads(pickle.dumps(nn.Sequential(lin, nn.ReLU(), lin)))
    assert seq[0] is seq[2] and isinstance(seq[0].weight, nn.Parameter)
    np.testing.assert_array_equal(seq[0].weight.detach().numpy(), lin.weight.detach().numpy())
    assert seq[0].weight.requires_grad and len(list(seq.parameters())) == 2


def test_repr_matches_torch(pair):
    e, t = pair
    assert repr(e) == torch_text(repr(t))

    class Multi(nn.Module):
        def extra_repr(self):
            return "first line\nsecond line"

    class TMulti(torch.nn.Module):
        def extra_repr(self):
            return "first line\nsecond line"

    em, tm = Multi(), TMulti()
    em.child, tm.child = Multi(), TMulti()
    assert repr(Multi()) == repr(TMulti()).replace("TMulti", "Multi")
    assert repr(em) == repr(tm).replace("TMulti", "Multi")
    tm.add_module("none", None)
    em.add_module("none", None)
    assert repr(em) == repr(tm).replace("TMulti", "Multi")


def test_parameter_behaviour_matches_torch():
    for args in [(), ((2,),), ((2,), False)]:
        def make(L, args=args):
            if not args:
                return L.nn.Parameter()
            return L.nn.Parameter(L.ones(*args[0]), *args[1:])
        assert repr(make(ember)) == torch_text(repr(make(torch)))
    p = nn.Parameter(ember.ones(2, dtype=ember.float64))
    assert repr(p) == torch_text(repr(torch.nn.Parameter(torch.ones(2, dtype=torch.float64))))
    for derived in (p * 2, p.detach(), p.data, p[0]):
        assert type(derived) is ember.Tensor
    assert isinstance(copy.deepcopy(p), nn.Parameter)
    assert_same_error(lambda: nn.Parameter(ember.ones(2, dtype=ember.int64)),
                      lambda: torch.nn.Parameter(torch.ones(2, dtype=torch.int64)))
    assert not nn.Parameter(ember.ones(2, dtype=ember.int64), requires_grad=False).requires_grad
    base = ember.zeros(2)
    shared = nn.Parameter(base)
    with ember.no_grad():
        shared.add_(1)
    assert float(base.sum()) == 2.0  # a Parameter shares its data's memory
