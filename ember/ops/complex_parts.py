"""Complex numbers: the ``real``/``imag`` views, ``angle``, ``view_as_real``,
``view_as_complex``, ``complex``, ``polar`` and ``conj_physical``.

>>> ember.view_as_real(ember.tensor([1 + 2j]))
tensor([[1., 2.]])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .. import _dtype as D
from ..autograd.graph import Node
from ._binary import _inplace, _meta, _reduce, _size_error, _write_out
from ._core import Tensor, record, require_tensor, wrap
from ._errstate import quiet
from .indexing import select
from .shape import make_view

__all__ = ["real", "imag", "angle", "view_as_real", "view_as_complex", "complex", "polar",
           "conj", "conj_physical", "conj_physical_"]
TENSOR_METHODS: tuple = ("angle", "conj", "conj_physical", "conj_physical_")


class ViewAsRealBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (view_as_complex(grad.contiguous()),)


class ViewAsComplexBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (view_as_real(grad),)


def view_as_real(input: Tensor) -> Tensor:
    """A complex tensor's memory seen as real numbers, with a last dimension of size 2."""
    d = input._data
    if d.dtype.kind != "c":
        raise RuntimeError("view_as_real is only supported for complex tensors")
    half = d.itemsize // 2
    out = make_view(input, as_strided(d.real, d.shape + (2,), d.strides + (half,)))
    record(out, ViewAsRealBackward0, input)
    return out


def _check_complex_view(input: Tensor) -> None:
    d = input._data
    if d.dtype not in (np.float32, np.float64):
        raise RuntimeError("view_as_complex is only supported for half, float and double "
                           "tensors, but got a tensor of scalar type: "
                           f"{D.scalar_type_name(d.dtype)}"
                           if d.dtype != np.float16 else
                           "view_as_complex: ember has no complex32 (ComplexHalf) dtype")
    if d.ndim == 0:
        raise RuntimeError("Input tensor must have one or more dimensions")
    if d.shape[-1] != 2:
        raise RuntimeError("Tensor must have a last dimension of size 2")
    if d.strides[-1] != d.itemsize:
        raise RuntimeError("Tensor must have a last dimension with stride 1")
    if any(s % (2 * d.itemsize) for s in d.strides[:-1]):
        raise RuntimeError("Tensor must have a stride divisible by 2 for all but last dimension")
    if input.storage_offset() % 2:
        raise RuntimeError("Tensor must have a storage_offset divisible by 2")


def view_as_complex(input: Tensor) -> Tensor:
    """A real tensor whose last dimension (of size 2, stride 1) holds (real, imaginary)
    pairs, seen as complex numbers."""
    _check_complex_view(input)
    d = input._data
    ctype = np.complex64 if d.dtype == np.float32 else np.complex128
    pairs = as_strided(d, d.shape[:-1] + (1, 2), d.strides[:-1] + (0, d.itemsize))
    out = make_view(input, pairs.view(ctype)[..., 0, 0])
    record(out, ViewAsComplexBackward0, input)
    return out


def real(input: Tensor) -> Tensor:
    """The real parts as a view (a real tensor is returned itself)."""
    return select(view_as_real(input), -1, 0) if input._data.dtype.kind == "c" else input


def imag(input: Tensor) -> Tensor:
    """The imaginary parts as a view (complex tensors only)."""
    if input._data.dtype.kind != "c":
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    return select(view_as_real(input), -1, 1)


class AngleBackward0(Node):
    # For z = x + iy, d angle = (x dy - y dx) / |z|^2: the gradient i z / |z|^2 (0 at z = 0).
    def backward(self, grad: Tensor) -> tuple:
        (z,) = self.saved()
        if not self.complex_input:
            return (grad * 0,)
        r2 = real(z) * real(z) + imag(z) * imag(z)
        return (grad * z * 1j / (r2 + (r2 == 0)),)


