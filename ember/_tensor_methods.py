"""Bind the ops to ``Tensor`` as methods and Python operators (``a + b``, ``a @ b``, ...)."""

from __future__ import annotations

import warnings
from typing import Any

from . import ops
from ._tensor import Tensor

# Methods whose signature is exactly the op's with the tensor first.
_SAME_NAME = [
    "add", "sub", "mul", "div", "true_divide", "floor_divide", "remainder", "fmod", "pow",
    "maximum", "minimum", "neg", "reciprocal", "add_", "sub_", "mul_", "div_", "pow_",
    "exp", "log", "log1p", "log2", "log10", "expm1", "sqrt", "rsqrt", "sin", "cos", "tan", "abs",
    "sign", "floor", "ceil", "round", "trunc", "clamp", "clip", "square", "exp_", "log_", "sqrt_",
    "abs_", "clamp_", "neg_", "sin_", "cos_", "erf", "isnan", "isinf", "isfinite", "nan_to_num",
    "eq", "ne", "lt", "le", "gt", "ge", "equal", "allclose", "isclose", "logical_and",
    "logical_or", "logical_xor", "logical_not", "bitwise_and", "bitwise_or", "bitwise_xor",
    "bitwise_not", "sum", "mean", "prod", "var", "std", "max", "min", "amax", "amin", "argmax",
    "argmin", "logsumexp", "all", "any", "norm", "count_nonzero", "matmul", "mm", "bmm", "mv",
    "dot", "addmm", "outer", "view", "reshape", "flatten", "unflatten", "squeeze", "unsqueeze",
    "permute", "transpose", "swapaxes", "t", "movedim", "expand", "expand_as", "repeat", "split",
    "chunk", "unbind", "flip", "narrow", "clone", "contiguous", "tile", "view_as", "reshape_as",
    "gather", "scatter", "scatter_add", "index_select", "masked_fill", "masked_fill_", "nonzero",
    "select", "take_along_dim", "index_add", "masked_select", "scatter_", "index_put_",
    "relu", "relu_", "sigmoid", "tanh", "softmax", "log_softmax", "fill_", "zero_", "copy_",
    "uniform_", "normal_", "tril", "triu", "diag", "broadcast_to", "bernoulli",
    "multinomial", "sigmoid_", "tanh_", "expm1_", "log1p_", "log2_", "log10_", "rsqrt_",
    "tan_", "erf_", "sign_", "floor_", "ceil_", "round_", "trunc_", "clip_", "square_",
    "nan_to_num_", "reciprocal_", "index_fill", "index_fill_", "scatter_add_", "index_add_",
    "index_put", "swapdims", "moveaxis", "ravel", "ger", "sort", "argsort", "topk",
]
for _name in _SAME_NAME:
    setattr(Tensor, _name, getattr(ops, _name))
# Families that list their own methods beside their ops.
for _module in (ops.pointwise, ops.scans, ops.rearrange, ops.linalg_extra, ops.distance,
                ops.elementary, ops.statistics, ops.special_math, ops.index_more, ops.join_more,
                ops.misc_api, ops.matrix_more, ops.numeric_more, ops.complex_parts,
                ops.windows, ops.tensor_more, ops.random_fills, ops.linalg_legacy,
                ops.api_sweep, ops.signal):
    for _name in _module.TENSOR_METHODS:
        setattr(Tensor, _name, getattr(_module, _name))


def _where(self: Tensor, condition: Tensor, other: Any) -> Tensor:
    return ops.where(condition, self, other)


def _reversed(fn):
    def method(self: Tensor, other: Any) -> Tensor:
        return fn(other, self)
    return method


def _rdiv(self: Tensor, other: Any) -> Tensor:
    return ops.mul(ops.reciprocal(self), other)


def _rpow(self: Tensor, other: Any) -> Tensor:
    return ops.pow(other, self)


def _iop(inplace):
    def method(self: Tensor, other: Any) -> Tensor:
        return inplace(self, other)
    return method


def _setitem(self: Tensor, key: Any, value: Any) -> None:
    ops.setitem(self, key, value)


def _T(self: Tensor) -> Tensor:  # noqa: N802 - torch's name
    nd = self._data.ndim
    if nd == 0:
        warnings.warn("Tensor.T is deprecated on 0-D tensors. This function is the identity in "
                      "these cases.", UserWarning, stacklevel=2)
    elif nd != 2:
        warnings.warn("The use of `x.T` on tensors of dimension other than 2 to reverse their "
                      "shape is deprecated and it will throw an error in a future release. "
                      "Consider `x.mT` to transpose batches of matrices or "
                      "`x.permute(*ember.arange(x.ndim - 1, -1, -1))` to reverse the dimensions "
                      "of a tensor.", UserWarning, stacklevel=2)
    return ops.permute(self, *range(nd - 1, -1, -1))


def _mT(self: Tensor, name: str = "mT") -> Tensor:  # noqa: N802
    if self._data.ndim < 2:
        raise RuntimeError(f"tensor.{name} is only supported on matrices or batches of "
                           f"matrices. Got {self._data.ndim}-D tensor.")
    return ops.transpose(self, -2, -1)


def _mH(self: Tensor) -> Tensor:  # noqa: N802
    return ops.conj(_mT(self, "mH"))


