"""``ember.fft``: discrete Fourier transforms, as in torch.fft.

One-dimensional (``fft``, ``ifft``, ``rfft``, ``irfft``, ``hfft``, ``ihfft``), 2-D and N-D
(``fft2``, ``fftn``, ``rfft2``, ``rfftn``, ... ) transforms with torch's ``n``/``s``, ``dim``
and ``norm`` ("backward", "forward" or "ortho") arguments, plus ``fftfreq``,
``rfftfreq``, ``fftshift`` and ``ifftshift``. Float32 input gives complex64 output, float64
gives complex128; integer input is first taken as the default float dtype. All transforms
are differentiable (complex gradients follow torch's conjugate Wirtinger convention).

>>> ember.fft.rfft(ember.tensor([1.0, 2.0, 3.0, 4.0]))
tensor([10.+0.j, -2.+2.j, -2.+0.j])
"""

from __future__ import annotations

from typing import Any

from .. import _dtype as D
from ..ops._binary import _write_out
from ..ops._core import Tensor, wrap_dim
from . import _core as C
from ._helpers import fftfreq, fftshift, ifftshift, rfftfreq

__all__ = ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft", "fft2", "ifft2", "rfft2",
           "irfft2", "fftn", "ifftn", "rfftn", "irfftn", "fftfreq", "rfftfreq", "fftshift",
           "ifftshift"]


def _norm(norm: str | None) -> str:
    if norm is None:
        return "backward"
    if norm not in ("backward", "forward", "ortho"):
        raise RuntimeError(f'Invalid normalization mode: "{norm}"')
    return norm


def _one_dim(input: Tensor, n: int | None, dim: int) -> tuple:
    """(dims, sizes) for a 1-D transform: ``n`` defaults to the input's length there."""
    if input._data.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    d = wrap_dim(dim, input._data.ndim)
    size = input._data.shape[d] if n is None or n == -1 else n
    if size < 1:
        raise RuntimeError(f"Invalid number of data points ({size}) specified")
    return (d,), (size,)


def _many_dims(input: Tensor, s: Any, dim: Any) -> tuple:
    """(dims, sizes) for an N-D transform from torch's ``s`` / ``dim`` rules."""
    ndim = input._data.ndim
    if isinstance(dim, int):
        dim = (dim,)
    if s is not None and dim is not None and len(s) != len(dim):
        raise RuntimeError("When given, dim and shape arguments must have the same length")
    if s is not None and len(s) > ndim:
        raise RuntimeError(f"Got shape with {len(s)} values but input tensor only has {ndim} "
                           "dimensions.")
    if dim is None:
        dims = tuple(range(ndim - len(s), ndim)) if s is not None else tuple(range(ndim))
    else:
        dims = tuple(wrap_dim(d, ndim) for d in dim)
        if len(set(dims)) != len(dims):
            raise RuntimeError("FFT dims must be unique")
    sizes = tuple(input._data.shape[d] if s is None or s[i] == -1 else int(s[i])
                  for i, d in enumerate(dims))
    for size in sizes:
        if size < 1:
            raise RuntimeError(f"Invalid number of data points ({size}) specified")
    return dims, sizes


def _require_real(input: Tensor, name: str) -> Tensor:
    d = input._data
    if d.dtype.kind == "c":
        what = "real-valued" if name == "rfftn" else "real"
        raise RuntimeError(f"{name} expects a {what} input tensor, but got "
                           f"{D.scalar_type_name(d.dtype)}")
    return C.to_float(input)


# -- complex-to-complex ------------------------------------------------------------------------
def _c2c_transform(input: Tensor, dims: tuple, sizes: tuple, norm: str, forward: bool,
                   out: Tensor | None, name: str) -> Tensor:
    x = C.resize(C.to_complex(input), dims, sizes)
    return _write_out(C.c2c(x, dims, norm, forward), out, name)


def fft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None, *,
        out: Tensor | None = None) -> Tensor:
    """The 1-D discrete Fourier transform along ``dim``, zero-padded or cut to ``n``."""
    norm = _norm(norm)
    dims, sizes = _one_dim(input, n, dim)
    if input._data.dtype.kind != "c":
        x = C.resize(C.to_float(input), dims, sizes)
        return _write_out(C.r2c(x, dims, norm, False), out, "fft_fft")
    return _c2c_transform(input, dims, sizes, norm, True, out, "fft_fft")


def ifft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None, *,
         out: Tensor | None = None) -> Tensor:
    """The inverse of ``fft``."""
    norm = _norm(norm)
    dims, sizes = _one_dim(input, n, dim)
    if input._data.dtype.kind != "c":
        # for real x, ifft(x) is the conjugate of the forward transform, scaled as the inverse
        x = C.resize(C.to_float(input), dims, sizes)
        return _write_out(C.conj(C.r2c(x, dims, C._SWAP[norm], False)), out, "fft_ifft")
    return _c2c_transform(input, dims, sizes, norm, False, out, "fft_ifft")


def fftn(input: Tensor, s: Any = None, dim: Any = None, norm: str | None = None, *,
         out: Tensor | None = None) -> Tensor:
    """The N-D discrete Fourier transform over ``dim`` (all dimensions by default)."""
    dims, sizes = _many_dims(input, s, dim)
    return _c2c_transform(input, dims, sizes, _norm(norm), True, out, "fft_fftn")


