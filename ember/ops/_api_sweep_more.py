"""The ``*_copy`` forms of the view ops, top-level spellings of in-place methods, and a few
remaining functions (``binomial``, ``histogramdd``, ``frobenius_norm``, ``nuclear_norm``,
``empty_permuted``); part of ``ember.ops.api_sweep``.

A ``*_copy`` op returns fresh memory holding what the view would show; its gradient is the
view's, so it keeps the view's node under the name ``<ViewNode>_copy``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import _dtype as D
from .._random import numpy_rng
from ..autograd.graph import Node
from ._binary import _write_out
from ._core import Tensor, needs_grad, record, wrap
from .complex_parts import view_as_complex, view_as_real
from .reduction import _return_type
from .tensor_more import _renamed

__all__ = ["view_copy", "permute_copy", "t_copy", "transpose_copy", "unsqueeze_copy",
           "squeeze_copy", "expand_copy", "diagonal_copy", "select_copy", "slice_copy",
           "split_copy", "split_with_sizes_copy", "unbind_copy", "unfold_copy", "alias_copy",
           "detach_copy", "as_strided_copy", "view_as_real_copy", "view_as_complex_copy",
           "detach_", "as_strided_", "addmv_", "i0_", "gcd_", "lcm_", "ldexp_", "binomial",
           "histogramdd", "frobenius_norm", "nuclear_norm", "empty_permuted"]
TENSOR_METHODS: tuple = ()


def renamed_copy(view: Tensor, name: str, output_nr: int | None = None) -> Tensor:
    """Fresh contiguous memory with ``view``'s values, carrying ``view``'s node as ``name``."""
    out = wrap(view._data.copy())
    node = view.grad_fn
    if node is not None:
        if type(node).__name__ != name:
            node.__class__ = _renamed(type(node), name)
        out.grad_fn, out._requires_grad = node, True
        out._output_nr = view._output_nr if output_nr is None else output_nr
    return out


def _copy_of(view: Tensor, input: Tensor, out: Tensor | None = None,
             fn: str = "copy") -> Tensor:
    node = view.grad_fn
    if node is not None and node is input.grad_fn:  # the view op changed nothing
        result = input.clone()
    else:
        result = renamed_copy(view, f"{node.name()}_copy" if node is not None else "")
    return _write_out(result, out, fn)


def _copies_of(views: Sequence[Tensor]) -> tuple:
    node = views[0].grad_fn if views else None
    name = f"{node.name()}_copy" if node is not None else ""
    return tuple(renamed_copy(v, name) for v in views)


def view_copy(input: Tensor, size: Any, *, out: Tensor | None = None) -> Tensor:
    return _copy_of(input.view(size), input, out, "view_copy")


def permute_copy(input: Tensor, dims: Sequence[int], *, out: Tensor | None = None) -> Tensor:
    return _copy_of(input.permute(dims), input, out, "permute_copy")


def t_copy(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    return _copy_of(input.t(), input, out, "t_copy")


def transpose_copy(input: Tensor, dim0: int, dim1: int, *,
                   out: Tensor | None = None) -> Tensor:
    return _copy_of(input.transpose(dim0, dim1), input, out, "transpose_copy")


def unsqueeze_copy(input: Tensor, dim: int, *, out: Tensor | None = None) -> Tensor:
    return _copy_of(input.unsqueeze(dim), input, out, "unsqueeze_copy")


def squeeze_copy(input: Tensor, dim: Any = None, *, out: Tensor | None = None) -> Tensor:
    view = input.squeeze() if dim is None else input.squeeze(dim)
    return _copy_of(view, input, out, "squeeze_copy")


def expand_copy(input: Tensor, size: Sequence[int], *, implicit: bool = False,
                out: Tensor | None = None) -> Tensor:
    return _copy_of(input.expand(size), input, out, "expand_copy")


def diagonal_copy(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1, *,
                  out: Tensor | None = None) -> Tensor:
    return _copy_of(input.diagonal(offset, dim1, dim2), input, out, "diagonal_copy")


def select_copy(input: Tensor, dim: int, index: int, *, out: Tensor | None = None) -> Tensor:
    return _copy_of(input.select(dim, index), input, out, "select_copy")


def slice_copy(input: Tensor, dim: int = 0, start: int | None = None, end: int | None = None,
               step: int = 1, *, out: Tensor | None = None) -> Tensor:
    d = dim + input.dim() if dim < 0 else dim
    first, stop, _ = slice(start, end, step).indices(input.shape[d])
    if step == 1:  # narrow records a slice node even when nothing is cut away
        view = input.narrow(d, first, max(stop - first, 0))
    else:
        view = input[(slice(None),) * d + (slice(start, end, step),)]
    return _copy_of(view, input, out, "slice_copy")


def split_copy(input: Tensor, split_size: int, dim: int = 0) -> tuple:
    return _copies_of(input.split(split_size, dim))


def split_with_sizes_copy(input: Tensor, split_sizes: Sequence[int], dim: int = 0) -> tuple:
    return _copies_of(input.split_with_sizes(split_sizes, dim))


def unbind_copy(input: Tensor, dim: int = 0) -> tuple:
    return _copies_of(input.unbind(dim))


def unfold_copy(input: Tensor, dimension: int, size: int, step: int, *,
                out: Tensor | None = None) -> Tensor:
    return _copy_of(input.unfold(dimension, size, step), input, out, "unfold_copy")


class AliasBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (grad,)


def alias_copy(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    result = wrap(input._data.copy())
    record(result, _renamed(AliasBackward0, "AliasBackward0_copy"), input)
    return _write_out(result, out, "alias_copy")


class NotImplemented(Node):  # noqa: A001 - the name torch gives ops without a derivative
    def backward(self, grad: Tensor) -> tuple:
        raise RuntimeError(f"derivative for aten::{self.op} is not implemented")


def _no_derivative(result: Tensor, op: str, *inputs: Any) -> Tensor:
    node = record(result, NotImplemented, *inputs)
    if node is not None:
        node.op = op
    return result


def detach_copy(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    result = _no_derivative(wrap(input._data.copy()), "detach_copy", input)
    return _write_out(result, out, "detach_copy")


def as_strided_copy(input: Tensor, size: Sequence[int], stride: Sequence[int],
                    storage_offset: int | None = None, *, out: Tensor | None = None) -> Tensor:
    view = input.as_strided(size, stride, storage_offset)
    return _copy_of(view, input, out, "as_strided_copy")


def view_as_real_copy(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    return _copy_of(view_as_real(input), input, out, "view_as_real_copy")


def view_as_complex_copy(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    if needs_grad(input):
        raise RuntimeError("view_as_complex_copy does not support automatic differentiation "
                           "for outputs with complex dtype.")
    return _copy_of(view_as_complex(input), input, out, "view_as_complex_copy")


# -- top-level spellings of in-place methods ----------------------------------------------------
def detach_(input: Tensor) -> Tensor:
    return input.detach_()


def as_strided_(input: Tensor, size: Sequence[int], stride: Sequence[int],
                storage_offset: int | None = None) -> Tensor:
    return input.as_strided_(size, stride, storage_offset)


def addmv_(input: Tensor, mat: Tensor, vec: Tensor, *, beta: Any = 1,
           alpha: Any = 1) -> Tensor:
    return input.addmv_(mat, vec, beta=beta, alpha=alpha)


def i0_(input: Tensor) -> Tensor:
    return input.i0_()


def gcd_(input: Tensor, other: Tensor) -> Tensor:
    return input.gcd_(other)


def lcm_(input: Tensor, other: Tensor) -> Tensor:
    return input.lcm_(other)


def ldexp_(input: Tensor, other: Tensor) -> Tensor:
    return input.ldexp_(other)


# -- remaining functions ------------------------------------------------------------------------
def binomial(count: Tensor, prob: Tensor, generator: Any = None) -> Tensor:
    """Draws of the number of successes in ``count`` trials of probability ``prob``."""
    if count._data.dtype.kind != "f":
        raise ValueError(f"binomial only supports floating-point dtypes for count, got: "
                         f"{_scalar_name(count)}")
    if prob._data.dtype != count._data.dtype:
        raise RuntimeError(f"Found dtype {_scalar_name(prob)} but expected "
                           f"{_scalar_name(count)}")
    n, p = np.broadcast_arrays(count._data, prob._data)
    draws = numpy_rng(generator).binomial(n.astype(np.int64), p)
    return _no_derivative(wrap(draws.astype(count._data.dtype)), "binomial", count, prob)


def _scalar_name(t: Tensor) -> str:
    """The dtype's name in error messages that come from the kernels (Float, Double, ...)."""
    from .signal import _LEGACY_NAMES
    name = str(t.dtype).split(".")[-1]
    return _LEGACY_NAMES.get(name, name)


