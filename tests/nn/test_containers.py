"""Sequential, ModuleList, ModuleDict, ParameterList and ParameterDict against PyTorch."""

from collections import OrderedDict

import numpy as np
import pytest

import ember
from ember import nn
from helpers import assert_same_error

from ._compare import copy_params, numpy_of, torch_text

torch = pytest.importorskip("torch")


def both(fn):
    """Run ``fn(lib)`` for ember and torch; return (ember result, torch result)."""
    return fn(ember), fn(torch)


def same_repr(e, t):
    assert repr(e) == torch_text(repr(t))


def test_sequential_forward_and_state_dict():
    e, t = both(lambda L: L.nn.Sequential(L.nn.Linear(3, 4), L.nn.ReLU(), L.nn.Linear(4, 2)))
    copy_params(t, e)
    same_repr(e, t)
    assert list(e.state_dict()) == list(t.state_dict())
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    np.testing.assert_allclose(numpy_of(e(ember.tensor(x))), numpy_of(t(torch.tensor(x))),
                               rtol=1e-5, atol=1e-6)


def test_sequential_indexing_and_editing():
    def ops(L):
        s = L.nn.Sequential(L.nn.ReLU(), L.nn.Tanh(), L.nn.Sigmoid(), L.nn.Identity())
        log = [len(s), type(s[1]).__name__, type(s[-1]).__name__, repr(s[1:3]),
               type(s[1:3]).__name__, [type(m).__name__ for m in s]]
        del s[0]
        log.append(repr(s))
        del s[0:2]
        log.append(repr(s))
        s.append(L.nn.ReLU()).insert(0, L.nn.Tanh()).insert(-1, L.nn.ELU())
        log.append(repr(s))
        s.extend([L.nn.GELU()])
        log.append(repr(s.pop(1)))
        s[0] = L.nn.SiLU()
        log.append(repr(s))
        log.append(repr(s + L.nn.Sequential(L.nn.ReLU())))
        log.append(repr(L.nn.Sequential(L.nn.ReLU()) * 2))
        s2 = L.nn.Sequential(L.nn.ReLU())
        s2 *= 3
        s2 += L.nn.Sequential(L.nn.Tanh())
        log.append(repr(s2))
        return log
    e, t = both(ops)
    assert e == [torch_text(x) if isinstance(x, str) else x for x in t]


def test_sequential_ordered_dict_and_nesting():
    def make(L):
        inner = L.nn.Sequential(L.nn.Linear(1, 2), L.nn.Tanh())
        s = L.nn.Sequential(OrderedDict(a=L.nn.ReLU(), b=inner, c=L.nn.Sigmoid()))
        del s[0]  # renumbers the remaining entries
        return s, L.nn.Sequential(OrderedDict(x=L.nn.ReLU(), y=inner))
    (e1, e2), (t1, t2) = both(make)
    same_repr(e1, t1)
    same_repr(e2, t2)
    assert list(e2.state_dict()) == list(t2.state_dict())


def test_sequential_errors_match_torch():
    cases = [
        lambda L: L.nn.Sequential(L.nn.ReLU())[3],
        lambda L: L.nn.Sequential(L.nn.ReLU())[-3],
        lambda L: L.nn.Sequential(L.nn.ReLU())["a"],
        lambda L: L.nn.Sequential(L.nn.ReLU()).insert(5, L.nn.ReLU()),
        lambda L: L.nn.Sequential(L.nn.ReLU()).append(3),
        lambda L: L.nn.Sequential(L.nn.ReLU()) * -1,
        lambda L: L.nn.Sequential(L.nn.ReLU()) * 1.5,
        lambda L: L.nn.Sequential(L.nn.ReLU()) + [1],
        lambda L: L.nn.Sequential(L.nn.ReLU()).__setitem__(0, 3),
    ]
    for case in cases:
        assert_same_error(lambda c=case: c(ember), lambda c=case: c(torch))
    # Only the class path differs in this message.
    with pytest.raises(AssertionError, match="module should be of type"):
        nn.Sequential().insert(0, 3)


