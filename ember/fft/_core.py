"""The differentiable transform primitives behind ``ember.fft``.

Three kernels cover every transform: complex-to-complex (``c2c``), real-to-complex
(``r2c``, full or one-sided) and one-sided complex-to-real (``c2r``). Each has a backward
node built from the others, so gradients are themselves differentiable. ``norm`` is the
user's mode for the direction the kernel runs in; a backward pass runs the opposite
direction with the same scale factor, which is the other mode ("backward" <-> "forward").
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype as D
from ..autograd.graph import Node
from ..ops._core import Tensor, record, wrap

_SWAP = {"backward": "forward", "forward": "backward", "ortho": "ortho"}
_COMPLEX_OF = {np.dtype(np.float32): np.complex64, np.dtype(np.float64): np.complex128}


def _backend() -> Any:
    """``scipy.fft`` when installed (it keeps single precision), else ``numpy.fft``."""
    try:
        import scipy.fft as mod
    except ImportError:
        mod = np.fft
    return mod


def complex_dtype(real: np.dtype) -> np.dtype:
    return np.dtype(_COMPLEX_OF.get(np.dtype(real), np.complex64))


def _result(arr: np.ndarray, dtype: np.dtype) -> Tensor:
    return wrap(np.ascontiguousarray(arr, dtype=dtype))


class ToCopyBackward0(Node):
    """A real tensor cast to complex: the gradient is the real part of the incoming one."""

    def backward(self, grad: Tensor) -> tuple:
        return (grad.real,)


def to_complex(t: Tensor) -> Tensor:
    """``t`` as complex (integers through the default float dtype first)."""
    d = t._data
    if d.dtype.kind == "c":
        return t
    real = d.dtype if d.dtype.kind == "f" else D._defaults.float.np
    res = wrap(d.astype(complex_dtype(real)))
    record(res, ToCopyBackward0, t)
    return res


def to_float(t: Tensor) -> Tensor:
    """A real tensor with an integer or bool dtype as the default float dtype."""
    return t if t._data.dtype.kind in "fc" else t.to(D._defaults.float)


class ConjBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (conj(grad),)


def conj(t: Tensor) -> Tensor:
    """The complex conjugate, as a new tensor recorded for autograd."""
    res = wrap(np.conj(t._data))
    record(res, ConjBackward0, t)
    return res


class FftC2CBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (c2c(grad, self.dims, _SWAP[self.norm], not self.forward),)


def c2c(t: Tensor, dims: tuple, norm: str, forward: bool) -> Tensor:
    mod = _backend()
    fn = mod.fftn if forward else mod.ifftn
    res = _result(fn(t._data, axes=dims, norm=norm), t._data.dtype)
    node = record(res, FftC2CBackward0, t)
    if node is not None:
        node.dims, node.norm, node.forward = dims, norm, forward
    return res


class FftR2CBackward0(Node):
    # The one-sided output dropped the upper half of the spectrum: its gradient is zero.
    def backward(self, grad: Tensor) -> tuple:
        if self.onesided:
            grad = resize(grad, self.dims[-1:], (self.last,))
        return (c2c(grad, self.dims, _SWAP[self.norm], False).real,)


def r2c(t: Tensor, dims: tuple, norm: str, onesided: bool) -> Tensor:
    mod = _backend()
    fn = mod.rfftn if onesided else mod.fftn
    res = _result(fn(t._data, axes=dims, norm=norm), complex_dtype(t._data.dtype))
    node = record(res, FftR2CBackward0, t)
    if node is not None:
        node.dims, node.norm, node.onesided = dims, norm, onesided
        node.last = t._data.shape[dims[-1]]
    return res


class FftC2RBackward0(Node):
    # Bins 1 .. n - n//2 - 1 stand for two conjugate bins of the full spectrum, so the
    # one-sided transform's gradient counts them twice.
    def backward(self, grad: Tensor) -> tuple:
        out = r2c(grad, self.dims, _SWAP[self.norm], True)
        n, ndim = self.last, out._data.ndim
        weight = np.ones(n // 2 + 1, dtype=grad._data.dtype)
        weight[1:n - n // 2] = 2
        shape = [1] * ndim
        shape[self.dims[-1]] = n // 2 + 1
        return (out * wrap(weight.reshape(shape)),)


def c2r(t: Tensor, dims: tuple, norm: str, last: int) -> Tensor:
    """The inverse of a one-sided transform; ``t`` already has ``last // 2 + 1`` bins."""
    shape = [t._data.shape[d] for d in dims[:-1]] + [last]
    out = _backend().irfftn(t._data, s=shape, axes=dims, norm=norm)
    res = _result(out, np.empty(0, t._data.dtype).real.dtype)
    node = record(res, FftC2RBackward0, t)
    if node is not None:
        node.dims, node.norm, node.last = dims, norm, last
    return res


class ResizeBackward(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (resize(grad, self.dims, self.sizes),)


def resize(t: Tensor, dims: tuple, sizes: tuple) -> Tensor:
    """``t`` cut or zero-padded at the end of each of ``dims`` to ``sizes``."""
    d = t._data
    if all(d.shape[dim] == n for dim, n in zip(dims, sizes)):
        return t
    shape = list(d.shape)
    for dim, n in zip(dims, sizes):
        shape[dim] = n
    out = np.zeros(shape, d.dtype)
    common = tuple(slice(0, min(a, b)) for a, b in zip(d.shape, shape))
    out[common] = d[common]
    res = wrap(out)
    node = record(res, ResizeBackward, t)
    if node is not None:
        node.dims, node.sizes = dims, tuple(d.shape[dim] for dim in dims)
    return res
