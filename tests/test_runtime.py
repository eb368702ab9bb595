"""Process-wide settings (threads, determinism, matmul precision), ``compile`` and
``typename``, against torch."""

import warnings

import pytest
from helpers import assert_same_error

import ember

torch = pytest.importorskip("torch")


@pytest.fixture
def restore_threads():
    before = ember.get_num_threads()
    yield
    ember.set_num_threads(before)


def test_num_threads(restore_threads):
    ember.set_num_threads(1)
    assert ember.get_num_threads() == 1
    x = ember.randn(64, 64)
    assert ember.allclose(x @ x, ember.tensor(x.numpy() @ x.numpy()))
    ember.set_num_threads(2)
    assert ember.get_num_threads() in (1, 2)  # 1 where BLAS cannot be told
    for bad in (0, -1, 1.5):
        assert_same_error(lambda b=bad: ember.set_num_threads(b),
                          lambda b=bad: torch.set_num_threads(b))


def test_interop_threads():
    assert ember.get_num_interop_threads() >= 1
    assert_same_error(lambda: ember.set_num_interop_threads(0),
                      lambda: torch.set_num_interop_threads(0))


def test_deterministic_switches():
    try:
        for lib in (ember, torch):
            lib.use_deterministic_algorithms(True, warn_only=True)
            assert lib.are_deterministic_algorithms_enabled()
            assert lib.is_deterministic_algorithms_warn_only_enabled()
            assert lib.get_deterministic_debug_mode() == 1
            lib.set_deterministic_debug_mode("error")
            assert lib.get_deterministic_debug_mode() == 2
            lib.set_deterministic_debug_mode(0)
            assert not lib.are_deterministic_algorithms_enabled()
        for bad in (3, "x"):
            assert_same_error(lambda b=bad: ember.set_deterministic_debug_mode(b),
                              lambda b=bad: torch.set_deterministic_debug_mode(b))
    finally:
        torch.use_deterministic_algorithms(False)
        ember.use_deterministic_algorithms(False)


def test_matmul_precision():
    try:
        for lib in (ember, torch):
            assert lib.get_float32_matmul_precision() == "highest"
            lib.set_float32_matmul_precision("medium")
            assert lib.get_float32_matmul_precision() == "medium"
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                lib.set_float32_matmul_precision("foo")
            assert lib.get_float32_matmul_precision() == "medium"
            assert "foo is not one of 'highest', 'high', or 'medium'" in str(caught[0].message)
    finally:
        torch.set_float32_matmul_precision("highest")
        ember.set_float32_matmul_precision("highest")


def test_compile_returns_the_model_and_typename():
    model = ember.nn.Linear(2, 3)
    assert ember.compile(model) is model
    assert ember.compile()(model) is model

    @ember.compile
    def f(x):
        return x * 2
    assert f(ember.ones(1)).item() == 2.0
    for e, t in ((ember.zeros(2), torch.zeros(2)),
                 (ember.zeros(2, dtype=ember.int64), torch.zeros(2, dtype=torch.int64)),
                 (3, 3), ("s", "s")):
        assert ember.typename(e) == torch.typename(t).replace("torch.", "ember.")
    assert ember.typename(model) == "ember.nn.modules.linear.Linear"
    assert ember.get_default_device() == ember.device("cpu")
    assert ember.is_storage(ember.zeros(1)) is False
    assert ember.is_warn_always_enabled() is torch.is_warn_always_enabled()
