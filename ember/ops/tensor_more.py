"""Tensor methods beyond the op families: shape changes in place (``unsqueeze_``,
``transpose_``, ...), in-place forms of existing ops (``tril_``, ``addmm_``, ...), the
``*_scatter`` functions that write a tensor into a view of a copy, and small queries.

An in-place shape change re-points the tensor at a view of its own memory and takes the
view's autograd node, renamed as torch names the in-place form (``UnsqueezeBackward1``).

>>> import ember
>>> x = ember.zeros(2, 3)
>>> x.unsqueeze_(0).shape
ember.Size([1, 2, 3])
>>> ember.select_scatter(ember.zeros(2, 2), ember.ones(2), 0, 0)
tensor([[1., 1.],
        [0., 0.]])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..autograd.graph import Node
from ._binary import _inplace
from ._core import Tensor, check_inplace, needs_grad, rebase_history, record, wrap

__all__ = ["select_scatter", "slice_scatter", "diagonal_scatter", "as_strided_scatter",
           "split_with_sizes", "unsafe_split", "unsafe_chunk", "unsafe_split_with_sizes",
           "adjoint", "is_signed", "resize_as_", "get_device", "detach", "is_conj", "is_neg",
           "resolve_conj", "resolve_neg", "is_inference", "unravel_index", "range", "trapz",
           "fill"]
TENSOR_METHODS = ("select_scatter", "slice_scatter", "diagonal_scatter", "as_strided_scatter",
                  "split_with_sizes", "unsafe_split", "unsafe_chunk", "unsafe_split_with_sizes",
                  "adjoint", "is_signed", "resize_as_", "resize_", "unsqueeze_", "squeeze_",
                  "t_", "transpose_", "swapaxes_", "swapdims_", "as_strided_", "tril_",
                  "triu_", "cumsum_", "cumprod_", "renorm_", "addmm_", "addmv_", "addr_",
                  "baddbmm_", "addbmm_", "fill_diagonal_",
                  "cdouble", "cfloat", "get_device")


# -- shape changes in place -------------------------------------------------------------------
def _become(self: Tensor, view: Tensor, node_name: str) -> Tensor:
    """Re-point ``self`` at ``view`` (a view of its memory), taking ``view``'s history under
    the in-place form's node name."""
    self._data = view._data
    self._version[0] += 1
    node = view.grad_fn
    if node is not None:
        node.__class__ = _renamed(type(node), node_name)
        self.grad_fn, self._output_nr = node, 0
    return self


_RENAMED: dict = {}


def _renamed(node_type: type, name: str) -> type:
    """A subclass of ``node_type`` called ``name`` (made once): same backward, torch's name
    for the in-place form."""
    key = (node_type, name)
    if key not in _RENAMED:
        _RENAMED[key] = type(name, (node_type,), {"__slots__": ()} if hasattr(
            node_type, "__slots__") else {})
    return _RENAMED[key]


def unsqueeze_(self: Tensor, dim: int) -> Tensor:
    check_inplace(self)
    return _become(self, self.unsqueeze(dim), "UnsqueezeBackward1")


def squeeze_(self: Tensor, dim: Any = None) -> Tensor:
    check_inplace(self)
    if dim is None:
        name = "SqueezeBackward3"
    else:
        name = "SqueezeBackward4" if isinstance(dim, (int, np.integer)) else "SqueezeBackward5"
    return _become(self, self.squeeze(dim), name)


def t_(self: Tensor) -> Tensor:
    if self._data.ndim > 2:
        raise RuntimeError(f"t_() expects a tensor with <= 2 dimensions, but self is "
                           f"{self._data.ndim}D")
    check_inplace(self)
    return _become(self, self.t(), "TBackward1")


def transpose_(self: Tensor, dim0: int, dim1: int) -> Tensor:
    check_inplace(self)
    return _become(self, self.transpose(dim0, dim1), "TransposeBackward1")


swapaxes_ = swapdims_ = transpose_


def as_strided_(self: Tensor, size: Sequence[int], stride: Sequence[int],
                storage_offset: int | None = None) -> Tensor:
    check_inplace(self)
    return _become(self, self.as_strided(size, stride, storage_offset), "AsStridedBackward1")


