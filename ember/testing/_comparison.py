"""assert_close: comparing tensors, NumPy arrays, Python scalars and nested containers.

The inputs are walked first (sequences element by element, mappings key by key) into a flat
list of leaf pairs; only then are the leaves compared, so a structural mismatch anywhere is
reported before any value mismatch. The first failure raises, with the position of the leaf
appended (``The failure occurred for item [1]['a']``) unless ``msg`` replaces the message.
"""

from __future__ import annotations

import cmath
import collections.abc
import contextlib
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _dtype
from .._tensor import Tensor

__all__ = ["assert_close", "assert_allclose"]

# (rtol, atol) used when neither is given; dtypes not listed are compared exactly.
_DTYPE_TOLERANCES = {
    "float16": (0.001, 1e-5),
    "float32": (1.3e-6, 1e-5),
    "float64": (1e-7, 1e-7),
    "complex64": (1.3e-6, 1e-5),
    "complex128": (1e-7, 1e-7),
}
# The dtype a Python number counts as when picking its default tolerances.
_NUMBER_DTYPE_NAMES = {int: "int64", float: "float64", complex: "complex128"}


class _Failure(Exception):
    """A comparison failure: the exception type to raise, its message and the leaf's position."""

    def __init__(self, kind: type[Exception], message: str, path: tuple = ()) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.path = path

    def to_error(self, msg: str | Callable[[str], str] | None) -> Exception:
        if isinstance(msg, str):
            return self.kind(msg)
        text = self.message
        if self.path:
            text += "\n\nThe failure occurred for item " + "".join(str([k]) for k in self.path)
        return self.kind(msg(text) if callable(msg) else text)


class _Unsupported(Exception):
    """Raised by a leaf comparer that does not handle the given pair of inputs."""


def _tolerances(names: tuple[str, ...], rtol: float | None, atol: float | None,
                path: tuple, table: dict = _DTYPE_TOLERANCES) -> tuple[float, float]:
    if (rtol is None) != (atol is None):
        raise _Failure(ValueError, "Both 'rtol' and 'atol' must be either specified or omitted, "
                       f"but got no {'rtol' if rtol is None else 'atol'}.", path)
    if rtol is not None:
        return rtol, atol
    pairs = [table.get(name, (0.0, 0.0)) for name in names]
    return max(p[0] for p in pairs), max(p[1] for p in pairs)


# -- messages ----------------------------------------------------------------------------
def _mismatch_message(identifier: str, extra: str | None, abs_diff: object, abs_idx: tuple | None,
                      rel_diff: object, rel_idx: tuple | None, rtol: float, atol: float) -> str:
    exact = rtol == 0 and atol == 0

    def line(kind: str, diff: object, idx: tuple | None, tol: float) -> str:
        text = (f"{kind.title()} difference: {diff}" if idx is None
                else f"Greatest {kind} difference: {diff} at index {idx}")
        return text + ("" if exact else f" (up to {tol} allowed)") + "\n"

    text = f"{identifier} are not {'equal' if exact else 'close'}!\n\n"
    if extra:
        text += extra.strip() + "\n"
    text += line("absolute", abs_diff, abs_idx, atol) + line("relative", rel_diff, rel_idx, rtol)
    return text.strip()


def _scalar_message(actual: Any, expected: Any, rtol: float, atol: float) -> str:
    abs_diff = abs(actual - expected)
    rel_diff = float("inf") if expected == 0 else abs_diff / abs(expected)
    return _mismatch_message("Scalars", f"Expected {expected} but got {actual}.",
                             abs_diff, None, rel_diff, None, rtol, atol)


def _tensor_message(actual: np.ndarray, expected: np.ndarray, matches: np.ndarray,
                    rtol: float, atol: float) -> str:
    total = matches.size
    mismatched = total - int(matches.sum())
    extra = f"Mismatched elements: {mismatched} / {total} ({mismatched / total:.1%})"
    a, e, hit = actual.ravel(), expected.ravel(), matches.ravel()
    if a.dtype.kind not in "fc":  # integers and bools: differences without wrap-around
        a, e = a.astype(np.int64), e.astype(np.int64)
    with np.errstate(all="ignore"):
        abs_diff = np.abs(a - e)
        abs_diff[hit] = 0
        # int64 / int64 divides in the default float dtype, as tensor division does
        rel_dtype = _dtype.get_default_dtype().np if abs_diff.dtype.kind in "iu" else abs_diff.dtype
        rel_diff = (abs_diff / np.abs(e)).astype(rel_dtype, copy=False)
    rel_diff[hit] = 0
    # argmax stops at the first NaN, so a NaN difference is reported, as a max over NaN is NaN
    abs_at, rel_at = int(np.argmax(abs_diff)), int(np.argmax(rel_diff))
    shape = matches.shape
    return _mismatch_message("Tensor-likes", extra,
                             abs_diff[abs_at].item(), _unravel(abs_at, shape),
                             rel_diff[rel_at].item(), _unravel(rel_at, shape), rtol, atol)

