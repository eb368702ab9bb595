"""Rprop: resilient backpropagation, steps of a per-coordinate size that grows while the
gradient keeps its sign and shrinks when it flips; only the gradient's sign is used.

>>> import ember
>>> w = ember.tensor([1.0, -1.0], requires_grad=True)
>>> opt = ember.optim.Rprop([w], lr=0.1)
>>> w.grad = ember.tensor([2.0, -0.5])
>>> opt.step()
>>> w
tensor([ 0.9000, -0.9000], requires_grad=True)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from ._extra_common import (check_lr, fresh_step, real_arrays, restore_defaults, state_arrays)
from .optimizer import Optimizer, ParamsT, Scratch, scalar, zeros_state

__all__ = ["Rprop"]


class Rprop(Optimizer):
    """Rprop (Riedmiller & Braun, 1993). Each coordinate's step size (starting at ``lr``) is
    multiplied by ``etaplus`` when the gradient kept its sign, by ``etaminus`` when it flipped
    (and that step is then skipped), and clamped to ``step_sizes``; the parameter moves by
    the step size against the gradient's sign.
    """

    def __init__(self, params: ParamsT, lr: float | Tensor = 1e-2,
                 etas: tuple[float, float] = (0.5, 1.2),
                 step_sizes: tuple[float, float] = (1e-6, 50), *, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        check_lr(lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = {"lr": lr, "etas": etas, "step_sizes": step_sizes, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        super().__init__(params, defaults)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        restore_defaults(self, {"foreach": None, "maximize": False, "differentiable": False,
                                "capturable": False})

    def _update_group(self, group: dict[str, Any], params: list[Tensor]) -> None:
        lr = scalar(group["lr"])
        # A complex parameter is two real ones: both parts start at ``lr``.
        state = state_arrays(self, params, {
            "step": fresh_step, "prev": zeros_state,
            "step_size": lambda p: zeros_state(p, complex(lr, lr) if p.is_complex() else lr)})
        etaminus, etaplus = group["etas"]
        size_min, size_max = group["step_sizes"]
        arrays, grads = real_arrays(params)
        rprop(arrays, grads, state["prev"], state["step_size"], state["step"], self._scratch,
              etaminus=scalar(etaminus), etaplus=scalar(etaplus),
              step_size_min=scalar(size_min), step_size_max=scalar(size_max),
              maximize=group["maximize"])


def rprop(params: list, grads: list, prevs: list, step_sizes: list, steps: list,
          scratch: Scratch, *, etaminus: float, etaplus: float, step_size_min: float,
          step_size_max: float, maximize: bool) -> None:
    """One Rprop step over arrays, updating parameters, previous gradients, step sizes and
    steps in place."""
    for i, p in enumerate(params):
        steps[i] += 1
        g, prev, size = grads[i], prevs[i], step_sizes[i]
        factor = scratch.like(p, 0)
        np.multiply(g, prev, out=factor)
        if maximize:
            np.negative(factor, out=factor)
        # The sign of g * prev becomes the step-size factor; a NaN product stays NaN.
        np.sign(factor, out=factor)
        factor[factor > 0] = etaplus
        factor[factor < 0] = etaminus
        factor[factor == 0] = 1.0
        size *= factor
        np.clip(size, step_size_min, step_size_max, out=size)
        # Where the sign flipped the step is skipped, and the stored gradient is zero so
        # that the next step counts as a fresh start there.
        if maximize:
            np.negative(g, out=prev)
        else:
            np.copyto(prev, g)
        prev[factor == etaminus] = 0
        np.sign(prev, out=factor)
        factor *= size
        p -= factor
