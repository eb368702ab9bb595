"""More activations: hardswish, hardsigmoid, the shrinks, threshold, prelu, glu and rrelu.

Each forward computes on arrays; each backward node sits beside it and is written with ember
ops (or constant masks for the piecewise-linear ones), so second derivatives work.

Values at NaN follow torch's vectorised CPU kernels, which are what arrays of more than a few
elements go through (torch's scalar tail loops disagree with them for hardswish and the
shrinks): a NaN input gives a NaN output everywhere, and gradients at NaN are
hardswish NaN, hardsigmoid 0, softshrink/hardshrink 0, threshold 1, prelu/rrelu the slope.
"""

from __future__ import annotations


import numpy as np

from .. import _dtype as D
from .._backend import to_device
from .._random import numpy_rng
from ..autograd.graph import Node
from ._core import Tensor, record, sum_to, wrap, wrap_dim
from ._errstate import quiet
from .nn_ops import _const as _mask
from .nn_ops import _float_data as float_data

__all__ = ["hardswish", "hardsigmoid", "softshrink",
           "hardshrink", "threshold", "prelu", "glu", "rrelu", "ThresholdBackward1",
           "RreluWithNoiseBackward1"]


# -- hardswish / hardsigmoid -----------------------------------------------------------------
class HardswishBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        (x,) = self.saved()
        d = x._data
        # x/3 + 1/2 between the kinks, 0 at or below -3, 1 at or above 3. NaN falls in the
        # middle branch so it propagates; clamping keeps an infinite x from meeting a 0 mask.
        middle = _mask(x, ~((d <= -3) | (d >= 3)))
        deriv = middle * (x.clamp(-3, 3) / 3 + 0.5) + _mask(x, d >= 3)
        return (grad * deriv,)


def hardswish(input: Tensor) -> Tensor:
    """``x * relu6(x + 3) / 6``."""
    data = float_data(input, "hardswish_cpu")
    with quiet():  # -inf * 0 is NaN, as in torch
        out = data * np.clip(data + 3, 0, 6) / data.dtype.type(6)
    res = wrap(out.astype(data.dtype, copy=False))
    node = record(res, HardswishBackward0, input)
    if node is not None:
        node.save(input)
    return res


class HardsigmoidBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        (x,) = self.saved()
        inside = (x._data > -3) & (x._data < 3)
        return (grad * (_mask(x, inside) / 6),)


def hardsigmoid(input: Tensor) -> Tensor:
    """``relu6(x + 3) / 6``: 0 below -3, 1 above 3, linear between."""
    data = float_data(input, "hardsigmoid_cpu")
    res = wrap((np.clip(data + 3, 0, 6) / data.dtype.type(6)).astype(data.dtype, copy=False))
    node = record(res, HardsigmoidBackward0, input)
    if node is not None:
        node.save(input)
    return res


# -- softshrink / hardshrink -----------------------------------------------------------------
class SoftshrinkBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        (x,) = self.saved()
        return (grad * _mask(x, np.abs(x._data) > self.lambd),)


class HardshrinkBackward0(SoftshrinkBackward0):
    pass


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """Move ``x`` towards 0 by ``lambd``; 0 where ``|x| <= lambd``."""
    data = float_data(input, "softshrink_check")
    top = float(np.finfo(data.dtype).max)
    if not 0 <= lambd <= top:
        name = D.scalar_type_name(input.dtype)
        raise RuntimeError(f"lambda must be in range [0, {top:g}] for input dtype {name}, "
                           f"but found {lambd:g}")
    lam = data.dtype.type(lambd)
    with quiet():
        out = np.where(np.abs(data) <= lam, data.dtype.type(0), data - np.copysign(lam, data))
    return _shrink_result(out, input, SoftshrinkBackward0, lambd)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """``x`` where ``|x| > lambd``, else 0."""
    data = float_data(input, "hardshrink_cpu")
    out = np.where(np.abs(data) <= data.dtype.type(lambd), data.dtype.type(0), data)
    return _shrink_result(out, input, HardshrinkBackward0, lambd)


def _shrink_result(out: np.ndarray, input: Tensor, node_type: type, lambd: float) -> Tensor:
    res = wrap(out.astype(input._data.dtype, copy=False))
    node = record(res, node_type, input)
    if node is not None:
        node.lambd = lambd
        node.save(input)
    return res


# -- threshold -------------------------------------------------------------------------------
class ThresholdBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        (x,) = self.saved()
        # ``~(x <= t)`` rather than ``x > t``: a NaN input passes its gradient, as in torch.
        return (grad * _mask(x, ~(x._data <= self.threshold)),)


class ThresholdBackward1(ThresholdBackward0):
    """The in-place form's node (torch names it differently)."""


