"""The rules of a tensor's ``.grad`` attribute: what may be assigned to it, and the warning
for reading it on a non-leaf tensor (whose ``.grad`` backward never fills)."""

from __future__ import annotations

import warnings
from typing import Any

from . import _dtype as D

__all__ = ["check_grad", "not_a_tensor", "warn_non_leaf_grad"]


def not_a_tensor(grad: Any) -> TypeError:
    return TypeError("assigned grad expected to be a Tensor or None but got grad of type "
                     f"{type(grad).__name__}")


def warn_non_leaf_grad() -> None:
    warnings.warn(
        "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its "
        ".grad attribute won't be populated during autograd.backward(). If you indeed want "
        "the .grad field to be populated for a non-leaf Tensor, use .retain_grad() on the "
        "non-leaf Tensor. If you access the non-leaf Tensor by mistake, make sure you access "
        "the leaf Tensor instead.", UserWarning, stacklevel=3)


def check_grad(t: Any, grad: Any) -> None:
    """The checks of assigning ``t.grad = grad`` (``grad`` a tensor): ``t``'s dtype and
    size."""
    if grad._data.dtype != t._data.dtype:
        raise RuntimeError(
            f"attempting to assign a gradient with dtype '{D.type_meta_name(grad.dtype)}' to "
            f"a tensor with grad_dtype '{D.scalar_type_name(t.dtype)}'. The gradient must "
            "match the tensor's grad_dtype (defaults to the tensor's dtype).")
    if grad._data.shape != t._data.shape:
        raise RuntimeError(
            f"attempting to assign a gradient of size '{list(grad._data.shape)}' to a tensor "
            f"of size '{list(t._data.shape)}'. Please ensure that the gradient and the tensor "
            "are the same size")
