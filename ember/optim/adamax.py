"""Adamax: Adam with the infinity norm, a decaying running maximum of ``|g|``, in place of
the root of the second moment.

>>> import ember
>>> w = ember.tensor([1.0, -1.0], requires_grad=True)
>>> opt = ember.optim.Adamax([w], lr=0.1)
>>> w.grad = ember.tensor([2.0, -2.0])
>>> opt.step()
>>> w
tensor([ 0.9000, -0.9000], requires_grad=True)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from ._extra_common import (check_betas, check_lr, check_non_negative, fresh_step, real_arrays,
                            restore_defaults, state_arrays)
from ._functional import _add_scaled_, _effective_grad, _scale_add_
from .optimizer import Optimizer, ParamsT, Scratch, scalar, zeros_state

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """Adamax (Kingma & Ba, 2014): ``m = beta1 * m + (1 - beta1) * g``,
    ``u = max(beta2 * u, |g| + eps)``, ``p -= lr / (1 - beta1**t) * m / u``.

    ``weight_decay`` adds ``weight_decay * p`` to the gradient.
    """

    def __init__(self, params: ParamsT, lr: float | Tensor = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False) -> None:
        check_lr(lr)
        check_non_negative(eps, "epsilon")
        check_betas(betas)
        check_non_negative(weight_decay, "weight_decay")
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        restore_defaults(self, {"foreach": None, "maximize": False, "differentiable": False,
                                "capturable": False})

    def _update_group(self, group: dict[str, Any], params: list[Tensor]) -> None:
        state = state_arrays(self, params, {"step": fresh_step, "exp_avg": zeros_state,
                                            "exp_inf": zeros_state})
        beta1, beta2 = group["betas"]
        arrays, grads = real_arrays(params)
        adamax(arrays, grads, state["exp_avg"], state["exp_inf"], state["step"], self._scratch,
               lr=scalar(group["lr"]), beta1=scalar(beta1), beta2=scalar(beta2),
               eps=scalar(group["eps"]), weight_decay=scalar(group["weight_decay"]),
               maximize=group["maximize"])


def adamax(params: list, grads: list, exp_avgs: list, exp_infs: list, steps: list,
           scratch: Scratch, *, lr: float, beta1: float, beta2: float, eps: float,
           weight_decay: float, maximize: bool) -> None:
    """One Adamax step over arrays, updating parameters, moments and steps in place."""
    for i, p in enumerate(params):
        g = _effective_grad(p, grads[i], weight_decay, maximize, scratch)
        steps[i] += 1
        tmp = scratch.like(p, 0)
        m, u = exp_avgs[i], exp_infs[i]
        _scale_add_(m, beta1, 1.0 - beta1, g, tmp)
        u *= beta2
        np.abs(g, out=tmp)
        tmp += eps
        np.maximum(u, tmp, out=u)  # NaN propagates, as in PyTorch
        np.divide(m, u, out=tmp)
        _add_scaled_(p, -lr / (1.0 - beta1 ** float(steps[i])), tmp, tmp)
