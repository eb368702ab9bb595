"""Stochastic gradient descent, with momentum, dampening, Nesterov and weight decay."""

from __future__ import annotations

from typing import Any

from .._tensor import Tensor, tensor_from_array
from . import _functional as F
from .optimizer import Optimizer, ParamsT, real_view, scalar

__all__ = ["SGD"]


class SGD(Optimizer):
    """Gradient descent: ``p -= lr * g``, where with momentum ``g`` becomes the running
    buffer ``b = momentum * b + (1 - dampening) * g`` (or ``g + momentum * b`` for Nesterov).

    >>> import ember
    >>> w = ember.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = ember.optim.SGD([w], lr=0.1, momentum=0.9)
    >>> w.grad = ember.tensor([1.0, 1.0])
    >>> opt.step()
    >>> w
    tensor([ 0.9000, -2.1000], requires_grad=True)
    """

    def __init__(self, params: ParamsT, lr: float | Tensor = 1e-3, momentum: float = 0,
                 dampening: float = 0, weight_decay: float | Tensor = 0,
                 nesterov: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, differentiable: bool = False,
                 fused: bool | None = None) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                    "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize,
                    "foreach": foreach, "differentiable": differentiable, "fused": fused}
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)
        if fused and foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("nesterov", False)
            group.setdefault("maximize", False)
            group.setdefault("foreach", None)
            group.setdefault("differentiable", False)
            group.setdefault("fused", False)

    def _update_group(self, group: dict[str, Any], params: list[Tensor]) -> None:
        momentum = scalar(group["momentum"])
        buffers = []
        if momentum != 0:
            for p in params:
                buf = self.state[p].get("momentum_buffer")
                buffers.append(None if buf is None else real_view(buf._data))
        F.sgd([real_view(p._data) for p in params], [real_view(p.grad._data) for p in params],
              buffers, self._scratch, lr=scalar(group["lr"]), momentum=momentum,
              dampening=scalar(group["dampening"]), nesterov=group["nesterov"],
              weight_decay=scalar(group["weight_decay"]), maximize=group["maximize"])
        if momentum != 0:
            for p, buf in zip(params, buffers):
                state = self.state[p]
                if "momentum_buffer" not in state or state["momentum_buffer"] is None:
                    state["momentum_buffer"] = tensor_from_array(_as_like(buf, p._data))


def _as_like(buf: Any, param: Any) -> Any:
    """A new buffer made from a (possibly real-viewed) array, typed like its parameter."""
    return buf.view(param.dtype) if buf.dtype != param.dtype else buf
