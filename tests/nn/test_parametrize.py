"""ember.nn.utils.parametrize against PyTorch: registration, removal, caching, errors."""

import copy
import pickle

import numpy as np
import pytest

import ember
from ember import nn
from ember.nn.utils import parametrize as P
from helpers import assert_same_error, rng

torch = pytest.importorskip("torch")
TP = torch.nn.utils.parametrize
R = rng(11)


def both(name):
    """The same small parametrization class written for ember and for torch."""
    return _CLASSES[name](nn.Module), _CLASSES[name](torch.nn.Module)


def _symmetric(base):
    class Symmetric(base):
        def forward(self, x):
            return x.triu() + x.triu(1).mT

        def right_inverse(self, a):
            return a.triu()
    return Symmetric


def _scale(base):
    class Scale(base):
        def forward(self, x):
            return 2.0 * x

        def right_inverse(self, a):
            return a / 2.0
    return Scale


def _split(base):
    class Split(base):  # weight = a * b, stored as two tensors
        def forward(self, a, b):
            return a * b

        def right_inverse(self, w):
            return [w.abs() + 1.0, w / (w.abs() + 1.0)]
    return Split


def _tanh(base):
    class Tanh(base):
        def forward(self, x):
            return x.tanh()
    return Tanh


def _double(base):
    class Double(base):
        def forward(self, x):
            return x.double()
    return Double


def _row(base):
    class Row(base):
        def forward(self, x):
            return x[0]
    return Row


def _not_tensor(base):
    class NotTensor(base):
        def forward(self, x):
            return 3
    return NotTensor


def _int_inverse(base):
    class IntInverse(base):
        def forward(self, x):
            return x

        def right_inverse(self, x):
            return 3
    return IntInverse


def _double_inverse(base):
    class DoubleInverse(base):
        def forward(self, x):
            return x

        def right_inverse(self, x):
            return x.double()
    return DoubleInverse


_CLASSES = {"sym": _symmetric, "scale": _scale, "split": _split, "tanh": _tanh,
            "double": _double, "row": _row, "not_tensor": _not_tensor,
            "int_inverse": _int_inverse, "double_inverse": _double_inverse}


def linears(n_in=3, n_out=3, dtype="float64"):
    """An ember and a torch Linear with the same weights."""
    t = torch.nn.Linear(n_in, n_out).to(getattr(torch, dtype))
    e = nn.Linear(n_in, n_out).to(getattr(ember, dtype))
    e.load_state_dict({k: v.numpy() for k, v in t.state_dict().items()})
    return e, t


def copy_state(e, t):
    e.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})


def close(e, t, atol=1e-10):
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), atol=atol, rtol=1e-7)


@pytest.mark.parametrize("name", ["sym", "scale", "tanh"])
def test_single_tensor_parametrization_matches_torch(name):
    e, t = linears()
    pe, pt = both(name)
    P.register_parametrization(e, "weight", pe())
    TP.register_parametrization(t, "weight", pt())
    assert repr(e).replace(pe.__name__, "X") == repr(t).replace(pt.__name__, "X")
    assert type(e).__name__ == type(t).__name__ == "ParametrizedLinear"
    assert list(e.state_dict()) == list(t.state_dict())
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    copy_state(e, t)
    close(e.weight, t.weight)
    x, g = R.standard_normal((4, 3)), R.standard_normal((4, 3))
    ye, yt = e(ember.tensor(x)), t(torch.tensor(x))
    close(ye, yt)
    (ye * ember.tensor(g)).sum().backward()
    (yt * torch.tensor(g)).sum().backward()
    close(e.parametrizations.weight.original.grad, t.parametrizations.weight.original.grad)
    close(e.bias.grad, t.bias.grad)


def test_right_inverse_on_register_and_on_assignment():
    e, t = linears()
    pe, pt = both("sym")
    P.register_parametrization(e, "weight", pe())
    TP.register_parametrization(t, "weight", pt())
    close(e.parametrizations.weight.original, t.parametrizations.weight.original)
    original = e.parametrizations.weight.original
    value = R.standard_normal((3, 3))
    e.weight = ember.tensor(value)
    t.weight = torch.tensor(value)
    assert e.parametrizations.weight.original is original  # identity kept for optimizers
    close(e.parametrizations.weight.original, t.parametrizations.weight.original)
    close(e.weight, t.weight)


