"""RAdam: Adam with a rectified adaptive step, plain momentum while the variance of the
adaptive rate is not yet tractable.

>>> import ember
>>> w = ember.tensor([1.0, -1.0], requires_grad=True)
>>> opt = ember.optim.RAdam([w], lr=0.1)
>>> w.grad = ember.tensor([2.0, -2.0])
>>> opt.step()
>>> w
tensor([ 0.8000, -0.8000], requires_grad=True)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from ._extra_common import (check_betas, check_lr, check_non_negative, fresh_step, real_arrays,
                            restore_defaults, state_arrays)
from ._functional import _add_scaled_, _add_square_, _effective_grad, _scale_, _scale_add_
from .optimizer import Optimizer, ParamsT, Scratch, scalar, zeros_state

__all__ = ["RAdam"]


class RAdam(Optimizer):
    """RAdam (Liu et al., 2019). With ``rho_inf = 2 / (1 - beta2) - 1`` and
    ``rho_t = rho_inf - 2 t beta2**t / (1 - beta2**t)``, a step is the bias-corrected first
    moment times ``lr``, further scaled by the rectified adaptive rate when ``rho_t > 5``.

    ``weight_decay`` adds ``weight_decay * p`` to the gradient or, with
    ``decoupled_weight_decay=True``, shrinks ``p`` by ``lr * weight_decay``.
    """

    def __init__(self, params: ParamsT, lr: float | Tensor = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, decoupled_weight_decay: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False) -> None:
        check_lr(lr)
        check_non_negative(eps, "epsilon")
        check_betas(betas)
        check_non_negative(weight_decay, "weight_decay")
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "decoupled_weight_decay": decoupled_weight_decay,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        restore_defaults(self, {"foreach": None, "maximize": False, "differentiable": False,
                                "decoupled_weight_decay": False, "capturable": False})

    def _update_group(self, group: dict[str, Any], params: list[Tensor]) -> None:
        state = state_arrays(self, params, {"step": fresh_step, "exp_avg": zeros_state,
                                            "exp_avg_sq": zeros_state})
        beta1, beta2 = group["betas"]
        arrays, grads = real_arrays(params)
        radam(arrays, grads, state["exp_avg"], state["exp_avg_sq"], state["step"], self._scratch,
              lr=scalar(group["lr"]), beta1=scalar(beta1), beta2=scalar(beta2),
              eps=scalar(group["eps"]), weight_decay=scalar(group["weight_decay"]),
              maximize=group["maximize"], decoupled=group["decoupled_weight_decay"])


def _rectification(step: float, beta2: float) -> float | None:
    """The variance rectification factor of step ``step``, or None while ``rho_t <= 5``
    (too few steps for the adaptive rate's variance to be finite enough to correct)."""
    rho_inf = 2.0 / (1.0 - beta2) - 1.0
    rho_t = rho_inf - 2.0 * step * beta2 ** step / (1.0 - beta2 ** step)
    if not rho_t > 5.0:
        return None
    return ((rho_t - 4.0) * (rho_t - 2.0) * rho_inf
            / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t)) ** 0.5


def radam(params: list, grads: list, exp_avgs: list, exp_avg_sqs: list, steps: list,
          scratch: Scratch, *, lr: float, beta1: float, beta2: float, eps: float,
          weight_decay: float, maximize: bool, decoupled: bool) -> None:
    """One RAdam step over arrays, updating parameters, moments and steps in place."""
    for i, p in enumerate(params):
        g = _effective_grad(p, grads[i], 0.0 if decoupled else weight_decay, maximize, scratch)
        steps[i] += 1
        step = float(steps[i])
        if decoupled and weight_decay:
            _scale_(p, 1.0 - lr * weight_decay)
        tmp = scratch.like(p, 0)
        m, v = exp_avgs[i], exp_avg_sqs[i]
        _scale_add_(m, beta1, 1.0 - beta1, g, tmp)
        _add_square_(v, g, 1.0 - beta2, tmp, decay=beta2)
        bias_correction1 = 1.0 - beta1 ** step
        rect = _rectification(step, beta2)
        if rect is None:
            _add_scaled_(p, -lr / bias_correction1, m, tmp)
            continue
        # ``m / c1 * lr * sqrt(c2) / (sqrt(v) + eps) * rect``: the scalars join into one
        # factor, so the array work is one division and one scaled add.
        np.sqrt(v, out=tmp)
        tmp += eps
        np.divide(m, tmp, out=tmp)
        factor = lr * (1.0 - beta2 ** step) ** 0.5 * rect / bias_correction1
        _add_scaled_(p, -factor, tmp, tmp)
