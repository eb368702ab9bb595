"""NAdam: Adam with Nesterov momentum, whose momentum factor warms up over the steps.

>>> import ember
>>> w = ember.tensor([1.0, -1.0], requires_grad=True)
>>> opt = ember.optim.NAdam([w], lr=0.1)
>>> w.grad = ember.tensor([2.0, -2.0])
>>> opt.step()
>>> w
tensor([ 0.8944, -0.8944], requires_grad=True)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from ._extra_common import (check_betas, check_lr, check_non_negative, fresh_step, real_arrays,
                            restore_defaults, state_arrays)
from ._functional import _add_scaled_, _add_square_, _effective_grad, _scale_, _scale_add_
from .optimizer import Optimizer, ParamsT, Scratch, new_step, scalar, zeros_state

__all__ = ["NAdam"]

_TMP, _RATIO = 0, 2  # scratch slots (1 is taken by the effective gradient)


class NAdam(Optimizer):
    """NAdam (Dozat, 2016): Adam whose step mixes the current gradient and the first moment
    with the momentum factors ``mu_t = beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))`` of
    this step and the next. The running product of the ``mu_t`` is kept per parameter
    (``mu_product`` in the state).

    ``weight_decay`` adds ``weight_decay * p`` to the gradient or, with
    ``decoupled_weight_decay=True`` (NAdamW), shrinks ``p`` by ``lr * weight_decay``.
    """

    def __init__(self, params: ParamsT, lr: float | Tensor = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        check_lr(lr)
        check_non_negative(eps, "epsilon")
        check_betas(betas)
        check_non_negative(weight_decay, "weight_decay")
        check_non_negative(momentum_decay, "momentum_decay")
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "momentum_decay": momentum_decay,
                    "decoupled_weight_decay": decoupled_weight_decay, "maximize": maximize,
                    "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        restore_defaults(self, {"maximize": False, "foreach": None, "capturable": False,
                                "differentiable": False, "decoupled_weight_decay": False},
                         ("step", "mu_product"))

    def _update_group(self, group: dict[str, Any], params: list[Tensor]) -> None:
        state = state_arrays(self, params, {"step": fresh_step,
                                            "mu_product": lambda p: new_step(1.0),
                                            "exp_avg": zeros_state, "exp_avg_sq": zeros_state})
        beta1, beta2 = group["betas"]
        arrays, grads = real_arrays(params)
        nadam(arrays, grads, state["exp_avg"], state["exp_avg_sq"], state["mu_product"],
              state["step"], self._scratch,
              lr=scalar(group["lr"]), beta1=scalar(beta1), beta2=scalar(beta2),
              eps=scalar(group["eps"]), weight_decay=scalar(group["weight_decay"]),
              momentum_decay=scalar(group["momentum_decay"]), maximize=group["maximize"],
              decoupled=group["decoupled_weight_decay"])


def nadam(params: list, grads: list, exp_avgs: list, exp_avg_sqs: list, mu_products: list,
          steps: list, scratch: Scratch, *, lr: float, beta1: float, beta2: float,
          eps: float, weight_decay: float, momentum_decay: float, maximize: bool,
          decoupled: bool) -> None:
    """One NAdam step over arrays, updating parameters, moments, products and steps in place."""
    for i, p in enumerate(params):
        g = _effective_grad(p, grads[i], 0.0 if decoupled else weight_decay, maximize, scratch)
        steps[i] += 1
        step = float(steps[i])
        if decoupled and weight_decay:
            _scale_(p, 1.0 - lr * weight_decay)
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * momentum_decay))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1.0) * momentum_decay))
        # The product lives in the scalar state dtype (float32 by default), rounded each step
        # as PyTorch rounds it; the step sizes below read it back from there.
        mu_products[i] *= mu
        mu_product = float(mu_products[i])
        tmp, ratio = scratch.like(p, _TMP), scratch.like(p, _RATIO)
        m, v = exp_avgs[i], exp_avg_sqs[i]
        _scale_add_(m, beta1, 1.0 - beta1, g, tmp)
        _add_square_(v, g, 1.0 - beta2, tmp, decay=beta2)
        np.divide(v, 1.0 - beta2 ** step, out=tmp)
        np.sqrt(tmp, out=tmp)
        tmp += eps
        np.divide(g, tmp, out=ratio)
        _add_scaled_(p, -lr * (1.0 - mu) / (1.0 - mu_product), ratio, ratio)
        np.divide(m, tmp, out=ratio)
        _add_scaled_(p, -lr * mu_next / (1.0 - mu_product * mu_next), ratio, ratio)
