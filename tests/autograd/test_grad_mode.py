"""Grad modes against PyTorch: no_grad, enable_grad, set_grad_enabled, inference_mode."""


import pytest

import ember

torch = pytest.importorskip("torch")

LIBS = (ember, torch)


def recorded(L):
    x = L.ones(2, requires_grad=True)
    return (x * 2).requires_grad


@pytest.mark.parametrize("L", LIBS, ids=["ember", "torch"])
def test_context_managers(L):
    with L.no_grad():
        assert not recorded(L) and not L.is_grad_enabled()
        with L.enable_grad():
            assert recorded(L) and L.is_grad_enabled()
        assert not recorded(L)
    assert recorded(L)
    with L.set_grad_enabled(False):
        assert not recorded(L)
        with L.set_grad_enabled(True):
            assert recorded(L)
    assert recorded(L)
    with L.inference_mode():
        assert not recorded(L) and L.is_inference_mode_enabled()
        with L.inference_mode(False):
            assert not L.is_inference_mode_enabled() and recorded(L)
    assert not L.is_inference_mode_enabled() and recorded(L)


@pytest.mark.parametrize("L", LIBS, ids=["ember", "torch"])
def test_set_grad_enabled_as_a_function(L):
    L.set_grad_enabled(False)
    try:
        assert not recorded(L)
    finally:
        L.set_grad_enabled(True)
    assert recorded(L)


@pytest.mark.parametrize("L", LIBS, ids=["ember", "torch"])
def test_decorators(L):
    @L.no_grad()
    def called():
        return recorded(L)

    @L.no_grad
    def bare():
        return recorded(L)

    @L.enable_grad()
    def enabled():
        return recorded(L)

    @L.set_grad_enabled(False)
    def switched_off():
        return recorded(L)

    @L.inference_mode()
    def inference():
        return recorded(L), L.is_inference_mode_enabled()

    @L.inference_mode
    def inference_bare():
        return recorded(L)

    assert not called() and not bare() and not switched_off() and not inference_bare()
    assert inference() == (False, True)
    assert recorded(L)  # decorating switched nothing on its own
    with L.no_grad():
        assert enabled()
    assert called.__name__ == "called"


@pytest.mark.parametrize("L", LIBS, ids=["ember", "torch"])
def test_decorated_generators_keep_the_mode_inside_only(L):
    @L.no_grad()
    def gen():
        for _ in range(2):
            yield recorded(L)

    seen = []
    for inside in gen():
        seen.append((inside, recorded(L)))
    assert seen == [(False, True), (False, True)]


@pytest.mark.parametrize("L", LIBS, ids=["ember", "torch"])
def test_modes_are_restored_after_exceptions(L):
    with pytest.raises(ValueError):
        with L.no_grad():
            raise ValueError
    assert L.is_grad_enabled()

    @L.no_grad()
    def boom():
        raise KeyError

    with pytest.raises(KeyError):
        boom()
    assert L.is_grad_enabled()


def test_ops_under_no_grad_still_compute():
    for L in LIBS:
        w = L.ones(3, requires_grad=True)
        with L.no_grad():
            y = w * 2
            w.add_(1)  # allowed without grad mode: the optimizer's update
        assert not y.requires_grad and y.grad_fn is None
        assert w.tolist() == [2.0, 2.0, 2.0] and w.is_leaf


def test_detach_and_requires_grad_flags():
    for L in LIBS:
        x = L.ones(2, requires_grad=True)
        d = (x * 2).detach()
        assert not d.requires_grad and d.grad_fn is None and d.is_leaf
        x2 = L.ones(2)
        x2.requires_grad_()
        assert x2.requires_grad and x2.is_leaf
        x2.requires_grad = False
        assert not (x2 * 1).requires_grad
