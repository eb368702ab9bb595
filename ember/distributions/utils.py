"""Helpers shared by the distributions: broadcasting parameters, probs/logits conversion.

>>> from ember.distributions.utils import probs_to_logits
>>> probs_to_logits(ember.tensor([0.5]), is_binary=True)
tensor([0.])
"""

from __future__ import annotations

from numbers import Number
from typing import Any

import ember

__all__ = ["broadcast_all", "logits_to_probs", "probs_to_logits", "clamp_probs", "lazy_property",
           "tril_matrix_to_vec", "vec_to_tril_matrix"]


def broadcast_all(*values: Any) -> tuple:
    """Broadcast tensors and Python numbers together; numbers take the first tensor's dtype."""
    if not all(isinstance(v, (ember.Tensor, Number)) for v in values):
        raise ValueError("Input arguments must all be instances of numbers.Number, "
                         "torch.Tensor or objects implementing __torch_function__.")
    tensors = [v for v in values if isinstance(v, ember.Tensor)]
    dtype = tensors[0].dtype if tensors else ember.get_default_dtype()
    converted = [v if isinstance(v, ember.Tensor) else ember.tensor(v, dtype=dtype)
                 for v in values]
    return tuple(ember.broadcast_tensors(*converted))


def _standard_normal(shape: Any, dtype: Any) -> Any:
    with ember.no_grad():
        return ember.randn(tuple(shape), dtype=dtype)


def _sum_rightmost(value: Any, dim: int) -> Any:
    """Sum out the ``dim`` rightmost dimensions of ``value``."""
    if dim == 0:
        return value
    return value.reshape(tuple(value.shape[:value.dim() - dim]) + (-1,)).sum(-1)


def logits_to_probs(logits: Any, is_binary: bool = False) -> Any:
    """Sigmoid of binary logits, softmax over the last dim otherwise."""
    if is_binary:
        return ember.sigmoid(logits)
    return ember.softmax(logits, dim=-1)


def clamp_probs(probs: Any) -> Any:
    """Keep probabilities one machine epsilon inside (0, 1), so their logs stay finite."""
    eps = ember.finfo(probs.dtype).eps
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs: Any, is_binary: bool = False) -> Any:
    """Inverse of ``logits_to_probs`` (the log-odds for binary, log-probs otherwise)."""
    ps_clamped = clamp_probs(probs)
    if is_binary:
        return ember.log(ps_clamped) - ember.log1p(-ps_clamped)
    return ember.log(ps_clamped)


class lazy_property:
    """A cached property computed on first access (with grad recording on)."""

    def __init__(self, wrapped: Any):
        self.wrapped = wrapped
        self.__doc__ = wrapped.__doc__
        self.__name__ = wrapped.__name__

    def __get__(self, instance: Any, obj_type: Any = None) -> Any:
        if instance is None:
            return _lazy_property_and_property(self.wrapped)
        with ember.enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value


class _lazy_property_and_property(lazy_property, property):
    """What a lazy property looks like on the class: both kinds of descriptor."""

    def __init__(self, wrapped: Any):
        property.__init__(self, wrapped)
        lazy_property.__init__(self, wrapped)


def tril_matrix_to_vec(mat: Any, diag: int = 0) -> Any:
    """The lower triangle (below diagonal ``diag``) of the last two dims, row by row."""
    n = mat.shape[-1]
    rows, cols = ember.tril_indices(n, n, offset=diag)
    return mat[..., rows, cols]


def vec_to_tril_matrix(vec: Any, diag: int = 0) -> Any:
    """Inverse of ``tril_matrix_to_vec``: a square lower-triangular matrix."""
    length = vec.shape[-1]
    n = 1
    while _tril_count(n, diag) < length:  # smallest matrix side holding ``length`` entries
        n += 1
    if _tril_count(n, diag) != length:
        raise ValueError(f"The size of last dimension is {length} which cannot be expressed as "
                         "the lower triangular part of a square D x D matrix.")
    mat = vec.new_zeros(tuple(vec.shape[:-1]) + (n, n))
    rows, cols = ember.tril_indices(n, n, offset=diag)
    mat[..., rows, cols] = vec
    return mat


def _tril_count(n: int, diag: int) -> int:
    return sum(max(0, min(n, i + diag + 1)) for i in range(n))