def resize_(self: Tensor, *sizes: Any, memory_format: Any = None) -> Tensor:
    """Give ``self`` the shape ``sizes``, keeping its first elements (new ones are left as
    they happen to be: zeros here)."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    if self._requires_grad:
        raise RuntimeError("cannot resize variables that require grad")
    for s in sizes:
        if int(s) < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {int(s)}: "
                               f"{list(sizes)}")
    shape = tuple(int(s) for s in sizes)
    n = int(np.prod(shape, dtype=np.int64))
    flat = self._data.reshape(-1)
    if n > flat.size:
        grown = np.zeros(n, dtype=flat.dtype)
        grown[:flat.size] = flat
        flat = grown
    self._data = flat[:n].reshape(shape)
    return self


def resize_as_(self: Tensor, the_template: Tensor, *, memory_format: Any = None) -> Tensor:
    return resize_(self, tuple(the_template.shape))


# -- in-place forms of existing ops -----------------------------------------------------------
def tril_(self: Tensor, diagonal: int = 0) -> Tensor:
    return _inplace(self, self.tril(diagonal))


def triu_(self: Tensor, diagonal: int = 0) -> Tensor:
    return _inplace(self, self.triu(diagonal))


def cumsum_(self: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    return _inplace(self, self.cumsum(dim, dtype=dtype))


def cumprod_(self: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    return _inplace(self, self.cumprod(dim, dtype=dtype))


def renorm_(self: Tensor, p: float, dim: int, maxnorm: float) -> Tensor:
    return _inplace(self, self.renorm(p, dim, maxnorm))


def addmm_(self: Tensor, mat1: Tensor, mat2: Tensor, *, beta: Any = 1,
           alpha: Any = 1) -> Tensor:
    return _inplace(self, self.addmm(mat1, mat2, beta=beta, alpha=alpha))


def addmv_(self: Tensor, mat: Tensor, vec: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    return _inplace(self, self.addmv(mat, vec, beta=beta, alpha=alpha))


def addr_(self: Tensor, vec1: Tensor, vec2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    return _inplace(self, self.addr(vec1, vec2, beta=beta, alpha=alpha))


def baddbmm_(self: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1,
             alpha: Any = 1) -> Tensor:
    return _inplace(self, self.baddbmm(batch1, batch2, beta=beta, alpha=alpha))


def addbmm_(self: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1,
            alpha: Any = 1) -> Tensor:
    return _inplace(self, self.addbmm(batch1, batch2, beta=beta, alpha=alpha))


class CopySlices(Node):
    """Gradient of writing a constant at fixed positions: zero there, pass-through elsewhere."""

    def backward(self, grad: Tensor) -> tuple:
        g = grad.clone()
        g[self.key] = 0
        return (g,)


def fill_diagonal_(self: Tensor, fill_value: Any, wrap: bool = False) -> Tensor:
    """Write ``fill_value`` on the main diagonal (of a matrix, or of a cube whose sides are
    equal); a tall matrix with ``wrap`` starts the diagonal again every ``cols + 1`` rows."""
    data = self._data
    if data.ndim < 2:
        raise RuntimeError("dimensions must larger than 1")
    if data.ndim > 2 and len(set(data.shape)) != 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    check_inplace(self.diagonal())  # torch writes through a diagonal view, and says so
    key = _diagonal_positions(data.shape, wrap)
    data[key] = fill_value
    self._version[0] += 1
    if needs_grad(self):
        node = rebase_history(self, CopySlices, self)
        if node is not None:
            node.key = key
    return self


def _diagonal_positions(shape: tuple, wrap: bool) -> tuple:
    if len(shape) > 2:
        steps = np.arange(shape[0])
        return (steps,) * len(shape)
    rows, cols = shape
    if not wrap or rows <= cols:
        steps = np.arange(min(rows, cols))
        return steps, steps
    # Flat positions every ``cols + 1`` elements run on past the square part, one row lower
    # each time the diagonal restarts.
    flat = np.arange(0, rows * cols, cols + 1)
    return flat // cols, flat % cols


# -- writing a tensor into a view of a copy ---------------------------------------------------
def _scatter_node(name: str, view_of: str) -> type:
    def backward(self: Node, grad: Tensor) -> tuple:
        from .creation import zeros
        blank = zeros(self.src_shape, dtype=grad.dtype)
        return _scatter(grad, blank, self.view, type(self)), self.view(grad)
    return type(name, (Node,), {"backward": backward})


SelectScatterBackward0 = _scatter_node("SelectScatterBackward0", "select")
SliceScatterBackward0 = _scatter_node("SliceScatterBackward0", "slice")
DiagonalScatterBackward0 = _scatter_node("DiagonalScatterBackward0", "diagonal")
AsStridedScatterBackward0 = _scatter_node("AsStridedScatterBackward0", "as_strided")


def _scatter(input: Tensor, src: Tensor, view: Callable[[Tensor], Tensor],
             node_type: type) -> Tensor:
    """A copy of ``input`` with ``view(copy)`` overwritten by ``src``."""
    from ..autograd.grad_mode import no_grad
    out = wrap(input._data.copy(order="K"))  # keeps the layout, which as_strided reads
    with no_grad():
        region = view(out)._data
    if region.shape != src._data.shape:
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size "
                           f"= {list(src._data.shape)}, slice size = {list(region.shape)}")
    np.copyto(region, src._data, casting="unsafe")
    node = record(out, node_type, input, src)
    if node is not None:
        node.view, node.src_shape = view, src._data.shape
    return out


def select_scatter(input: Tensor, src: Tensor, dim: int, index: int) -> Tensor:
    return _scatter(input, src, lambda t: t.select(dim, index), SelectScatterBackward0)


def slice_scatter(input: Tensor, src: Tensor, dim: int = 0, start: int | None = None,
                  end: int | None = None, step: int = 1) -> Tensor:
    if step <= 0:
        raise RuntimeError("slice step must be positive")

    def view(t: Tensor) -> Tensor:
        d = dim + t.dim() if dim < 0 else dim
        return t[(slice(None),) * d + (slice(start, end, step),)]
    return _scatter(input, src, view, SliceScatterBackward0)


def diagonal_scatter(input: Tensor, src: Tensor, offset: int = 0, dim1: int = 0,
                     dim2: int = 1) -> Tensor:
    return _scatter(input, src, lambda t: t.diagonal(offset, dim1, dim2),
                    DiagonalScatterBackward0)


def as_strided_scatter(input: Tensor, src: Tensor, size: Sequence[int], stride: Sequence[int],
                       storage_offset: int | None = None) -> Tensor:
    return _scatter(input, src, lambda t: t.as_strided(size, stride, storage_offset),
                    AsStridedScatterBackward0)


# -- splits and small queries -----------------------------------------------------------------
def split_with_sizes(input: Tensor, split_sizes: Sequence[int], dim: int = 0) -> tuple:
    return input.split(list(split_sizes), dim)


def unsafe_split(input: Tensor, split_size: int, dim: int = 0) -> tuple:
    return input.split(split_size, dim)


def unsafe_split_with_sizes(input: Tensor, split_sizes: Sequence[int], dim: int = 0) -> tuple:
    return input.split(list(split_sizes), dim)


def unsafe_chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple:
    return input.chunk(chunks, dim)


def adjoint(input: Tensor) -> Tensor:
    """The conjugate transpose of the last two dims (a view)."""
    if input._data.ndim < 2:
        raise RuntimeError(f"tensor.adjoint() is only supported on matrices or batches of "
                           f"matrices. Got {input._data.ndim}-D tensor.")
    return input.mH


def is_signed(input: Tensor) -> bool:
    """Whether the dtype holds negative numbers (floats, complex and signed integers)."""
    return input._data.dtype.kind in "fci"


def cdouble(self: Tensor, memory_format: Any = None) -> Tensor:
    from .. import _dtype as D
    return self.to(D.complex128)


def cfloat(self: Tensor, memory_format: Any = None) -> Tensor:
    from .. import _dtype as D
    return self.to(D.complex64)


def get_device(self: Tensor) -> int:
    """-1 for a tensor in host memory, else its device's index."""
    return -1 if self.device.type == "cpu" else (self.device.index or 0)


