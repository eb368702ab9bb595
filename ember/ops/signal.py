"""Short-time Fourier transforms: ``stft`` cuts a signal into overlapping windowed frames and
transforms each one; ``istft`` inverts it by overlap-adding the inverse transforms and
dividing by the summed squared window.

Both are composed from differentiable ember ops (padding, ``unfold``, ``ember.fft``'s
kernels, ``index_add``), so gradients flow to the signal and to the window.

>>> x = ember.arange(16.0)
>>> spec = ember.stft(x, 8, window=ember.hann_window(8), return_complex=True)
>>> spec.shape
ember.Size([5, 9])
>>> y = ember.istft(spec, 8, window=ember.hann_window(8))
>>> bool(ember.allclose(y, x, atol=1e-4))
True
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ..fft import _core as C
from ._core import Tensor, wrap
from .complex_parts import view_as_real

__all__ = ["stft", "istft"]
TENSOR_METHODS = ("stft", "istft")

_STFT_NO_WINDOW = (
    "A window was not provided. A rectangular window will be applied,which is known to cause "
    "spectral leakage. Other windows such as ember.hann_window or ember.hamming_window are "
    "recommended to reduce spectral leakage.To suppress this warning and use a rectangular "
    "window, explicitly set `window=ember.ones(n_fft, device=<device>)`.")
_ISTFT_NO_WINDOW = (
    "A window was not provided. A rectangular window will be applied.Please provide the same "
    "window used by stft to make the inversion lossless.To suppress this warning and use a "
    "rectangular window, explicitly set `window=ember.ones(n_fft, device=<device>)`.")
_RETURN_COMPLEX_FALSE = (
    "stft with return_complex=False is deprecated. In a future pytorch release, stft will "
    "return complex tensors for all inputs, and return_complex=False will raise an error.\n"
    "Note: you can still call ember.view_as_real on the complex output to recover the old "
    "return format.")
_LEGACY_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half",
                 "bfloat16": "BFloat16", "int64": "Long", "int32": "Int", "int16": "Short",
                 "int8": "Char", "uint8": "Byte", "bool": "Bool"}
_COMPLEX_NAMES = {"complex64": "ComplexFloat", "complex128": "ComplexDouble",
                  "complex32": "ComplexHalf"}


def _describe(t: Tensor | None, braces: bool = False) -> str:
    """A tensor as the error messages name it: its type, then its shape."""
    if t is None:
        return "None"
    dtype = str(t.dtype).split(".")[-1]
    shape = ", ".join(str(s) for s in t.shape)
    shape = f"{{[{shape}]}}" if braces else f"[{shape}]"
    if dtype in _COMPLEX_NAMES:
        return f"CPU{_COMPLEX_NAMES[dtype]}Type{shape}"
    return f"ember.{_LEGACY_NAMES.get(dtype, dtype)}Tensor{shape}"


def _flag(value: Any) -> str:
    return "None" if value is None else str(int(bool(value)))


def _centered_window(window: Tensor | None, win_length: int, n_fft: int,
                     like: Tensor) -> Tensor | None:
    """The window zero-padded on both sides to ``n_fft`` (a missing one is all ones)."""
    from ..nn import functional as F
    if win_length == n_fft:
        return window
    if window is None:
        window = wrap(np.ones(win_length, dtype=np.empty(0, like._data.dtype).real.dtype))
    left = (n_fft - win_length) // 2
    return F.pad(window, [left, n_fft - win_length - left])


def _center_pad(input: Tensor, n_fft: int, pad_mode: str) -> Tensor:
    """Pad the last dimension by ``n_fft // 2`` each side (the padding modes work on 3-D)."""
    from ..nn import functional as F
    ndim = input.dim()
    extended = input.reshape((1,) * (3 - ndim) + tuple(input.shape))
    pad = n_fft // 2
    padded = F.pad(extended, [pad, pad], pad_mode)
    return padded.reshape(tuple(padded.shape)[-ndim:] if ndim else ())


def _check_stft(input: Tensor, n_fft: int, hop: int, win_length: int, window: Tensor | None,
                prefix: str) -> None:
    if input._data.dtype.kind not in "fc":
        raise RuntimeError(f"{prefix} : expected a tensor of floating point or complex values")
    if input.dim() not in (1, 2):
        raise RuntimeError(f"{prefix} : expected a 1D or 2D tensor")
    length = input.shape[-1]
    if n_fft <= 0 or n_fft > length:
        raise RuntimeError(f"{prefix} : expected 0 < n_fft < {length}, but got n_fft={n_fft}")
    if hop <= 0:
        raise RuntimeError(f"{prefix} : expected hop_length > 0, but got hop_length={hop}")
    if win_length <= 0 or win_length > n_fft:
        raise RuntimeError(f"{prefix} : expected 0 < win_length <= n_fft, but got "
                           f"win_length={win_length}")
    if window is not None and (window.dim() != 1 or window.shape[0] != win_length):
        raise RuntimeError(f"{prefix} : expected a 1D window tensor of size equal to "
                           f"win_length={win_length}, but got window with size "
                           f"{list(window.shape)}")


