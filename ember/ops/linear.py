"""The op behind ``nn.Linear`` for a 2-d input: ``input @ weight.T (+ bias)`` with a fused
backward.

The graph is recorded as torch records it: ``AddmmBackward0`` (``MmBackward0`` without a bias)
whose last edge goes through a ``TBackward0`` node to the weight. The backward formula is
chosen for speed and memory, not transcribed from that graph:

- the weight gradient is computed directly in the weight's own ``(out, in)`` layout as
  ``grad.T @ input`` (transposed operands go to BLAS as flags, nothing is copied), and handed
  through ``TBackward0`` as a transposed view; that node gives the contiguous array back, so
  the leaf adopts it as its ``.grad`` without a copy;
- the bias gradient is one column sum of the incoming gradient (a ``gemv`` with ones);
- no gradient is computed for an input that does not need one.

Under ``create_graph=True`` the nodes fall back to the generic formulas written with tensor
ops, so higher-order gradients still work.

>>> import ember
>>> w = ember.ones(3, 2, requires_grad=True)
>>> y = linear(ember.ones(4, 2), w, ember.zeros(3, requires_grad=True))
>>> y.grad_fn.name(), y.grad_fn.next_functions[2][0].name()
('AddmmBackward0', 'TBackward0')
"""

from __future__ import annotations

import numpy as np

from .. import _blas
from ..autograd.grad_mode import state
from . import _gemm, _rows
from . import linalg as _linalg
from . import shape as _shape
from ._core import Tensor, record, wrap

__all__ = ["linear"]

_ndarray = np.ndarray
# Real floating dtypes only: integers and complex numbers take the generic ops.
_FUSED_KINDS = "f"


class TBackward0(_shape.TBackward0):
    """The weight's transpose, as torch records it. The gradient arriving here is the
    transpose of a fresh contiguous ``(out, in)`` array; passing that array on unchanged
    (instead of a view of it) lets the leaf keep it as ``.grad`` without copying."""

    def backward(self, grad: Tensor) -> tuple:
        arr = grad._data
        owner = arr.base
        if (not state.enabled and type(owner) is np.ndarray and owner.flags.c_contiguous
                and owner.shape == arr.shape[::-1] and owner.strides == arr.strides[::-1]):
            return (wrap(owner),)
        return (grad.t(),)


class AddmmBackward0(_linalg.AddmmBackward0):
    """``linear`` with a bias: gradients for bias, input and the transposed weight."""

    def backward(self, grad: Tensor) -> tuple:
        if state.enabled:
            return super().backward(grad)
        x, wt = self.saved()
        g = grad._data
        needs = self.needs
        g_bias = wrap(_rows.column_sums(g)) if needs[0] else None
        return (g_bias, *_input_weight_grads(g, x, wt, needs[1], needs[2]))


class MmBackward0(_linalg.MmBackward0):
    """``linear`` without a bias: gradients for the input and the transposed weight."""

    def backward(self, grad: Tensor) -> tuple:
        if state.enabled:
            return super().backward(grad)
        x, wt = self.saved()
        return _input_weight_grads(grad._data, x, wt, self.needs[0], self.needs[1])


def _input_weight_grads(g: np.ndarray, x: Tensor | None, wt: Tensor | None, need_x: bool,
                        need_w: bool) -> tuple:
    # ``wt`` holds ``weight.T``, so ``wt._data.T`` is the weight itself, contiguous.
    gx = wrap(_gemm.matmul(g, wt._data.T)) if need_x else None
    gw = wrap(_gemm.matmul(g.T, x._data).T) if need_w else None
    return gx, gw


def _product(x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    """``x @ w.T + b`` as a fresh C-contiguous array.

    For a batch much smaller than the output width, OpenBLAS multiplies faster with the roles
    swapped: ``(w @ x.T).T`` took 0.55x the time at batch 8 and 0.86x at batch 64 for
    512-wide layers (and more than 1x from batch 256 on). The transpose back to row order is
    OpenBLAS's tiled copy where it applies (10 us for 64 x 512 float32, where NumPy's
    strided pass that also adds the bias took 25 us). A single row is a
    matrix-vector product (BLAS ``gemv``, no matrix-product set-up: 2.5 us less over the seed
    network's three layers).
    """
    n = x.shape[0]
    if n == 1:
        row = np.dot(w, x[0])
        if b is not None:
            row += b
        return row.reshape(1, w.shape[0])
    if 1 < n < 128 and w.shape[0] >= 2 * n:
        out = np.empty((n, w.shape[0]), dtype=x.dtype)
        flipped = _gemm.matmul(w, x.T)
        if _blas.transpose(flipped, out):
            if b is not None:
                out += b
        elif b is None:
            np.copyto(out, flipped.T)
        else:
            np.add(flipped.T, b, out=out)
        return out
    out = _gemm.matmul(x, w.T)
    if b is not None:
        out += b  # in place: the product is a fresh array
    return out


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor | None:
    """``input @ weight.T + bias`` for a 2-d ``input``, or None when the fused op does not
    apply: it needs 2-d NumPy input and weight of one real floating dtype that fit together,
    and a 1-d bias of the output size. Anything else (every error case included) is left to the
    generic ops, which raise torch's messages."""
    x, w = input._data, weight._data
    xs, ws = x.shape, w.shape
    if (len(xs) != 2 or len(ws) != 2 or xs[1] != ws[1] or type(x) is not _ndarray
            or type(w) is not _ndarray):
        return None
    dtype = x.dtype
    if w.dtype != dtype or dtype.kind not in _FUSED_KINDS:
        return None
    b = None
    if bias is not None:
        b = bias._data
        if b.shape != (ws[0],) or b.dtype != dtype or type(b) is not _ndarray:
            return None
    res = wrap(_product(x, w, b))
    if state.enabled and (input._requires_grad or weight._requires_grad
                          or (bias is not None and bias._requires_grad)):
        _record(res, input, weight, bias)
    return res


def _record(res: Tensor, input: Tensor, weight: Tensor, bias: Tensor | None) -> None:
    wt = _shape.make_view(weight, weight._data.T)
    record(wt, TBackward0, weight)
    if bias is None:
        node = record(res, MmBackward0, input, wt)
        node.needs = (input._requires_grad, weight._requires_grad)
    else:
        node = record(res, AddmmBackward0, bias, input, wt)
        node.needs = (bias._requires_grad, input._requires_grad, weight._requires_grad)
        node.alpha, node.beta, node.bias_shape = 1, 1, bias._data.shape
    # Keep only what the gradients need: the input for the weight's, the weight for the
    # input's (both version-checked, as torch's saved variables are).
    node.save(input if weight._requires_grad else None,
              wt if input._requires_grad else None)
