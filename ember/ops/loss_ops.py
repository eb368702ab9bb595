"""Loss functions with their own backward nodes: cross-entropy, NLL, MSE, smooth L1, Huber,
binary cross-entropy (on probabilities and on logits).

Cross-entropy is one fused node: the forward takes a max-shifted log-softmax (finite for
logits of 1e4) and the backward is ``softmax - target`` scaled, in one step, instead of a
chain of log_softmax, gather and mean nodes. The node carries the name torch gives to the
op at the top of its own chain (``NllLossBackward0`` for class indices), so printed
``grad_fn`` values match.

``reduction`` is ``"none"``, ``"mean"`` or ``"sum"``; ``"mean"`` of a weighted class loss
divides by the total weight of the targets, as torch does.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype as D
from ..autograd.graph import Node
from ..autograd.grad_mode import state
from ._core import Tensor, binary_operands, record, sum_to, wrap

__all__ = ["binary_cross_entropy_with_logits"]

_EPS = 1e-12  # keeps the BCE gradient finite at probabilities 0 and 1
_LOG_FLOOR = -100.0  # torch clamps log(0) here so that BCE stays finite


def check_reduction(reduction: str) -> None:
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")


def _reduce(values: np.ndarray, reduction: str) -> np.ndarray:
    if reduction == "none":
        return values
    if reduction == "mean" and values.size == 0:  # nan, without NumPy's empty-mean warning
        return np.asarray(np.nan, dtype=values.dtype)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(values.sum() if reduction == "sum" else values.mean())



def _require_float(dt: np.dtype, kernel: str) -> None:
    """torch's regression kernels exist for floating point only."""
    if dt.kind != "f":
        raise NotImplementedError(f'"{kernel}" not implemented for \'{D.scalar_type_name(dt)}\'')


def _cast_error(result: np.dtype, output: np.dtype) -> RuntimeError:
    return RuntimeError(f"result type {D.scalar_type_name(result)} can't be cast to the desired "
                        f"output type {D.scalar_type_name(output)}")


def _no_grad_for(fn_name: str, arg: str, t: Tensor | None) -> None:
    if t is not None and state.enabled and t._requires_grad:
        raise RuntimeError(f"The function '{fn_name}' is not differentiable with respect to "
                           f"argument '{arg}'. This input cannot have requires_grad True.")


def _operands(input: Tensor, target: Tensor) -> tuple:
    """Promoted arrays of input and target, refusing shapes that do not broadcast."""
    a_shape, b_shape = input._data.shape, target._data.shape
    if a_shape != b_shape:
        n = max(len(a_shape), len(b_shape))
        pa, pb = (1,) * (n - len(a_shape)) + a_shape, (1,) * (n - len(b_shape)) + b_shape
        for i in range(n - 1, -1, -1):
            if pa[i] != pb[i] and 1 not in (pa[i], pb[i]):
                raise RuntimeError(f"The size of tensor a ({pa[i]}) must match the size of "
                                   f"tensor b ({pb[i]}) at non-singleton dimension {i}")
    return binary_operands(input, target)


def _mismatch(a: tuple, b: tuple) -> tuple | None:
    """The first (from the right) dimension where ``a`` and ``b`` do not broadcast, as
    ``(dim counted from the left of the broadcast shape, size in a, size in b)``."""
    n = max(len(a), len(b))
    pa, pb = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
    for i in range(n - 1, -1, -1):
        if pa[i] != pb[i] and 1 not in (pa[i], pb[i]):
            return i, pa[i], pb[i]
    return None


def _check_fits(out: tuple, other: tuple) -> None:
    """``other`` must broadcast into an output of shape ``out`` without enlarging it."""
    shape = np.broadcast_shapes(out, other)
    if shape != out:
        raise RuntimeError(f"output with shape {list(out)} doesn't match the broadcast shape "
                           f"{list(shape)}")


def _check_bce_weight(shape: tuple, weight: Tensor | None) -> None:
    """Binary cross-entropy's ``weight`` is expanded to the target's shape."""
    if weight is None:
        return
    w = weight._data.shape
    bad = _mismatch(shape, w)
    if bad is not None:
        dim = bad[0] - max(len(shape), len(w))
        raise RuntimeError(f"Attempting to broadcast a dimension of length {bad[2]} at {dim}! "
                           f"Mismatching argument at index 1 had ember.Size({list(w)}); but "
                           f"expected shape should be broadcastable to {list(shape)}")
    _check_fits(shape, w)


