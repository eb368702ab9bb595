"""Anomaly detection: make backward fail loudly when a node produces NaN gradients.

>>> import ember
>>> with ember.autograd.detect_anomaly():
...     pass
"""

from __future__ import annotations

import warnings
from typing import Any

from .grad_mode import _GradModeContext, state

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled",
           "is_anomaly_check_nan_enabled", "set_anomaly_enabled"]


def is_anomaly_enabled() -> bool:
    return state.anomaly


def is_anomaly_check_nan_enabled() -> bool:
    return state.anomaly and state.anomaly_nan


def set_anomaly_enabled(enabled: bool, check_nan: bool = True) -> None:
    """Switch anomaly detection on or off (``ember.set_anomaly_enabled``, no context)."""
    state.anomaly, state.anomaly_nan = bool(enabled), check_nan


class detect_anomaly(_GradModeContext):  # noqa: N801 - torch's name
    """Inside the block, a backward node returning NaN raises a RuntimeError naming it."""

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the "
                      "runtime and should only be enabled for debugging.", stacklevel=2)

    def __enter__(self) -> None:
        self._prev = (state.anomaly, state.anomaly_nan)
        state.anomaly, state.anomaly_nan = True, self.check_nan

    def __exit__(self, *exc: object) -> None:
        state.anomaly, state.anomaly_nan = self._prev

    def clone(self) -> detect_anomaly:
        return self.__class__(self.check_nan)


class set_detect_anomaly(_GradModeContext):  # noqa: N801
    """Switch anomaly detection on or off now; as a context, restore it on exit."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self._prev = (state.anomaly, state.anomaly_nan)
        self.mode, self.check_nan = mode, check_nan
        state.anomaly, state.anomaly_nan = bool(mode), check_nan

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        state.anomaly, state.anomaly_nan = self._prev

    def clone(self) -> Any:
        return self.__class__(self.mode, self.check_nan)


def check_nan(node: Any, grads: tuple) -> None:
    """Raise torch's error when a node's gradient holds NaN (only while anomaly mode is on)."""
    import numpy as np
    for i, g in enumerate(grads):
        if g is not None and g._data.dtype.kind in "fc" and np.isnan(g._data).any():
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th "
                               "output.")