# -- torch's function forms of Tensor methods, and old names ---------------------------------
def detach(input: Tensor) -> Tensor:
    return input.detach()


def is_conj(input: Tensor) -> bool:
    return input.is_conj()


def is_neg(input: Tensor) -> bool:
    return input.is_neg()


def resolve_conj(input: Tensor) -> Tensor:
    return input.resolve_conj()


def resolve_neg(input: Tensor) -> Tensor:
    return input.resolve_neg()


def is_inference(input: Tensor) -> bool:
    return input.is_inference()


def unravel_index(indices: Tensor, shape: Any) -> tuple:
    """The coordinates in an array of ``shape`` of each flat index (counted from the end of
    each dimension's range for negative indices, as floor division does)."""
    if not isinstance(indices, Tensor):
        raise TypeError(f"expected 'indices' to be a Tensor, but got {type(indices).__name__}")
    if indices._data.dtype.kind not in "iu":
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    sizes = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if any(int(s) < 0 for s in sizes):
        raise ValueError("'shape' cannot have negative values, but got " f"{tuple(sizes)}")
    flat = indices._data.astype(np.int64)
    coords = []
    for size in reversed(sizes):
        coords.append(np.mod(flat, size) if size else np.zeros_like(flat))
        flat = np.floor_divide(flat, size) if size else flat
    return tuple(wrap(c) for c in reversed(coords))


def range(start: float, end: float, step: float = 1, *, out: Any = None,
          dtype: Any = None, layout: Any = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:
    """``start, start + step, ...`` up to and including ``end`` (deprecated in torch: use
    ``arange``, whose end is excluded)."""
    import warnings

    from .ranges import arange
    warnings.warn("ember.range is deprecated and will be removed in a future release because "
                  "its behavior is inconsistent with Python's range builtin. Instead, use "
                  "ember.arange, which produces values in [start, end).", UserWarning,
                  stacklevel=2)
    if step == 0 or (end - start) * step < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    from .. import _dtype as D
    count = int(np.floor((end - start) / step)) + 1
    values = arange(count, dtype=D.float64) * step + start
    result = values.to(dtype or D.get_default_dtype())
    result.requires_grad_(requires_grad)
    return result if out is None else out.copy_(result)


def trapz(y: Tensor, x: Any = None, *, dx: Any = None, dim: int = -1) -> Tensor:
    """The old name of ``trapezoid``."""
    from .numeric_more import trapezoid
    if x is None:
        return trapezoid(y, dx=1 if dx is None else dx, dim=dim)
    return trapezoid(y, x, dim=dim)


class FillBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (grad * 0,)


def fill(input: Tensor, value: Any) -> Tensor:
    """A tensor like ``input`` holding ``value`` everywhere."""
    out = wrap(np.empty_like(input._data))
    out._data[...] = value._data if isinstance(value, Tensor) else value
    record(out, FillBackward0, input)
    return out
