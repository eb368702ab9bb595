"""Tensors from data: ``tensor``, ``as_tensor``, ``from_numpy`` and ``scalar_tensor``,
with torch's dtype inference for nested Python sequences and its conversion errors."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .. import _dtype as D
from ._core import Tensor, overflow_error, wrap
from ._errstate import quiet
from ._factory_args import _SCALARS, _check_dtype_arg, _finish, _type_name

__all__ = ["tensor", "as_tensor", "from_numpy", "scalar_tensor"]


def _is_sequence(x: Any) -> bool:
    """Sequences torch reads element by element (range, bytearray, ...), strings excepted."""
    return (hasattr(x, "__len__") and hasattr(x, "__getitem__")
            and not isinstance(x, (str, bytes, dict, np.ndarray, Tensor)))


def _infer_dtype(data: Any) -> D.dtype:
    """torch.tensor's inference: bools, ints (int64), floats (default dtype), nested lists;
    NumPy scalars and arrays and tensors bring their own dtype."""
    found = None
    stack = [data]
    while stack:  # elements are visited in order, so the first bad one is the one named
        x = stack.pop()
        if isinstance(x, (list, tuple)):
            stack.extend(reversed(x))
            continue
        if isinstance(x, Tensor):
            d = x.dtype
        elif isinstance(x, np.generic):
            d = D.from_np(x.dtype)
        elif isinstance(x, np.ndarray):
            if x.ndim == 0 and x is not data:  # torch asks a nested array for its length
                raise TypeError("len() of unsized object")
            d = D.from_np(x.dtype)
        elif isinstance(x, (bool, int, float, complex)):
            d = D.scalar_dtype(x)
        elif isinstance(x, (str, bytes)):
            raise _string_error(data, x)
        elif _is_sequence(x):
            stack.extend(reversed(list(x)))
            continue
        else:
            raise RuntimeError(f"Could not infer dtype of {type(x).__name__}")
        found = d if found is None else D.promote_types(found, d)
    return D.get_default_dtype() if found is None else found


def _string_error(data: Any, s: Any) -> Exception:
    """A string where torch looks for a dimension's length is "too many dimensions"; any
    other string is an invalid element."""
    x = data
    while isinstance(x, (list, tuple)) and len(x):
        x = x[0]
    if isinstance(x, (str, bytes)) and x is not data:
        return ValueError(f"too many dimensions '{type(s).__name__}'")
    return TypeError(f"new(): invalid data type '{type(s).__name__}'")


def _ragged_error(data: Any) -> Exception:
    """torch's message for nested sequences whose lengths disagree."""
    shape, x = [], data
    while isinstance(x, (list, tuple)):
        shape.append(len(x))
        x = x[0] if len(x) else None
    stack = [(data, 0)]
    while stack:
        x, dim = stack.pop()
        if dim == len(shape):
            if isinstance(x, (list, tuple)):
                return TypeError(f"'{type(x).__name__}' object cannot be interpreted as an integer")
            continue
        if not isinstance(x, (list, tuple, np.ndarray, Tensor)):
            return TypeError("not a sequence")
        if len(x) != shape[dim]:
            return ValueError(f"expected sequence of length {shape[dim]} at dim {dim} "
                              f"(got {len(x)})")
        stack.extend((y, dim + 1) for y in x)
    return ValueError("expected sequences of equal length")


def _untensor(data: Any, dt: D.dtype) -> Any:
    """Nested sequences as lists, with one-element tensors replaced by their values."""
    if isinstance(data, Tensor):
        if data._data.size != 1:
            if dt.is_floating_point or dt.is_complex:
                raise ValueError("only one element tensors can be converted to Python scalars")
            raise TypeError("only integer tensors of a single element can be converted to "
                            "an index")
        return data.item()
    if isinstance(data, (list, tuple)) or _is_sequence(data):
        return [_untensor(x, dt) for x in data]
    return data


def _check_byte_order(arr: np.ndarray) -> None:
    if not arr.dtype.isnative:
        raise ValueError("given numpy array has byte order different from the native byte "
                         "order. Conversion between byte orders is currently not supported.")


def _to_array(data: Any, dtype: D.dtype | None) -> np.ndarray:
    if isinstance(data, Tensor):
        warnings.warn("To copy construct from a tensor, it is recommended to use "
                      "sourceTensor.detach().clone() or sourceTensor.detach().clone()."
                      "requires_grad_(True), rather than ember.tensor(sourceTensor).",
                      UserWarning, stacklevel=3)
        arr = data._numpy_host()
        return arr.astype(dtype.np) if dtype is not None else arr.copy()
    if isinstance(data, np.ndarray):
        _check_byte_order(data)
        D.from_np(data.dtype)
        return np.array(data, dtype=dtype.np if dtype is not None else None, copy=True)
    if dtype is D.uint64:
        return _uint64_array(data)
    natural = _infer_dtype(data)
    dt = dtype or natural
    if dt is D.uint64:
        return _uint64_array(data)
    if not isinstance(data, _SCALARS):
        data = _untensor(data, dt)
    if dt != natural and dt.np.kind in "iu" and natural.np.kind in "fciu":
        # converted values are checked as torch checks them
        return _checked_int_array(_natural_array(data, natural), dt)
    try:
        with quiet():  # 1e40 becomes inf in float32, silently as in torch
            return np.array(data, dtype=dt.np)
    except ValueError:
        raise _ragged_error(data) from None
    except OverflowError:
        raise ValueError("Overflow when unpacking long long") from None
    except TypeError:
        if natural.is_complex and not dt.is_complex:
            raise TypeError("must be real number, not complex") from None
        raise