def test_right_inverse_returning_several_tensors():
    e, t = linears(3, 4)
    pe, pt = both("split")
    P.register_parametrization(e, "weight", pe())
    TP.register_parametrization(t, "weight", pt())
    assert list(e.state_dict()) == list(t.state_dict())
    assert e.parametrizations.weight.ntensors == t.parametrizations.weight.ntensors == 2
    assert not e.parametrizations.weight.is_tensor
    for i in range(2):
        close(getattr(e.parametrizations.weight, f"original{i}"),
              getattr(t.parametrizations.weight, f"original{i}"))
    x = R.standard_normal((2, 3))
    ye, yt = e(ember.tensor(x)), t(torch.tensor(x))
    close(ye, yt)
    ye.sum().backward()
    yt.sum().backward()
    for i in range(2):
        close(getattr(e.parametrizations.weight, f"original{i}").grad,
              getattr(t.parametrizations.weight, f"original{i}").grad)
    value = R.standard_normal((4, 3))
    e.weight, t.weight = ember.tensor(value), torch.tensor(value)
    close(e.parametrizations.weight.original1, t.parametrizations.weight.original1)


@pytest.mark.parametrize("leave", [True, False])
def test_remove_parametrizations(leave):
    e, t = linears()
    pe, pt = both("scale")
    P.register_parametrization(e, "weight", pe())
    TP.register_parametrization(t, "weight", pt())
    original = e.parametrizations.weight.original
    P.remove_parametrizations(e, "weight", leave_parametrized=leave)
    TP.remove_parametrizations(t, "weight", leave_parametrized=leave)
    assert type(e) is nn.Linear and not P.is_parametrized(e)
    assert e.weight is original and isinstance(e.weight, nn.Parameter)
    assert list(e.state_dict()) == list(t.state_dict()) == ["bias", "weight"]
    assert repr(e) == repr(t)
    close(e.weight, t.weight)


def test_remove_multi_tensor_parametrization():
    e, t = linears()
    pe, pt = both("split")
    P.register_parametrization(e, "weight", pe())
    TP.register_parametrization(t, "weight", pt())
    assert_same_error(lambda: P.remove_parametrizations(e, "weight", leave_parametrized=False),
                      lambda: TP.remove_parametrizations(t, "weight", leave_parametrized=False))
    P.remove_parametrizations(e, "weight")
    TP.remove_parametrizations(t, "weight")
    assert type(e.weight).__name__ == type(t.weight).__name__ == "Parameter"
    assert e.weight.is_leaf and e.weight.requires_grad
    close(e.weight, t.weight)


def test_chained_and_partial_removal_keeps_class():
    e, t = linears()
    pe, pt = both("scale")
    for name in ("weight", "weight", "bias"):
        P.register_parametrization(e, name, pe())
        TP.register_parametrization(t, name, pt())
    assert repr(e) == repr(t)
    assert list(e.state_dict()) == list(t.state_dict())
    close(e.weight, t.weight)
    P.remove_parametrizations(e, "bias")
    TP.remove_parametrizations(t, "bias")
    assert type(e).__name__ == "ParametrizedLinear" and P.is_parametrized(e, "weight")
    assert P.type_before_parametrizations(e) is nn.Linear
    assert P.type_before_parametrizations(nn.ReLU()) is nn.ReLU
    assert not P.is_parametrized(e, "bias") and P.is_parametrized(e)


def test_parametrizing_a_buffer():
    e, t = nn.BatchNorm1d(3).double(), torch.nn.BatchNorm1d(3).double()
    pe, pt = both("scale")
    P.register_parametrization(e, "running_var", pe())
    TP.register_parametrization(t, "running_var", pt())
    assert list(e.state_dict()) == list(t.state_dict())
    close(e.running_var, t.running_var)


def test_cached_computes_once():
    e, _ = linears()
    calls = []

    class Counting(nn.Module):
        def forward(self, x):
            calls.append(1)
            return x * 1.0
    P.register_parametrization(e, "weight", Counting())
    calls.clear()
    with P.cached():
        first = e.weight
        assert e.weight is first
        with P.cached():
            assert e.weight is first
    assert len(calls) == 1
    assert e.weight is not e.weight  # recomputed outside the block