def histogramdd(input: Tensor, bins: Any, *, range: Sequence[float] | None = None,
                weight: Tensor | None = None, density: bool = False, out: Any = None) -> Any:
    """A histogram over the last dimension's coordinates: ``(hist, bin_edges)``."""
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f'"histogramdd" not implemented for '
                                  f"'{_scalar_name(input)}'")
    points = input._data.reshape(-1, input.shape[-1])
    dims = points.shape[1]
    if isinstance(bins, (list, tuple)) and len(bins) != dims:
        raise RuntimeError("histogramdd: The size of bins must be equal to the innermost "
                           "dimension of the input.")
    if range is not None and len(range) != 2 * dims:
        raise RuntimeError(f"ember.histogramdd: for a {dims}-dimensional histogram range "
                           f"should have {2 * dims} elements, but got {len(range)}")
    spec = [b._data if isinstance(b, Tensor) else b for b in bins] if isinstance(
        bins, (list, tuple)) else bins
    bounds = None if range is None else [(range[2 * i], range[2 * i + 1])
                                         for i in np.arange(dims)]
    w = None if weight is None else weight._data.reshape(-1)
    hist, edges = np.histogramdd(points, bins=spec, range=bounds, weights=w, density=density)
    dtype = input._data.dtype
    result = _return_type("histogramdd", ("hist", "bin_edges"))
    return result(wrap(hist.astype(dtype)), tuple(wrap(e.astype(dtype)) for e in edges))


