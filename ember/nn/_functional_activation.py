"""Activation functions of ``ember.nn.functional``.

The elementwise math lives in ``ember.ops`` (each op beside its backward node); these
wrappers add torch's functional signatures (``inplace=``, implicit softmax dims, ...).
"""

from __future__ import annotations

import warnings

from .. import _dtype as D
from .._tensor import Tensor
from ..ops import activation as _act
from ..ops import activation_more as _more
from ..ops import nn_ops as _nn

__all__ = ["relu", "relu_", "relu6", "elu", "elu_", "selu", "celu", "leaky_relu",
           "leaky_relu_", "gelu", "silu", "mish", "softplus", "hardtanh", "hardtanh_",
           "sigmoid", "tanh", "softmax", "log_softmax", "softmin", "logsigmoid", "softsign",
           "tanhshrink", "hardswish", "hardsigmoid", "softshrink", "hardshrink", "threshold",
           "threshold_", "prelu", "glu", "rrelu", "rrelu_"]


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """``max(x, 0)``."""
    return _act.relu_(input) if inplace else _act.relu(input)


def relu_(input: Tensor) -> Tensor:
    return _act.relu_(input)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """``min(max(x, 0), 6)`` (recorded as a hardtanh, as torch does)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """Clamp to ``[min_val, max_val]``."""
    if inplace:
        return _nn.inplace_apply(_nn.hardtanh, input, min_val, max_val)
    return _nn.hardtanh(input, min_val, max_val)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    return hardtanh(input, min_val, max_val, True)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere."""
    if inplace:
        return _nn.inplace_apply(_nn.elu, input, alpha)
    return _nn.elu(input, alpha)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return elu(input, alpha, True)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    return _nn.inplace_apply(_nn.selu, input) if inplace else _nn.selu(input)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    return _nn.inplace_apply(_nn.celu, input, alpha) if inplace else _nn.celu(input, alpha)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """``x`` where positive, ``negative_slope * x`` elsewhere."""
    if inplace:
        return _nn.inplace_apply(_nn.leaky_relu, input, negative_slope)
    return _nn.leaky_relu(input, negative_slope)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return leaky_relu(input, negative_slope, True)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """``x * Phi(x)``; ``approximate="tanh"`` uses the tanh formula."""
    return _nn.gelu(input, approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * sigmoid(x)``."""
    return _nn.inplace_apply(_nn.silu, input) if inplace else _nn.silu(input)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * tanh(softplus(x))``."""
    return _nn.inplace_apply(_nn.mish, input) if inplace else _nn.mish(input)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta * x)) / beta``, linear where ``beta * x > threshold``."""
    return _nn.softplus(input, beta, threshold)


def logsigmoid(input: Tensor) -> Tensor:
    """``log(sigmoid(x))``."""
    return _nn.logsigmoid(input)


def sigmoid(input: Tensor) -> Tensor:
    return _act.sigmoid(input)


def tanh(input: Tensor) -> Tensor:
    return _act.tanh(input)


def softsign(input: Tensor) -> Tensor:
    return input / (input.abs() + 1)


def tanhshrink(input: Tensor) -> Tensor:
    return input - input.tanh()


def _warn_implicit_dim(name: str, stacklevel: int) -> None:
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  "to include dim=X as an argument.", stacklevel=stacklevel)


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype: D.dtype | None = None) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``dim`` (max-shifted, so large logits stay finite).

    >>> import ember
    >>> softmax(ember.tensor([[0.0, 0.0]]), dim=1)
    tensor([[0.5000, 0.5000]])
    """
    if dim is None:
        _warn_implicit_dim("softmax", _stacklevel)
    return _act.softmax(input, dim, dtype=dtype)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype: D.dtype | None = None) -> Tensor:
    if dim is None:
        _warn_implicit_dim("softmin", _stacklevel)
    return _act.softmax(-input, dim, dtype=dtype)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
                dtype: D.dtype | None = None) -> Tensor:
    """``x - logsumexp(x)`` along ``dim``."""
    if dim is None:
        _warn_implicit_dim("log_softmax", _stacklevel)
    return _act.log_softmax(input, dim, dtype=dtype)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * relu6(x + 3) / 6``."""
    return _nn.inplace_apply(_more.hardswish, input) if inplace else _more.hardswish(input)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """``relu6(x + 3) / 6``."""
    if inplace:
        return _nn.inplace_apply(_more.hardsigmoid, input)
    return _more.hardsigmoid(input)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """``x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, else 0."""
    return _more.softshrink(input, lambd)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """``x`` where ``|x| > lambd``, else 0."""
    return _more.hardshrink(input, lambd)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """``value`` where ``x <= threshold``, else ``x``."""
    if inplace:
        return _nn.inplace_apply(_more.threshold, input, threshold, value,
                                 _more.ThresholdBackward1)
    return _more.threshold(input, threshold, value)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    return _nn.inplace_apply(_more.threshold, input, threshold, value, _more.ThresholdBackward1)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """``x`` where positive, ``weight * x`` elsewhere; ``weight`` holds one slope or one per
    channel (dim 1)."""
    return _more.prelu(input, weight)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """``a * sigmoid(b)`` where ``a`` and ``b`` are the halves of ``input`` along ``dim``."""
    return _more.glu(input, dim)


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
          training: bool = False, inplace: bool = False) -> Tensor:
    """Leaky ReLU with random negative slopes from ``U(lower, upper)`` in training, and the
    mean slope ``(lower + upper) / 2`` otherwise."""
    if inplace:
        return _nn.inplace_apply(_more.rrelu, input, lower, upper, training,
                                 _more.RreluWithNoiseBackward1)
    return _more.rrelu(input, lower, upper, training)


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
           training: bool = False) -> Tensor:
    return rrelu(input, lower, upper, training, True)
