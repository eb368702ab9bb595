"""Neural-network activations and dropout, each forward beside its backward node.

Forwards compute on arrays in one pass; backwards are written with ember ops so that
second derivatives work. Piecewise-linear activations (leaky_relu, hardtanh) use a constant
mask in their backward, which is exact for every order.

Only the names torch also has at top level (``dropout``, ``selu``, ``celu``, and
``binary_cross_entropy_with_logits`` from ``loss_ops``) are exported with ``*``;
``ember.nn.functional`` imports the rest.
"""

from __future__ import annotations

import math
from typing import Any
from collections.abc import Callable

import numpy as np

from .. import _dtype as D
from .._backend import to_device
from .._random import numpy_rng
from ..autograd.graph import Node
from ._core import Tensor, check_inplace, record, state, wrap
from .activation import (HardtanhBackwardBackward0, LeakyReluBackwardBackward0,
                         masked_gradient)
from .loss_ops import binary_cross_entropy_with_logits

__all__ = ["dropout", "dropout_", "selu", "celu", "binary_cross_entropy_with_logits"]

_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_GELU_CUBIC = 0.044715
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _float_data(input: Tensor, kernel: str) -> np.ndarray:
    data = input._data
    if data.dtype.kind != "f":
        name = D.scalar_type_name(input.dtype)
        raise NotImplementedError(f'"{kernel}" not implemented for \'{name}\'')
    return data


def _const(input: Tensor, array: np.ndarray) -> Tensor:
    """A non-differentiable tensor of ``input``'s dtype (a mask or a slope)."""
    return wrap(array.astype(input._data.dtype, copy=False))


def inplace_apply(fn: Callable[..., Tensor], input: Tensor, *args: Any) -> Tensor:
    """Run ``fn`` out of place and store its result and history into ``input``.

    No clone enters the graph: the new node's edge leads straight to ``input``'s previous
    history, as torch's in-place kernels record it. If the node saved ``input`` (which is
    about to change), it keeps a clone of the old values instead, with their history, so
    that double backward still works.
    """
    from .arithmetic import _inplace
    check_inplace(input)
    result = fn(input, *args)
    node = result.grad_fn
    if node is not None and node._saved and any(t is input for t in node._saved):
        keep = input.clone()  # recorded: a node exists only with grad mode on
        node.save(*(keep if t is input else t for t in node._saved))
    return _inplace(input, result)


# -- leaky_relu ------------------------------------------------------------------------------
class LeakyReluBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        (x,) = self.saved()
        slope = np.where(x._data > 0, 1.0, self.negative_slope)
        if state.enabled:  # create_graph: differentiable in ``x`` too (zero derivative)
            return (masked_gradient(LeakyReluBackwardBackward0, grad, slope, x),)
        return (grad * _const(x, slope),)


