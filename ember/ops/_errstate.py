"""A cheap ``np.errstate(all="ignore")``: torch never warns about inf/nan results.

``np.errstate`` builds a new error-state object on every entry, about 1 µs, which is as much
as a whole small elementwise op. On NumPy >= 2 the error state lives in a context variable,
so a prebuilt "ignore everything" state can be set and reset directly.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["quiet"]

try:  # NumPy >= 2: error state in a context variable
    from numpy._core._ufunc_config import _extobj_contextvar, _make_extobj

    _IGNORE = _make_extobj(all="ignore")

    class quiet:  # noqa: N801 - used like np.errstate
        """``with quiet(): ...`` runs NumPy code without floating-point warnings."""

        __slots__ = ("_token",)

        def __enter__(self) -> None:
            self._token = _extobj_contextvar.set(_IGNORE)

        def __exit__(self, *exc: Any) -> None:
            _extobj_contextvar.reset(self._token)

except ImportError:  # pragma: no cover - older NumPy
    def quiet() -> Any:  # type: ignore[misc]
        return np.errstate(all="ignore")