def stft(input: Tensor, n_fft: int, hop_length: int | None = None,
         win_length: int | None = None, window: Tensor | None = None, center: bool = True,
         pad_mode: str = "reflect", normalized: bool = False, onesided: bool | None = None,
         return_complex: bool | None = None, align_to_window: bool | None = None) -> Tensor:
    """Short-time Fourier transform of a 1-D signal or a batch of them (2-D):
    ``(..., n_freq, n_frames)`` complex values (``n_freq = n_fft // 2 + 1`` when one-sided).
    """
    if center and align_to_window is not None:
        raise RuntimeError("stft align_to_window should only be set when center = false")
    if center:
        input = _center_pad(input, n_fft, pad_mode)
    if window is None:
        warnings.warn(_STFT_NO_WINDOW, UserWarning, stacklevel=2)
    is_complex = input._data.dtype.kind == "c" or (window is not None
                                                  and window._data.dtype.kind == "c")
    if return_complex is None and not is_complex:
        raise RuntimeError("stft requires the return_complex parameter be given for real "
                           "inputs, and will further require that return_complex=True in a "
                           "future PyTorch release.")
    as_complex = is_complex if return_complex is None else bool(return_complex)
    if not as_complex:
        warnings.warn(_RETURN_COMPLEX_FALSE, UserWarning, stacklevel=2)
    hop = n_fft >> 2 if hop_length is None else hop_length
    win = n_fft if win_length is None else win_length
    prefix = (f"stft({_describe(input)}, n_fft={n_fft}, hop_length={hop}, win_length={win}, "
              f"window={_describe(window, True)}, normalized={_flag(normalized)}, "
              f"onesided={_flag(onesided)}, return_complex={_flag(as_complex)}, "
              f"align_to_window={_flag(align_to_window)})")
    _check_stft(input, n_fft, hop, win, window, prefix)
    return _stft_frames(input, n_fft, hop, win, window, normalized, onesided, as_complex,
                        bool(align_to_window))


def _stft_frames(input: Tensor, n_fft: int, hop: int, win: int, window: Tensor | None,
                 normalized: bool, onesided: bool | None, as_complex: bool,
                 align: bool) -> Tensor:
    from ..nn import functional as F
    signal = input.unsqueeze(0) if input.dim() == 1 else input
    if align and win < n_fft:
        # The window sits at the start of each hop: shift the frames by the window's
        # left padding inside the n_fft-long frame.
        left = (n_fft - win) // 2
        signal = F.pad(signal, [left, n_fft - win - left])
    if window is not None and window._data.dtype.kind != "c":
        window = window.to(input.dtype) if win < n_fft else window
    frames = signal.unfold(-1, n_fft, hop)
    full_window = _centered_window(window, win, n_fft, input)
    if full_window is not None:
        frames = frames * full_window
    frames_complex = frames._data.dtype.kind == "c"
    sided = (not frames_complex) if onesided is None else bool(onesided)
    if frames_complex and sided:
        raise RuntimeError("Cannot have onesided output if window or input is complex")
    norm = "ortho" if normalized else "backward"
    if frames_complex:
        out = C.c2c(frames, (2,), norm, True)
    else:
        out = C.r2c(frames, (2,), norm, sided)
    out.transpose_(1, 2)
    if input.dim() == 1:
        out.squeeze_(0)
    return out if as_complex else view_as_real(out)


def _overlap_add(frames: Tensor, hop: int, length: int) -> Tensor:
    """Sum frames ``(B, n_frames, n)`` placed ``hop`` apart into ``(B, length)`` signals."""
    batch, n_frames, n = frames.shape
    starts = np.arange(n_frames)[:, None] * hop
    index = wrap((starts + np.arange(n)).reshape(-1))
    out = wrap(np.zeros((batch, length), dtype=frames._data.dtype))
    return out.index_add(1, index, frames.reshape(batch, n_frames * n))


