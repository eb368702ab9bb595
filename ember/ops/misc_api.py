"""Assorted torch-level functions: dtype limits (``finfo``, ``iinfo``), ``normal`` and
``poisson`` sampling, small predicates, and ``asarray``/``frombuffer``.

Random draws come from ember's generators: the numbers differ from torch's, the
distributions do not.

>>> import ember
>>> ember.finfo(ember.float32).eps
1.1920928955078125e-07
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from .. import _dtype as D
from .._random import numpy_rng
from ..autograd.graph import Node
from ._binary import _size_error, _write_out
from ._core import Tensor, record, require_tensor, sum_to, wrap
from ._factory_args import _finish, _size, _type_name

__all__ = ["finfo", "iinfo", "normal", "poisson", "is_complex", "is_nonzero", "is_same_size",
           "can_cast", "asarray", "frombuffer"]
# ember.Tensor already has is_complex.
TENSOR_METHODS: tuple = ("is_nonzero", "is_same_size")

_MISSING = object()




# -- finfo, iinfo -----------------------------------------------------------------------------
class finfo:
    """Limits of a floating dtype (a complex dtype reports its real part's)."""

    def __init__(self, type: Any = None) -> None:
        dt = D.get_default_dtype() if type is None else type
        if not isinstance(dt, D.dtype):
            raise TypeError(f"finfo(): argument 'type' (position 1) must be ember.dtype, not "
                            f"{_type_name(dt)}")
        if not (dt.is_floating_point or dt.is_complex):
            raise TypeError("ember.finfo() requires a floating point input type. Use "
                            "ember.iinfo to handle 'ember.finfo'")
        info = np.finfo(dt.to_real().np)
        self.bits: int = info.bits
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        self.resolution = 10.0 ** -info.precision
        self.dtype: str = dt.to_real().name

    def __eq__(self, other: object) -> bool:
        return type(other) is finfo and other.dtype == self.dtype

    def __hash__(self) -> int:
        return hash(("finfo", self.dtype))

    def __repr__(self) -> str:
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, "
                f"tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """Limits of an integer dtype."""

    def __init__(self, type: Any = _MISSING) -> None:
        if type is _MISSING:
            raise TypeError('iinfo() missing 1 required positional arguments: "type"')
        if not isinstance(type, D.dtype):
            raise TypeError(f"iinfo(): argument 'type' (position 1) must be ember.dtype, not "
                            f"{_type_name(type)}")
        if type is D.bool:
            raise TypeError("ember.bool is not supported by ember.iinfo")
        if type.np.kind not in "iu":
            raise TypeError("ember.iinfo() requires an integer input type. Use ember.finfo to "
                            "handle 'ember.iinfo'")
        info = np.iinfo(type.np)
        self.bits: int = info.bits
        self.min: int = int(info.min)
        self.max: int = int(info.max)
        self.dtype: str = type.name

    def __eq__(self, other: object) -> bool:
        return type(other) is iinfo and other.dtype == self.dtype

    def __hash__(self) -> int:
        return hash(("iinfo", self.dtype))

    def __repr__(self) -> str:
        return f"iinfo(min={float(self.min):g}, max={float(self.max):g}, dtype={self.dtype})"


# -- normal, poisson ------------------------------------------------------------------------
class NormalBackward1(Node):
    """Samples are not reparameterised: no gradient flows to mean or std (as in torch)."""

    def backward(self, grad: Tensor) -> tuple:
        return tuple(None if s is None else sum_to(grad * 0, s) for s in self.shapes)


class NormalBackward2(NormalBackward1):
    pass


class NormalBackward3(NormalBackward1):
    pass


class PoissonBackward0(NormalBackward1):
    pass


_NORMAL_SIGNATURES = (
    " * (Tensor mean, Tensor std, *, ember.Generator generator = None, Tensor out = None)\n"
    " * (Tensor mean, float std = 1, *, ember.Generator generator = None, Tensor out = None)\n"
    " * (float mean, Tensor std, *, ember.Generator generator = None, Tensor out = None)\n"
    " * (float mean, float std, tuple of ints size, *, ember.Generator generator = None, "
    "Tensor out = None, ember.dtype dtype = None, ember.layout layout = None, "
    "ember.device device = None, bool pin_memory = False, bool requires_grad = False)\n")


def _check_float(dt: D.dtype, kernel: str) -> None:
    if not (dt.is_floating_point or dt.is_complex):
        raise NotImplementedError(f'"{kernel}" not implemented for \'{D.scalar_type_name(dt)}\'')


def _std_scalar(std: float) -> None:
    if not std >= 0:  # NaN is refused too
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")


def normal(mean: Any, std: Any = 1.0, size: Any = None, *, generator: Any = None,
           out: Tensor | None = None, dtype: D.dtype | None = None, layout: Any = None,
           device: Any = None, pin_memory: bool = False, requires_grad: bool = False) -> Tensor:
    """Samples of N(mean, std**2); ``mean`` and ``std`` are tensors (broadcast together) or
    numbers, the latter with a ``size``. Gradients to ``mean`` and ``std`` are zero."""
    tm, ts = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not tm and not ts:
        if size is None or not isinstance(size, (tuple, list)):
            args = ", ".join(_type_name(a) for a in (mean, std) + (() if size is None else (size,)))
            raise TypeError(f"normal() received an invalid combination of arguments - got "
                            f"({args}), but expected one of:\n{_NORMAL_SIGNATURES}")
        _std_scalar(std)
        dt = dtype or D.get_default_dtype()
        _check_float(dt, "normal_kernel_cpu")
        shape, node_type = _size((size,), "normal"), None
    else:
        dt = mean.dtype if tm else std.dtype  # mean's dtype wins, as in torch
        _check_float(dt, "normal_kernel_cpu")
        if tm and ts:
            node_type = NormalBackward3
            try:
                shape = np.broadcast_shapes(mean._data.shape, std._data.shape)
            except ValueError:
                raise _size_error(mean._data.shape, std._data.shape) from None
        else:
            shape, node_type = (mean if tm else std)._data.shape, (NormalBackward1 if tm else
                                                                   NormalBackward2)
        if ts and not (std._data >= 0).all():
            raise RuntimeError("normal expects all elements of std >= 0.0")
        if not ts:
            _std_scalar(std)
    m = mean._data if tm else mean
    s = std._data if ts else std
    z = numpy_rng(generator).standard_normal(shape)
    res = _finish(np.asarray(z * s + m, dtype=dt.np), requires_grad and node_type is None,
                  device)
    if node_type is not None:
        node = record(res, node_type, *[x for x in (mean, std) if isinstance(x, Tensor)])
        if node is not None:
            node.shapes = tuple(x.shape for x in (mean, std) if isinstance(x, Tensor))
    return _write_out(res, out, "normal")


def poisson(input: Tensor, generator: Any = None) -> Tensor:
    """Counts drawn from Poisson(``input``), in ``input``'s floating dtype."""
    _check_float(input.dtype, "poisson_cpu")
    rate = input._data.astype(np.float64)
    if not (rate >= 0).all():
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    # NumPy refuses rates beyond about 2**63; such rates give that many counts.
    counts = numpy_rng(generator).poisson(np.minimum(rate, 9.2e18))
    res = wrap(np.asarray(counts, dtype=input._data.dtype))
    node = record(res, PoissonBackward0, input)
    if node is not None:
        node.shapes = (input.shape,)
    return res


# -- predicates ---------------------------------------------------------------------------------
def is_complex(input: Tensor) -> bool:
    require_tensor(input, "is_complex", "input", 1)
    return input.dtype.is_complex


def is_nonzero(input: Tensor) -> bool:
    """Whether a one-element tensor is nonzero (NaN counts as nonzero)."""
    require_tensor(input, "is_nonzero", "input", 1)
    n = input._data.size
    if n != 1:
        amount = "no values" if n == 0 else "more than one value"
        raise RuntimeError(f"Boolean value of Tensor with {amount} is ambiguous")
    return builtins.bool(input._data.reshape(()) != 0)


def is_same_size(input: Tensor, other: Tensor) -> bool:
    require_tensor(input, "is_same_size", "input", 1)
    require_tensor(other, "is_same_size", "other", 2)
    return input._data.shape == other._data.shape


def can_cast(from_: D.dtype, to: D.dtype) -> bool:
    """Whether type promotion may cast ``from_`` to ``to``: never complex to real, floating to
    integral or non-bool to bool."""
    for name, pos, d in (("from_", 1, from_), ("to", 2, to)):
        if not isinstance(d, D.dtype):
            raise TypeError(f"can_cast(): argument '{name}' (position {pos}) must be "
                            f"ember.dtype, not {_type_name(d)}")
    return from_.category <= to.category


# -- asarray, frombuffer ----------------------------------------------------------------------
def _alias_error(src: D.dtype, dst: D.dtype) -> ValueError:
    return ValueError(f"can't alias tensor with dtype '{D.scalar_type_name(src)}' into dtype "
                      f"'{D.scalar_type_name(dst)}'.")


def _asarray_shared(obj: Any, dtype: D.dtype | None, copy: bool | None) -> Tensor | None:
    """``obj`` as a tensor over its own memory when it has any (tensor, ndarray, buffer)."""
    if isinstance(obj, Tensor):
        t = obj
    elif isinstance(obj, np.ndarray):
        from .from_data import as_tensor
        t = as_tensor(obj)
    elif isinstance(obj, np.generic):
        t = wrap(np.array(obj))
    else:
        try:
            memoryview(obj)
        except TypeError:
            return None
        return frombuffer(obj, dtype=dtype or D.get_default_dtype())
    if dtype is not None and dtype != t.dtype:
        if copy is False:
            raise _alias_error(t.dtype, dtype)
        return t.to(dtype)
    return t.clone() if copy else t


def asarray(obj: Any, *, dtype: D.dtype | None = None, device: Any = None,
            copy: bool | None = None, requires_grad: bool | None = None) -> Tensor:
    """``obj`` as a tensor, sharing memory with a tensor, ndarray or buffer unless ``copy``
    (or a different ``dtype``) asks otherwise; ``copy=False`` refuses to copy."""
    t = _asarray_shared(obj, dtype, copy)
    if t is None:
        if copy is False:
            raise ValueError("can't alias arbitrary sequence into a tensor.")
        from .from_data import tensor
        t = tensor(obj, dtype=dtype)
    if device is not None:
        t = t.to(device)
    if requires_grad is False and t.requires_grad:
        t = t.detach()
    elif requires_grad and not t.requires_grad:
        t.requires_grad_()
    return t


def frombuffer(buffer: Any, *, dtype: D.dtype, count: int = -1, offset: int = 0,
               requires_grad: bool = False) -> Tensor:
    """A 1-D tensor over a buffer's memory (``count`` elements from byte ``offset``)."""
    try:
        nbytes = memoryview(buffer).nbytes
    except TypeError:
        raise ValueError("object does not implement Python buffer protocol.") from None
    size = dtype.itemsize
    if nbytes == 0 or count == 0:
        raise ValueError(f"both buffer length ({nbytes}) and count ({count}) must not be 0")
    if not 0 <= offset < nbytes:
        raise ValueError(f"offset ({offset} bytes) must be non-negative and no greater than "
                         f"buffer length ({nbytes} bytes) minus 1")
    if count < 0:
        if (nbytes - offset) % size:
            raise ValueError(f"buffer length ({nbytes - offset} bytes) after offset ({offset} "
                             f"bytes) must be a multiple of element size ({size})")
        count = (nbytes - offset) // size
    elif offset + count * size > nbytes:
        raise ValueError(f"requested buffer length ({count} * {size} bytes) after offset "
                         f"({offset} bytes) must not be greater than actual buffer length "
                         f"({nbytes} bytes)")
    data = np.frombuffer(buffer, dtype=dtype.np, count=count, offset=offset)
    return _finish(data, requires_grad, None)


