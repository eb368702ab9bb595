"""Activations that are also tensor ops: relu, sigmoid, tanh, softmax, log_softmax.

Softmax and log-softmax subtract the row maximum first, so large logits (1e4) stay finite.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype as D
from ..autograd.graph import Node
from . import _rows
from ._core import Tensor, record, state, wrap, wrap_dim
from ._errstate import quiet
from .arithmetic import _inplace, _write_out

__all__ = ["relu", "relu_", "sigmoid", "sigmoid_", "tanh", "tanh_", "softmax", "log_softmax"]


class ReluBackward0(Node):
    # The gradient is zeroed where the output is 0, and passes everywhere else: where it is
    # positive, and where it is NaN (an output is never negative). PyTorch zeroes it where
    # the output is <= 0, which is false for NaN; ``res > 0`` would drop it there.
    def backward(self, grad: Tensor) -> tuple:
        (res,) = self.saved()
        if state.enabled:  # create_graph: the gradient itself must be differentiable
            return (masked_gradient(ThresholdBackwardBackward0, grad, res._data != 0, res),)
        g = grad._data
        # The 0/1 mask, cast to the gradient's dtype, becomes the result: one array
        # allocated instead of two (in a training step those are cold megabytes).
        out = (res._data != 0).astype(g.dtype)
        if not out.ndim:  # a 0-d NumPy input gives scalars, which have no ``out=``
            return (wrap(g * out),)
        np.multiply(out, g, out=out)
        return (wrap(out),)


class _MaskedGradientBackward(Node):
    """Backward of ``grad * mask`` where the 0/1 (or slope) ``mask`` is read off a saved
    tensor: linear in ``grad``, and of zero derivative in the saved tensor."""

    def backward(self, grad: Tensor) -> tuple:
        (saved,) = self.saved()
        mask = self.mask.astype(grad._data.dtype, copy=False)
        return grad * wrap(mask), wrap(np.zeros_like(saved._data))


class ThresholdBackwardBackward0(_MaskedGradientBackward):
    pass


class LeakyReluBackwardBackward0(_MaskedGradientBackward):
    pass


class HardtanhBackwardBackward0(_MaskedGradientBackward):
    pass


def masked_gradient(node_type: type, grad: Tensor, mask: np.ndarray, saved: Tensor) -> Tensor:
    """``grad * mask`` for a piecewise-linear activation's backward under ``create_graph``.

    The result also depends on the tensor the mask was read from, as in torch (so that a
    second derivative exists, and is zero, even when ``grad`` itself is a constant).
    """
    res = wrap(grad._data * mask.astype(grad._data.dtype, copy=False))
    node = record(res, node_type, grad, saved)
    if node is not None:
        node.mask = mask
        node.save(saved)
    return res


_ZEROS: dict = {}  # dtype -> a read-only zero buffer, grown to the largest input seen
_ZEROS_FROM = 4096  # smaller inputs: the scalar form costs less than fetching the buffer


def _zeros_like(data: np.ndarray) -> Any:
    """Zeros shaped like ``data`` (a view of a shared buffer), or the scalar 0.

    NumPy's ``maximum`` of an array and a scalar runs a loop several times slower than
    of two arrays (13 vs 4 us for 64 x 512 float32), so ``relu`` compares against an
    array of zeros. The buffer comes from ``calloc``: pages never written cost no memory.
    """
    n = data.size
    if n < _ZEROS_FROM or type(data) is not np.ndarray:
        return 0  # a Python 0 is weakly typed: the dtype is kept
    buf = _ZEROS.get(data.dtype)
    if buf is None or buf.size < n:
        buf = np.zeros(n, data.dtype)
        buf.flags.writeable = False
        _ZEROS[data.dtype] = buf
    return buf[:n].reshape(data.shape)


def relu(input: Tensor) -> Tensor:
    """``max(input, 0)`` elementwise (integers stay integers)."""
    data = input._data
    if data.dtype.kind == "b":
        raise RuntimeError("Boolean inputs not supported for relu")
    res = wrap(np.maximum(data, _zeros_like(data)))
    node = record(res, ReluBackward0, input)
    if node is not None:
        node.save(res.detach())
    return res


def relu_(input: Tensor) -> Tensor:
    """In-place ``relu``."""
    return _inplace(input, relu(input))


class SigmoidBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        (res,) = self.saved()
        return (grad * res * (1 - res),)


def _sigmoid_array(x: np.ndarray) -> np.ndarray:
    # exp(-|x|) never overflows; the two branches give 1/(1+e^-x) for either sign of x.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """``1 / (1 + exp(-input))``, computed without overflow for large ``|input|``."""
    data = input._data
    if data.dtype.kind not in "fc":
        data = data.astype(D.get_default_dtype().np)
    res = wrap(_sigmoid_array(data).astype(data.dtype, copy=False))
    node = record(res, SigmoidBackward0, input)
    if node is not None:
        node.save(res.detach())
    return res if out is None else _write_out(res, out, "sigmoid")


def sigmoid_(input: Tensor) -> Tensor:
    """In-place ``sigmoid``."""
    return _inplace(input, sigmoid(input))


class TanhBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        (res,) = self.saved()
        return (grad * (1 - res * res),)


def tanh(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Hyperbolic tangent."""
    data = input._data
    if data.dtype.kind not in "fc":
        data = data.astype(D.get_default_dtype().np)
    res = wrap(np.tanh(data))
    node = record(res, TanhBackward0, input)
    if node is not None:
        node.save(res.detach())
    return res if out is None else _write_out(res, out, "tanh")


