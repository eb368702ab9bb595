"""Weight normalisation through forward pre-hooks (the older API).

``weight_norm(module)`` splits ``module.weight`` into a magnitude ``weight_g`` and a
direction ``weight_v`` (both parameters) and recomputes
``weight = weight_g * weight_v / ||weight_v||`` before every forward, the norm taken over
every dimension but ``dim`` (``dim=None`` or ``-1``: over the whole tensor).
``remove_weight_norm`` folds them back into a single ``weight`` parameter.
``ember.nn.utils.parametrizations.weight_norm`` is the newer form of the same idea.

>>> import warnings
>>> from ember import nn
>>> with warnings.catch_warnings():
...     warnings.simplefilter("ignore", FutureWarning)
...     m = weight_norm(nn.Linear(3, 2))
>>> [name for name, _ in m.named_parameters()], tuple(m.weight_g.shape)
(['bias', 'weight_g', 'weight_v'], (2, 1))
"""

from __future__ import annotations

import warnings
from typing import Any, TypeVar

from ...autograd.grad_mode import no_grad
from ..._tensor import Tensor
from ...linalg import vector_norm
from ..modules.module import Module
from ..parameter import Parameter, is_lazy

__all__ = ["weight_norm", "remove_weight_norm"]

T_module = TypeVar("T_module", bound=Module)


def norm_except_dim(v: Tensor, dim: int) -> Tensor:
    """The 2-norm of ``v`` over every dimension but ``dim``, kept as size-1 dimensions.

    ``dim == -1`` means no dimension is kept: the norm of the whole tensor (a 0-d tensor),
    which is how the weight-norm functions read ``dim=None``.
    """
    if dim == -1:
        return vector_norm(v)
    kept = dim % v.ndim
    reduced = tuple(d for d in range(v.ndim) if d != kept)
    return vector_norm(v, 2, dim=reduced, keepdim=True)


def weight_norm_from(v: Tensor, g: Tensor, dim: int) -> Tensor:
    """``v`` rescaled so that its norm over every dimension but ``dim`` is ``g``."""
    return v * (g / norm_except_dim(v, dim))


class WeightNorm:
    """The forward pre-hook that recomputes ``<name>`` from ``<name>_g`` and ``<name>_v``."""

    def __init__(self, name: str, dim: int) -> None:
        self.name = name
        self.dim = -1 if dim is None else dim

    def compute_weight(self, module: Module) -> Tensor:
        g = getattr(module, self.name + "_g")
        v = getattr(module, self.name + "_v")
        return weight_norm_from(v, g, self.dim)

    @staticmethod
    def apply(module: Module, name: str, dim: Any) -> WeightNorm:
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, WeightNorm) and hook.name == name:
                raise RuntimeError(
                    f"Cannot register two weight_norm hooks on the same parameter {name}")
        fn = WeightNorm(name, dim)
        weight = getattr(module, name)
        if is_lazy(weight):
            raise ValueError("The module passed to `WeightNorm` can't have uninitialized "
                             "parameters. Make sure to run the dummy forward before "
                             "applying weight normalization")
        del module._parameters[name]
        with no_grad():
            magnitude = norm_except_dim(weight, fn.dim)
        module.register_parameter(name + "_g", Parameter(magnitude.detach()))
        module.register_parameter(name + "_v", Parameter(weight.detach()))
        setattr(module, name, fn.compute_weight(module))
        module.register_forward_pre_hook(fn)
        return fn

    def remove(self, module: Module) -> None:
        with no_grad():
            weight = self.compute_weight(module)
        delattr(module, self.name)
        del module._parameters[self.name + "_g"]
        del module._parameters[self.name + "_v"]
        setattr(module, self.name, Parameter(weight.detach()))

    def __call__(self, module: Module, inputs: Any) -> None:
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module: T_module, name: str = "weight", dim: int = 0) -> T_module:
    """Reparametrize ``module.<name>`` as magnitude ``<name>_g`` times direction
    ``<name>_v / ||<name>_v||``, recomputed by a forward pre-hook. Returns ``module``.

    Deprecated in favour of ``ember.nn.utils.parametrizations.weight_norm``.
    """
    warnings.warn("`ember.nn.utils.weight_norm` is deprecated in favor of "
                  "`ember.nn.utils.parametrizations.weight_norm`.", FutureWarning,
                  stacklevel=2)
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module: T_module, name: str = "weight") -> T_module:
    """Undo ``weight_norm``: ``<name>`` becomes a single parameter again. Returns ``module``."""
    for key, hook in module._forward_pre_hooks.items():
        if isinstance(hook, WeightNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(f"weight_norm of '{name}' not found in {module}")
