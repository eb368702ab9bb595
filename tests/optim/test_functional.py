"""The array-level updates use only what GPU arrays support: ufuncs and in-place operators.

``HostlessArray`` stands in for a CuPy array: it takes part in ufuncs through
``__array_ufunc__`` and refuses to become a NumPy array, which on a GPU would mean a copy to
the host. Every update, with every option, must run on it and give NumPy's results exactly.
"""

import numpy as np
import pytest

from ember.optim import _functional as F
from ember.optim.optimizer import Scratch


class HostlessArray:
    def __init__(self, data):
        self.data = data

    shape = property(lambda self: self.data.shape)
    dtype = property(lambda self: self.data.dtype)
    size = property(lambda self: self.data.size)

    def __array__(self, *args, **kwargs):
        raise AssertionError("the update converted a device array to a host array")

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        if out is not None:
            kwargs["out"] = tuple(_unwrap(o) for o in out)
        result = getattr(ufunc, method)(*map(_unwrap, inputs), **kwargs)
        return out[0] if out is not None else HostlessArray(result)

    def _inplace(self, ufunc, other):
        ufunc(self.data, _unwrap(other), out=self.data)
        return self

    def __iadd__(self, other):
        return self._inplace(np.add, other)

    def __isub__(self, other):
        return self._inplace(np.subtract, other)

    def __imul__(self, other):
        return self._inplace(np.multiply, other)

    def __itruediv__(self, other):
        return self._inplace(np.true_divide, other)

    def copy(self):
        return HostlessArray(self.data.copy())


def _unwrap(x):
    return x.data if isinstance(x, HostlessArray) else x


class HostlessScratch(Scratch):
    def like(self, arr, slot=0):
        return HostlessArray(super().like(arr.data, slot))


def _run(update, kwargs, state_names, wrap, steps=5):
    rng = np.random.default_rng(0)
    shapes = [(3, 4), (5,)]
    params = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    states = {name: [np.full(s, 0.1, np.float32) for s in shapes] for name in state_names}
    step_counts = [np.zeros((), np.float32) for _ in shapes]
    box = HostlessArray if wrap else (lambda a: a)
    boxed_params = [box(p) for p in params]
    boxed_states = {k: [box(a) for a in v] for k, v in states.items()}
    scratch = HostlessScratch() if wrap else Scratch()
    for _ in range(steps):
        grads = [box(rng.standard_normal(s).astype(np.float32)) for s in shapes]
        update(boxed_params, grads, *boxed_states.values(), step_counts, scratch, **kwargs)
    return params


CASES = [
    (F.adam, dict(lr=0.1, beta1=0.9, beta2=0.99, eps=1e-8, weight_decay=0.1, amsgrad=True,
                  maximize=True, decoupled=False), ["m", "v", "vmax"]),
    (F.adam, dict(lr=0.1, beta1=0.3, beta2=0.99, eps=1e-8, weight_decay=0.1, amsgrad=False,
                  maximize=False, decoupled=True), ["m", "v", "vmax"]),
    (F.rmsprop, dict(lr=0.1, alpha=0.9, eps=1e-8, weight_decay=0.1, momentum=0.9,
                     centered=True, maximize=True), ["sq", "ga", "buf"]),
    (F.adagrad, dict(lr=0.1, lr_decay=0.01, weight_decay=0.1, eps=1e-10, maximize=False), ["s"]),
]


@pytest.mark.parametrize("update, kwargs, state_names", CASES)
def test_updates_run_on_device_like_arrays(update, kwargs, state_names):
    expected = _run(update, kwargs, state_names, wrap=False)
    got = _run(update, kwargs, state_names, wrap=True)
    for e, g in zip(expected, got):
        np.testing.assert_array_equal(e, g)


@pytest.mark.parametrize("kwargs", [
    dict(momentum=0.9, dampening=0.1, nesterov=False, weight_decay=0.1, maximize=True),
    dict(momentum=0.9, dampening=0.0, nesterov=True, weight_decay=0.0, maximize=False),
])
def test_sgd_runs_on_device_like_arrays(kwargs):
    def sgd(params, grads, steps, scratch, **kw):
        sgd.buffers = getattr(sgd, "buffers", None) or [None] * len(params)
        F.sgd(params, grads, sgd.buffers, scratch, **kw)

    results = []
    for wrap in (False, True):
        sgd.buffers = None
        results.append(_run(sgd, dict(lr=0.1, **kwargs), [], wrap))
        if wrap:
            assert all(isinstance(b, HostlessArray) for b in sgd.buffers)
    for e, g in zip(*results):
        np.testing.assert_array_equal(e, g)