def test_transfer_parametrizations_and_params():
    e, t = linears()
    pe, pt = both("scale")
    P.register_parametrization(e, "weight", pe())
    TP.register_parametrization(t, "weight", pt())
    e2, t2 = nn.Linear(3, 3).double(), torch.nn.Linear(3, 3).double()
    P.transfer_parametrizations_and_params(e, e2)
    TP.transfer_parametrizations_and_params(t, t2)
    assert e2.parametrizations.weight.original is e.parametrizations.weight.original
    assert list(e2.state_dict()) == list(t2.state_dict())
    close(e2.weight, t2.weight)
    assert P.transfer_parametrizations_and_params(nn.ReLU(), e2) is e2


def test_deepcopy_and_pickle():
    e, t = linears()
    P.register_parametrization(e, "weight", both("scale")[0]())
    TP.register_parametrization(t, "weight", both("scale")[1]())
    c = copy.deepcopy(e)
    assert type(c).__name__ == "ParametrizedLinear"
    assert c.parametrizations.weight.original is not e.parametrizations.weight.original
    close(c.weight, t.weight)
    assert_same_error(lambda: pickle.dumps(e), lambda: pickle.dumps(t))


def test_torch_state_dict_loads_into_parametrized_module():
    e, t = linears()
    P.register_parametrization(e, "weight", both("split")[0]())
    TP.register_parametrization(t, "weight", both("split")[1]())
    with torch.no_grad():
        t.parametrizations.weight.original0.mul_(3.0)
    copy_state(e, t)
    close(e.weight, t.weight)


def _register(lib_p, module, name, cls, **kw):
    return lambda: lib_p.register_parametrization(module, name, cls(), **kw)


@pytest.mark.parametrize("name", ["double", "row", "not_tensor", "int_inverse",
                                  "double_inverse"])
def test_register_errors(name):
    pe, pt = both(name)
    e, t = linears(3, 4, "float32")
    assert_same_error(_register(P, e, "weight", pe), _register(TP, t, "weight", pt))


@pytest.mark.parametrize("name", ["double", "row", "not_tensor", "int_inverse",
                                  "double_inverse"])
def test_errors_when_appending(name):
    pe, pt = both(name)
    e, t = linears(3, 4, "float32")
    P.register_parametrization(e, "weight", nn.Identity())
    TP.register_parametrization(t, "weight", torch.nn.Identity())
    assert_same_error(_register(P, e, "weight", pe), _register(TP, t, "weight", pt))


def test_other_errors():
    e, t = linears()
    assert_same_error(lambda: P.register_parametrization(e, "foo", nn.Identity()),
                      lambda: TP.register_parametrization(t, "foo", torch.nn.Identity()))
    assert_same_error(lambda: P.remove_parametrizations(e, "weight"),
                      lambda: TP.remove_parametrizations(t, "weight"))
    assert_same_error(lambda: P.ParametrizationList([], ember.zeros(2)),
                      lambda: TP.ParametrizationList([], torch.zeros(2)))
    pe, pt = both("tanh")
    P.register_parametrization(e, "weight", pe())
    TP.register_parametrization(t, "weight", pt())
    assert_same_error(lambda: setattr(e, "weight", ember.zeros(3, 3)),
                      lambda: setattr(t, "weight", torch.zeros(3, 3)))
    assert_same_error(lambda: P.remove_parametrizations(e, "bias"),
                      lambda: TP.remove_parametrizations(t, "bias"))
    pe, pt = both("row")
    e, t = linears()
    P.register_parametrization(e, "weight", pe(), unsafe=True)
    TP.register_parametrization(t, "weight", pt(), unsafe=True)
    assert e.parametrizations.weight.unsafe
    close(e.weight, t.weight)
    assert_same_error(lambda: P.register_parametrization(e, "weight", both("row")[0]()),
                      lambda: TP.register_parametrization(t, "weight", both("row")[1]()))


def test_parametrization_follows_training_mode():
    e = nn.Linear(2, 2).eval()
    par = nn.Identity()
    P.register_parametrization(e, "weight", par)
    assert not par.training