def _check_logits_operands(input: Tensor, target: Tensor, weight: Tensor | None,
                           pos_weight: Tensor | None) -> None:
    x, y = input._data, target._data
    if y.dtype == np.bool_:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    if y.dtype.kind != "f":
        raise _cast_error(x.dtype if x.dtype.kind == "f" else np.dtype(np.float32), y.dtype)
    if x.dtype.kind != "f":
        raise NotImplementedError('"log_sigmoid_cpu" not implemented for '
                                  f"'{D.scalar_type_name(x.dtype)}'")
    for a, b in ((pos_weight, target), (input, weight)):
        if a is not None and b is not None:
            bad = _mismatch(a._data.shape, b._data.shape)
            if bad is not None:
                raise RuntimeError(f"The size of tensor a ({bad[1]}) must match the size of "
                                   f"tensor b ({bad[2]}) at non-singleton dimension {bad[0]}")
    for extra in (pos_weight, weight):
        if extra is not None:
            _check_fits(x.shape, extra._data.shape)


# -- pointwise regression losses ----------------------------------------------------------
class _PointwiseLoss(Node):
    """Backward shared by losses of ``d = input - target``: ``dL/dd = deriv(d)``."""

    def deriv(self, diff: Tensor) -> Tensor:
        raise NotImplementedError

    def backward(self, grad: Tensor) -> tuple:
        x, y = self.saved()
        g = grad * self.scale if self.scale != 1 else grad
        gd = self.deriv(x - y) * g
        gx = sum_to(gd, self.shapes[0]) if self.needs[0] else None
        gy = sum_to(-gd, self.shapes[1]) if self.needs[1] else None
        return gx, gy


class MseLossBackward0(_PointwiseLoss):
    def deriv(self, diff: Tensor) -> Tensor:
        return diff * 2.0


class SmoothL1LossBackward0(_PointwiseLoss):
    def deriv(self, diff: Tensor) -> Tensor:
        quad = wrap((np.abs(diff._data) < self.beta).astype(diff._data.dtype))
        return quad * (diff * (1.0 / self.beta)) + (1 - quad) * diff.sign()


class HuberLossBackward0(_PointwiseLoss):
    def deriv(self, diff: Tensor) -> Tensor:
        quad = wrap((np.abs(diff._data) < self.delta).astype(diff._data.dtype))
        return quad * diff + (1 - quad) * (diff.sign() * self.delta)