def _unravel(flat: int, shape: tuple) -> tuple:
    return tuple(int(i) for i in np.unravel_index(flat, shape)) if shape else ()


# -- leaf comparers: each returns a deferred check, or raises _Unsupported -------------------
def _none_pair(actual: Any, expected: Any, path: tuple, opts: dict) -> Callable[[], None]:
    if actual is not None and expected is not None:
        raise _Unsupported

    def check() -> None:
        if not (actual is None and expected is None):
            raise _Failure(AssertionError, f"None mismatch: {actual} is not {expected}", path)
    return check


def _bool_pair(actual: Any, expected: Any, path: tuple, opts: dict) -> Callable[[], None]:
    if not all(isinstance(x, (bool, np.bool_)) for x in (actual, expected)):
        raise _Unsupported
    a, e = bool(actual), bool(expected)

    def check() -> None:
        if a is not e:
            raise _Failure(AssertionError, f"Booleans mismatch: {a} is not {e}", path)
    return check


def _number_pair(actual: Any, expected: Any, path: tuple, opts: dict) -> Callable[[], None]:
    if not all(isinstance(x, (int, float, complex, np.number)) for x in (actual, expected)):
        raise _Unsupported
    a, e = (x.item() if isinstance(x, np.number) else x for x in (actual, expected))
    names = tuple(_NUMBER_DTYPE_NAMES.get(type(x), "int64") for x in (a, e))
    rtol, atol = _tolerances(names, opts["rtol"], opts["atol"], path)

    def check() -> None:
        if opts["check_dtype"] and type(a) is not type(e):
            raise _Failure(AssertionError,
                           f"The (d)types do not match: {type(a)} != {type(e)}.", path)
        if a == e or (opts["equal_nan"] and cmath.isnan(a) and cmath.isnan(e)):
            return
        diff = abs(a - e)
        if cmath.isfinite(diff) and diff <= atol + rtol * abs(e):
            return
        raise _Failure(AssertionError, _scalar_message(a, e, rtol, atol), path)
    return check


def _as_tensor(value: Any) -> Tensor:
    from ..ops import as_tensor
    if isinstance(value, Tensor):
        return value
    try:
        return as_tensor(value)
    except Exception:
        raise _Unsupported from None


def _tensor_pair(actual: Any, expected: Any, path: tuple, opts: dict) -> Callable[[], None]:
    related = isinstance(actual, type(expected)) or isinstance(expected, type(actual))
    if not related or (not opts["allow_subclasses"] and type(actual) is not type(expected)):
        raise _Unsupported
    a, e = _as_tensor(actual), _as_tensor(expected)
    rtol, atol = _tolerances((a.dtype.name, e.dtype.name), opts["rtol"], opts["atol"], path)
    return lambda: _compare_tensors(a, e, rtol, atol, opts, path)


def _compare_tensors(a: Tensor, e: Tensor, rtol: float, atol: float, opts: dict,
                     path: tuple) -> None:
    def differ(name: str, x: object, y: object) -> _Failure:
        return _Failure(AssertionError,
                        f"The values for attribute '{name}' do not match: {x} != {y}.", path)

    if a.shape != e.shape:
        raise differ("shape", a.shape, e.shape)
    if opts["check_stride"] and a.stride() != e.stride():
        raise differ("stride()", a.stride(), e.stride())  # ember tensors are all strided
    if opts["check_device"] and a.device != e.device:
        raise differ("device", a.device, e.device)
    if opts["check_dtype"] and a.dtype != e.dtype:
        raise differ("dtype", a.dtype, e.dtype)
    x, y = (t.detach().cpu().numpy() for t in (a, e))
    if a.dtype != e.dtype:
        common = _dtype.promote_types(a.dtype, e.dtype).np
        x, y = x.astype(common), y.astype(common)
    matches = _isclose(x, y, rtol, atol, opts["equal_nan"])
    if matches.all():
        return
    if x.ndim == 0:
        message = _scalar_message(x.item(), y.item(), rtol, atol)
    else:
        message = _tensor_message(x, y, matches, rtol, atol)
    raise _Failure(AssertionError, message, path)


