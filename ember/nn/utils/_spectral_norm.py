"""Spectral normalisation through forward pre-hooks (the older API).

``spectral_norm(module)`` moves ``module.weight`` to the parameter ``weight_orig`` and,
before every forward, sets ``module.weight = weight_orig / sigma`` where ``sigma`` (the
largest singular value of the weight seen as a matrix) is estimated by power iteration on
the buffers ``weight_u`` and ``weight_v`` (one step per forward in training mode).
``remove_spectral_norm`` makes the normalised weight a plain parameter again.
``ember.nn.utils.parametrizations.spectral_norm`` is the newer form of the same idea.

>>> from ember import nn
>>> m = spectral_norm(nn.Linear(4, 3))
>>> list(m.state_dict())
['bias', 'weight_orig', 'weight_u', 'weight_v']
>>> tuple(m.weight_u.shape), tuple(m.weight_v.shape)
((3,), (4,))
"""

from __future__ import annotations

from typing import Any, TypeVar

from ... import ops as _ops
from ...autograd.grad_mode import no_grad
from ..._tensor import Tensor
from .. import functional as F
from ..modules.module import Module
from ..parameter import Parameter, is_lazy

__all__ = ["spectral_norm", "remove_spectral_norm"]

T_module = TypeVar("T_module", bound=Module)


class SpectralNorm:
    """The forward pre-hook that recomputes ``<name>`` as ``<name>_orig / sigma``."""

    _version: int = 1

    def __init__(self, name: str = "weight", n_power_iterations: int = 1, dim: int = 0,
                 eps: float = 1e-12) -> None:
        self.name = name
        self.dim = dim
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but "
                             f"got n_power_iterations={n_power_iterations}")
        self.n_power_iterations = n_power_iterations
        self.eps = eps

    def reshape_weight_to_matrix(self, weight: Tensor) -> Tensor:
        if self.dim != 0:
            others = [d for d in range(weight.ndim) if d != self.dim]
            weight = weight.permute(self.dim, *others)
        return weight.reshape(weight.shape[0], -1)

    def compute_weight(self, module: Module, do_power_iteration: bool) -> Tensor:
        weight = getattr(module, self.name + "_orig")
        u = getattr(module, self.name + "_u")
        v = getattr(module, self.name + "_v")
        matrix = self.reshape_weight_to_matrix(weight)
        if do_power_iteration:
            # In place, so the buffers keep their identity; then cloned, so that a second
            # forward before backward does not change the vectors the first one saved.
            with no_grad():
                for _ in range(self.n_power_iterations):
                    v.copy_(F.normalize(_ops.mv(matrix.t(), u), dim=0, eps=self.eps))
                    u.copy_(F.normalize(_ops.mv(matrix, v), dim=0, eps=self.eps))
            u = u.clone()
            v = v.clone()
        sigma = _ops.dot(u, _ops.mv(matrix, v))
        return weight / sigma

    def remove(self, module: Module) -> None:
        with no_grad():
            weight = self.compute_weight(module, do_power_iteration=False)
        delattr(module, self.name)
        delattr(module, self.name + "_u")
        delattr(module, self.name + "_v")
        delattr(module, self.name + "_orig")
        module.register_parameter(self.name, Parameter(weight.detach()))

    def __call__(self, module: Module, inputs: Any) -> None:
        setattr(module, self.name,
                self.compute_weight(module, do_power_iteration=module.training))

    @staticmethod
    def apply(module: Module, name: str, n_power_iterations: int, dim: int,
              eps: float) -> SpectralNorm:
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, SpectralNorm) and hook.name == name:
                raise RuntimeError(
                    f"Cannot register two spectral_norm hooks on the same parameter {name}")
        fn = SpectralNorm(name, n_power_iterations, dim, eps)
        weight = module._parameters[name]
        if weight is None:
            raise ValueError(f"`SpectralNorm` cannot be applied as parameter `{name}` is None")
        if is_lazy(weight):
            raise ValueError("The module passed to `SpectralNorm` can't have uninitialized "
                             "parameters. Make sure to run the dummy forward before "
                             "applying spectral normalization")
        with no_grad():
            matrix = fn.reshape_weight_to_matrix(weight)
            rows, cols = matrix.shape
            u = F.normalize(weight.new_empty(rows).normal_(0, 1), dim=0, eps=fn.eps)
            v = F.normalize(weight.new_empty(cols).normal_(0, 1), dim=0, eps=fn.eps)
        delattr(module, fn.name)
        module.register_parameter(fn.name + "_orig", weight)
        # A plain attribute until the first forward recomputes it from weight_orig.
        setattr(module, fn.name, weight.detach())
        module.register_buffer(fn.name + "_u", u)
        module.register_buffer(fn.name + "_v", v)
        module.register_forward_pre_hook(fn)
        return fn


def _default_dim(module: Module) -> int:
    from .. import modules
    names = ("ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d")
    transposed = tuple(getattr(modules, n) for n in names if hasattr(modules, n))
    return 1 if isinstance(module, transposed) else 0


def spectral_norm(module: T_module, name: str = "weight", n_power_iterations: int = 1,
                  eps: float = 1e-12, dim: int | None = None) -> T_module:
    """Divide ``module.<name>`` by its spectral norm before every forward.

    ``dim`` is the output dimension (default 1 for transposed convolutions, else 0).
    Returns ``module``.
    """
    if dim is None:
        dim = _default_dim(module)
    SpectralNorm.apply(module, name, n_power_iterations, dim, eps)
    return module


def remove_spectral_norm(module: T_module, name: str = "weight") -> T_module:
    """Undo ``spectral_norm``: ``<name>`` becomes a plain parameter with the normalised value."""
    for key, hook in module._forward_pre_hooks.items():
        if isinstance(hook, SpectralNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(f"spectral_norm of '{name}' not found in {module}")
