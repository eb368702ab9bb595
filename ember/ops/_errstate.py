"""Silence NumPy's floating-point warnings in ember's own code: torch never warns about
inf/nan results.

Two means. ``ignore_in_ember`` installs one warnings filter, at import, for NumPy's
"invalid value / overflow / divide by zero encountered" warnings raised from ember's
modules: it costs nothing until a warning is raised, so the per-op fast paths (a 10-element
multiply takes 0.3 µs) stay as they are, and NumPy code outside ember still warns as the
user configured it. ``quiet`` is a cheap ``np.errstate(all="ignore")`` for the places that
must not warn even under a user's ``warnings.simplefilter("error")``, which takes precedence
over the filter: ``np.errstate`` builds a new error-state object on every entry, about 1 µs;
on NumPy >= 2 the error state lives in a context variable, so a prebuilt "ignore everything"
state can be set and reset directly.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

__all__ = ["quiet", "ignore_in_ember"]

_FLOATING_POINT = r"(invalid value|overflow|underflow|divide by zero) encountered"


def ignore_in_ember() -> None:
    """Ignore NumPy's floating-point warnings raised while ember's code runs (a warning from
    a ufunc is attributed to the module of the Python code that called it)."""
    warnings.filterwarnings("ignore", message=_FLOATING_POINT, category=RuntimeWarning,
                            module=r"ember(\.|$)")

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
