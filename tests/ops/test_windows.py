"""Window functions compared with torch: values, dtypes, keywords and errors."""

from __future__ import annotations

import pytest

import ember
from helpers import assert_same, assert_same_error

torch = pytest.importorskip("torch")

NAMES = ["hann_window", "hamming_window", "blackman_window", "bartlett_window",
         "kaiser_window"]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("length", [0, 1, 2, 5, 8])
@pytest.mark.parametrize("periodic", [True, False])
def test_values(name, length, periodic):
    for dt in ("float32", "float64", "float16"):
        e = getattr(ember, name)(length, periodic, dtype=getattr(ember, dt))
        t = getattr(torch, name)(length, periodic, dtype=getattr(torch, dt))
        assert_same(e, t, atol=2e-3 if dt == "float16" else 1e-6, what=f"{name} {dt}")
    assert_same(getattr(ember, name)(length), getattr(torch, name)(length))


def test_extra_parameters():
    for args in [(7, True, 0.5), (7, False, 0.6, 0.3), (6, True, 0.54, 0.46)]:
        assert_same(ember.hamming_window(*args), torch.hamming_window(*args))
    assert_same(ember.hamming_window(5, False, alpha=0.4, beta=0.2),
                torch.hamming_window(5, False, alpha=0.4, beta=0.2))
    for beta in (0.0, 3.0, 12.0, 30.0):
        assert_same(ember.kaiser_window(9, False, beta), torch.kaiser_window(9, False, beta))
        assert_same(ember.kaiser_window(9, True, beta, dtype=ember.float64),
                    torch.kaiser_window(9, True, beta, dtype=torch.float64), atol=1e-12)


def test_keywords_and_default_dtype():
    e = ember.hann_window(4, requires_grad=True, device="cpu")
    t = torch.hann_window(4, requires_grad=True, device="cpu")
    assert e.requires_grad and e.is_leaf and e.grad_fn is None
    assert_same(e, t)
    prev = ember.get_default_dtype()
    ember.set_default_dtype(ember.float64)
    try:
        assert ember.blackman_window(3).dtype == ember.float64
    finally:
        ember.set_default_dtype(prev)


@pytest.mark.parametrize("name", NAMES)
def test_errors(name):
    def both(*args, **kw):
        tkw = {k: getattr(torch, v) for k, v in kw.items()}
        ekw = {k: getattr(ember, v) for k, v in kw.items()}
        assert_same_error(lambda: getattr(ember, name)(*args, **ekw),
                          lambda: getattr(torch, name)(*args, **tkw))
    both(-1)
    both(4.0)
    both(4, dtype="int64")
    both(4, dtype="int32")
    both(4, dtype="complex64")
