"""Module backward hooks against PyTorch: register_full_backward_hook, its pre-hook, the global
forms and the deprecated register_backward_hook. Each scenario runs the same code on both
libraries; the hook calls (order, grad_input, grad_output), the resulting gradients, and the
warnings and errors must match."""

import collections
import copy
import gc
import pickle
import warnings

import numpy as np
import pytest

import ember
from ember import nn
from helpers import assert_same

torch = pytest.importorskip("torch")

_rng = np.random.default_rng(0)
X = _rng.standard_normal((4, 3)).astype(np.float32)
Z = _rng.standard_normal((4, 3)).astype(np.float32)


def data(lib, a=X, requires_grad=False):
    t = lib.tensor(a.copy())
    return t.requires_grad_() if requires_grad else t


def fixed_linear(lib):
    m = lib.nn.Linear(3, 2)
    with lib.no_grad():
        m.weight.copy_(lib.tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]]))
        m.bias.fill_(0.5)
    return m


def snap(value):
    """What a hook saw, copied (a later backward may accumulate into the same tensors)."""
    if isinstance(value, (tuple, list)):
        items = [snap(v) for v in value]
        return items if isinstance(value, list) else tuple(items)
    if isinstance(value, (torch.Tensor, ember.Tensor)):
        return value.detach().clone()
    return value


def recorder(log, tag=""):
    def full(module, grad_input, grad_output):
        log.append((tag + "full", type(module).__name__, type(grad_input).__name__,
                    snap(grad_input), type(grad_output).__name__, snap(grad_output)))

    def pre(module, grad_output):
        log.append((tag + "pre", type(module).__name__, type(grad_output).__name__,
                    snap(grad_output)))
    return full, pre


def node_name(t):
    return None if t.grad_fn is None else t.grad_fn.name()


def module_with(lib, forward):
    """A module named Net whose forward is ``forward(*args, **kwargs)``."""
    return type("Net", (lib.nn.Module,), {"forward": lambda self, *a, **k: forward(*a, **k)})()