def tanh_(input: Tensor) -> Tensor:
    """In-place ``tanh``."""
    return _inplace(input, tanh(input))


def _softmax_dim(ndim: int, dim: int | None) -> int:
    if dim is None:  # torch's legacy implicit choice
        dim = 0 if ndim in (0, 1, 3) else 1
    return wrap_dim(dim, ndim)


def _prepare(input: Tensor, dtype: D.dtype | None, kernel: str) -> Tensor:
    """The input converted to ``dtype`` first (recorded, as torch does), floats only."""
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind not in "fc":
        raise NotImplementedError(f'"{kernel}_lastdim_kernel_impl" not implemented for '
                                  f"'{D.scalar_type_name(input.dtype)}'")
    return input


def _shifted(data: np.ndarray, d: int) -> np.ndarray:
    """``data`` minus its maximum along ``d``: exp of it cannot overflow."""
    if data.ndim == 0:
        return data - data
    if data.size == 0:
        return data.copy()
    with quiet():  # rows that are all -inf give NaN, as in torch
        return data - _rows.maxima_along(data, d)


class SoftmaxBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        (y,) = self.saved()
        gy = grad * y
        return (gy - y * gy.sum(self.dim, keepdim=True),)


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype: D.dtype | None = None, *, out: Any = None) -> Tensor:
    """``exp(x) / exp(x).sum(dim)``, computed stably.

    >>> ember.softmax(ember.tensor([1.0, 1.0]), dim=0)
    tensor([0.5000, 0.5000])
    """
    input = _prepare(input, dtype, "softmax")
    d = _softmax_dim(input._data.ndim, dim)
    e = np.exp(_shifted(input._data, d))
    if e.ndim:
        with quiet():
            e /= _rows.sums_along(e, d)
    res = wrap(e)
    node = record(res, SoftmaxBackward0, input)
    if node is not None:
        node.dim = d
        node.save(res.detach())
    return res if out is None else _write_out(res, out, "softmax")


class LogSoftmaxBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        (y,) = self.saved()
        return (grad - y.exp() * grad.sum(self.dim, keepdim=True),)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
                dtype: D.dtype | None = None, *, out: Any = None) -> Tensor:
    """``x - log(exp(x).sum(dim))``, computed stably."""
    input = _prepare(input, dtype, "log_softmax")
    d = _softmax_dim(input._data.ndim, dim)
    shifted = _shifted(input._data, d)
    if shifted.ndim and shifted.size:
        with quiet():
            shifted -= np.log(_rows.sums_along(np.exp(shifted), d))
    res = wrap(shifted)
    node = record(res, LogSoftmaxBackward0, input)
    if node is not None:
        node.dim = d
        node.save(res.detach())
    return res if out is None else _write_out(res, out, "log_softmax")
