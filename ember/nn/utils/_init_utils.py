"""Module creation without parameter initialisation.

``skip_init(nn.Linear, 6, 1)`` builds the module but leaves its parameters and buffers
uninitialised (whatever memory they were allocated with), for when they are about to be
overwritten anyway, for instance by ``load_state_dict``. The module class must accept a
``device`` argument; initialisation is skipped by not running its ``reset_parameters``.

>>> from ember import nn
>>> m = skip_init(nn.Linear, in_features=6, out_features=1)
>>> type(m).__name__, tuple(m.weight.shape)
('Linear', (1, 6))
"""

from __future__ import annotations

import inspect
from typing import Any

from ..modules.module import Module

__all__ = ["skip_init"]


def _without_reset(module_cls: type) -> type:
    """A subclass of ``module_cls`` whose ``reset_parameters`` does nothing."""
    def skip_reset(self: Module, *args: Any, **kwargs: Any) -> None:
        return None

    namespace = {"reset_parameters": skip_reset, "__module__": module_cls.__module__,
                 "__qualname__": module_cls.__qualname__}
    return type(module_cls.__name__, (module_cls,), namespace)


def skip_init(module_cls: Any, *args: Any, **kwargs: Any) -> Any:
    """Create ``module_cls(*args, **kwargs)`` without initialising its parameters.

    Initialisation done in ``reset_parameters`` (the convention of ember's layers) is
    skipped; the returned module is a plain ``module_cls`` instance.
    """
    if not (isinstance(module_cls, type) and issubclass(module_cls, Module)):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    kwargs["device"] = kwargs.pop("device", "cpu")
    module = _without_reset(module_cls)(*args, **kwargs)
    module.__class__ = module_cls
    return module
