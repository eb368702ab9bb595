"""Activations that are also tensor ops: relu, sigmoid, tanh, softmax, log_softmax.

Softmax and log-softmax subtract the row maximum first, so large logits (1e4) stay finite.
"""

from __future__ import annotations



import numpy as np

from .. import _dtype as D
from ..autograd.graph import Node
from ._core import Tensor, record, wrap, wrap_dim

__all__ = ["relu", "relu_", "sigmoid", "tanh", "softmax", "log_softmax"]


class ReluBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        (res,) = self.saved()
        return (grad * (res > 0).to(grad.dtype),)


def relu(input: Tensor) -> Tensor:
    data = input._data
    res = wrap(np.maximum(data, data.dtype.type(0)))
    node = record(res, ReluBackward0, input)
    if node is not None:
        node.save(res.detach())
    return res


def relu_(input: Tensor) -> Tensor:
    from .arithmetic import _inplace
    return _inplace(input, relu(input.clone() if input._requires_grad else input))


class SigmoidBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        (res,) = self.saved()
        return (grad * res * (1 - res),)


def _sigmoid_array(x: np.ndarray) -> np.ndarray:
    # exp(-|x|) never overflows; the two branches give 1/(1+e^-x) for either sign of x.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid(input: Tensor) -> Tensor:
    data = input._data
    if data.dtype.kind not in "fc":
        data = data.astype(D.get_default_dtype().np)
    res = wrap(_sigmoid_array(data).astype(data.dtype, copy=False))
    node = record(res, SigmoidBackward0, input)
    if node is not None:
        node.save(res.detach())
    return res


class TanhBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        (res,) = self.saved()
        return (grad * (1 - res * res),)


def tanh(input: Tensor) -> Tensor:
    data = input._data
    if data.dtype.kind not in "fc":
        data = data.astype(D.get_default_dtype().np)
    res = wrap(np.tanh(data))
    node = record(res, TanhBackward0, input)
    if node is not None:
        node.save(res.detach())
    return res


def _softmax_dim(ndim: int, dim: int | None) -> int:
    if dim is None:  # torch's legacy implicit choice
        dim = 0 if ndim in (0, 1, 3) else 1
    return wrap_dim(dim, ndim)


def _prepare(input: Tensor, dtype: D.dtype | None) -> np.ndarray:
    data = input._data if dtype is None else input._data.astype(dtype.np)
    if data.dtype.kind not in "fc":
        raise RuntimeError(f'"softmax_lastdim_kernel_impl" not implemented for '
                           f"'{input.dtype.name.capitalize()}'")
    return data


class SoftmaxBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        (y,) = self.saved()
        gy = grad * y
        return (gy - y * gy.sum(self.dim, keepdim=True),)


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype: D.dtype | None = None) -> Tensor:
    data = _prepare(input, dtype)
    if data.ndim == 0:
        res = wrap(np.ones_like(data))
        d = 0
    else:
        d = _softmax_dim(data.ndim, dim)
        shifted = data - data.max(axis=d, keepdims=True)
        e = np.exp(shifted)
        e /= e.sum(axis=d, keepdims=True)
        res = wrap(e)
    node = record(res, SoftmaxBackward0, input)
    if node is not None:
        node.dim = d
        node.save(res.detach())
    return res


class LogSoftmaxBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        (y,) = self.saved()
        return (grad - y.exp() * grad.sum(self.dim, keepdim=True),)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
                dtype: D.dtype | None = None) -> Tensor:
    data = _prepare(input, dtype)
    if data.ndim == 0:
        res = wrap(np.zeros_like(data))
        d = 0
    else:
        d = _softmax_dim(data.ndim, dim)
        shifted = data - data.max(axis=d, keepdims=True)
        shifted -= np.log(np.exp(shifted).sum(axis=d, keepdims=True))
        res = wrap(shifted)
    node = record(res, LogSoftmaxBackward0, input)
    if node is not None:
        node.dim = d
        node.save(res.detach())
    return res


