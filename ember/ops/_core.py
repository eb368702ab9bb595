"""Helpers every op uses: wrapping results, recording graph nodes, operand promotion.

An op computes its result on arrays, then calls ``record`` which, only when grad mode is on
and an input requires grad, creates the op's ``Node`` with one edge per input. Keeping this
path short is what keeps per-op overhead low.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, tensor_from_array as wrap
from ..autograd.grad_mode import state

__all__ = ["wrap", "record", "edge", "needs_grad", "binary_operands", "sum_to", "as_tensor_arg",
           "check_inplace", "bump_version", "Tensor", "state", "wrap_dim", "normalize_dims"]

_ndarray = np.ndarray
_new = object.__new__


def edge(t: Any) -> tuple:
    """The graph edge a tensor contributes as an input: its producer, or its leaf sink."""
    if type(t) is not Tensor and not isinstance(t, Tensor):
        return (None, 0)
    if t.grad_fn is not None:
        return (t.grad_fn, t._output_nr)
    if t._requires_grad:
        return (t._grad_accumulator(), 0)
    return (None, 0)


def needs_grad(*inputs: Any) -> bool:
    if not state.enabled:
        return False
    for t in inputs:
        if isinstance(t, Tensor) and t._requires_grad:
            return True
    return False


def record(out: Tensor, node_type: type, *inputs: Any) -> Any:
    """Attach a new ``node_type`` node to ``out`` when autograd must track this op.

    Returns the node (for the op to save what backward needs) or None.
    """
    if not state.enabled:
        return None
    for t in inputs:
        if isinstance(t, Tensor) and t._requires_grad:
            break
    else:
        return None
    node = node_type()
    node.next_functions = tuple(edge(t) for t in inputs)
    out.grad_fn = node
    out._requires_grad = True
    return node


def record_multi(outs: list, node_type: type, *inputs: Any) -> Any:
    """``record`` for ops with several differentiable outputs (split, unbind, ...)."""
    node = record(outs[0], node_type, *inputs)
    if node is None:
        return None
    node.n_outputs = len(outs)
    for i, o in enumerate(outs):
        o.grad_fn, o._requires_grad, o._output_nr = node, True, i
    return node


def binary_operands(a: Any, b: Any) -> tuple:
    """Arrays (or Python scalars) for ``a op b``, cast to torch's promoted dtype."""
    ta, tb = isinstance(a, Tensor), isinstance(b, Tensor)
    if ta and tb:
        ad, bd = a._data, b._data
        if ad.dtype is bd.dtype or ad.dtype == bd.dtype:
            return ad, bd
        dt = D.result_type(a, b).np
        return ad.astype(dt, copy=False), bd.astype(dt, copy=False)
    # NumPy scalars act as Python scalars (a np.float64 must not upcast a float32 tensor).
    if ta:
        if isinstance(b, np.generic):
            b = b.item()
        return _with_scalar(a, b), b if _keeps(a, b) else _cast_scalar(a, b)
    if tb:
        if isinstance(a, np.generic):
            a = a.item()
        return (a if _keeps(b, a) else _cast_scalar(b, a)), _with_scalar(b, a)
    raise TypeError("expected at least one Tensor operand")


def _keeps(t: Tensor, scalar: Any) -> bool:
    """True when a Python scalar does not change the tensor's dtype (the common case)."""
    kind = t._data.dtype.kind
    if kind in "fc":
        return not isinstance(scalar, complex) or kind == "c"
    if kind == "b":
        return isinstance(scalar, bool)
    if type(scalar) is int:  # one outside the dtype's range is wrapped into it, as in torch
        low, high = _INT_RANGES[t._data.dtype]
        return low <= scalar <= high
    return isinstance(scalar, (int, np.integer, bool, np.bool_))


_F32_MAX = float(np.finfo(np.float32).max)
_INT_RANGES = {np.dtype(t): (int(np.iinfo(t).min), int(np.iinfo(t).max))
               for t in (np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16,
                         np.uint32, np.uint64)}
_INT64_MIN, _INT64_END = -2 ** 63, 2 ** 63


def check_scalar(value: Any, dtype: np.dtype) -> Any:
    """``value`` (a Python number) as ``dtype`` stores it, or torch's error when it cannot.

    Integer targets take floats within their range (truncated) and ints within it (unsigned
    ones also take negative ints down to ``-max``, which wrap); float32 refuses finite
    floats beyond its range; real targets refuse complex numbers with an imaginary part;
    bool takes anything; ints beyond 64 bits never convert.
    """
    if isinstance(value, int) and not _INT64_MIN <= value < _INT64_END:
        raise ValueError("Overflow when unpacking long long")
    kind = dtype.kind
    if kind == "b" or isinstance(value, bool):
        return bool(value) if kind == "b" else value
    if isinstance(value, complex) and kind != "c":
        if value.imag:
            raise overflow_error(dtype)
        value = value.real
    bounds = _INT_RANGES.get(dtype)
    if isinstance(value, int):
        if bounds is not None:
            low = -bounds[1] if bounds[0] == 0 else bounds[0]
            if not low <= value <= bounds[1]:
                raise overflow_error(dtype)
            if value < 0 and kind == "u":
                return value + bounds[1] + 1  # wraps, as a C cast does
    elif isinstance(value, float):
        if bounds is not None:
            if not bounds[0] <= value <= bounds[1]:  # NaN fails too
                raise overflow_error(dtype)
        elif dtype.itemsize == 4 * (1 + (kind == "c")) and _F32_MAX < abs(value) < np.inf:
            raise overflow_error(dtype)
    return value


