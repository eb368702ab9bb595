"""``ember.nn.functional``: the math behind the layers, as plain functions.

Modules hold parameters and settings and call these functions in ``forward``; the functions
can also be used directly (``F.relu(x)``, ``F.cross_entropy(logits, y)``).

>>> import ember
>>> import ember.nn.functional as F
>>> F.relu(ember.tensor([-1.0, 2.0]))
tensor([0., 2.])
"""

from __future__ import annotations

import numpy as np

from .. import _dtype as D
from .._backend import array_module
from .._tensor import Tensor, tensor_from_array
from ..ops import linear as _linear
from ..ops import nn_ops as _nn
from ..ops.linalg import addmm, einsum, linear_forward
from ._functional_activation import *  # noqa: F403
from ._functional_activation import __all__ as _activation_all
from ._functional_distance import *  # noqa: F403
from ._functional_distance import __all__ as _distance_all
from ._functional_fold import *  # noqa: F403
from ._functional_fold import __all__ as _fold_all
from ._functional_loss import *  # noqa: F403
from ._functional_loss import __all__ as _loss_all

__all__ = ["linear", "bilinear", "dropout", "one_hot", "normalize",
           *_activation_all, *_distance_all, *_fold_all, *_loss_all]



def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias`` over the last dimension of ``input``.

    A 2-D input is one ``addmm`` (``grad_fn=<AddmmBackward0>``); other ranks are flattened to
    2-D around it and viewed back, as torch records them. Floating-point inputs take the fused
    op of ``ember.ops.linear`` (same graph, faster backward).
    """
    fused = _linear.linear(input, weight, bias)  # the common case, tried first
    if fused is not None:
        return fused
    nd = input._data.ndim
    if nd == 0 or weight._data.ndim == 0:
        raise RuntimeError(f"both arguments to linear need to be at least 1D, but they are "
                           f"{nd}D and {weight._data.ndim}D")
    if bias is not None and input._data.dtype != weight._data.dtype:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got "
                           f"{D.scalar_type_name(input.dtype)} and "
                           f"{D.scalar_type_name(weight.dtype)}")
    if nd == 2 or bias is None:
        return linear_forward(input, weight, bias)
    if not _flattens_without_copy(input._data):
        # torch multiplies such inputs batched and adds the bias separately.
        return linear_forward(input, weight, None) + bias
    lead = input._data.shape[:-1]
    flat = input.reshape(-1, input._data.shape[-1])
    out = _linear.linear(flat, weight, bias)
    if out is None:
        out = addmm(bias, flat, weight.t())
    return out.view(*lead, out._data.shape[-1])


def _flattens_without_copy(data: np.ndarray) -> bool:
    """Whether ``data`` can be seen as 2-D ``(-1, last)`` without copying."""
    if data.flags.c_contiguous:
        return True
    try:
        np.reshape(data, (-1, data.shape[-1]), copy=False)
    except ValueError:
        return False
    return True


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor,
             bias: Tensor | None = None) -> Tensor:
    """``y[..., o] = sum_ij x1[..., i] W[o, i, j] x2[..., j] + b[o]``."""
    _check_bilinear(input1, input2, weight, bias)
    lead = input1._data.shape[:-1]
    x1 = input1.reshape(-1, input1._data.shape[-1])
    x2 = input2.reshape(-1, input2._data.shape[-1])
    out = einsum("ni,oij,nj->no", x1, weight, x2)
    if bias is not None:
        out = out + bias
    return out if len(lead) == 1 else out.reshape(*lead, weight._data.shape[0])


def _check_bilinear(input1: Tensor, input2: Tensor, weight: Tensor,
                    bias: Tensor | None) -> None:
    s1, s2, sw = input1._data.shape, input2._data.shape, weight._data.shape
    if len(s1) != len(s2):
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {len(s1)} and "
                           f"{len(s2)}")
    for dim, (a, b) in enumerate(zip(s1[:-1], s2[:-1])):
        if a != b:
            raise RuntimeError(f"bilinear(): input batch dimensions do not match at dim {dim}: "
                               f"got {a} and {b}")
    if s1[-1] != sw[1]:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got {s1[-1]} "
                           f"but expected {sw[1]}")
    if s2[-1] != sw[2]:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got {s2[-1]} "
                           f"but expected {sw[2]}")
    if bias is not None and bias._data.shape[-1] != sw[0]:
        raise RuntimeError(f"bilinear(): bias size does not match weight size: got "
                           f"{bias._data.shape[-1]} but expected {sw[0]}")


def dropout(input: Tensor, p: float = 0.5, training: bool = True,
            inplace: bool = False) -> Tensor:
    """During training, zero elements with probability ``p`` and scale the rest by 1/(1-p)."""
    if inplace:
        return _nn.dropout_(input, p, training)
    return _nn.dropout(input, p, training)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """Integer class indices to one-hot rows (int64), adding a last dimension.

    >>> import ember
    >>> one_hot(ember.tensor([0, 2]), 3)
    tensor([[1, 0, 0],
            [0, 0, 1]])
    """
    data = tensor._data
    if data.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if data.size and data.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if num_classes == -1:
        if not data.size:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(data.max()) + 1
    elif data.size and data.max() >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    classes = array_module(data).arange(num_classes)
    out = (data[..., None] == classes).astype(np.int64)
    return tensor_from_array(out)


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12,
              out: Tensor | None = None) -> Tensor:
    """Divide by the ``p``-norm along ``dim`` (at least ``eps``)."""
    norm = input.norm(p, dim, keepdim=True).clamp(min=eps)
    result = input / norm.expand_as(input)
    return result if out is None else out.copy_(result)

from ._functional_conv import *  # noqa: E402,F401,F403
from ._functional_conv import __all__ as _conv_all  # noqa: E402

__all__ += _conv_all

from ._functional_extra import *  # noqa: E402,F401,F403
from ._functional_extra import __all__ as _extra_all  # noqa: E402
from ._functional_attention import *  # noqa: E402,F401,F403
from ._functional_attention import __all__ as _attention_all  # noqa: E402
from ._functional_loss_more import *  # noqa: E402,F401,F403
from ._functional_loss_more import __all__ as _loss_more_all  # noqa: E402
from ._functional_more import *  # noqa: E402,F401,F403
from ._functional_more import __all__ as _more_all  # noqa: E402
from ._functional_volumetric import *  # noqa: E402,F401,F403
from ._functional_volumetric import __all__ as _volumetric_all  # noqa: E402

__all__ += [*_attention_all, *_extra_all, *_loss_more_all, *_more_all, *_volumetric_all]