def frobenius_norm(input: Tensor, dim: Sequence[int], keepdim: bool = False, *,
                   out: Tensor | None = None) -> Tensor:
    warnings.warn("at::frobenius_norm is deprecated and it is just left for JIT compatibility. "
                  "It will be removed in a future PyTorch release. Please use "
                  "`linalg.vector_norm(A, 2., dim, keepdim)` instead", UserWarning, stacklevel=2)
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    if len(dims) > 2:
        raise RuntimeError(f"Expected at most 2 dimensions, but got {len(dims)} dimensions "
                           "instead.")
    from ..linalg import vector_norm
    result = vector_norm(input, 2, dims, keepdim)
    if result.grad_fn is not None:
        result.grad_fn.__class__ = _renamed(type(result.grad_fn), "NormBackward1")
    return _write_out(result, out, "frobenius_norm")


def nuclear_norm(input: Tensor, dim: Any = None, keepdim: bool = False, *,
                 out: Tensor | None = None) -> Tensor:
    """``nuclear_norm(A, keepdim=False)`` or ``nuclear_norm(A, dim, keepdim=False)``."""
    warnings.warn("at::nuclear_norm is deprecated and it is just left for JIT compatibility. "
                  "It will be removed in a future PyTorch release. Please use "
                  "`linalg.matrix_norm(A, 'nuc', dim, keepdim)` instead", UserWarning,
                  stacklevel=2)
    if isinstance(dim, bool):
        dim, keepdim = None, dim
    from ..linalg import matrix_norm
    result = matrix_norm(input, "nuc", (-2, -1) if dim is None else tuple(dim), keepdim)
    return _write_out(result, out, "nuclear_norm")


def empty_permuted(size: Sequence[int], physical_layout: Sequence[int], *, dtype: Any = None,
                   layout: Any = None, device: Any = None, requires_grad: bool = False,
                   pin_memory: bool = False) -> Tensor:
    """An uninitialised (here zero) tensor of shape ``size`` whose memory is ordered as
    ``physical_layout`` lists the dimensions, outermost first."""
    size, order = tuple(size), tuple(physical_layout)
    if len(size) != len(order):
        raise RuntimeError(f"Number of dimensions in size does not match the length of the "
                           f"physical_layout; i.e. len(size) = {len(size)} is not equal to "
                           f"len(physical_layout) = {len(order)}")
    if sorted(order) != list(np.arange(len(order))):
        raise RuntimeError("Duplicate dim not allowed")
    dt = (D._defaults.float if dtype is None else dtype).np
    memory = np.zeros(tuple(size[d] for d in order), dtype=dt)
    out = wrap(memory.transpose(np.argsort(order)))
    return out.requires_grad_() if requires_grad else out
