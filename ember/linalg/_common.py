"""Shared pieces of ``ember.linalg``: the error class, input checks and named-tuple results."""

from __future__ import annotations


import numpy as np

from .. import _dtype as D
from ..ops._core import Tensor
from ..ops.reduction import _return_type

__all__ = ["LinAlgError", "_LinAlgError", "check_square", "check_float", "check_matrix",
           "return_type", "batch_prefix"]


class _LinAlgError(RuntimeError):
    """A factorisation failed (singular or not positive-definite input), as torch's
    ``torch._C._LinAlgError``; the class keeps torch's name so error types compare equal."""


LinAlgError = _LinAlgError
_LinAlgError.__module__ = "ember.linalg"

return_type = _return_type  # ``ember.return_types.<name>``, shared with the other ops


def check_matrix(A: Tensor, name: str) -> np.ndarray:
    a = A._data
    if a.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
    return a


def check_float(A: Tensor, name: str) -> None:
    if A._data.dtype.kind not in "fc":
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. "
                           f"Got {D.scalar_type_name(A.dtype)}")


def check_square(A: Tensor, name: str, want_float: bool = True) -> np.ndarray:
    """``A``'s array after torch's checks: at least 2-D, square, floating (in that order)."""
    a = check_matrix(A, name)
    if a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"{name}: A must be batches of square matrices, but they are "
                           f"{a.shape[-2]} by {a.shape[-1]} matrices")
    if want_float:
        check_float(A, name)
    return a


def batch_prefix(a: np.ndarray, index: tuple) -> str:
    """torch names the failing matrix of a batch by its flat index."""
    if a.ndim <= 2:
        return ""
    flat = int(np.ravel_multi_index(index, a.shape[:-2])) if index else 0
    return f"(Batch element {flat}): "
