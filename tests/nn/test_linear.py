"""Identity, Linear, Bilinear, Flatten, Unflatten and Dropout against PyTorch."""

import math

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember import nn
from helpers import assert_same_error, check_op, gradcheck_op, grad_fn_names, rng

from ._compare import copy_params, torch_text

torch = pytest.importorskip("torch")
R = rng(11)


def linear_pair(*args, **kwargs):
    e, t = nn.Linear(*args, **kwargs), torch.nn.Linear(*args, **kwargs)
    copy_params(t, e)
    return e, t


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(4, 3), (3,), (2, 5, 3), (2, 1, 2, 3)])
def test_linear_matches_torch(shape, bias):
    e, t = linear_pair(3, 6, bias=bias)
    assert repr(e) == repr(t)
    x = R.standard_normal(shape).astype(np.float32)
    # Weights are leaves on both sides: their gradients are compared through the module.
    check_op(lambda a: e(a), lambda a: t(a), x, layouts_=("contiguous", "transposed"))
    for name in ("weight", "bias") if bias else ("weight",):
        eg, tg = getattr(e, name).grad, getattr(t, name).grad
        np.testing.assert_allclose(eg.numpy(), tg.numpy(), rtol=1e-4, atol=1e-5)


def test_linear_grad_fn_names_match_torch():
    for shape in [(4, 3), (3,), (2, 5, 3)]:
        for bias in (True, False):
            e, t = linear_pair(3, 2, bias=bias)
            x = R.standard_normal(shape).astype(np.float32)
            eo = e(ember.tensor(x, requires_grad=True))
            to = t(torch.tensor(x, requires_grad=True))
            assert grad_fn_names(eo, 1)[0] == grad_fn_names(to, 1)[0], (shape, bias)
    e, t = linear_pair(3, 2)
    out = e(ember.ones(4, 3))
    assert out.grad_fn.name() == "AddmmBackward0"
    assert "grad_fn=<AddmmBackward0>" in repr(out)


def test_linear_float64_and_gradcheck():
    e, t = linear_pair(4, 3)
    e.double()
    t.double()
    check_op(lambda a: e(a), lambda a: t(a), R.standard_normal((2, 4)), layouts_=("contiguous",))
    w, b = R.standard_normal((3, 4)), R.standard_normal(3)
    gradcheck_op(F.linear, R.standard_normal((2, 4)), w, b)
    gradcheck_op(F.linear, R.standard_normal((2, 2, 4)), w, b)
    gradcheck_op(F.linear, R.standard_normal(4), w)


def test_linear_errors_match_torch():
    cases = [
        lambda L: L.nn.Linear(20, 10)(L.rand(3, 784)),
        lambda L: L.nn.Linear(20, 10)(L.rand(2, 3, 784)),
        lambda L: L.nn.Linear(20, 10)(L.rand(784)),
        lambda L: L.nn.Linear(20, 10, bias=False)(L.rand(3, 784)),
        lambda L: L.nn.Linear(20, 10, bias=False)(L.rand(2, 3, 784)),
        lambda L: L.nn.Linear(20, 10)(L.tensor(1.0)),
        lambda L: L.nn.Linear(2, 10)(L.ones(3, 2, dtype=L.float64)),
        lambda L: L.nn.functional.linear(L.ones(3, 2), L.ones(4, 2, dtype=L.float64)),
    ]
    for case in cases:
        assert_same_error(lambda c=case: c(ember), lambda c=case: c(torch))


def test_linear_default_init_like_torch():
    ember.manual_seed(0)
    m = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    # Uniform on [-bound, bound]: the standard deviation is bound / sqrt(3), as in torch.
    t = torch.nn.Linear(400, 300).weight.detach().numpy()
    assert abs(w.std() - t.std()) < 0.02 * t.std()
    assert abs(w.std() - bound / math.sqrt(3)) < 0.02 * bound
    assert m.weight.dtype == ember.float32 and m.weight.requires_grad and m.weight.is_leaf
    ember.manual_seed(0)
    np.testing.assert_array_equal(nn.Linear(400, 300).weight.detach().numpy(), w)
    m64 = nn.Linear(2, 3, dtype=ember.float64, device="cpu")
    assert m64.weight.dtype == ember.float64 and m64.bias.dtype == ember.float64
    assert nn.Linear(0, 3).bias.abs().sum().item() == 0.0  # empty fan-in: zero bound
    nb = nn.Linear(2, 3, bias=False)
    assert nb.bias is None and [n for n, _ in nb.named_parameters()] == ["weight"]