def _pointwise_loss(node_type: type, input: Tensor, target: Tensor, values: np.ndarray,
                    reduction: str, **attrs: Any) -> Tensor:
    res = wrap(_reduce(values, reduction))
    node = record(res, node_type, input, target)
    if node is not None:
        node.scale = 1.0 / values.size if reduction == "mean" and values.size else 1.0
        node.needs = (input._requires_grad, target._requires_grad)
        node.shapes = (input._data.shape, target._data.shape)
        node.__dict__.update(attrs)
        node.save(input, target)
    return res


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Mean (or sum) of squared differences, broadcasting ``target`` against ``input``."""
    a, b = _operands(input, target)
    _require_float(a.dtype, "mse_cpu")
    diff = a - b
    return _pointwise_loss(MseLossBackward0, input, target, diff * diff, reduction)


def smooth_l1_loss(input: Tensor, target: Tensor, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """Quadratic ``0.5 d^2 / beta`` below ``beta``, linear ``|d| - 0.5 beta`` above."""
    a, b = _operands(input, target)
    _require_float(a.dtype, "smooth_l1_cpu")
    ad = np.abs(a - b)
    values = np.where(ad < beta, 0.5 * ad * ad / beta, ad - 0.5 * beta).astype(ad.dtype)
    return _pointwise_loss(SmoothL1LossBackward0, input, target, values, reduction, beta=beta)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean",
               delta: float = 1.0) -> Tensor:
    """Quadratic ``0.5 d^2`` below ``delta``, linear ``delta (|d| - 0.5 delta)`` above."""
    a, b = _operands(input, target)
    out = input._data.dtype  # the loss keeps the input's dtype
    if out.kind != "f" and a.dtype.kind == "f":
        raise _cast_error(a.dtype, out)
    _require_float(a.dtype, "huber_cpu")
    ad = np.abs(a - b)
    values = np.where(ad < delta, 0.5 * ad * ad, delta * (ad - 0.5 * delta)).astype(out)
    return _pointwise_loss(HuberLossBackward0, input, target, values, reduction, delta=delta)


# -- binary cross-entropy ---------------------------------------------------------------
def _grad_scale(grad: Tensor, scale: float) -> Tensor:
    return grad * scale if scale != 1 else grad


class BinaryCrossEntropyBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        x, y = self.saved()
        g = _grad_scale(grad, self.scale)
        if self.weight is not None:
            g = g * self.weight
        gx = (x - y) / ((1 - x) * x).clamp(min=_EPS) * g if self.needs[0] else None
        gy = None
        if self.needs[1]:
            log_x = x.log().clamp(min=_LOG_FLOOR)
            log_1mx = (1 - x).log().clamp(min=_LOG_FLOOR)
            gy = (log_1mx - log_x) * g
        return gx, gy


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         reduction: str = "mean") -> Tensor:
    """``-w (y log x + (1 - y) log(1 - x))`` for probabilities ``x`` in [0, 1]."""
    _no_grad_for("binary_cross_entropy", "weight", weight)
    _check_bce_weight(target._data.shape, weight)
    if target._data.dtype != input._data.dtype:
        raise RuntimeError(f"Found dtype {D.scalar_type_name(target._data.dtype)} but expected "
                           f"{D.scalar_type_name(input._data.dtype)}")
    x, y = _operands(input, target)
    if np.any((x < 0) | (x > 1)):
        raise RuntimeError("all elements of input should be between 0 and 1")
    with np.errstate(divide="ignore"):
        log_x = np.maximum(np.log(x), _LOG_FLOOR)
        log_1mx = np.maximum(np.log(1 - x), _LOG_FLOOR)
    values = -(y * log_x + (1 - y) * log_1mx)
    w = None
    if weight is not None:
        w = weight.to(input.dtype).detach()
        values = values * np.broadcast_to(w._data, values.shape)
    res = wrap(_reduce(values.astype(x.dtype, copy=False), reduction))
    node = record(res, BinaryCrossEntropyBackward0, input, target)
    if node is not None:
        node.scale = 1.0 / values.size if reduction == "mean" and values.size else 1.0
        node.needs = (input._requires_grad, target._requires_grad)
        node.weight = w
        node.save(input, target)
    return res


class BinaryCrossEntropyWithLogitsBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        from .nn_ops import softplus
        x, y = self.saved()
        g = _grad_scale(grad, self.scale)
        if self.weight is not None:
            g = g * self.weight
        pw = self.pos_weight
        gx = gy = None
        if self.needs[0]:
            sig_neg = (-x).sigmoid()
            lw = 1 if pw is None else (pw - 1) * y + 1
            gx = ((1 - y) - lw * sig_neg) * g
        if self.needs[1]:
            gy = -x if pw is None else (pw - 1) * softplus(-x) - x
            gy = gy * g
        return gx, gy


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor,
                                     weight: Tensor | None = None,
                                     pos_weight: Tensor | None = None,
                                     reduction: str = "mean") -> Tensor:
    """BCE on logits, computed as ``(1 - y) x + lw softplus(-x)`` so it never overflows.

    ``lw = 1 + (pos_weight - 1) y`` weighs the positive term of each class.
    """
    name = "binary_cross_entropy_with_logits"
    _no_grad_for(name, "weight", weight)
    _no_grad_for(name, "pos_weight", pos_weight)
    _check_logits_operands(input, target, weight, pos_weight)
    x, y = _operands(input, target)
    softplus_neg = np.logaddexp(x.dtype.type(0), -x)
    pw = None if pos_weight is None else pos_weight.to(input.dtype).detach()
    lw = 1 if pw is None else 1 + (pw._data - 1) * y
    values = (1 - y) * x + lw * softplus_neg
    w = None if weight is None else weight.to(input.dtype).detach()
    if w is not None:
        values = values * w._data
    res = wrap(_reduce(values.astype(x.dtype, copy=False), reduction))
    node = record(res, BinaryCrossEntropyWithLogitsBackward0, input, target)
    if node is not None:
        node.scale = 1.0 / values.size if reduction == "mean" and values.size else 1.0
        node.needs = (input._requires_grad, target._requires_grad)
        node.weight, node.pos_weight = w, pw
        node.save(input, target)
    return res