def ifftn(input: Tensor, s: Any = None, dim: Any = None, norm: str | None = None, *,
          out: Tensor | None = None) -> Tensor:
    """The inverse of ``fftn``."""
    dims, sizes = _many_dims(input, s, dim)
    return _c2c_transform(input, dims, sizes, _norm(norm), False, out, "fft_ifftn")


def fft2(input: Tensor, s: Any = None, dim: Any = (-2, -1), norm: str | None = None, *,
         out: Tensor | None = None) -> Tensor:
    """The 2-D discrete Fourier transform over ``dim`` (the last two by default)."""
    return fftn(input, s, dim, norm, out=out)


def ifft2(input: Tensor, s: Any = None, dim: Any = (-2, -1), norm: str | None = None, *,
          out: Tensor | None = None) -> Tensor:
    """The inverse of ``fft2``."""
    return ifftn(input, s, dim, norm, out=out)


# -- real input, one-sided output ---------------------------------------------------------------
def rfft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None, *,
         out: Tensor | None = None) -> Tensor:
    """The transform of a real signal: only the ``n // 2 + 1`` non-redundant frequencies."""
    x = _require_real(input, "rfft")
    dims, sizes = _one_dim(x, n, dim)
    return _write_out(C.r2c(C.resize(x, dims, sizes), dims, _norm(norm), True), out, "fft_rfft")


def rfftn(input: Tensor, s: Any = None, dim: Any = None, norm: str | None = None, *,
          out: Tensor | None = None) -> Tensor:
    """The N-D ``rfft``: one-sided along the last of ``dim``."""
    x = _require_real(input, "rfftn")
    dims, sizes = _many_dims(x, s, dim)
    res = C.r2c(C.resize(x, dims, sizes), dims, _norm(norm), True)
    return _write_out(res, out, "fft_rfftn")


def rfft2(input: Tensor, s: Any = None, dim: Any = (-2, -1), norm: str | None = None, *,
          out: Tensor | None = None) -> Tensor:
    """The 2-D ``rfft``."""
    return rfftn(input, s, dim, norm, out=out)


def ihfft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None, *,
          out: Tensor | None = None) -> Tensor:
    """The inverse of ``hfft``: the one-sided inverse transform of a real signal."""
    x = _require_real(input, "ihfft")
    dims, sizes = _one_dim(x, n, dim)
    res = C.conj(C.r2c(C.resize(x, dims, sizes), dims, C._SWAP[_norm(norm)], True))
    return _write_out(res, out, "fft_ihfft")


# -- one-sided input, real output ----------------------------------------------------------------
def _c2r_transform(input: Tensor, dims: tuple, last: int, norm: str, conj: bool) -> Tensor:
    sizes = tuple(input._data.shape[d] for d in dims[:-1]) + (last // 2 + 1,)
    x = C.resize(C.to_complex(input), dims, sizes)
    return C.c2r(C.conj(x) if conj else x, dims, norm, last)


def irfft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None, *,
          out: Tensor | None = None) -> Tensor:
    """The inverse of ``rfft``: ``n`` real samples (default ``2 * (bins - 1)``)."""
    norm = _norm(norm)
    dims, _ = _one_dim(input, None, dim)
    last = 2 * (input._data.shape[dims[0]] - 1) if n is None or n == -1 else n
    if last < 1:
        raise RuntimeError(f"Invalid number of data points ({last}) specified")
    return _write_out(_c2r_transform(input, dims, last, norm, False), out, "fft_irfft")


def hfft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None, *,
         out: Tensor | None = None) -> Tensor:
    """The transform of a Hermitian-symmetric signal given by its one-sided half (real)."""
    norm = _norm(norm)
    dims, _ = _one_dim(input, None, dim)
    last = 2 * (input._data.shape[dims[0]] - 1) if n is None or n == -1 else n
    if last < 1:
        raise RuntimeError(f"Invalid number of data points ({last}) specified")
    res = _c2r_transform(input, dims, last, C._SWAP[norm], True)
    return _write_out(res, out, "fft_hfft")


def irfftn(input: Tensor, s: Any = None, dim: Any = None, norm: str | None = None, *,
           out: Tensor | None = None) -> Tensor:
    """The inverse of ``rfftn``; the last of ``dim`` defaults to ``2 * (bins - 1)`` samples."""
    dims, sizes = _many_dims(input, s, dim)
    last = 2 * (input._data.shape[dims[-1]] - 1) if s is None or s[-1] == -1 else sizes[-1]
    if last < 1:
        raise RuntimeError(f"Invalid number of data points ({last}) specified")
    x = C.resize(input, dims[:-1], sizes[:-1]) if len(dims) > 1 else input
    return _write_out(_c2r_transform(x, dims, last, _norm(norm), False), out, "fft_irfftn")


def irfft2(input: Tensor, s: Any = None, dim: Any = (-2, -1), norm: str | None = None, *,
           out: Tensor | None = None) -> Tensor:
    """The inverse of ``rfft2``."""
    return irfftn(input, s, dim, norm, out=out)