def outcome(lib, scenario):
    """(result or raised error, warnings) of ``scenario(lib)``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = scenario(lib)
        except Exception as exc:  # noqa: BLE001 - the error itself is compared
            result = ("raised", type(exc).__name__, str(exc).replace("torch.", "ember."))
    return result, [(w.category.__name__, str(w.message)) for w in caught
                    if "backward hook" in str(w.message)]


def check(scenario):
    ember_result, ember_warnings = outcome(ember, scenario)
    torch_result, torch_warnings = outcome(torch, scenario)
    assert ember_warnings == torch_warnings
    assert_same(ember_result, torch_result)
    return ember_result


SCENARIOS = {}


def scenario(fn):
    SCENARIOS[fn.__name__] = fn
    return fn


# -- full hooks: what they see, when they run ---------------------------------------------
@scenario
def linear_grads(lib):
    m, log = fixed_linear(lib), []
    full, pre = recorder(log)
    m.register_full_backward_hook(full)
    m.register_full_backward_pre_hook(pre)
    x = data(lib, requires_grad=True)
    y = m(x)
    (y * y).sum().backward()
    return log, x.grad, m.weight.grad, node_name(y), y.grad_fn.next_functions[0][0].name()


@scenario
def no_input_requires_grad(lib):
    m, log = fixed_linear(lib), []
    full, pre = recorder(log)
    m.register_full_backward_hook(full)
    m.register_full_backward_pre_hook(pre)
    (m(data(lib)) ** 2).sum().backward()
    only_pre = lib.nn.Tanh()  # warns as well
    only_pre.register_full_backward_pre_hook(lambda mod, go: log.append(len(go)))
    (only_pre(data(lib)) * m.bias[0]).sum().backward()
    returns_nones = lib.nn.Linear(3, 2)
    returns_nones.register_full_backward_hook(lambda mod, gi, go: (None,))
    returns_nones(data(lib)).sum().backward()
    return log, m.weight.grad, returns_nones.weight.grad.shape


@scenario
def order_prepend_remove_and_tensor_hooks(lib):
    m, log = lib.nn.ReLU(), []
    m.register_full_backward_hook(lambda *a: log.append("full1"))
    m.register_full_backward_hook(lambda *a: log.append("full0"), prepend=True)
    handle = m.register_full_backward_hook(lambda *a: log.append("full2"))
    m.register_full_backward_pre_hook(lambda *a: log.append("pre1"))
    m.register_full_backward_pre_hook(lambda *a: log.append("pre0"), prepend=True)
    m.register_forward_hook(lambda *a: log.append("forward"))
    xi = data(lib, requires_grad=True) * 1
    xi.register_hook(lambda g: log.append("input tensor hook"))
    y = m(xi)
    y.register_hook(lambda g: log.append("output tensor hook"))
    y.sum().backward()
    handle.remove()
    log.append("|")
    m(xi).sum().backward()
    return log


@scenario
def sequential_order_with_forward_hooks(lib):
    log = []
    net = lib.nn.Sequential(lib.nn.Linear(3, 3), lib.nn.ReLU(), lib.nn.Linear(3, 2))
    for name, mod in net.named_modules():
        mod.register_full_backward_pre_hook(lambda m, go, name=name: log.append("pre" + name))
        mod.register_full_backward_hook(lambda m, gi, go, name=name: log.append("full" + name))
        mod.register_forward_hook(lambda *a, name=name: log.append("fwd" + name))
        mod.register_forward_pre_hook(lambda *a, name=name: log.append("fpre" + name))
    net(data(lib, requires_grad=True)).sum().backward()
    return log


@scenario
def global_hooks_run_first(lib):
    registry, log = lib.nn.modules.module, []
    handles = [
        registry.register_module_full_backward_hook(
            lambda m, gi, go: log.append("global full " + type(m).__name__)),
        registry.register_module_full_backward_pre_hook(
            lambda m, go: log.append("global pre " + type(m).__name__)),
    ]
    try:
        net = lib.nn.Sequential(lib.nn.Linear(3, 2), lib.nn.Tanh())
        net[1].register_full_backward_hook(lambda *a: log.append("tanh full"))
        net[1].register_full_backward_pre_hook(lambda *a: log.append("tanh pre"), prepend=True)
        x = data(lib, requires_grad=True)
        net(x).sum().backward()
    finally:
        for h in handles:
            h.remove()
    log.append("|")
    net(x).sum().backward()
    return log


@scenario
def forward_hooks_change_args_and_output(lib):
    m, log, seen = lib.nn.Tanh(), [], []
    m.register_full_backward_hook(recorder(log)[0])
    m.register_forward_hook(lambda mod, args, out: out * 2)
    m.register_forward_pre_hook(lambda mod, args: (args[0] * 3,))
    m.register_forward_hook(lambda mod, args, out: seen.append((node_name(args[0]),
                                                                node_name(out))))
    x = data(lib, requires_grad=True)
    y = m(x)
    y.sum().backward()
    return log, x.grad, seen, node_name(y)


# -- replacing gradients ------------------------------------------------------------------
@scenario
def replace_grad_input(lib):
    m, x = lib.nn.Tanh(), data(lib, requires_grad=True)
    m.register_full_backward_hook(lambda mod, gi, go: (gi[0] * 10,))
    m.register_full_backward_hook(lambda mod, gi, go: [gi[0] + 1])  # sees the first result
    m(x * 2).sum().backward()
    dropped, x2 = fixed_linear(lib), data(lib, requires_grad=True)
    dropped.register_full_backward_hook(lambda mod, gi, go: (None,))
    dropped(x2).sum().backward()
    return x.grad, x2.grad, dropped.weight.grad


@scenario
def replace_grad_output(lib):
    m, x, log = lib.nn.Tanh(), data(lib, requires_grad=True), []
    m.register_full_backward_pre_hook(lambda mod, go: (go[0] * 3,))
    m.register_full_backward_pre_hook(lambda mod, go: [go[0] + 1])
    m.register_full_backward_hook(recorder(log)[0])
    m(x * 2).sum().backward()
    two_out, x2 = module_with(lib, lambda x: (x * 2, x * 3)), data(lib, requires_grad=True)
    two_out.register_full_backward_pre_hook(lambda mod, go: (go[0], lib.ones(4, 3)))
    two_out.register_full_backward_hook(recorder(log)[0])
    two_out(x2)[0].sum().backward()  # the pre-hook fills in the unused output's gradient
    return x.grad, x2.grad, log


BAD_RETURNS = {
    "too_many": lambda lib, g: (g[0], None),
    "empty": lambda lib, g: (),
    "tensor_not_tuple": lambda lib, g: g[0],
    "wrong_size": lambda lib, g: (lib.ones(5),),
    "wrong_dtype": lambda lib, g: (g[0].double(),),
    "not_a_tensor": lambda lib, g: (3.0,),
}


@pytest.mark.parametrize("kind", ["full", "pre", "no_input_grad"])
@pytest.mark.parametrize("bad", sorted(BAD_RETURNS))
def test_bad_hook_results(kind, bad):
    def run(lib):
        m, x = lib.nn.Linear(3, 2), data(lib, requires_grad=kind != "no_input_grad")
        make = BAD_RETURNS[bad]
        if kind == "pre":
            m.register_full_backward_pre_hook(lambda mod, go: make(lib, go))
        else:  # without input grads, gi is (None,): the bad values are built from a stand-in
            m.register_full_backward_hook(
                lambda mod, gi, go: make(lib, gi if gi[0] is not None else (lib.ones(4, 3),)))
        m(x).sum().backward()
        return x.grad
    result = check(run)
    assert (kind, bad) == ("no_input_grad", "empty") or result[0] == "raised"


# -- inputs and outputs of every kind -----------------------------------------------------
Pair = collections.namedtuple("Pair", "a b")
OUTPUTS = {
    "dict": (lambda x: {"a": x * 2}, lambda o: o["a"].sum()),
    "list": (lambda x: [x * 2, x], lambda o: o[0].sum()),
    "tuple_mixed": (lambda x: (x * 2, 5, x.detach(), x * 3), lambda o: o[0].sum()),
    "tuple_both_used": (lambda x: (x * 2, x * 3), lambda o: (o[0] * o[1]).sum()),
    "input_itself": (lambda x: x, lambda o: (o * 3).sum()),
    "tuple_with_input": (lambda x: (x, x * 2), lambda o: (o[0] * 3 + o[1]).sum()),
    "namedtuple": (lambda x: Pair(x * 2, x * 3), lambda o: (o.a + o.b).sum()),
    "none": (lambda x: None, None),
}


@pytest.mark.parametrize("output", sorted(OUTPUTS))
def test_outputs(output):
    make_output, loss = OUTPUTS[output]

    def run(lib):
        m, log = module_with(lib, make_output), []
        full, pre = recorder(log)
        m.register_full_backward_hook(full)
        m.register_full_backward_pre_hook(pre)
        x = data(lib, requires_grad=True)
        out = m(x)
        if loss is not None:
            loss(out).backward()
        return log, x.grad, type(out).__name__
    check(run)


@scenario
def inputs_of_every_kind(lib):
    log = []
    x, z = data(lib, requires_grad=True), data(lib, Z, requires_grad=True)
    calls = [(lambda a, k, b, c: a * k + b * c, (x, 3, data(lib, Z), x), {}),
             (lambda a, b: a * 2, (x, z), {}),  # an unused input gets zeros
             (lambda a=None, b=None: a * b, (x,), {"b": z}),  # keywords are not hooked
             (lambda a=None, b=None: a * b, (), {"a": x, "b": z})]
    for forward, args, kwargs in calls:
        m = module_with(lib, forward)
        m.register_full_backward_hook(recorder(log)[0])
        m(*args, **kwargs).sum().backward()
        log.append(snap((x.grad, z.grad)))
    return log


@scenario
def inplace_on_input_is_refused(lib):
    m = lib.nn.ReLU(inplace=True)
    m.register_full_backward_hook(lambda *a: None)
    return m(data(lib, requires_grad=True) * 1)


@scenario
def inplace_without_grad_is_fine(lib):
    m = lib.nn.ReLU(inplace=True)
    m.register_full_backward_hook(lambda *a: None)
    out = m(data(lib) * 1)
    m = module_with(lib, lambda x, z: x * z.add_(1))
    m.register_full_backward_hook(lambda *a: None)
    x, z = data(lib, requires_grad=True), data(lib, Z)
    m(x, z).sum().backward()
    return out, x.grad, z


# -- calls, graphs and modes --------------------------------------------------------------
@scenario
def called_twice_no_grad_and_retain_graph(lib):
    m, log = lib.nn.Tanh(), []
    m.register_full_backward_hook(recorder(log)[0])
    x = data(lib, requires_grad=True)
    loss = (m(x) + m(x * 2)).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    with lib.no_grad():
        y = m(x)
    return log, x.grad, y.requires_grad, node_name(y)


@scenario
def autograd_grad_and_double_backward(lib):
    m, log = lib.nn.Linear(3, 2), []
    m.register_full_backward_hook(lambda *a: log.append("full"))
    m.register_full_backward_pre_hook(lambda *a: log.append("pre"))
    x = data(lib, requires_grad=True)
    y = m(x)
    lib.autograd.grad(y.sum(), x, retain_graph=True)
    log.append("|")
    lib.autograd.grad(y.sum(), m.weight)  # the input node never runs: no full hook
    log.append("|")
    t = lib.nn.Tanh()
    t.register_full_backward_hook(lambda *a: log.append("tanh full"))
    (g,) = lib.autograd.grad(t(x).sum(), x, create_graph=True)
    log.append("|")
    g.sum().backward()
    return log, x.grad


@scenario
def copies_repr_and_state_dict(lib):
    m, log = lib.nn.Linear(3, 2), []
    text, keys = repr(m), list(m.state_dict())
    handle = m.register_full_backward_hook(lambda *a: log.append(1))
    m.register_full_backward_pre_hook(lambda *a: None)
    backward_attrs = sorted(k for k in vars(m) if "backward" in k)
    twin = copy.deepcopy(m)
    handle.remove()  # removes the original's hook only
    twin(data(lib, requires_grad=True)).sum().backward()
    return repr(m) == text, list(m.state_dict()) == keys, backward_attrs, log


@scenario
def full_and_non_full_do_not_mix(lib):
    errors, noop = [], lambda *a: None
    m = lib.nn.Linear(3, 2)
    m.register_backward_hook(noop).remove()  # the module's kind stays non-full
    other = lib.nn.Linear(3, 2)
    other.register_full_backward_hook(noop)
    handle = lib.nn.modules.module.register_module_full_backward_hook(noop)
    try:
        for register in (m.register_full_backward_hook, other.register_backward_hook,
                         lib.nn.modules.module.register_module_backward_hook):
            try:
                register(noop)
            except RuntimeError as exc:
                errors.append(str(exc))
    finally:
        handle.remove()
    return errors


# -- the deprecated non-full hooks --------------------------------------------------------
@scenario
def non_full_single_op_and_linear(lib):
    log = []
    relu, lin = lib.nn.ReLU(), fixed_linear(lib)
    for m in (relu, lin):
        m.register_backward_hook(lambda mod, gi, go: log.append(snap((gi, go))))
    x = data(lib, requires_grad=True)
    relu(x * 1).sum().backward()
    relu(x).sum().backward()  # a leaf input: warns that grad_input may be incomplete
    lin(x).sum().backward()
    lin(data(lib)).sum().backward()
    return log


@scenario
def non_full_replace_and_global(lib):
    m, x = lib.nn.Sigmoid(), data(lib, requires_grad=True)
    m.register_backward_hook(lambda mod, gi, go: (gi[0] * 10,))
    m(x * 1).sum().backward()
    registry, log = lib.nn.modules.module, []
    handle = registry.register_module_backward_hook(lambda m, gi, go: log.append(type(m).__name__))
    try:
        lib.nn.Sequential(lib.nn.ReLU())(data(lib, requires_grad=True) * 1).sum().backward()
    finally:
        handle.remove()
    return x.grad, log


NON_FULL_BAD_RETURNS = dict(BAD_RETURNS, list_not_tuple=lambda lib, g: [g[0]])
del NON_FULL_BAD_RETURNS["empty"]


@pytest.mark.parametrize("bad", sorted(NON_FULL_BAD_RETURNS))
def test_non_full_bad_hook_results(bad):
    def run(lib):
        m, x = lib.nn.Sigmoid(), data(lib, requires_grad=True)
        m.register_backward_hook(lambda mod, gi, go: NON_FULL_BAD_RETURNS[bad](lib, gi))
        m(x * 1).sum().backward()
        return x.grad
    assert check(run)[0] == "raised"


NON_FULL_SHAPES = {
    "several_nodes": (lambda x, *k: (x * 2).tanh(), lambda o: o),
    "tuple_output": (lambda x, *k: (x * 2, x * 3), lambda o: o[0]),
    "list_output": (lambda x, *k: [x * 2, x * 3], lambda o: o[0]),
    "dict_output": (lambda x, *k: {"a": x * 2}, lambda o: o["a"]),
    "nested_output": (lambda x, *k: ((x * 2,),), lambda o: o[0][0]),
    "none_output": (lambda x, *k: None, lambda o: o),
    "non_tensor_input": (lambda x, *k: x * k[0], lambda o: o),
}


@pytest.mark.parametrize("shape", sorted(NON_FULL_SHAPES))
def test_non_full_hook_warnings(shape):
    make_output, pick = NON_FULL_SHAPES[shape]

    def run(lib):
        m, log = module_with(lib, make_output), []
        m.register_backward_hook(lambda mod, gi, go: log.append(snap(gi)))
        extra = (2.0,) if shape == "non_tensor_input" else ()
        pick(m(data(lib, requires_grad=True) * 1, *extra)).sum().backward()
        return log
    check(run)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_matches_torch(name):
    check(SCENARIOS[name])


# -- ember specifics: the fast path and pickles -------------------------------------------
def hooks_in_use():
    return ember.nn.modules._backward_hooks.hooks_in_use


def test_fast_path_returns_after_removal_and_module_death():
    gc.collect()  # modules of other tests may still sit in reference cycles
    assert not hooks_in_use()
    m = nn.Linear(3, 2)
    handle = m.register_full_backward_hook(lambda *a: None)
    m.register_full_backward_pre_hook(lambda *a: None)
    registry = nn.modules.module
    global_handle = registry.register_module_full_backward_pre_hook(lambda *a: None)
    assert len(hooks_in_use()) == 3
    handle.remove()
    global_handle.remove()
    assert len(hooks_in_use()) == 1
    for _ in range(50):  # a register/remove loop leaves nothing behind
        with m.register_full_backward_pre_hook(lambda *a: None):
            pass
    assert len(hooks_in_use()) == 1
    assert len(ember.nn.modules._backward_hooks._keys_of_module[m]) <= 2
    del m
    gc.collect()
    assert not hooks_in_use()


def test_old_pickles_get_backward_hook_dicts():
    m = nn.Linear(3, 2)
    for name in ("_backward_hooks", "_backward_pre_hooks", "_is_full_backward_hook"):
        del m.__dict__[name]  # as saved before ember had module backward hooks
    restored = pickle.loads(pickle.dumps(m))
    assert restored._backward_hooks == {} and restored._backward_pre_hooks == {}
    assert restored._is_full_backward_hook is None
    log = []
    restored.register_full_backward_hook(lambda *a: log.append(1))
    restored(ember.ones(1, 3, requires_grad=True)).sum().backward()
    assert log == [1]


def test_exports_match_torch():
    names = [n for n in torch.nn.modules.module.__all__ if "backward" in n]
    assert sorted(names) == sorted(n for n in nn.modules.module.__all__ if "backward" in n)
    for name in names:
        assert callable(getattr(nn.modules.module, name))
