"""Adadelta: steps whose size is the ratio of two running root-mean-squares, that of past
updates over that of gradients, so the units of the update match those of the parameter.

>>> import ember
>>> w = ember.tensor([1.0, -1.0], requires_grad=True)
>>> opt = ember.optim.Adadelta([w], lr=1.0, rho=0.0, eps=1.0)
>>> w.grad = ember.tensor([0.0, 3.0])
>>> opt.step()
>>> w
tensor([ 1.0000, -1.9487], requires_grad=True)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from ._extra_common import (check_lr, check_non_negative, fresh_step, real_arrays,
                            restore_defaults, state_arrays)
from ._functional import _add_scaled_, _add_square_, _effective_grad
from .optimizer import Optimizer, ParamsT, Scratch, scalar, zeros_state

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """Adadelta (Zeiler, 2012): ``v = rho * v + (1 - rho) * g**2``,
    ``delta = sqrt(a + eps) / sqrt(v + eps) * g``, ``a = rho * a + (1 - rho) * delta**2``,
    ``p -= lr * delta``.

    ``weight_decay`` adds ``weight_decay * p`` to the gradient.
    """

    def __init__(self, params: ParamsT, lr: float | Tensor = 1.0, rho: float = 0.9,
                 eps: float = 1e-6, weight_decay: float = 0, foreach: bool | None = None, *,
                 capturable: bool = False, maximize: bool = False,
                 differentiable: bool = False) -> None:
        check_lr(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        check_non_negative(eps, "epsilon")
        check_non_negative(weight_decay, "weight_decay")
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "capturable": capturable, "foreach": foreach,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        restore_defaults(self, {"foreach": None, "maximize": False, "differentiable": False,
                                "capturable": False})

    def _update_group(self, group: dict[str, Any], params: list[Tensor]) -> None:
        state = state_arrays(self, params, {"step": fresh_step, "square_avg": zeros_state,
                                            "acc_delta": zeros_state})
        arrays, grads = real_arrays(params)
        adadelta(arrays, grads, state["square_avg"], state["acc_delta"], state["step"],
                 self._scratch, lr=scalar(group["lr"]), rho=scalar(group["rho"]),
                 eps=scalar(group["eps"]),
                 weight_decay=scalar(group["weight_decay"]), maximize=group["maximize"])


def adadelta(params: list, grads: list, square_avgs: list, acc_deltas: list, steps: list,
             scratch: Scratch, *, lr: float, rho: float, eps: float, weight_decay: float,
             maximize: bool) -> None:
    """One Adadelta step over arrays, updating parameters, averages and steps in place."""
    for i, p in enumerate(params):
        steps[i] += 1
        g = _effective_grad(p, grads[i], weight_decay, maximize, scratch)
        std, delta = scratch.like(p, 0), scratch.like(p, 2)
        v, a = square_avgs[i], acc_deltas[i]
        _add_square_(v, g, 1.0 - rho, std, decay=rho)
        np.add(v, eps, out=std)
        np.sqrt(std, out=std)
        np.add(a, eps, out=delta)
        np.sqrt(delta, out=delta)
        delta /= std
        delta *= g
        _add_square_(a, delta, 1.0 - rho, std, decay=rho)
        _add_scaled_(p, -lr, delta, delta)