@pytest.mark.parametrize("bias", [True, False])
def test_bilinear_matches_torch(bias):
    e, t = nn.Bilinear(3, 2, 4, bias=bias), torch.nn.Bilinear(3, 2, 4, bias=bias)
    copy_params(t, e)
    assert repr(e) == repr(t)
    check_op(lambda a, b: e(a, b), lambda a, b: t(a, b), R.standard_normal((5, 3)),
             R.standard_normal((5, 2)), dtypes=["float32"], layouts_=("contiguous",),
             check_grad_fn=False)
    check_op(lambda a, b: e(a, b), lambda a, b: t(a, b), R.standard_normal((2, 5, 3)),
             R.standard_normal((2, 5, 2)), dtypes=["float32"], layouts_=("contiguous",),
             check_grad_fn=False)
    np.testing.assert_allclose(e.weight.grad.numpy(), t.weight.grad.numpy(), rtol=1e-4,
                               atol=1e-5)
    gradcheck_op(F.bilinear, R.standard_normal((2, 3)), R.standard_normal((2, 2)),
                 R.standard_normal((4, 3, 2)), R.standard_normal(4))
    bound = 1 / math.sqrt(3)
    assert np.abs(nn.Bilinear(3, 2, 4).weight.detach().numpy()).max() <= bound


def test_bilinear_errors_match_torch():
    cases = [
        lambda L: L.nn.functional.bilinear(L.rand(3, 2), L.rand(4, 3), L.rand(5, 2, 3)),
        lambda L: L.nn.functional.bilinear(L.rand(3, 2), L.rand(3, 4), L.rand(5, 2, 3)),
        lambda L: L.nn.functional.bilinear(L.rand(3, 7), L.rand(3, 3), L.rand(5, 2, 3)),
        lambda L: L.nn.functional.bilinear(L.rand(3, 2), L.rand(3, 3), L.rand(5, 2, 3),
                                           L.rand(4)),
    ]
    for case in cases:
        assert_same_error(lambda c=case: c(ember), lambda c=case: c(torch))


def test_identity_flatten_unflatten():
    x = R.standard_normal((2, 3, 4, 5)).astype(np.float32)
    for args in [(), (0, 2), (2, -1), (-3, -2)]:
        e, t = nn.Flatten(*args), torch.nn.Flatten(*args)
        assert repr(e) == repr(t)
        check_op(e, t, x, layouts_=("contiguous", "transposed"))
    for dim, sizes in [(1, (3, 1)), (-1, (5, 1)), (1, [1, 3])]:
        e, t = nn.Unflatten(dim, sizes), torch.nn.Unflatten(dim, sizes)
        assert repr(e) == repr(t)
        check_op(e, t, x)
    assert repr(nn.Unflatten(1, ember.Size([2, 5]))) == \
        torch_text(repr(torch.nn.Unflatten(1, torch.Size([2, 5]))))
    ident = nn.Identity(54, unused="x")
    assert repr(ident) == "Identity()"
    xe = ember.tensor(x)
    assert ident(xe) is xe
    for case in [lambda L: L.nn.Flatten()(L.tensor(1.0)),
                 lambda L: L.nn.Flatten()(L.ones(3)),
                 lambda L: L.nn.Unflatten(1, (2, 4))(L.ones(3, 6))]:
        assert_same_error(lambda c=case: c(ember), lambda c=case: c(torch))


def test_dropout_train_and_eval():
    m = nn.Dropout(p=0.3)
    assert repr(m) == repr(torch.nn.Dropout(p=0.3))
    assert repr(nn.Dropout(0.1, inplace=True)) == repr(torch.nn.Dropout(0.1, inplace=True))
    x = ember.ones(200, 100, requires_grad=True)
    out = m(x)
    kept = out.detach().numpy() != 0
    assert abs(kept.mean() - 0.7) < 0.02
    np.testing.assert_allclose(out.detach().numpy()[kept], 1 / 0.7, rtol=1e-6)
    assert out.grad_fn.name() == "MulBackward0" and out.dtype == ember.float32
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), out.detach().numpy())  # same mask
    m.eval()
    assert m(x) is x
    assert F.dropout(x, 0.5, training=False) is x
    assert float(F.dropout(x, 1.0).abs().sum()) == 0.0
    assert F.dropout(x, 0.0) is x
    y = ember.ones(1000)
    assert F.dropout(y, 0.5, inplace=True) is y and 0.4 < float((y == 0).float().mean()) < 0.6
    ember.manual_seed(3)
    a = F.dropout(ember.ones(50), 0.5).numpy()
    ember.manual_seed(3)
    np.testing.assert_array_equal(F.dropout(ember.ones(50), 0.5).numpy(), a)
    for case in [lambda L: L.nn.Dropout(1.5), lambda L: L.nn.functional.dropout(L.ones(2), -0.1)]:
        assert_same_error(lambda c=case: c(ember), lambda c=case: c(torch))
    assert ember.dropout(ember.ones(3), 0.5, False).sum().item() == 3.0
