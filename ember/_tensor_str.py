"""Printing tensors in PyTorch's format, character for character.

One set of print options (precision, threshold, edgeitems, linewidth, sci_mode) drives every
repr. Before printing, one scan over the values that will be shown picks the notation shared by
all elements (plain integers, integer-valued floats written ``1.``, fixed point ``0.1000`` or
scientific ``1.0000e+05``) and the column width, so that columns line up. Tensors with more
than ``threshold`` elements show only ``edgeitems`` entries at each end of every dimension.

Example::

    >>> ember.tensor([1.0, 2.5])
    tensor([1.0000, 2.5000])
    >>> ember.set_printoptions(precision=2)
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from . import _dtype as D
from ._backend import CPU, to_device

__all__ = ["set_printoptions", "get_printoptions", "printoptions", "tensor_repr"]


class _PrintOptions:
    __slots__ = ("precision", "threshold", "edgeitems", "linewidth", "sci_mode")

    def __init__(self) -> None:
        self.precision = 4
        self.threshold: float = 1000
        self.edgeitems = 3
        self.linewidth = 80
        self.sci_mode: bool | None = None


PRINT_OPTS = _PrintOptions()

_PROFILES = {
    "default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80},
}


def set_printoptions(precision: int | None = None, threshold: float | None = None,
                     edgeitems: int | None = None, linewidth: int | None = None,
                     profile: str | None = None, sci_mode: bool | None = None) -> None:
    """Set how tensors print.

    Args:
        precision: digits after the decimal point (default 4).
        threshold: element count above which a tensor is summarized (default 1000).
        edgeitems: entries shown at each end of a summarized dimension (default 3).
        linewidth: characters per line before wrapping (default 80).
        profile: ``"default"``, ``"short"`` or ``"full"``; applied first, then the other
            arguments override it.
        sci_mode: force (True) or forbid (False) scientific notation; None chooses
            automatically. Unlike the other options it is reset by every call.

    Example::

        >>> ember.set_printoptions(precision=2)
        >>> ember.tensor([1.2345])
        tensor([1.23])
        >>> ember.set_printoptions(profile="default")
    """
    for name, value in _PROFILES.get(profile, {}).items():
        setattr(PRINT_OPTS, name, value)
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions() -> dict[str, Any]:
    """The current print options as a dict (the keyword arguments of ``set_printoptions``)."""
    return {name: getattr(PRINT_OPTS, name) for name in _PrintOptions.__slots__}


@contextlib.contextmanager
def printoptions(**kwargs: Any) -> Iterator[None]:
    """Use other print options inside a ``with`` block, then restore the previous ones."""
    saved = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**saved)


# -- choosing the notation -------------------------------------------------------------------
class _Formatter:
    """Writes every element of one real array in a shared notation and column width."""

    __slots__ = ("is_float", "whole", "sci", "width", "precision")

    def __init__(self, values: np.ndarray) -> None:
        self.precision = PRINT_OPTS.precision
        self.is_float = values.dtype.kind == "f"
        self.whole = True   # floats that are all integers print as "3."
        self.sci = False
        self.width = 1
        if not self.is_float:
            if values.size:
                self.width = max(1, *(len(str(v)) for v in _extremes(values)))
            return
        shown = values[np.isfinite(values) & (values != 0)]
        if shown.size:  # with nothing finite and nonzero, the defaults above stand
            self._scan_floats(shown)

    def _scan_floats(self, shown: np.ndarray) -> None:
        magnitude = np.abs(shown).astype(np.float64)
        low, high = float(magnitude.min()), float(magnitude.max())
        self.whole = bool(np.all(shown == np.ceil(shown)))
        if PRINT_OPTS.sci_mode is None:
            # Wide ranges, huge values and tiny values switch to scientific notation.
            self.sci = high / low > 1000.0 or high > 1.0e8 or low < 1.0e-4
        else:
            self.sci = PRINT_OPTS.sci_mode
        p = self.precision
        if self.sci:
            lengths = [len(f"{v:.{p}e}") for v in _sign_extremes(shown)]
        elif self.whole:
            lengths = [len(f"{v:.0f}") + 1 for v in _sign_extremes(shown)]
        else:
            lengths = [len(f"{v:.{p}f}") for v in _sign_extremes(shown)]
        self.width = max(1, *lengths)

    def format(self, value: Any) -> str:
        if not self.is_float:
            text = str(value)
        elif self.sci:
            text = f"{value:.{self.precision}e}"
        elif self.whole:
            text = f"{value:.0f}"
            if math.isfinite(value):
                text += "."
        else:
            text = f"{value:.{self.precision}f}"
        return text.rjust(self.width)


def _extremes(values: np.ndarray) -> tuple:
    return values.min().item(), values.max().item()


def _sign_extremes(values: np.ndarray) -> list:
    """The values whose printed text can be longest: the ends of each sign's range.

    Rounding is monotonic, so within one sign the printed length only grows with the
    magnitude's digits (or, in scientific notation, the exponent's), which peaks at an end.
    """
    found = []
    for part in (values[values > 0], values[values < 0]):
        if part.size:
            found.extend(_extremes(part))
    return found


def _shown_values(a: np.ndarray) -> np.ndarray:
    """The elements a summarized print shows: ``edgeitems`` at each end of every dimension."""
    edge = PRINT_OPTS.edgeitems
    if a.ndim == 1:
        # Slicing the last 0 items of a 1-D tensor selects all of it, so all of it is scanned.
        if edge == 0 or a.shape[0] <= 2 * edge:
            return a
        return np.concatenate((a[:edge], a[-edge:]))
    if edge == 0:
        return a[(slice(0, 0),) * a.ndim]
    for axis, n in enumerate(a.shape):
        if n > 2 * edge:
            a = np.take(a, np.r_[0:edge, n - edge:n], axis=axis)
    return a


# -- laying out the elements -----------------------------------------------------------------
def _join_complex(real_str: str, imag_str: str) -> str:
    imag_str = (imag_str + "j").lstrip()
    if imag_str[0] in "+-":
        return real_str + imag_str
    return real_str + "+" + imag_str


def _element_text(value: Any, real: _Formatter, imag: _Formatter | None) -> str:
    if imag is None:
        return real.format(value)
    return _join_complex(real.format(value.real), imag.format(value.imag))


def _row_str(a: np.ndarray, indent: int, summarize: bool, real: _Formatter,
             imag: _Formatter | None) -> str:
    """A 1-D array, wrapped so that no line runs past ``linewidth``."""
    item_width = real.width + 2 + (imag.width + 1 if imag is not None else 0)
    per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / item_width))
    edge = PRINT_OPTS.edgeitems
    if summarize and not edge:
        items = ["..."]
    elif summarize and a.shape[0] > 2 * edge:
        items = ([_element_text(v, real, imag) for v in a[:edge].tolist()] + [" ..."]
                 + [_element_text(v, real, imag) for v in a[-edge:].tolist()])
    else:
        items = [_element_text(v, real, imag) for v in a.tolist()]
    lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested_str(a: np.ndarray, indent: int, summarize: bool, real: _Formatter,
                imag: _Formatter | None) -> str:
    """Brackets within brackets; blocks of 3-D and higher are separated by blank lines."""
    if a.ndim == 0:
        return _element_text(a.item(), real, imag)
    if a.ndim == 1:
        return _row_str(a, indent, summarize, real, imag)
    edge, n = PRINT_OPTS.edgeitems, a.shape[0]
    if summarize and n > 2 * edge:
        parts = ([_nested_str(a[i], indent + 1, summarize, real, imag) for i in range(edge)]
                 + ["..."]
                 + [_nested_str(a[i], indent + 1, summarize, real, imag)
                    for i in range(n - edge, n)])
    else:
        parts = [_nested_str(sub, indent + 1, summarize, real, imag) for sub in a]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def _contents_str(a: np.ndarray, indent: int) -> str:
    """The bracketed element text of a non-empty array."""
    summarize = a.size > PRINT_OPTS.threshold
    shown = _shown_values(a) if summarize else a
    if a.dtype.kind == "c":
        real, imag = _Formatter(shown.real), _Formatter(shown.imag)
    else:
        real, imag = _Formatter(shown), None
    return _nested_str(a, indent, summarize, real, imag)


# -- the whole repr --------------------------------------------------------------------------
def _add_suffixes(text: str, suffixes: list[str], indent: int) -> str:
    """Append ``, name=value`` parts, moving one to a new line when it would not fit."""
    pieces = [text]
    # Counts two more than the characters after the last newline, as torch measures it.
    line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if line_len + len(suffix) + 2 > PRINT_OPTS.linewidth:
            pieces.append(",\n" + " " * indent + suffix)
            line_len = indent + len(suffix)
        else:
            pieces.append(", " + suffix)
            line_len += len(suffix) + 2
    pieces.append(")")
    return "".join(pieces)


def _prints_as_plain(cls: type) -> bool:
    from ._tensor import Tensor
    return cls is Tensor or (cls.__name__ == "Parameter" and cls.__module__.startswith("ember."))


def tensor_repr(t: Any, tensor_contents: str | None = None) -> str:
    """The text torch prints for a tensor: ``tensor([1., 2.], requires_grad=True)``.

    ``tensor_contents`` replaces the bracketed element text when given.
    """
    prefix = "tensor(" if _prints_as_plain(type(t)) else f"{type(t).__name__}("
    indent = len(prefix)
    arr = to_device(t._data, CPU)
    suffixes = []
    dev = t.device
    if dev.type != "cpu":
        suffixes.append(f"device='{dev}'")
    dtype = t.dtype
    default = D.get_default_dtype()
    if arr.size == 0:
        # Nothing to infer the dtype from, so anything but the default float is named.
        if arr.ndim != 1:
            suffixes.append(f"size={tuple(arr.shape)}")
        if dtype is not default:
            suffixes.append(f"dtype={dtype!r}")
        contents = "[]" if tensor_contents is None else tensor_contents
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append(f"size={tuple(arr.shape)}")
        if dtype not in (default, D.default_complex(), D.int64, D.bool):
            suffixes.append(f"dtype={dtype!r}")
        contents = (_contents_str(arr, indent) if tensor_contents is None
                    else tensor_contents)
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + contents, suffixes, indent)