def leaky_relu(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """``x`` where positive, ``negative_slope * x`` elsewhere."""
    data = _float_data(input, "leaky_relu_cpu")
    res = wrap(np.where(data > 0, data, data * negative_slope))
    node = record(res, LeakyReluBackward0, input)
    if node is not None:
        node.negative_slope = negative_slope
        node.save(input)
    return res


# -- hardtanh (and relu6) ------------------------------------------------------------------
class HardtanhBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        (x,) = self.saved()
        inside = (x._data > self.min_val) & (x._data < self.max_val)
        if state.enabled:
            return (masked_gradient(HardtanhBackwardBackward0, grad, inside, x),)
        return (grad * _const(x, inside),)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """Clamp to ``[min_val, max_val]``; the gradient is zero outside (and on) the bounds."""
    data = input._data
    if data.dtype.kind == "b":
        raise RuntimeError('"hardtanh_backward_cpu" not implemented for \'Bool\'')
    res = wrap(np.clip(data, data.dtype.type(min_val), data.dtype.type(max_val)))
    node = record(res, HardtanhBackward0, input)
    if node is not None:
        node.min_val, node.max_val = min_val, max_val
        node.save(input)
    return res


# -- elu family ----------------------------------------------------------------------------
class EluBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        (x,) = self.saved()
        # Clamping first keeps exp finite on the positive side, where it is not used.
        neg = (x.clamp(max=0) * self.input_scale).exp() * (
            self.scale * self.alpha * self.input_scale)
        positive = _const(x, x._data > 0)
        return (grad * (positive * self.scale + (1 - positive) * neg),)


class CeluBackward0(EluBackward0):
    pass


def elu(input: Tensor, alpha: float = 1.0, scale: float = 1.0, input_scale: float = 1.0,
        _node: type = EluBackward0) -> Tensor:
    """``scale * x`` where positive, ``scale * alpha * (exp(input_scale * x) - 1)`` elsewhere."""
    data = _float_data(input, "elu_cpu")
    neg = np.expm1(np.minimum(data, 0) * input_scale) * (scale * alpha)
    res = wrap(np.where(data > 0, data * scale if scale != 1 else data, neg))
    node = record(res, _node, input)
    if node is not None:
        node.alpha, node.scale, node.input_scale = alpha, scale, input_scale
        node.save(input)
    return res


def selu(input: Tensor) -> Tensor:
    """Scaled ELU with the self-normalizing constants."""
    return elu(input, _SELU_ALPHA, _SELU_SCALE)


def celu(input: Tensor, alpha: float = 1.0) -> Tensor:
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``."""
    return elu(input, alpha, 1.0, 1.0 / alpha, CeluBackward0)


# -- gelu ----------------------------------------------------------------------------------
class GeluBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        (x,) = self.saved()
        if self.approximate == "tanh":
            inner = (x + x * x * x * _GELU_CUBIC) * _SQRT_2_OVER_PI
            t = inner.tanh()
            d_inner = (x * x * (3 * _GELU_CUBIC) + 1) * _SQRT_2_OVER_PI
            deriv = (t + 1) * 0.5 + x * 0.5 * (1 - t * t) * d_inner
        else:
            cdf = ((x * _SQRT_HALF).erf() + 1) * 0.5
            pdf = (x * x * -0.5).exp() * _INV_SQRT_2PI
            deriv = cdf + x * pdf
        return (grad * deriv,)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """``x * Phi(x)`` (Phi the normal CDF), or its tanh approximation."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    data = _float_data(input, "GeluKernelImpl")
    if approximate == "tanh":
        inner = (data + data * data * data * _GELU_CUBIC) * _SQRT_2_OVER_PI
        out = data * 0.5 * (1 + np.tanh(inner))
    else:
        from .unary import _erf
        out = data * 0.5 * (1 + _erf(data * _SQRT_HALF))
    res = wrap(out.astype(data.dtype, copy=False))
    node = record(res, GeluBackward0, input)
    if node is not None:
        node.approximate = approximate
        node.save(input)
    return res


# -- silu, mish, softplus, logsigmoid --------------------------------------------------------
def _sigmoid(data: np.ndarray) -> np.ndarray:
    from .activation import _sigmoid_array
    return _sigmoid_array(data).astype(data.dtype, copy=False)


def _softplus(data: np.ndarray) -> np.ndarray:
    """``log(1 + exp(x))`` without overflow."""
    return np.logaddexp(data.dtype.type(0), data)


class SiluBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        (x,) = self.saved()
        s = x.sigmoid()
        return (grad * (s * (x * (1 - s) + 1)),)


def silu(input: Tensor) -> Tensor:
    """``x * sigmoid(x)`` (also called swish)."""
    data = _float_data(input, "silu_cpu")
    res = wrap(data * _sigmoid(data))
    node = record(res, SiluBackward0, input)
    if node is not None:
        node.save(input)
    return res


class MishBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        (x,) = self.saved()
        t = softplus(x).tanh()
        return (grad * (t + x * x.sigmoid() * (1 - t * t)),)


def mish(input: Tensor) -> Tensor:
    """``x * tanh(softplus(x))``."""
    data = _float_data(input, "mish_cpu")
    res = wrap(data * np.tanh(_softplus(data)))
    node = record(res, MishBackward0, input)
    if node is not None:
        node.save(input)
    return res


class SoftplusBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        (x,) = self.saved()
        bx = x * self.beta
        linear = _const(x, bx._data > self.threshold)
        return (grad * (linear + (1 - linear) * bx.sigmoid()),)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta * x)) / beta``, switching to ``x`` where ``beta * x > threshold``."""
    data = _float_data(input, "softplus_cpu")
    bx = data * beta if beta != 1 else data
    smooth = _softplus(bx) / beta if beta != 1 else _softplus(bx)
    res = wrap(np.where(bx > threshold, data, smooth).astype(data.dtype, copy=False))
    node = record(res, SoftplusBackward0, input)
    if node is not None:
        node.beta, node.threshold = beta, threshold
        node.save(input)
    return res


class LogSigmoidBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        (x,) = self.saved()
        return (grad * (-x).sigmoid(),)


def logsigmoid(input: Tensor) -> Tensor:
    """``log(sigmoid(x))``, finite for large negative ``x``."""
    data = _float_data(input, "log_sigmoid_cpu")
    res = wrap(-_softplus(-data))
    node = record(res, LogSigmoidBackward0, input)
    if node is not None:
        node.save(input)
    return res


# -- dropout -------------------------------------------------------------------------------
def _keep_mask(input: Tensor, p: float, generator: Any = None) -> Tensor:
    """Zeros with probability ``p``, else ``1 / (1 - p)``, in ``input``'s dtype and device."""
    data = input._data
    keep = numpy_rng(generator).random(data.shape, dtype=np.float32) >= p
    mask = keep.astype(data.dtype) * data.dtype.type(1.0 / (1.0 - p))
    if type(data) is not np.ndarray:
        mask = to_device(mask, input.device)
    return wrap(mask)


def _check_p(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def dropout(input: Tensor, p: float = 0.5, train: bool = True) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``.

    Out of training (or with ``p == 0``) the input is returned unchanged.
    """
    _check_p(p)
    if not train or p == 0.0:
        return input
    if p == 1.0:
        return input * (0.0 if input._data.dtype.kind in "fc" else False)  # keeps the dtype
    if input._data.dtype.kind not in "fc":  # the 1 / (1 - p) scale has no integer form
        raise RuntimeError("result type Float can't be cast to the desired output type "
                           f"{D.scalar_type_name(input.dtype)}")
    return input * _keep_mask(input, p)


def dropout_(input: Tensor, p: float = 0.5, train: bool = True) -> Tensor:
    """In-place ``dropout``."""
    _check_p(p)
    if not train or p == 0.0:
        return input
    if p == 1.0:
        return input.mul_(0.0)
    return input.mul_(_keep_mask(input, p))
