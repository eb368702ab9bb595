"""Switches for gradient recording: no_grad, enable_grad, set_grad_enabled, inference_mode."""

from __future__ import annotations

import functools
from typing import Any, Callable

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled",
           "is_inference_mode_enabled"]


class _GradState:
    # One process-wide flag read by every op; a plain attribute keeps the check cheap.
    __slots__ = ("enabled", "inference")


state = _GradState()
state.enabled = True
state.inference = False


def is_grad_enabled() -> bool:
    return state.enabled


def is_inference_mode_enabled() -> bool:
    return state.inference


class _GradModeContext:
    """Context manager that is also a decorator, restoring the previous mode on exit."""

    _target = True

    def __enter__(self) -> None:
        self._prev = state.enabled
        state.enabled = self._target

    def __exit__(self, *exc: object) -> None:
        state.enabled = self._prev

    def __call__(self, func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.__class__():
                return func(*args, **kwargs)
        return wrapper

    def clone(self):
        return self.__class__()


class no_grad(_GradModeContext):
    """Disable gradient recording inside the block (or decorated function)."""

    _target = False


class enable_grad(_GradModeContext):
    """Enable gradient recording inside the block, even under ``no_grad``."""

    _target = True


class set_grad_enabled(_GradModeContext):
    """``set_grad_enabled(False)`` acts at once (like torch), and also works as a context."""

    def __init__(self, mode: bool) -> None:
        self._prev = state.enabled
        self._target = bool(mode)
        state.enabled = self._target

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        state.enabled = self._prev

    def clone(self):
        return self.__class__(self._target)

    def __call__(self, func: Callable) -> Callable:
        state.enabled = self._prev  # used as a decorator: do not leave the mode switched
        target = self._target

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with set_grad_enabled(target):
                return func(*args, **kwargs)
        return wrapper


class inference_mode(_GradModeContext):
    """Like ``no_grad``; ``inference_mode(False)`` leaves the mode unchanged."""

    def __init__(self, mode: bool = True) -> None:
        self.mode = mode

    def __enter__(self) -> None:
        self._prev = (state.enabled, state.inference)
        if self.mode:
            state.enabled, state.inference = False, True

    def __exit__(self, *exc: object) -> None:
        state.enabled, state.inference = self._prev

    def __call__(self, func: Callable) -> Callable:
        mode = self.mode

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with inference_mode(mode):
                return func(*args, **kwargs)
        return wrapper

    def clone(self):
        return self.__class__(self.mode)
