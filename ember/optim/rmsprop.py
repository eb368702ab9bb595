"""RMSprop: steps scaled by a running root-mean-square of the gradients."""

from __future__ import annotations

from typing import Any

from .._tensor import Tensor
from . import _functional as F
from .optimizer import Optimizer, ParamsT, new_step, real_view, scalar, zeros_state

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop: ``v = alpha * v + (1 - alpha) * g**2``, ``p -= lr * g / (sqrt(v) + eps)``.

    ``centered`` divides by the running variance (``v - mean(g)**2``) instead, and
    ``momentum`` accumulates the scaled steps in a buffer.

    >>> import ember
    >>> w = ember.tensor([1.0], requires_grad=True)
    >>> opt = ember.optim.RMSprop([w], lr=0.01, alpha=0.75)
    >>> w.grad = ember.tensor([2.0])
    >>> opt.step()
    >>> w
    tensor([0.9800], requires_grad=True)
    """

    def __init__(self, params: ParamsT, lr: float | Tensor = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0, momentum: float = 0,
                 centered: bool = False, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                    "centered": centered, "weight_decay": weight_decay,
                    "capturable": capturable, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            for key, value in (("momentum", 0), ("centered", False), ("foreach", None),
                               ("maximize", False), ("differentiable", False),
                               ("capturable", False)):
                group.setdefault(key, value)
            for p in group["params"]:
                p_state = self.state.get(p, {})
                if "step" in p_state and not isinstance(p_state["step"], Tensor):
                    p_state["step"] = new_step(float(p_state["step"]))

    def _update_group(self, group: dict[str, Any], params: list[Tensor]) -> None:
        momentum, centered = scalar(group["momentum"]), group["centered"]
        square_avgs, grad_avgs, buffers, steps = [], [], [], []
        for p in params:
            state = self.state[p]
            if len(state) == 0:
                state["step"] = new_step()
                state["square_avg"] = zeros_state(p)
                if momentum > 0:
                    state["momentum_buffer"] = zeros_state(p)
                if centered:
                    state["grad_avg"] = zeros_state(p)
            square_avgs.append(real_view(state["square_avg"]._data))
            if momentum > 0:
                buffers.append(real_view(state["momentum_buffer"]._data))
            if centered:
                grad_avgs.append(real_view(state["grad_avg"]._data))
            steps.append(state["step"]._data)
        F.rmsprop([real_view(p._data) for p in params],
                  [real_view(p.grad._data) for p in params], square_avgs, grad_avgs, buffers,
                  steps, self._scratch, lr=scalar(group["lr"]), alpha=scalar(group["alpha"]),
                  eps=scalar(group["eps"]), weight_decay=scalar(group["weight_decay"]),
                  momentum=momentum, centered=centered, maximize=group["maximize"])