def angle(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """The argument of complex elements; pi for negative reals, 0 otherwise (NaN kept)."""
    d = input._data
    with quiet():
        if d.dtype.kind == "c":
            res = np.angle(d)
        else:
            f = d if d.dtype.kind == "f" else d.astype(D._defaults.float.np)
            res = np.where(np.isnan(f), f, np.where(f < 0, np.pi, 0.0)).astype(f.dtype)
    res = wrap(np.asarray(res))
    node = record(res, AngleBackward0, input)
    if node is not None:
        node.save(input)
        node.complex_input = d.dtype.kind == "c"
    return _write_out(res, out, "angle")


def _complex_parts(name: str, a: Tensor, b: Tensor, args: tuple) -> tuple:
    require_tensor(a, name, args[0], 1)
    require_tensor(b, name, args[1], 2)
    ad, bd = a._data, b._data
    if ad.dtype.kind != "f" or bd.dtype.kind != "f":
        raise RuntimeError(f"Expected both inputs to be Half, Float or Double tensors but got "
                           f"{D.scalar_type_name(ad.dtype)} and {D.scalar_type_name(bd.dtype)}")
    if ad.dtype != bd.dtype:
        raise RuntimeError(f"Expected object of scalar type {D.scalar_type_name(ad.dtype)} but "
                           f"got scalar type {D.scalar_type_name(bd.dtype)} for second argument")
    if ad.dtype == np.float16:
        raise RuntimeError(f"{name}: ember has no complex32 (ComplexHalf) dtype")
    try:
        shape = np.broadcast_shapes(ad.shape, bd.shape)
    except ValueError:
        raise _size_error(ad.shape, bd.shape) from None
    return ad, bd, np.empty(shape, np.complex64 if ad.dtype == np.float32 else np.complex128)


class ComplexBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        ma, mb = self.meta
        return (None if ma is None else _reduce(real(grad), ma),
                None if mb is None else _reduce(imag(grad), mb))


def complex(real: Tensor, imag: Tensor, *, out: Tensor | None = None) -> Tensor:  # noqa: A001
    """The complex tensor ``real + i imag`` (float32 parts give complex64)."""
    re, im, data = _complex_parts("complex", real, imag, ("real", "imag"))
    data.real, data.imag = re, im
    res = wrap(data)
    node = record(res, ComplexBackward0, real, imag)
    if node is not None:
        node.meta = (_meta(real), _meta(imag))
    return _write_out(res, out, "complex")


class PolarBackward0(Node):
    # w = r e^(i t): dL/dr = Re(g e^(-i t)) (times sign(r), as torch takes it through
    # w / |w|), dL/dt = Im(g conj(w)).
    def backward(self, grad: Tensor) -> tuple:
        r, theta, res = self.saved()
        ma, mb = self.meta
        gr, gi = real(grad), imag(grad)
        ga = None if ma is None else (gr * theta.cos() + gi * theta.sin()) * r.sign()
        return (None if ma is None else _reduce(ga, ma),
                None if mb is None else _reduce(gi * real(res) - gr * imag(res), mb))


def polar(abs: Tensor, angle: Tensor, *, out: Tensor | None = None) -> Tensor:  # noqa: A002
    """The complex tensor with modulus ``abs`` and argument ``angle``."""
    r, t, data = _complex_parts("polar", abs, angle, ("abs", "angle"))
    with quiet():
        data.real, data.imag = r * np.cos(t), r * np.sin(t)
    res = wrap(data)
    node = record(res, PolarBackward0, abs, angle)
    if node is not None:
        node.meta = (_meta(abs), _meta(angle))
        node.save(abs, angle, res.detach())
    return _write_out(res, out, "polar")


class ConjBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (conj(grad),)


def conj(input: Tensor) -> Tensor:
    """The complex conjugate (a real tensor is returned itself). torch returns a lazily
    conjugated view; ember computes the values at once, so writing into the result does not
    reach ``input``."""
    if input._data.dtype.kind != "c":
        return input
    res = wrap(np.conj(input._data))
    record(res, ConjBackward0, input)
    return res


class ConjPhysicalBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        return (conj_physical(grad),)


def conj_physical(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """The complex conjugate in new memory (a real tensor is returned itself)."""
    if input._data.dtype.kind != "c":
        return input if out is None else _write_out(input.detach(), out, "conj_physical")
    res = wrap(np.conj(input._data))
    record(res, ConjPhysicalBackward0, input)
    return _write_out(res, out, "conj_physical")


def conj_physical_(input: Tensor) -> Tensor:
    """In-place ``conj_physical`` (nothing to do for real tensors)."""
    return _inplace(input, conj_physical(input)) if input._data.dtype.kind == "c" else input


def _part_setter(part: Callable) -> Callable:
    def setter(self: Tensor, value: Any) -> None:
        part(self).copy_(value)
    return setter


# Tensor.real / Tensor.imag are properties (as in torch), bound here rather than through
# TENSOR_METHODS.
Tensor.real = property(real, _part_setter(real))
Tensor.imag = property(imag, _part_setter(imag))
