"""ember.func.functional_call and stack_module_state against torch.func."""

import pytest

import ember
from helpers import assert_same, assert_same_error, rng

torch = pytest.importorskip("torch")
import torch.func as TF  # noqa: E402

import ember.func as EF  # noqa: E402


def pair():
    me, mt = ember.nn.Linear(3, 2), torch.nn.Linear(3, 2)
    mt.load_state_dict({k: torch.tensor(v.numpy()) for k, v in me.state_dict().items()})
    x = rng(1).standard_normal((4, 3)).astype("float32")
    return me, mt, ember.tensor(x), torch.tensor(x)


def test_dict_and_tuple_of_dicts():
    me, mt, x, tx = pair()
    w = rng(2).standard_normal((2, 3)).astype("float32")
    got = EF.functional_call(me, ({"weight": ember.tensor(w)}, {"bias": me.bias}), x)
    want = TF.functional_call(mt, ({"weight": torch.tensor(w)}, {"bias": mt.bias}), tx)
    assert_same(got, want)
    got = EF.functional_call(me, [{"weight": ember.tensor(w)}], (x,), strict=False)
    want = TF.functional_call(mt, [{"weight": torch.tensor(w)}], (tx,), strict=False)
    assert_same(got, want)
    assert_same(me.weight, mt.weight)  # the module's own weight is back


def test_tied_weights():
    def tied(nn):
        m = nn.Sequential(nn.Linear(2, 2, bias=False), nn.Linear(2, 2, bias=False))
        m[1].weight = m[0].weight
        return m
    me, mt = tied(ember.nn), tied(torch.nn)
    w = rng(3).standard_normal((2, 2)).astype("float32")
    x = rng(4).standard_normal((1, 2)).astype("float32")
    for tie in (True, False):
        got = EF.functional_call(me, {"0.weight": ember.tensor(w)}, ember.tensor(x),
                                 tie_weights=tie)
        want = TF.functional_call(mt, {"0.weight": torch.tensor(w)}, torch.tensor(x),
                                  tie_weights=tie)
        if not tie:  # the untied name keeps the module's own (different) weight
            mt[1].weight.data.copy_(torch.tensor(me[1].weight.detach().numpy()))
            want = TF.functional_call(mt, {"0.weight": torch.tensor(w)}, torch.tensor(x),
                                      tie_weights=tie)
        assert_same(got, want)


ERROR_CASES = [
    lambda F, m, x: F.functional_call(m, ({"weight": m.weight}, {"weight": m.weight}), x),
    lambda F, m, x: F.functional_call(m, 3, x),
    lambda F, m, x: F.functional_call(m, (3,), x),
    lambda F, m, x: F.functional_call(m, {"weight": m.weight}, x, strict=True),
    lambda F, m, x: F.stack_module_state([]),
    lambda F, m, x: F.stack_module_state([m, type(m)(3, 3)]),
    lambda F, m, x: F.stack_module_state([m, type(m)(3, 2).eval()]),
    lambda F, m, x: F.stack_module_state([m, type(m)(3, 2).requires_grad_(False)]),
]


@pytest.mark.parametrize("case", range(len(ERROR_CASES)))
def test_errors_match_torch(case):
    me, mt, x, tx = pair()
    call = ERROR_CASES[case]
    assert_same_error(lambda: call(EF, me, x), lambda: call(TF, mt, tx))


def test_stack_module_state_buffers():
    models_e = [ember.nn.BatchNorm1d(3) for _ in range(2)]
    models_t = [torch.nn.BatchNorm1d(3) for _ in range(2)]
    pe, be = EF.stack_module_state(models_e)
    pt, bt = TF.stack_module_state(models_t)
    assert list(pe) == list(pt) and list(be) == list(bt)
    for k in bt:
        assert_same(be[k], bt[k])
        assert be[k].requires_grad == bt[k].requires_grad
