"""Argument and input checks of the pooling ops, in the order torch makes them.

A wrong call fails with the error torch gives for it: the first argument it objects to, and
its message. Windowed 2-d pooling (max and average) shares one sequence of checks; 1-d max
pooling has its own (1-d average pooling runs as 2-d over a unit height); adaptive pooling
checks its output size and the input's non-batch sizes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype as D

__all__ = ["pool2d_geometry", "check_max_pool1d", "check_pool1d_input", "one_int",
           "check_adaptive", "require_dtype"]


def _sizes(shape: tuple) -> str:
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _half(n: int) -> int:
    """``n / 2`` rounded toward zero, as C++ integer division does."""
    return n // 2 if n >= 0 else -(-n // 2)


def per_dim(v: Any, message: str, n: int = 2) -> tuple:
    """A pooling argument for ``n`` spatial dims: one int for all, or one per dim."""
    if isinstance(v, (int, np.integer)):
        return (int(v),) * n
    v = tuple(int(i) for i in v)
    if len(v) == 1:
        return v * n
    if len(v) != n:
        raise RuntimeError(message)
    return v


def _parse2d(name: str, kernel: Any, stride: Any, padding: Any, dilation: Any) -> tuple:
    k = per_dim(kernel, f"{name}: kernel_size must either be a single int, or a tuple of two ints")
    omitted = stride is None or (not isinstance(stride, (int, np.integer)) and len(stride) == 0)
    s = k if omitted else per_dim(stride, f"{name}: stride must either be omitted, a single int, "
                                         "or a tuple of two ints")
    p = per_dim(padding, f"{name}: padding must either be a single int, or a tuple of two ints")
    d = per_dim(dilation, f"{name}: dilation must be either a single int, or a tuple of two ints")
    return k, s, p, d


def out_size(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """Windows along one dimension (a ceil-mode window must start inside input or padding)."""
    span = d * (k - 1) + 1
    out = (size + 2 * p - span + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1  # the last window would start inside the right padding only
    return out


def _check_window_dim(k: int, s: int, p: int, d: int) -> None:
    if s == 0:
        raise RuntimeError("stride should not be zero")
    if p < 0:
        raise RuntimeError(f"pad must be non-negative, but got pad: {p}")
    if p > _half((k - 1) * d + 1):
        raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                           f"pad={p}, kernel_size={k} and dilation={d}")


def _check_positive(k: tuple, s: tuple, d: tuple) -> None:
    if k[0] <= 0 or k[1] <= 0:
        raise RuntimeError(f"kernel size should be greater than zero, but got kH: {k[0]} "
                           f"kW: {k[1]}")
    if s[0] <= 0 or s[1] <= 0:
        raise RuntimeError(f"stride should be greater than zero, but got dH: {s[0]} dW: {s[1]}")
    if d[0] <= 0 or d[1] <= 0:
        raise RuntimeError(f"dilation should be greater than zero, but got dilationH: {d[0]} "
                           f"dilationW: {d[1]}")


def _check_rank_early(shape: tuple, name: str, divisor_override: Any) -> None:
    """Max pooling refuses a wrong rank first; average pooling checks its divisor and then
    reads the channel count (an IndexError below 3 dimensions)."""
    if name == "max_pool2d":
        if len(shape) not in (3, 4):
            raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
        return
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    if len(shape) < 3:
        raise IndexError(f"Dimension out of range (expected to be in range of "
                         f"[{-len(shape)}, {len(shape) - 1}], but got -3)")


def pool2d_geometry(shape: tuple, kernel: Any, stride: Any, padding: Any, dilation: Any,
                    ceil_mode: bool, name: str, divisor_override: Any = None) -> tuple:
    """Checked ``(kernel, stride, padding, dilation, out)`` pairs of a 2-d pooling of an
    input of ``shape``; ``name`` is ``"max_pool2d"`` or ``"avg_pool2d"``."""
    k, s, p, d = _parse2d(name, kernel, stride, padding, dilation)
    _check_rank_early(shape, name, divisor_override)
    for i in range(2):
        _check_window_dim(k[i], s[i], p[i], d[i])
    _check_positive(k, s, d)
    if len(shape) not in (3, 4) or 0 in shape[len(shape) - 3:]:
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with optional 0 dim batch "
                           f"size for input, but got:{_sizes(shape)}")
    out = tuple(out_size(shape[i - 2], k[i], s[i], p[i], d[i], ceil_mode) for i in range(2))
    if out[0] < 1 or out[1] < 1:
        c, h, w = shape[-3:]
        raise RuntimeError(f"Given input size: ({c}x{h}x{w}). Calculated output size: "
                           f"({c}x{out[0]}x{out[1]}). Output size is too small")
    return k, s, p, d, out


def _one(v: Any, message: str) -> int:
    if isinstance(v, (int, np.integer)):
        return int(v)
    if len(v) != 1:
        raise RuntimeError(message.format(len(v)))
    return int(v[0])


def check_max_pool1d(shape: tuple, kernel: Any, stride: Any, padding: Any, dilation: Any,
                     ceil_mode: bool) -> None:
    """The checks of 1-d max pooling without indices (its own kernel in torch)."""
    if len(shape) not in (2, 3) or 0 in shape[-2:]:
        raise RuntimeError("max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 "
                           f"dim batch size for input, but got:{_sizes(shape)}")
    pre = "max_pool1d() "
    k = _one(kernel, pre + "kernel_size must be an int, list of ints or tuple of ints of size "
                           "1 but got size {}")
    omitted = stride is None or (not isinstance(stride, (int, np.integer)) and len(stride) == 0)
    s = k if omitted else _one(stride, pre + "stride must be None, an int, list of ints, or "
                                             "tuple of ints of size 1 but got size {}")
    p = _one(padding, pre + "padding must be an int, list of ints, or tuple of ints of size 1 "
                            "but got size {}")
    d = _one(dilation, pre + "dilation must be an int, list of ints or tuple of ints of size 1 "
                             "but got size {}")
    if k <= 0:
        raise RuntimeError(f"{pre}kernel_size must be greater than zero, but got {k}")
    if s <= 0:
        raise RuntimeError(f"{pre}stride must be greater than zero, but got {s}")
    if p < 0:
        raise RuntimeError(f"{pre}padding must be non-negative, but got {p}")
    if p > k // 2:
        raise RuntimeError(f"{pre}padding should be at most half of kernel size, but got "
                           f"padding={p} and kernel_size={k}")
    if d <= 0:
        raise RuntimeError(f"{pre}dilation must be greater than zero, but got {d}")
    out = out_size(shape[-1], k, s, p, d, ceil_mode)
    if out <= 0:
        raise RuntimeError(f"{pre}Invalid computed output size: {out}")


def check_pool1d_input(shape: tuple, name: str) -> None:
    """1-d average and adaptive pooling take (C, L) or (N, C, L)."""
    if len(shape) not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {len(shape)}-dimensional "
                           f"tensor for argument #1 'self' (while checking arguments for "
                           f"{name})")


def one_int(v: Any, name: str, arg: str) -> Any:
    """A 1-d pooling argument as one int (a None stride stays None); a longer list is
    refused."""
    if v is None and arg != "stride":
        position = {"kernel_size": 2, "output_size": 2, "padding": 4}[arg]
        raise TypeError(f"{name}(): argument '{arg}' (position {position}) must be tuple of "
                        "ints, not NoneType")
    if v is None or isinstance(v, (int, np.integer)):
        return v
    v = tuple(v)
    if len(v) > 1:
        raise RuntimeError(f"{name}() argument '{arg}' should contain one int (got {len(v)})")
    return v[0] if v else None


def check_adaptive(shape: tuple, out: tuple, name: str) -> None:
    """Output sizes of at least 0 and a non-empty plane (max pooling: non-empty channels)."""
    if any(o < 0 for o in out):
        if name == "adaptive_avg_pool2d":
            raise RuntimeError(f"{name}: elements of output_size must be greater than or equal "
                               f"to 0 but received {{{out[0]}, {out[1]}}}")
        bad = next(o for o in out if o < 0)
        raise RuntimeError(f"Trying to create tensor with negative dimension {bad}: "
                           f"{_sizes(shape[:-2] + out)}")
    first = len(shape) - 2 if name == "adaptive_avg_pool2d" else 1
    for dim in range(first, len(shape)):
        if shape[dim] == 0:
            raise RuntimeError(f"{name}(): Expected input to have non-zero size for non-batch "
                               f"dimensions, but input has sizes {_sizes(shape)} with "
                               f"dimension {dim} being empty")


def require_dtype(dtype: Any, name: str, allowed: str) -> None:
    """Refuse element types torch's kernel ``name`` has no implementation for.

    ``allowed``: ``"float"`` (floating point only), ``"float+long"`` (and int64) or
    ``"nobool"`` (any but bool).
    """
    if dtype.is_floating_point:
        return
    if allowed == "nobool":
        ok = dtype.name != "bool"
    else:
        ok = allowed == "float+long" and dtype.name == "int64"
    if not ok:
        scalar = D.scalar_type_name(dtype)
        raise NotImplementedError(f'"{name}" not implemented for \'{scalar}\'')