def require_tensor(value: Any, fn: str, arg: str = "other", pos: int = 2) -> None:
    """torch's error for an argument that must be a tensor and is not."""
    if not isinstance(value, Tensor):
        kind = type(value)
        name = (kind.__name__ if kind.__module__ == "builtins"
                else f"{kind.__module__}.{kind.__name__}")
        raise TypeError(f"{fn}(): argument '{arg}' (position {pos}) must be Tensor, not {name}")


def overflow_error(dtype: np.dtype) -> RuntimeError:
    """torch's error for a number that does not fit ``dtype`` (a float16 target's value is
    checked as a double)."""
    name = "double" if dtype == np.float16 else D.conversion_name(dtype)
    return RuntimeError(f"value cannot be converted to type {name} without overflow")


def refuse_wrapped_scalar(t: Any, scalar: Any) -> None:
    """The ops that convert a Python int with a range check (pow, where) refuse one that
    does not fit ``t``'s integer dtype, where arithmetic would wrap it."""
    if type(scalar) is int and isinstance(t, Tensor) and t._data.dtype.kind in "iu":
        check_scalar(scalar, t._data.dtype)


def _with_scalar(t: Tensor, scalar: Any):
    if _keeps(t, scalar):
        return t._data
    return t._data.astype(D.result_type(t, scalar).np, copy=False)


def _cast_scalar(t: Tensor, scalar: Any):
    dt = D.result_type(t, scalar).np
    if type(scalar) is int and dt.kind in "iu":
        # Two's-complement wrap (uint8 tensor * -1 multiplies by 255), torch's conversion.
        bits = 8 * dt.itemsize
        scalar &= (1 << bits) - 1
        if dt.kind == "i" and scalar >= 1 << (bits - 1):
            scalar -= 1 << bits
    return dt.type(scalar)


def as_tensor_arg(x: Any, like: Tensor | None = None) -> Tensor:
    if isinstance(x, Tensor):
        return x
    dt = D.scalar_dtype(x) if like is None else D.result_type(like, x)
    return wrap(np.asarray(x, dtype=dt.np))


def sum_to(grad: Tensor, shape: tuple) -> Tensor:
    """Reduce a broadcast gradient back to ``shape`` (the inverse of broadcasting)."""
    gshape = grad._data.shape
    if gshape == shape:
        return grad
    lead = len(gshape) - len(shape)
    dims = tuple(range(lead)) + tuple(
        i + lead for i, s in enumerate(shape) if s == 1 and gshape[i + lead] != 1)
    out = grad.sum(dims, keepdim=True) if dims else grad
    return out.reshape(shape) if out.shape != shape else out


def check_inplace(t: Tensor) -> None:
    """Refuse in-place changes that would corrupt autograd (a leaf that requires grad, or a
    view of one)."""
    if state.enabled and t._requires_grad:
        if t.grad_fn is None:
            raise RuntimeError(
                "a leaf Variable that requires grad is being used in an in-place operation.")
        base = t._base
        if base is not None and base.grad_fn is None and base._requires_grad:
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in "
                               "an in-place operation.")


def bump_version(t: Tensor) -> None:
    t._version[0] += 1


def wrap_dim(dim: int, ndim: int) -> int:
    n = ndim if ndim > 0 else 1
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    return dim + n if dim < 0 else dim


def normalize_dims(dim: Any, ndim: int) -> tuple | None:
    """``dim`` argument (None, int, or sequence) as a sorted tuple of non-negative ints."""
    if dim is None:
        return None
    if isinstance(dim, (int, np.integer)):
        return (wrap_dim(int(dim), ndim),)
    dims = tuple(wrap_dim(int(d), ndim) for d in dim)
    if len(set(dims)) != len(dims):
        raise RuntimeError(f"dim {dims[0]} appears multiple times in the list of dims")
    return tuple(sorted(dims))


def make_inplace_result(t: Tensor, new_data: Any, node_type: type | None, *inputs: Any) -> Any:
    """Write ``new_data`` into ``t`` and rebase its history on a new node (in-place ops)."""
    check_inplace(t)
    t._data[...] = new_data
    bump_version(t)
    if node_type is None:
        return None
    return rebase_history(t, node_type, *inputs)


def rebase_history(t: Tensor, node_type: type, *inputs: Any) -> Any:
    if not needs_grad(*inputs):
        return None
    node = node_type()
    node.next_functions = tuple(edge(x) for x in inputs)
    t.grad_fn = node
    t._requires_grad = True
    t._output_nr = 0
    if t._base is not None:  # written through a view: the base's history changes too
        from ..autograd.views import rebase_view
        rebase_view(t)
    return node