def threshold(input: Tensor, threshold: float, value: float,
              _node: type = ThresholdBackward0) -> Tensor:
    """``value`` where ``x <= threshold``, else ``x`` (integer tensors too)."""
    data = input._data
    if data.dtype.kind == "b":
        raise NotImplementedError('"threshold_cpu" not implemented for \'Bool\'')
    res = wrap(np.where(data <= threshold, data.dtype.type(value), data))
    node = record(res, _node, input)
    if node is not None:
        node.threshold = threshold
        node.save(input)
    return res


# -- prelu -----------------------------------------------------------------------------------
def _prelu_checks(input: Tensor, weight: Tensor) -> None:
    float_data(input, "prelu_cpu")
    if weight.ndim > 1:
        raise RuntimeError("prelu: Expected `weight` to be a scalar or 1D tensor, but got: "
                           f"ndim = {weight.ndim}")
    if weight._data.dtype != input._data.dtype:
        raise RuntimeError("prelu: Type promoting not supported. Got "
                           f"{input.dtype._legacy[:-6]} and {weight.dtype._legacy[:-6]}")
    n = weight._data.size
    channels = input.shape[1] if input.ndim >= 2 else 1
    if n != 1 and n != channels:
        raise RuntimeError("Mismatch of parameter numbers and input channel size. Found "
                           f"parameter numbers = {n} and channel size = {channels}.")


def _aligned_shape(input: Tensor, weight: Tensor) -> tuple:
    """The shape that lines ``weight`` up with dim 1 of ``input``, one dim per input dim."""
    n = weight._data.size
    if input.ndim < 2:
        return (n,) * input.ndim
    return (1, n) + (1,) * (input.ndim - 2)


class PreluKernelBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        x, w = self.saved()
        positive = _mask(x, x._data > 0)
        gx = grad * (positive + (1 - positive) * w)
        # clamp(max=0) is x on the negative side and 0 elsewhere, even for x = +inf.
        return gx, sum_to(grad * x.clamp(max=0), w.shape)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """``x`` where positive, ``weight * x`` elsewhere; one slope per channel (dim 1)."""
    _prelu_checks(input, weight)
    shape = _aligned_shape(input, weight)
    if weight.shape != shape:
        # A recorded view, as in torch: the kernel sees a weight broadcastable to the input.
        weight = weight.reshape(shape)
    data = input._data
    res = wrap(np.where(data > 0, data, data * weight._data).astype(data.dtype, copy=False))
    node = record(res, PreluKernelBackward0, input, weight)
    if node is not None:
        node.save(input, weight)
    return res


# -- glu -------------------------------------------------------------------------------------
class GluBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        (x,) = self.saved()
        from .join import cat
        a, b = x.chunk(2, self.dim)
        s = b.sigmoid()
        return (cat([grad * s, grad * a * s * (1 - s)], self.dim),)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """First half of ``dim`` times the sigmoid of the second half."""
    data = float_data(input, "glu_cpu")
    if data.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    dim = wrap_dim(dim, data.ndim)
    size = data.shape[dim]
    if size % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {dim} is size "
                           f"{size}")
    from .nn_ops import _sigmoid
    a, b = np.split(data, 2, axis=dim)
    res = wrap((a * _sigmoid(b)).astype(data.dtype, copy=False))
    node = record(res, GluBackward0, input)
    if node is not None:
        node.dim = dim
        node.save(input)
    return res


# -- rrelu -----------------------------------------------------------------------------------
class RreluWithNoiseBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (grad * self.noise,)


class RreluWithNoiseBackward1(RreluWithNoiseBackward0):
    """The in-place form's node (torch names it differently)."""


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
          training: bool = False, _node: type = RreluWithNoiseBackward0) -> Tensor:
    """Leaky ReLU whose negative slope is drawn from ``U(lower, upper)`` per element in
    training, and is ``(lower + upper) / 2`` otherwise."""
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    data = float_data(input, "rrelu_with_noise_out_cpu" if training else "leaky_relu_cpu")
    if training:
        draw = numpy_rng(None).random(data.shape)
        if type(data) is not np.ndarray:  # the slopes live where the input does
            draw = to_device(draw, input.device)
        slopes = (lower + (upper - lower) * draw).astype(data.dtype)
        # Like torch, only inputs <= 0 take a random slope; NaN and positives keep 1.
        noise = np.where(data <= 0, slopes, data.dtype.type(1))
    else:
        noise = np.where(data > 0, data.dtype.type(1), data.dtype.type((lower + upper) / 2))
    res = wrap((data * noise).astype(data.dtype, copy=False))
    node = record(res, _node, input)
    if node is not None:
        node.noise = wrap(noise)
    return res
