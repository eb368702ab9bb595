"""Process-wide settings with torch's names: threads, determinism, matmul precision,
``compile`` and small type queries.

ember's results do not depend on these switches (its CPU ops are deterministic, and float32
products always run in float32), so most of them record the setting and report it back as
torch does; ``set_num_threads`` does change how many threads ember's ops and BLAS use.

>>> import ember
>>> ember.get_float32_matmul_precision()
'highest'
>>> ember.typename(ember.zeros(2))
'ember.FloatTensor'
"""

from __future__ import annotations

import warnings
from typing import Any

from ._backend import device

__all__ = ["set_num_threads", "get_num_threads", "set_num_interop_threads",
           "get_num_interop_threads", "use_deterministic_algorithms",
           "are_deterministic_algorithms_enabled", "is_deterministic_algorithms_warn_only_enabled",
           "set_deterministic_debug_mode", "get_deterministic_debug_mode",
           "set_float32_matmul_precision", "get_float32_matmul_precision", "set_warn_always",
           "is_warn_always_enabled", "get_default_device", "compile", "typename", "is_storage"]

_settings: dict = {"interop": None, "deterministic": False, "warn_only": False,
                   "precision": "highest", "warn_always": False}
_DEBUG_MODES = ("default", "warn", "error")


def _positive_int(value: Any, fn: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise RuntimeError(f"{fn} expects an int, but got {type(value).__name__}")
    if value <= 0:
        raise RuntimeError(f"{fn} expects a positive integer")
    return value


def set_num_threads(int: int) -> None:  # noqa: A002 - torch's parameter name
    """Run ember's ops and matrix products on at most ``int`` threads."""
    from .ops import _parallel
    _parallel.set_threads(_positive_int(int, "set_num_threads"))


def get_num_threads() -> int:
    from .ops import _parallel
    return _parallel.threads()


def set_num_interop_threads(int: int) -> None:  # noqa: A002 - torch's parameter name
    """Recorded only: ember runs no inter-op thread pool."""
    if _settings["interop"] is not None:
        raise RuntimeError("Error: cannot set number of interop threads after parallel work "
                           "has started or set_num_interop_threads called")
    _settings["interop"] = _positive_int(int, "set_num_interop_threads")


def get_num_interop_threads() -> int:
    return _settings["interop"] or get_num_threads()


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Recorded: every ember op is deterministic already."""
    if not isinstance(mode, bool):
        raise TypeError(f"use_deterministic_algorithms(): argument 'mode' (position 1) must be "
                        f"bool, not {type(mode).__name__}")
    _settings["deterministic"], _settings["warn_only"] = mode, warn_only


def are_deterministic_algorithms_enabled() -> bool:
    return _settings["deterministic"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return _settings["warn_only"]


def set_deterministic_debug_mode(debug_mode: str | int) -> None:
    """0 / "default": off; 1 / "warn" and 2 / "error": deterministic algorithms on."""
    if isinstance(debug_mode, str):
        if debug_mode not in _DEBUG_MODES:
            raise RuntimeError(f"invalid value of debug_mode, expected one of `default`, "
                               f"`warn`, `error`, but got {debug_mode}")
        debug_mode = _DEBUG_MODES.index(debug_mode)
    elif debug_mode not in (0, 1, 2):
        raise RuntimeError(f"invalid value of debug_mode, expected 0, 1, or 2, but got "
                           f"{debug_mode}")
    _settings["deterministic"], _settings["warn_only"] = debug_mode > 0, debug_mode == 1


def get_deterministic_debug_mode() -> int:
    if not _settings["deterministic"]:
        return 0
    return 1 if _settings["warn_only"] else 2


def set_float32_matmul_precision(precision: str) -> None:
    """Recorded only: float32 products always run in float32 here."""
    if precision not in ("highest", "high", "medium"):
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current"
                      f"setFloat32MatmulPrecision call has no effect.", UserWarning,
                      stacklevel=2)
        return
    _settings["precision"] = precision


def get_float32_matmul_precision() -> str:
    return _settings["precision"]


def set_warn_always(b: bool) -> None:
    _settings["warn_always"] = bool(b)


def is_warn_always_enabled() -> bool:
    return _settings["warn_always"]


def get_default_device() -> device:
    return device("cpu")


def compile(model: Any = None, *, fullgraph: bool = False, dynamic: bool | None = None,
            backend: Any = None, mode: str | None = None, options: dict | None = None,
            name: str | None = None, disable: bool = False,
            recompile_limit: int | None = None, isolate_recompiles: bool = False,
            shapes_spec: Any = None) -> Any:
    """``model`` unchanged (or, without a model, a decorator that returns its function
    unchanged): ember runs eagerly, so code written for a compiled model runs as it is."""
    if model is None:
        return lambda fn: fn
    if not callable(model):
        raise RuntimeError("compile() expected a callable, got " + type(model).__name__)
    return model


def typename(obj: Any) -> str:
    """``"ember.FloatTensor"`` for a tensor, else the object's qualified class name."""
    from ._tensor import Tensor
    if isinstance(obj, Tensor):
        return f"ember.{obj.dtype._legacy}"
    cls = type(obj)
    module = cls.__module__
    return cls.__qualname__ if module in ("builtins", None) else f"{module}.{cls.__qualname__}"


def is_storage(obj: Any) -> bool:
    """False: ember has no separate storage objects."""
    return False