_UINT64_END = 1 << 64
_INT64_MIN = -(1 << 63)


def _check_uint64_int(x: Any) -> None:
    """uint64 elements are read as unsigned 64-bit ints: only Python ints (bools too) in
    [0, 2**64), with the errors of Python's own unsigned conversion."""
    if not isinstance(x, int):
        raise TypeError("an integer is required")
    if x < 0:
        raise OverflowError("can't convert negative int to unsigned")
    if x >= _UINT64_END:
        raise OverflowError("int too big to convert")


def _uint64_array(data: Any) -> np.ndarray:
    """Python data as uint64. The full unsigned range is kept (a detour through int64 would
    refuse 2**63 and above), and every element is checked in order first."""
    stack = [data]
    while stack:
        x = stack.pop()
        if isinstance(x, (list, tuple)) or _is_sequence(x):
            stack.extend(reversed(list(x)))
        else:
            _check_uint64_int(x)
    try:
        return np.array(data, dtype=np.uint64)
    except ValueError:
        raise _ragged_error(data) from None


def _natural_array(data: Any, natural: D.dtype) -> np.ndarray:
    """``data`` as an array of the dtype torch would infer for it."""
    try:
        return np.array(data, dtype=natural.np)
    except ValueError:
        raise _ragged_error(data) from None
    except OverflowError:
        raise ValueError("Overflow when unpacking long long") from None


def _checked_int_array(src: np.ndarray, dt: D.dtype) -> np.ndarray:
    """``src`` cast to the integer dtype ``dt``: floats truncate, negative integers wrap
    into unsigned types (down to minus the maximum), anything else out of range is refused."""
    if src.dtype.kind == "c":
        raise TypeError("'complex' object cannot be interpreted as an integer")
    info = np.iinfo(dt.np)
    if src.dtype.kind == "f":
        with quiet():
            bad = ~((src >= float(info.min)) & (src <= float(info.max)))  # NaN included
    else:
        low = -info.max if info.min == 0 else info.min
        bad = (src < low) | (src > info.max)
    if bad.any():
        raise RuntimeError(f"value cannot be converted to type {dt.name} without overflow")
    with quiet():
        return src.astype(dt.np)


def tensor(data: Any, *, dtype: D.dtype | None = None, device: Any = None,
           requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (nested lists, scalars, arrays or tensors).

    >>> ember.tensor([[1, 2], [3, 4]]).dtype
    ember.int64
    """
    _check_dtype_arg(dtype, "tensor")
    return _finish(_to_array(data, dtype), requires_grad, device)


def scalar_tensor(s: Any, *, dtype: D.dtype | None = None, device: Any = None,
                  requires_grad: bool = False) -> Tensor:
    if isinstance(s, Tensor):
        s = s.item()
    if not isinstance(s, _SCALARS):
        raise TypeError(f"scalar_tensor(): argument 's' (position 1) must be Number, not "
                        f"{type(s).__name__}")
    dt = dtype or D.get_default_dtype()
    if type(s) is int and not _INT64_MIN <= s < _UINT64_END:
        _check_uint64_int(s)  # beyond any 64-bit int: Python's unsigned conversion error
        raise OverflowError("can't convert negative int to unsigned")
    if isinstance(s, (complex, np.complexfloating)) and not dt.is_complex:
        if dt is D.bool:
            s = bool(s)
        elif s.imag:
            raise overflow_error(dt.np)
        else:
            s = s.real
    if dt.np.kind in "iu" and not isinstance(s, (bool, np.bool_)):
        s = _integer_scalar(s, dt)
    return tensor(s, dtype=dt, device=device, requires_grad=requires_grad)


def _integer_scalar(s: Any, dt: D.dtype) -> int:
    """A real number as the integer dtype ``dt`` stores it, or torch's range error: floats
    truncate, and negative ints wrap into unsigned types down to minus the maximum."""
    info = np.iinfo(dt.np)
    if isinstance(s, (int, np.integer)):
        s = int(s)
        fits = (-info.max if info.min == 0 else info.min) <= s <= info.max
    else:
        fits = info.min <= s <= info.max  # exact float-int comparison; NaN never fits
    if not fits:
        raise overflow_error(dt.np)
    return int(s) % (1 << info.bits) if info.min == 0 else int(s)


def as_tensor(data: Any, dtype: D.dtype | None = None, device: Any = None) -> Tensor:
    """Like ``tensor`` but shares memory with a tensor or ndarray when no conversion is needed."""
    if isinstance(data, Tensor):
        out = data if dtype is None or dtype == data.dtype else data.to(dtype)
        return out if device is None else out.to(device)
    if isinstance(data, np.ndarray) and (dtype is None or dtype.np == data.dtype):
        _check_byte_order(data)
        D.from_np(data.dtype)
        return _finish(data, False, device)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``ndarray`` (changes show both ways).

    >>> a = np.zeros(2); t = ember.from_numpy(a); a[0] = 1; t
    tensor([1., 0.], dtype=ember.float64)
    """
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {_type_name(ndarray)})")
    _check_byte_order(ndarray)
    D.from_np(ndarray.dtype)
    if any(s < 0 for s in ndarray.strides):
        raise ValueError("At least one stride in the given numpy array is negative, and tensors "
                         "with negative strides are not currently supported. (You can probably "
                         "work around this by making a copy of your array  with array.copy().) ")
    return wrap(ndarray)