def test_module_list():
    def ops(L):
        ml = L.nn.ModuleList([L.nn.Linear(2, 2) for _ in range(3)] +
                             [L.nn.ReLU(), L.nn.ReLU(), L.nn.Linear(2, 3)])
        log = [repr(ml), len(ml), repr(ml[-1]), repr(ml[1:3]), list(ml.state_dict())]
        ml.append(L.nn.Tanh())
        ml.insert(1, L.nn.Sigmoid())
        ml.extend([L.nn.GELU()])
        ml += [L.nn.ReLU()]
        log.append(repr(ml))
        del ml[0]
        del ml[1:3]
        log.append(repr(ml.pop(0)))
        ml[0] = L.nn.Identity()
        log.append(repr(ml))
        log.append(repr(ml + L.nn.ModuleList([L.nn.ReLU()])))
        log.append(repr(L.nn.ModuleList()))
        log.append(list(ml.state_dict()))
        return log
    e, t = both(ops)
    assert e == [torch_text(x) if isinstance(x, str) else x for x in t]
    for case in [lambda L: L.nn.ModuleList([L.nn.ReLU()])[3],
                 lambda L: L.nn.ModuleList().extend(3)]:
        assert_same_error(lambda c=case: c(ember), lambda c=case: c(torch))


def test_module_dict():
    def ops(L):
        md = L.nn.ModuleDict({"a": L.nn.Linear(1, 2), "b": L.nn.ReLU()})
        md["c"] = L.nn.Tanh()
        md.update([("d", L.nn.Sigmoid())])
        log = [repr(md), len(md), list(md), list(md.keys()), "b" in md,
               [type(v).__name__ for v in md.values()], [k for k, _ in md.items()]]
        del md["a"]
        log.append(repr(md.pop("b")))
        log.append(repr(md))
        md.clear()
        log.append(len(md))
        return log
    e, t = both(ops)
    assert e == [torch_text(x) if isinstance(x, str) else x for x in t]
    for case in [lambda L: L.nn.ModuleDict().update(3),
                 lambda L: L.nn.ModuleDict().update([(1,)]),
                 lambda L: L.nn.ModuleDict().update([(1, 2, 3)])]:
        assert_same_error(lambda c=case: c(ember), lambda c=case: c(torch))


def test_parameter_list():
    def ops(L):
        pl = L.nn.ParameterList([L.nn.Parameter(L.ones(2, 3)),
                                 L.nn.Parameter(L.ones(2, dtype=L.float64)), L.ones(3)])
        log = [repr(pl), len(pl), type(pl[2]).__name__, pl[2].requires_grad,
               [n for n, _ in pl.named_parameters()]]
        pl.append(L.zeros(1))
        pl.extend([L.zeros(4)])
        pl[0] = L.zeros(5)
        log += [repr(pl), [tuple(p.shape) for p in pl], list(pl.state_dict())]
        return log
    e, t = both(ops)
    assert e == [torch_text(x) if isinstance(x, str) else x for x in t]
    with pytest.raises(RuntimeError, match="ParameterList should not be called."):
        nn.ParameterList()()
    assert_same_error(lambda: nn.ParameterList().extend(ember.ones(2)),
                      lambda: torch.nn.ParameterList().extend(torch.ones(2)))


def test_parameter_dict():
    def ops(L):
        pd = L.nn.ParameterDict({"a": L.nn.Parameter(L.ones(2, 3)), "b": L.ones(1)})
        pd["c"] = L.zeros(2)
        pd.update([("d", L.zeros(3))])
        log = [repr(pd), len(pd), list(pd), "a" in pd, type(pd["b"]).__name__,
               [n for n, _ in pd.named_parameters()], list(pd.state_dict())]
        log.append(tuple(pd.pop("a").shape))
        del pd["b"]
        log.append(tuple(pd.get("zz", L.ones(7)).shape))
        log.append(tuple(pd.setdefault("e", L.ones(1)).shape))
        log.append(repr(pd))
        log.append(pd.popitem()[0])
        log.append(list(pd.copy()))
        pd.clear()
        log.append(len(pd))
        return log
    e, t = both(ops)
    assert e == [torch_text(x) if isinstance(x, str) else x for x in t]


def test_containers_register_children_for_training():
    model = nn.Sequential(nn.Linear(2, 2), nn.ModuleList([nn.Linear(2, 2)]),
                          nn.ModuleDict({"k": nn.Linear(2, 2)}))
    assert len(list(model.parameters())) == 6
    model.eval()
    assert not model[1][0].training and not model[2]["k"].training
