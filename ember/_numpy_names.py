"""NumPy's keyword names for torch's: ``axis`` for ``dim`` and ``keepdims`` for ``keepdim``.

torch's own functions and Tensor methods accept both spellings (``x.sum(axis=0)``,
``ember.cat(ts, axis=1)``), while its Python-level functions (``nn.functional``,
``split``) take only torch's. ember's ops are ordinary Python functions, so each one with a
``dim`` or ``keepdim`` parameter is wrapped, once, at import, in a function that renames the
NumPy spellings; the extra call costs about 0.1 us.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

__all__ = ["install"]

_ALIASES = (("axis", "dim"), ("keepdims", "keepdim"))
# torch writes these in Python, where the NumPy spellings are not accepted.
_PYTHON_LEVEL = frozenset({"split", "unique", "unique_consecutive", "norm", "unflatten"})


def _wants_aliases(fn: Any) -> bool:
    code = getattr(fn, "__code__", None)
    if code is None or getattr(fn, "__name__", "") in _PYTHON_LEVEL:
        return False
    names = code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]
    return ("dim" in names or "keepdim" in names) and "axis" not in names


def _with_aliases(fn: Callable) -> Callable:
    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        if kwargs:
            for numpy_name, torch_name in _ALIASES:
                if numpy_name in kwargs:
                    if torch_name in kwargs:
                        raise TypeError(f"{fn.__name__}() got multiple values for argument "
                                        f"'{torch_name}'")
                    kwargs[torch_name] = kwargs.pop(numpy_name)
        return fn(*args, **kwargs)
    return call


def install(namespace: dict, names: list, cls: type) -> None:
    """Replace each function of ``namespace`` listed in ``names``, and every Tensor method of
    ``cls`` that is the same function, by its aliasing wrapper."""
    wrapped: dict = {}
    for name in names:
        fn = namespace.get(name)
        if callable(fn) and not isinstance(fn, type) and _wants_aliases(fn):
            wrapped[id(fn)] = wrapped.get(id(fn)) or _with_aliases(fn)
            namespace[name] = wrapped[id(fn)]
    for name, attr in list(vars(cls).items()):
        if name.startswith("__") or not _wants_aliases(attr):
            continue
        setattr(cls, name, wrapped.get(id(attr)) or _with_aliases(attr))
