"""ASGD: averaged stochastic gradient descent, SGD with a decaying step size that also keeps
a running average of the iterates (``ax`` in the state) from step ``t0`` on.

>>> import ember
>>> w = ember.tensor([1.0, -1.0], requires_grad=True)
>>> opt = ember.optim.ASGD([w], lr=0.1, lambd=0.0)
>>> w.grad = ember.tensor([2.0, -2.0])
>>> opt.step()
>>> w
tensor([ 0.8000, -0.8000], requires_grad=True)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from ._extra_common import (check_lr, check_non_negative, fresh_step, real_arrays,
                            restore_defaults, state_arrays)
from ._functional import _add_scaled_, _effective_grad, _scale_
from .optimizer import Optimizer, ParamsT, Scratch, new_step, scalar, zeros_state

__all__ = ["ASGD"]


class ASGD(Optimizer):
    """ASGD (Polyak & Juditsky, 1992). Each step decays ``p`` by ``1 - lambd * eta``, moves it
    by ``-eta * g``, and then sets ``eta = lr / (1 + lambd * lr * t) ** alpha``; the average
    ``ax`` follows ``p`` with weight ``mu = 1 / max(1, t - t0)``.

    ``weight_decay`` adds ``weight_decay * p`` to the gradient.
    """

    def __init__(self, params: ParamsT, lr: float | Tensor = 1e-2, lambd: float = 1e-4,
                 alpha: float = 0.75, t0: float = 1e6, weight_decay: float = 0,
                 foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False) -> None:
        check_lr(lr)
        check_non_negative(weight_decay, "weight_decay")
        defaults = {"lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0,
                    "weight_decay": weight_decay, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        restore_defaults(self, {"foreach": None, "maximize": False, "differentiable": False,
                                "capturable": False}, ("step", "eta", "mu"))

    def _update_group(self, group: dict[str, Any], params: list[Tensor]) -> None:
        lr = scalar(group["lr"])
        state = state_arrays(self, params, {"step": fresh_step, "eta": lambda p: new_step(lr),
                                            "mu": lambda p: new_step(1.0), "ax": zeros_state})
        arrays, grads = real_arrays(params)
        asgd(arrays, grads, state["ax"], state["eta"], state["mu"], state["step"], self._scratch,
             lr=lr, lambd=scalar(group["lambd"]), alpha=scalar(group["alpha"]),
             t0=scalar(group["t0"]), weight_decay=scalar(group["weight_decay"]),
             maximize=group["maximize"])


def asgd(params: list, grads: list, axs: list, etas: list, mus: list, steps: list,
         scratch: Scratch, *, lr: float, lambd: float, alpha: float, t0: float,
         weight_decay: float, maximize: bool) -> None:
    """One ASGD step over arrays, updating parameters, averages, rates and steps in place.
    ``eta`` and ``mu`` are 0-d arrays of the scalar state dtype, read back as floats."""
    for i, p in enumerate(params):
        g = _effective_grad(p, grads[i], weight_decay, maximize, scratch)
        steps[i] += 1
        eta, mu = float(etas[i]), float(mus[i])
        _scale_(p, 1.0 - lambd * eta)
        _add_scaled_(p, -eta, g, scratch=scratch)
        ax = axs[i]
        if mu != 1.0:
            tmp = scratch.like(p, 0)
            np.subtract(p, ax, out=tmp)
            tmp *= mu
            ax += tmp
        else:
            np.copyto(ax, p)
        step = float(steps[i])
        etas[i][...] = lr / ((1.0 + lambd * lr * step) ** alpha)
        mus[i][...] = 1.0 / max(1.0, step - t0)
