"""Switches for gradient recording: no_grad, enable_grad, set_grad_enabled, inference_mode.

Each works as a context manager and as a decorator (with or without parentheses for
``no_grad``, ``enable_grad`` and ``inference_mode``):

>>> import ember
>>> x = ember.ones(2, requires_grad=True)
>>> with ember.no_grad():
...     y = x * 2
>>> y.requires_grad
False
>>> @ember.no_grad
... def double(t):
...     return t * 2
>>> double(x).requires_grad
False
"""

from __future__ import annotations

import functools
import inspect
from typing import Any
from collections.abc import Callable

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled",
           "is_inference_mode_enabled"]


class _GradState:
    # One process-wide record read by every op; plain attributes keep the check cheap.
    # ``enabled`` is whether ops record; ``grad_mode`` is the flag set by no_grad/enable_grad,
    # which differ only inside inference mode: there enable_grad reports grad mode as on
    # while nothing is recorded.
    __slots__ = ("enabled", "grad_mode", "inference", "anomaly", "anomaly_nan")


state = _GradState()
state.enabled = True
state.grad_mode = True
state.inference = False
state.anomaly = False
state.anomaly_nan = True


def is_grad_enabled() -> bool:
    return state.grad_mode if state.inference else state.enabled


def _set_grad_mode(mode: bool) -> None:
    state.grad_mode = mode
    state.enabled = mode and not state.inference


def is_inference_mode_enabled() -> bool:
    return state.inference


def _wrap_generator(ctx_factory: Callable, gen_func: Callable) -> Callable:
    """Keep the mode inside a generator's body only, not while the caller runs."""
    @functools.wraps(gen_func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        gen = gen_func(*args, **kwargs)
        try:
            with ctx_factory():
                response = gen.send(None)
            while True:
                try:
                    request = yield response
                except GeneratorExit:
                    with ctx_factory():
                        gen.close()
                    raise
                except BaseException as exc:
                    with ctx_factory():
                        response = gen.throw(exc)
                else:
                    with ctx_factory():
                        response = gen.send(request)
        except StopIteration as stop:
            return stop.value
    return wrapper


class _GradModeContext:
    """Context manager that is also a decorator, restoring the previous mode on exit."""

    _target = True

    def __enter__(self) -> None:
        # Inlined (not ``_set_grad_mode``): optimizers enter no_grad on every step.
        self._prev = (state.enabled, state.grad_mode)
        state.grad_mode = target = self._target
        state.enabled = target and not state.inference

    def __exit__(self, *exc: object) -> None:
        state.enabled, state.grad_mode = self._prev

    def clone(self) -> Any:
        return self.__class__()

    def __call__(self, func: Callable) -> Callable:
        if inspect.isgeneratorfunction(func):
            return _wrap_generator(self.clone, func)

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.clone():
                return func(*args, **kwargs)
        return wrapper


class _NoParamDecorator(_GradModeContext):
    """Also usable bare: ``@no_grad`` decorates like ``@no_grad()``."""

    def __new__(cls, orig_func: Callable | None = None) -> Any:
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)


class no_grad(_NoParamDecorator):  # noqa: N801 - torch's name
    """Disable gradient recording inside the block (or decorated function)."""

    _target = False

    def __init__(self) -> None:
        pass


class enable_grad(_NoParamDecorator):  # noqa: N801
    """Enable gradient recording inside the block, even under ``no_grad``."""

    _target = True

    def __init__(self) -> None:
        pass


class set_grad_enabled(_GradModeContext):  # noqa: N801
    """``set_grad_enabled(False)`` acts at once (like torch), and also works as a context."""

    def __init__(self, mode: bool) -> None:
        if not isinstance(mode, bool):
            kind = type(mode)
            name = (kind.__name__ if kind.__module__ == "builtins"
                    else f"{kind.__module__}.{kind.__name__}")
            raise TypeError("set_grad_enabled(): argument 'enabled' (position 1) must be bool, "
                            f"not {name}")
        self._prev = (state.enabled, state.grad_mode)
        self._target = mode
        _set_grad_mode(mode)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        state.enabled, state.grad_mode = self._prev

    def clone(self) -> set_grad_enabled:
        return self.__class__(self._target)

    def __call__(self, func: Callable) -> Callable:
        state.enabled, state.grad_mode = self._prev  # a decorator leaves the mode as it was
        return super().__call__(func)


class inference_mode(_GradModeContext):  # noqa: N801
    """Like ``no_grad``; ``inference_mode(False)`` turns recording back on inside."""

    def __new__(cls, mode: Any = True) -> Any:
        if callable(mode) and not isinstance(mode, bool):  # bare ``@inference_mode``
            return cls(True)(mode)
        return super().__new__(cls)

    def __init__(self, mode: bool = True) -> None:
        self.mode = mode if isinstance(mode, bool) else True

    def __enter__(self) -> None:
        self._prev = (state.enabled, state.grad_mode, state.inference)
        state.inference = bool(self.mode)
        _set_grad_mode(not self.mode)

    def __exit__(self, *exc: object) -> None:
        state.enabled, state.grad_mode, state.inference = self._prev

    def clone(self) -> inference_mode:
        return self.__class__(self.mode)