def _H(self: Tensor) -> Tensor:  # noqa: N802
    nd = self._data.ndim
    if nd != 2:
        hint = " For batches of matrices, consider using tensor.mH" if nd > 2 else ""
        raise RuntimeError("tensor.H is only supported on matrices (2-D tensors). Got "
                           f"{nd}-D tensor.{hint}")
    return ops.conj(ops.transpose(self, 0, 1))


def _new_tensor(self: Tensor, data: Any, *, dtype: Any = None, device: Any = None,
                requires_grad: bool = False) -> Tensor:
    return ops.tensor(data, dtype=dtype or self.dtype, requires_grad=requires_grad)


def _new_factory(factory):
    def method(self: Tensor, *size: Any, dtype: Any = None, device: Any = None,
               requires_grad: bool = False) -> Tensor:
        return factory(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)
    return method


def _new_full(self: Tensor, size: Any, fill_value: Any, *, dtype: Any = None,
              device: Any = None, requires_grad: bool = False) -> Tensor:
    return ops.full(size, fill_value, dtype=dtype or self.dtype, requires_grad=requires_grad)


def _sum_to_size(self: Tensor, *size: Any) -> Tensor:
    from .ops._core import sum_to
    shape = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else size
    return sum_to(self, tuple(shape))


def _apply_(self: Tensor, fn: Any) -> Tensor:
    import numpy as np
    self._data[...] = np.vectorize(fn)(self._data)
    return self


Tensor.where = _where
Tensor.__add__ = ops.add
Tensor.__radd__ = ops.add  # commutative: keeps the tensor first, as torch records it
Tensor.__sub__ = ops.sub
Tensor.__rsub__ = ops.rsub
Tensor.__mul__ = ops.mul
Tensor.__rmul__ = ops.mul
Tensor.__truediv__ = ops.div
Tensor.__rtruediv__ = _rdiv
Tensor.__floordiv__ = ops.floor_divide
Tensor.__rfloordiv__ = _reversed(ops.floor_divide)
Tensor.__mod__ = ops.remainder
Tensor.__rmod__ = _reversed(ops.remainder)
Tensor.__pow__ = ops.pow
Tensor.__rpow__ = _rpow
Tensor.__matmul__ = ops.matmul
Tensor.__rmatmul__ = _reversed(ops.matmul)
Tensor.__neg__ = ops.neg
Tensor.__pos__ = lambda self: self
Tensor.__abs__ = ops.abs
Tensor.__invert__ = ops.compare.invert
Tensor.__and__ = ops.bitwise_and
Tensor.__rand__ = _reversed(ops.bitwise_and)
Tensor.__or__ = ops.bitwise_or
Tensor.__ror__ = _reversed(ops.bitwise_or)
Tensor.__xor__ = ops.bitwise_xor
Tensor.__rxor__ = _reversed(ops.bitwise_xor)
Tensor.__eq__ = ops.eq
Tensor.__ne__ = ops.ne
Tensor.__lt__ = ops.lt
Tensor.__le__ = ops.le
Tensor.__gt__ = ops.gt
Tensor.__ge__ = ops.ge
Tensor.__iadd__ = _iop(ops.add_)
Tensor.__isub__ = _iop(ops.sub_)
Tensor.__imul__ = _iop(ops.mul_)
Tensor.__itruediv__ = _iop(ops.div_)
Tensor.__ipow__ = _iop(ops.pow_)
Tensor.__lshift__ = ops.bitwise_left_shift
Tensor.__rlshift__ = _reversed(ops.bitwise_left_shift)
Tensor.__rshift__ = ops.bitwise_right_shift
Tensor.__rrshift__ = _reversed(ops.bitwise_right_shift)
# The remaining in-place operators write into the tensor (views of it see the change).
for _op, _method in (("ifloordiv", "floor_divide_"), ("imod", "remainder_"),
                     ("iand", "bitwise_and_"), ("ior", "bitwise_or_"), ("ixor", "bitwise_xor_"),
                     ("ilshift", "bitwise_left_shift_"), ("irshift", "bitwise_right_shift_")):
    setattr(Tensor, f"__{_op}__", _iop(getattr(Tensor, _method)))
Tensor.__getitem__ = ops.getitem
Tensor.__setitem__ = _setitem
Tensor.T = property(_T)
Tensor.mT = property(_mT)
Tensor.mH = property(_mH)
Tensor.H = property(_H)
Tensor.new_tensor = _new_tensor
Tensor.new_zeros = _new_factory(ops.zeros)
Tensor.new_ones = _new_factory(ops.ones)
Tensor.new_empty = _new_factory(ops.empty)
Tensor.new_full = _new_full
Tensor.sum_to_size = _sum_to_size
# Conjugation is computed when asked for (no lazy conjugate or negative bit to resolve).
Tensor.resolve_conj = Tensor.resolve_neg = lambda self: self
Tensor.is_conj = Tensor.is_neg = lambda self: False
Tensor.apply_ = _apply_
Tensor.absolute = ops.abs
Tensor.negative = ops.neg
Tensor.multiply = ops.mul
Tensor.subtract = ops.sub
Tensor.divide = ops.div
Tensor.greater = ops.gt
Tensor.less = ops.lt
