"""NumPy's keyword spellings (``axis``, ``keepdims``) on torch's functions and methods."""

import numpy as np
import pytest
from helpers import assert_same, assert_same_error

import ember
import ember.nn.functional as F

torch = pytest.importorskip("torch")

A = np.arange(24.0).reshape(2, 3, 4)


@pytest.mark.parametrize("call", [
    "x.sum(axis=1)", "x.sum(axis=(0, 2), keepdims=True)", "x.mean(axis=-1)",
    "x.max(axis=1)[0]", "x.min(axis=0, keepdims=True)[1]", "x.argmax(axis=2)",
    "x.std(axis=1)", "x.prod(axis=0)", "x.cumsum(axis=1)", "x.softmax(axis=0)",
    "x.squeeze(axis=0)", "x.unsqueeze(axis=1)", "x.any(axis=1)", "x.amax(axis=1)",
    "x.logsumexp(axis=2)", "x.norm(dim=1)", "lib.sum(x, axis=2)", "lib.cat([x, x], axis=1)",
    "lib.stack([x, x], axis=0)", "lib.concat([x, x], axis=2)", "lib.softmax(x, axis=1)",
    "lib.argmax(x, axis=0, keepdims=True)", "lib.mean(x, 1, keepdims=True)",
])
def test_numpy_spellings(call):
    e = eval(call, {"x": ember.tensor(A), "lib": ember})
    t = eval(call, {"x": torch.tensor(A), "lib": torch})
    assert_same(e, t)


def test_python_level_functions_keep_torch_names():
    # torch's functions written in Python (nn.functional, split) take only ``dim``.
    assert_same_error(lambda: F.softmax(ember.tensor(A), axis=1),
                      lambda: torch.nn.functional.softmax(torch.tensor(A), axis=1),
                      match_message=False)
    assert_same_error(lambda: ember.split(ember.tensor(A), 1, axis=0),
                      lambda: torch.split(torch.tensor(A), 1, axis=0), match_message=False)


def test_both_spellings_at_once_is_an_error():
    with pytest.raises(TypeError):
        ember.tensor(A).sum(axis=0, dim=1)
    with pytest.raises(TypeError):
        torch.tensor(A).sum(axis=0, dim=1)


def test_method_and_function_stay_one_object():
    assert ember.Tensor.sum is ember.sum
    assert ember.Tensor.cumsum is ember.cumsum
