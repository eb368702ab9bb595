"""How autocast changes op dtypes: by wrapping functions while it is on.

ember's ops have no dispatcher to intercept, so while any thread has autocast enabled for some
device type, the functions on the lists of ``_op_lists`` are replaced, in the namespaces user
code and ember's layers call them through (``ember``, ``ember.nn.functional``, ...) and on
``Tensor``, by wrappers that cast their tensor arguments first. The originals are put back when
the last thread leaves autocast. A wrapper casts only for the thread that enabled autocast (the
state is per thread); calls from other threads pass straight through, at the cost of one check.
Code that saved a reference to an original function before autocast started (``mm =
ember.mm``) keeps calling it uncast.

A cast changes a tensor that is floating point, not float64, and on a device type where
autocast is enabled: to the autocast dtype for the lower-precision ops, to float32 for the
float32 ops. Casts are ordinary differentiable ``.to(dtype)`` copies (``ToCopyBackward0``), so
gradients flow back in the leaf's own dtype.

>>> with ember.amp.autocast("cpu", dtype=ember.float16):
...     (ember.ones(2, 3) @ ember.ones(3, 2)).dtype
ember.float16
"""

from __future__ import annotations

import functools
import importlib
import threading
from collections.abc import Callable
from typing import Any

from .. import _dtype
from .._tensor import Tensor
from . import _op_lists

__all__ = ["sync", "cast_value"]

LOWER, FP32 = "lower", "fp32"

_lock = threading.Lock()
_active_threads = 0
# (owner, name, original, owned): ``owned`` is False for a Tensor method inherited from a base
# class, which is deleted again instead of being set back.
_installed: list[tuple[Any, str, Any, bool]] = []


def sync(state: Any) -> None:
    """Install the wrappers when this thread turns autocast on for some device type, and
    remove them when no thread has it on any more."""
    global _active_threads
    wanted = any(state.enabled.values())
    if wanted == state.casting:
        return
    state.casting = wanted
    with _lock:
        _active_threads += 1 if wanted else -1
        if wanted and _active_threads == 1:
            _install()
        elif not wanted and _active_threads == 0:
            _uninstall()


def _install() -> None:
    for module_name, (lower, fp32) in _op_lists.NAMESPACES.items():
        try:
            module = importlib.import_module(module_name)
        except ImportError:  # pragma: no cover - a namespace this build of ember lacks
            continue
        for names, policy in ((lower, LOWER), (fp32, FP32)):
            for name in sorted(names):
                _wrap_attribute(module, name, policy, owned=True)
    lower, fp32 = _op_lists.TENSOR_METHODS
    for names, policy in ((lower, LOWER), (fp32, FP32)):
        for name in sorted(names):
            _wrap_attribute(Tensor, name, policy, owned=name in Tensor.__dict__)


def _wrap_attribute(owner: Any, name: str, policy: str, owned: bool) -> None:
    original = getattr(owner, name, None)
    if not callable(original):
        return
    _installed.append((owner, name, original, owned))
    setattr(owner, name, _autocasting(original, _policy_for(name, policy)))


def _uninstall() -> None:
    while _installed:
        owner, name, original, owned = _installed.pop()
        if owned:
            setattr(owner, name, original)
        else:
            delattr(owner, name)


def _policy_for(name: str, default: str) -> Callable[[tuple, dict], str | None]:
    """The policy of one call: some functions decide from their arguments."""
    if name == "einsum":
        return lambda args, kwargs: LOWER if _op_lists.contracts(
            args[0] if args else kwargs.get("equation"), _count_tensors(args[1:])) else None
    if name == "pad":
        return lambda args, kwargs: FP32 if _op_lists.pads_in_fp32(args, kwargs) else None
    return lambda args, kwargs: default


def _count_tensors(values: tuple) -> int:
    return sum(_count_tensors(tuple(v)) if isinstance(v, (list, tuple)) else
               isinstance(v, Tensor) for v in values)


def _autocasting(original: Callable, policy_of: Callable[[tuple, dict], str | None]) -> Callable:
    from ._state import state

    @functools.wraps(original)
    def autocast_wrapper(*args: Any, **kwargs: Any) -> Any:
        if not state.casting:  # autocast is on in another thread only
            return original(*args, **kwargs)
        policy = policy_of(args, kwargs)
        if policy is None:
            return original(*args, **kwargs)
        args = tuple(cast_value(a, policy, state) for a in args)
        kwargs = {k: cast_value(v, policy, state) for k, v in kwargs.items()}
        return original(*args, **kwargs)

    return autocast_wrapper


def cast_value(value: Any, policy: str, state: Any) -> Any:
    """``value`` with its eligible tensors (also inside lists and tuples) cast for ``policy``."""
    if isinstance(value, Tensor):
        return _cast_tensor(value, policy, state)
    if isinstance(value, (list, tuple)) and any(isinstance(v, Tensor) for v in value):
        return type(value)(cast_value(v, policy, state) for v in value)
    return value


def _cast_tensor(t: Tensor, policy: str, state: Any) -> Tensor:
    kind = t.device.type
    if not state.enabled.get(kind, False):
        return t
    target = state.dtypes[kind] if policy == LOWER else _dtype.float32
    if target is None or t.dtype == target or t.dtype == _dtype.float64:
        return t
    if not t.is_floating_point():
        return t
    if not _cacheable(t, policy, state):
        return t.to(target)
    cached = state.cache.get(id(t))
    if cached is None or cached[0] is not t or cached[1].dtype != target:
        # The tensor itself is kept in the entry so that its id cannot be reused meanwhile.
        cached = state.cache[id(t)] = (t, t.to(target))
    return cached[1]


def _cacheable(t: Tensor, policy: str, state: Any) -> bool:
    """Weights (float32 leaves that require grad, not views) are cast once per autocast
    region when caching is on: a layer applied several times reuses the copy."""
    return (policy == LOWER and state.cache_enabled and t.dtype == _dtype.float32
            and t.requires_grad and t.is_leaf and getattr(t, "_base", None) is None)