def _isclose(x: np.ndarray, y: np.ndarray, rtol: float, atol: float,
             equal_nan: bool) -> np.ndarray:
    """|x - y| <= atol + rtol * |y| elementwise, in the inputs' own precision."""
    if x.dtype.kind == "b" or (x.dtype.kind in "iu" and rtol == 0 and atol == 0):
        return np.asarray(x == y)
    if x.dtype.kind in "iu":  # integer tolerances: measured without wrap-around
        x, y = x.astype(np.float64), y.astype(np.float64)
    with np.errstate(all="ignore"):
        # Python-float tolerances stay weak, so float32 inputs are compared in float32
        close = np.asarray(x == y) | (np.isfinite(x) & np.isfinite(y)
                                      & (np.abs(x - y) <= atol + rtol * np.abs(y)))
    if equal_nan:
        close |= np.isnan(x) & np.isnan(y)
    return close


_PAIRS = (_none_pair, _bool_pair, _number_pair, _tensor_pair)


def _gather(actual: Any, expected: Any, path: tuple, opts: dict) -> list[Callable[[], None]]:
    """Walks both inputs together into deferred leaf checks; structure errors raise here."""
    seq = collections.abc.Sequence
    if (isinstance(actual, seq) and not isinstance(actual, str)
            and isinstance(expected, seq) and not isinstance(expected, str)):
        if len(actual) != len(expected):
            raise _Failure(AssertionError, "The length of the sequences mismatch: "
                           f"{len(actual)} != {len(expected)}", path)
        return [check for i in range(len(actual))
                for check in _gather(actual[i], expected[i], (*path, i), opts)]
    mapping = collections.abc.Mapping
    if isinstance(actual, mapping) and isinstance(expected, mapping):
        return _gather_mapping(actual, expected, path, opts)
    for pair in _PAIRS:
        try:
            return [pair(actual, expected, path, opts)]
        except _Unsupported:
            continue
    raise _Failure(TypeError, "No comparison pair was able to handle inputs of type "
                   f"{type(actual)} and {type(expected)}.", path)


def _gather_mapping(actual: Any, expected: Any, path: tuple, opts: dict) -> list:
    keys, wanted = set(actual.keys()), set(expected.keys())
    if keys != wanted:
        raise _Failure(AssertionError, "The keys of the mappings do not match:\n"
                       f"Missing keys in the actual mapping: {sorted(wanted - keys)}\n"
                       f"Additional keys in the actual mapping: {sorted(keys - wanted)}", path)
    ordered: Any = keys
    with contextlib.suppress(Exception):  # a fixed order when the keys sort
        ordered = sorted(keys)
    return [check for k in ordered for check in _gather(actual[k], expected[k], (*path, k), opts)]


def assert_close(actual: Any, expected: Any, *, allow_subclasses: bool = True,
                 rtol: float | None = None, atol: float | None = None, equal_nan: bool = False,
                 check_device: bool = True, check_dtype: bool = True, check_layout: bool = True,
                 check_stride: bool = False, msg: str | Callable[[str], str] | None = None) -> None:
    """Asserts ``|actual - expected| <= atol + rtol * |expected|`` elementwise.

    Tensors (and NumPy arrays) must agree in shape and, unless switched off, device and dtype;
    without ``rtol``/``atol`` the tolerances follow the dtype (float32: 1.3e-6 and 1e-5,
    float64: 1e-7 and 1e-7, float16: 1e-3 and 1e-5, exact for integers and bools). Sequences
    and mappings are compared element by element. ``msg`` replaces the message, or, when
    callable, receives it and returns the one to raise. Every ember tensor is strided, so
    ``check_layout`` has nothing to check.
    """
    __tracebackhide__ = True
    opts = dict(allow_subclasses=allow_subclasses, rtol=rtol, atol=atol, equal_nan=equal_nan,
                check_device=check_device, check_dtype=check_dtype, check_stride=check_stride)
    try:
        for check in _gather(actual, expected, (), opts):
            check()
    except _Failure as failure:
        raise failure.to_error(msg) from None


def assert_allclose(actual: Any, expected: Any, rtol: float | None = None,
                    atol: float | None = None, equal_nan: bool = True, msg: str = "") -> None:
    """The older form of assert_close: converts non-tensors, ignores dtype, NaNs equal by default.

    Deprecated in favour of :func:`assert_close` (it warns with a FutureWarning).
    """
    import warnings

    from ..ops import tensor
    warnings.warn("`ember.testing.assert_allclose()` is deprecated and will be removed in a "
                  "future release. Please use `ember.testing.assert_close()` instead.",
                  FutureWarning, stacklevel=2)
    if not isinstance(actual, Tensor):
        actual = tensor(actual)
    if not isinstance(expected, Tensor):
        expected = tensor(expected, dtype=actual.dtype)
    if rtol is None and atol is None:
        legacy = {"float16": (1e-3, 1e-3), "float32": (1e-4, 1e-5), "float64": (1e-5, 1e-8)}
        rtol, atol = _tolerances((actual.dtype.name, expected.dtype.name), None, None, (), legacy)
    assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan, check_device=True,
                 check_dtype=False, check_stride=False, msg=msg or None)