def _check_istft(input: Tensor, n_fft: int, hop: int, win: int, window: Tensor | None,
                 onesided: bool, prefix: str) -> None:
    if input.numel() == 0:
        raise RuntimeError(f"{prefix} : input tensor cannot be empty.")
    if input.dim() not in (2, 3):
        raise RuntimeError(f"{prefix} : expected a tensor with 3 or 4 dimensions, but got "
                           f"{input.dim() + 1}")
    fft_size = input.shape[-2]
    if onesided and n_fft // 2 + 1 != fft_size:
        raise RuntimeError(f"{prefix} : expected the frequency dimension (3rd to the last) of "
                           "the input tensor to match n_fft / 2 + 1 when onesided=True, but "
                           f"got {fft_size}")
    if not onesided and n_fft != fft_size:
        raise RuntimeError(f"{prefix} : expected the frequency dimension (3rd to the last) of "
                           f"the input tensor to match n_fft when onesided=False, but got "
                           f"{fft_size}")
    if not 0 < hop <= win:
        raise RuntimeError(f"{prefix} : expected 0 < hop_length <= win_length")
    if not 0 < win <= n_fft:
        raise RuntimeError(f"{prefix} : expected 0 < win_length <= n_fft")
    if window is not None and (window.dim() != 1 or window.shape[0] != win):
        raise RuntimeError(f"{prefix} : Invalid window shape. window has to be 1D and length "
                           "of `win_length`")


def istft(input: Tensor, n_fft: int, hop_length: int | None = None,
          win_length: int | None = None, window: Tensor | None = None, center: bool = True,
          normalized: bool = False, onesided: bool | None = None, length: int | None = None,
          return_complex: bool = False) -> Tensor:
    """Inverse of ``stft``: overlap-add of the inverse transforms of the frames, divided by
    the overlap-added squared window."""
    if window is None:
        warnings.warn(_ISTFT_NO_WINDOW, UserWarning, stacklevel=2)
    if input._data.dtype.kind != "c":
        raise RuntimeError("istft requires a complex-valued input tensor matching the output "
                           "from stft with return_complex=True.")
    hop = n_fft >> 2 if hop_length is None else hop_length
    win = n_fft if win_length is None else win_length
    prefix = (f"istft({_describe(input)}, n_fft={n_fft}, hop_length={hop}, win_length={win}, "
              f"window={_describe(window, True)}, center={_flag(center)}, "
              f"normalized={_flag(normalized)}, onesided={_flag(onesided)}, "
              f"length={length}, return_complex={_flag(return_complex)})")
    sided = True if onesided is None else bool(onesided)
    _check_istft(input, n_fft, hop, win, window, sided, prefix)
    full_window = _centered_window(window, win, n_fft, input)
    if full_window is None:
        full_window = wrap(np.ones(n_fft, dtype=np.empty(0, input._data.dtype).real.dtype))
    frames = _inverse_frames(input, n_fft, window, normalized, sided, bool(return_complex))
    return _assemble(input, frames, full_window, n_fft, hop, center, length, prefix)


def _inverse_frames(input: Tensor, n_fft: int, window: Tensor | None, normalized: bool,
                    sided: bool, return_complex: bool) -> Tensor:
    """The inverse transform of every frame: ``(B, n_frames, n_fft)``."""
    spec = input.unsqueeze(0) if input.dim() == 2 else input
    spec = spec.transpose(1, 2)
    norm = "ortho" if normalized else "backward"
    if return_complex:
        if sided:
            raise RuntimeError("Cannot have onesided output if window or input is complex")
        return C.c2c(spec, (2,), norm, False)
    if window is not None and window._data.dtype.kind == "c":
        raise RuntimeError("Complex windows are incompatible with return_complex=False")
    if not sided:
        spec = spec[:, :, :n_fft // 2 + 1]
    return C.c2r(spec, (2,), norm, n_fft)


def _assemble(input: Tensor, frames: Tensor, window: Tensor, n_fft: int, hop: int,
              center: bool, length: int | None, prefix: str) -> Tensor:
    """Overlap-add the windowed frames, normalise by the window envelope, trim to length."""
    from ..nn import functional as F
    n_frames = frames.shape[1]
    expected = n_fft + hop * (n_frames - 1)
    signal = _overlap_add(frames * window.reshape(1, 1, n_fft), hop, expected)
    squared = (window * window).reshape(1, 1, n_fft).expand(1, n_frames, n_fft)
    envelope = _overlap_add(squared, hop, expected)
    start = n_fft // 2 if center else 0
    if length is not None:
        end = start + length
    else:
        end = -(n_fft // 2) if center else expected
    stop = min(expected, end if end >= 0 else expected + end)
    # narrow records a slice even when it keeps everything, as the reference does.
    signal = signal.narrow(1, start, max(stop - start, 0))
    envelope = envelope.narrow(1, start, max(stop - start, 0))
    if envelope.numel() and float(np.abs(envelope._data).min()) < 1e-11:
        raise RuntimeError(f"{prefix} window overlap add min: 1\n[ CPUBoolType{{}} ]")
    signal = signal / envelope
    if input.dim() == 2:
        signal = signal.squeeze(0)
    if end > expected:
        warnings.warn("The length of signal is shorter than the length parameter. Result is "
                      "being padded with zeros in the tail. Please check your center and "
                      "hop_length settings.", UserWarning, stacklevel=3)
        signal = F.pad(signal, [0, end - expected])
    return signal
