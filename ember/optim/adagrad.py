"""Adagrad: per-coordinate learning rates from the sum of all squared gradients so far."""

from __future__ import annotations

from typing import Any

from .._tensor import Tensor
from . import _functional as F
from .optimizer import Optimizer, ParamsT, new_step, real_view, scalar, zeros_state

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad: ``s += g**2``, ``p -= clr * g / (sqrt(s) + eps)`` with
    ``clr = lr / (1 + (step - 1) * lr_decay)``.

    The state (``step`` and ``sum``) exists for every parameter from construction on, with
    the sums filled with ``initial_accumulator_value``.

    >>> import ember
    >>> w = ember.tensor([1.0], requires_grad=True)
    >>> opt = ember.optim.Adagrad([w], lr=0.5)
    >>> w.grad = ember.tensor([4.0])
    >>> opt.step()
    >>> w
    tensor([0.5000], requires_grad=True)
    """

    def __init__(self, params: ParamsT, lr: float | Tensor = 1e-2, lr_decay: float = 0,
                 weight_decay: float = 0, initial_accumulator_value: float = 0,
                 eps: float = 1e-10, foreach: bool | None = None, *, maximize: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError("Invalid initial_accumulator_value value: "
                             f"{initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value,
                    "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)
        if fused and foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p)

    def _init_state(self, p: Tensor) -> dict[str, Any]:
        # As in PyTorch, the accumulator starts from the constructor's value, not the group's.
        state = self.state[p]
        state["step"] = new_step()
        state["sum"] = zeros_state(p, _accumulator_fill(p, self.defaults))
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            for key, value in (("foreach", None), ("maximize", False),
                               ("differentiable", False), ("fused", None)):
                group.setdefault(key, value)
        for p_state in self.state.values():
            if "step" in p_state and not isinstance(p_state["step"], Tensor):
                p_state["step"] = new_step(float(p_state["step"]))

    def share_memory(self) -> None:
        """Accepted for compatibility: NumPy state is shared by forking processes anyway."""

    def _update_group(self, group: dict[str, Any], params: list[Tensor]) -> None:
        sums, steps = [], []
        for p in params:
            state = self.state[p]
            if len(state) == 0:
                state = self._init_state(p)
            sums.append(real_view(state["sum"]._data))
            steps.append(state["step"]._data)
        F.adagrad([real_view(p._data) for p in params],
                  [real_view(p.grad._data) for p in params], sums, steps, self._scratch,
                  lr=scalar(group["lr"]), lr_decay=scalar(group["lr_decay"]),
                  weight_decay=scalar(group["weight_decay"]), eps=scalar(group["eps"]),
                  maximize=group["maximize"])


def _accumulator_fill(p: Tensor, defaults: dict[str, Any]) -> Any:
    value = defaults["initial_accumulator_value"]
    return complex(value, value) if p.is_complex() else value
