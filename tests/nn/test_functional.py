"""ember.nn.functional: the functional API itself (names, signatures, small functions)."""

import inspect

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from helpers import assert_same_error, check_op, gradcheck_op, rng

torch = pytest.importorskip("torch")
TF = torch.nn.functional
R = rng(5)


def test_every_public_name_exists_in_torch():
    for name in F.__all__:
        assert hasattr(TF, name), name
        assert callable(getattr(F, name)), name


@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss", "mse_loss", "l1_loss",
                                  "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
                                  "binary_cross_entropy_with_logits", "kl_div", "linear",
                                  "dropout", "relu", "elu", "leaky_relu", "hardtanh",
                                  "softmax", "log_softmax", "silu", "mish", "normalize",
                                  "one_hot"])
def test_parameter_names_match_torch(name):
    try:
        theirs = list(inspect.signature(getattr(TF, name)).parameters)
    except ValueError:  # a builtin without a Python signature
        pytest.skip("torch gives no signature")
    assert list(inspect.signature(getattr(F, name)).parameters) == theirs


def test_one_hot_matches_torch():
    idx = np.array([[0, 3], [2, 1]])
    check_op(F.one_hot, TF.one_hot, idx, layouts_=("contiguous",))
    check_op(lambda t: F.one_hot(t, 6), lambda t: TF.one_hot(t, 6), idx,
             layouts_=("contiguous",))
    for case in [lambda L: L.nn.functional.one_hot(L.tensor([-1, 0])),
                 lambda L: L.nn.functional.one_hot(L.tensor([3]), 2),
                 lambda L: L.nn.functional.one_hot(L.tensor([1.0]))]:
        assert_same_error(lambda c=case: c(ember), lambda c=case: c(torch))


def test_normalize_matches_torch():
    x = R.standard_normal((3, 4)).astype(np.float32)
    x[1] = 0.0  # the eps floor keeps zero rows finite
    for kwargs in [{}, {"dim": 0}, {"p": 1.0, "dim": 1}]:
        check_op(lambda a, k=kwargs: F.normalize(a, **k),
                 lambda a, k=kwargs: TF.normalize(a, **k), x, layouts_=("contiguous",),
                 check_grad_fn=False)
    gradcheck_op(F.normalize, R.standard_normal((3, 4)))


def test_functional_calls_from_the_tutorial_style():
    x = ember.randn(4, 10)
    w, b = ember.randn(3, 10, requires_grad=True), ember.zeros(3, requires_grad=True)
    loss = F.cross_entropy(F.relu(F.linear(x, w, b)), ember.tensor([0, 1, 2, 1]))
    loss.backward()
    assert w.grad.shape == w.shape and b.grad.shape == b.shape
