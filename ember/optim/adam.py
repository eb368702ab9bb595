"""Adam and AdamW: adaptive moment estimation, with L2 or decoupled weight decay."""

from __future__ import annotations

from typing import Any

from .._tensor import Tensor
from . import _functional as F
from .optimizer import Optimizer, ParamsT, new_step, real_view, scalar, zeros_state

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """Adam: steps by the bias-corrected first moment over the root of the second moment.

    ``weight_decay`` adds ``weight_decay * p`` to the gradient, or, with
    ``decoupled_weight_decay=True`` (what ``AdamW`` does), shrinks ``p`` by
    ``lr * weight_decay`` before the step. ``amsgrad`` divides by the running maximum of the
    second moment instead.

    >>> import ember
    >>> w = ember.tensor([1.0, -1.0], requires_grad=True)
    >>> opt = ember.optim.Adam([w], lr=0.1)
    >>> w.grad = ember.tensor([3.0, -0.5])
    >>> opt.step()
    >>> w
    tensor([ 0.9000, -0.9000], requires_grad=True)
    """

    def __init__(self, params: ParamsT, lr: float | Tensor = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False,
                 fused: bool | None = None, decoupled_weight_decay: bool = False) -> None:
        _check_args(lr, betas, eps, weight_decay, bool(foreach) and not capturable)
        betas = tuple(_squeeze(beta) for beta in betas)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "amsgrad": amsgrad, "maximize": maximize, "foreach": foreach,
                    "capturable": capturable, "differentiable": differentiable,
                    "fused": fused, "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)
        if fused and foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            for key, value in (("amsgrad", False), ("maximize", False), ("foreach", None),
                               ("capturable", False), ("differentiable", False),
                               ("fused", None), ("decoupled_weight_decay", False)):
                group.setdefault(key, value)
            for p in group["params"]:
                p_state = self.state.get(p, {})
                if "step" in p_state and not isinstance(p_state["step"], Tensor):
                    p_state["step"] = new_step(float(p_state["step"]))

    def _update_group(self, group: dict[str, Any], params: list[Tensor]) -> None:
        amsgrad = group["amsgrad"]
        exp_avgs, exp_avg_sqs, max_sqs, steps = [], [], [], []
        for p in params:
            state = self.state[p]
            if len(state) == 0:
                state["step"] = new_step()
                state["exp_avg"] = zeros_state(p)
                state["exp_avg_sq"] = zeros_state(p)
                if amsgrad:
                    state["max_exp_avg_sq"] = zeros_state(p)
            exp_avgs.append(real_view(state["exp_avg"]._data))
            exp_avg_sqs.append(real_view(state["exp_avg_sq"]._data))
            if amsgrad:
                max_sqs.append(real_view(state["max_exp_avg_sq"]._data))
            steps.append(state["step"]._data)
        beta1, beta2 = group["betas"]
        F.adam([real_view(p._data) for p in params], [real_view(p.grad._data) for p in params],
               exp_avgs, exp_avg_sqs, max_sqs, steps, self._scratch,
               lr=scalar(group["lr"]), beta1=scalar(beta1), beta2=scalar(beta2),
               eps=scalar(group["eps"]), weight_decay=scalar(group["weight_decay"]),
               amsgrad=amsgrad, maximize=group["maximize"],
               decoupled=group["decoupled_weight_decay"])


class AdamW(Adam):
    """Adam with decoupled weight decay (``p *= 1 - lr * weight_decay`` each step).

    >>> import ember
    >>> w = ember.tensor([1.0], requires_grad=True)
    >>> opt = ember.optim.AdamW([w], lr=0.1, weight_decay=0.5)
    >>> w.grad = ember.tensor([0.0])
    >>> opt.step()
    >>> w
    tensor([0.9500], requires_grad=True)
    """

    def __init__(self, params: ParamsT, lr: float | Tensor = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False, foreach: bool | None = None,
                 capturable: bool = False, differentiable: bool = False,
                 fused: bool | None = None) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True


def _check_args(lr: Any, betas: tuple, eps: float, weight_decay: float,
                multi_tensor: bool) -> None:
    """Validate Adam's hyper-parameters. ``multi_tensor`` (``foreach`` without
    ``capturable``) refuses tensor hyper-parameters, which that mode cannot take."""
    if isinstance(lr, Tensor):
        if multi_tensor:
            raise ValueError("lr as a Tensor is not supported for capturable=False and "
                             "foreach=True")
        if lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")
    if not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
    if not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")
    both_floats = isinstance(betas[0], float) and isinstance(betas[1], float)
    both_tensors = isinstance(betas[0], Tensor) and isinstance(betas[1], Tensor)
    if not (both_floats or both_tensors):
        raise ValueError("betas must be either both floats or both Tensors")
    for i, beta in enumerate(betas[:2]):
        if not isinstance(beta, Tensor):
            continue
        if multi_tensor:
            raise ValueError(f"betas[{i}] as a Tensor is not supported for capturable=False "
                             "and foreach=True")
        if beta.numel() != 1:
            raise ValueError(f"Tensor betas[{i}] must be 1-element")


def _squeeze(x: Any) -> Any:
    """A one-element tensor hyper-parameter as a 0-d tensor; anything else unchanged."""
    return x.reshape(()) if isinstance(x, Tensor) and x.dim() != 0 else x
