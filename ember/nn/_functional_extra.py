"""Grid sampling, bags of embeddings, Gumbel-softmax and other functional pieces.

``embedding_bag`` reduces embedding rows over bags of indices; ``affine_grid`` and
``grid_sample`` build and read sampling grids (spatial transformers); ``gumbel_softmax``
draws differentiable samples of a categorical distribution; ``pdist`` gives the pairwise
distances between the rows of a matrix; ``upsample*`` are the older names of
``interpolate``; ``celu_`` and ``selu_`` are the in-place activations.

>>> import ember
>>> import ember.nn.functional as F
>>> F.embedding_bag(ember.tensor([[0, 1]]), ember.eye(2), mode="sum")
tensor([[1., 1.]])
>>> F.pdist(ember.tensor([[0.0, 0.0], [3.0, 4.0], [0.0, 1.0]]))
tensor([5.0000, 1.0000, 4.2426])
"""

from __future__ import annotations

import math
import warnings
from typing import Any

from .. import ops
from .._tensor import Tensor
from ..linalg import vector_norm
from ..ops.padding import interpolate
from . import _functional_activation as _act
from ._embedding_bag import embedding_bag
from ._grid_sample import affine_grid, grid_sample

__all__ = ["embedding_bag", "gumbel_softmax", "pdist", "upsample", "upsample_nearest",
           "upsample_bilinear", "celu_", "selu_", "affine_grid", "grid_sample"]


def gumbel_softmax(logits: Tensor, tau: float = 1, hard: bool = False, eps: float = 1e-10,
                   dim: int = -1) -> Tensor:
    """A sample of softmax((logits + Gumbel noise) / tau) along ``dim``.

    ``hard=True`` returns the one-hot of the sample's largest entry, with the gradient of the
    soft sample (straight-through estimator). ``eps`` is unused.
    """
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    # -log(E) with E ~ Exponential(1) is a standard Gumbel draw.
    noise = -ops.empty_like(logits).exponential_().log()
    soft = ((logits + noise) / tau).softmax(dim)
    if not hard:
        return soft
    winner = soft.argmax(dim, keepdim=True)
    one_hot = ops.zeros_like(logits).scatter_(dim, winner, 1.0)
    # Forward value of the one-hot, gradient of the soft sample.
    return one_hot - soft.detach() + soft


def pdist(input: Tensor, p: float = 2) -> Tensor:
    """The ``p``-norm distances between each pair of rows i < j of an (N, M) matrix.

    The result holds the N (N - 1) / 2 distances in row-major order of the pairs.
    """
    if input.dim() != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.dim()}D")
    if not input.is_floating_point():
        raise RuntimeError("pdist only supports floating-point dtypes")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    rows = input.shape[0]
    first, second = ops.triu_indices(rows, rows, 1)
    diff = input[first] - input[second]
    if math.isinf(p):
        return _max_abs_rows(diff)
    return vector_norm(diff, p, dim=1)


def _max_abs_rows(diff: Tensor) -> Tensor:
    """The largest |diff| of each row; every entry reaching it gets the full gradient (ties
    are not shared out as in ``amax``)."""
    size = diff.abs()
    if diff.shape[1] == 0:
        return size.sum(1)
    top = size.amax(1).detach()
    reaches = (size.detach() == top.unsqueeze(1)).to(size.dtype)
    return top + ((size - size.detach()) * reaches).sum(1)


def upsample(input: Tensor, size: Any = None, scale_factor: Any = None,
             mode: str = "nearest", align_corners: bool | None = None) -> Tensor:
    """Deprecated name of ``interpolate``."""
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` "
                  "instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:
    """Deprecated: ``interpolate(input, size, scale_factor, mode="nearest")``."""
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:
    """Deprecated: ``interpolate(..., mode="bilinear", align_corners=True)``."""
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In-place ``celu``."""
    return _act.celu(input, alpha, inplace=True)


def selu_(input: Tensor) -> Tensor:
    """In-place ``selu``."""
    return _act.selu(input, inplace=True)
