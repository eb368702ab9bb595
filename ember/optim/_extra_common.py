"""Pieces shared by the less common optimizers (NAdam, RAdam, Adamax, Adadelta, Rprop, ASGD):
argument checks worded as PyTorch words them, and the restoring of defaults and scalar state
when an optimizer is unpickled or loaded from an older state dict."""

from __future__ import annotations

from typing import Any

from .._tensor import Tensor
from collections.abc import Callable

from .optimizer import Optimizer, new_step, real_view

__all__ = ["check_lr", "check_betas", "check_non_negative", "restore_defaults",
           "real_arrays", "state_arrays", "fresh_step"]


def check_lr(lr: Any) -> None:
    """``lr`` must be a non-negative number or a one-element tensor."""
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")


def check_non_negative(value: Any, what: str) -> None:
    """``Invalid <what> value: ...`` unless ``value >= 0``."""
    if not 0.0 <= value:
        raise ValueError(f"Invalid {what} value: {value}")


def check_betas(betas: tuple) -> None:
    """Both betas in ``[0, 1)``."""
    for i in (0, 1):
        if not 0.0 <= betas[i] < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {betas[i]}")


def restore_defaults(optimizer: Optimizer, flags: dict[str, Any],
                     scalar_keys: tuple[str, ...] = ("step",)) -> None:
    """Give every group the option ``flags`` it lacks and turn plain-number scalar state
    (``step`` and the like, as older checkpoints hold them) into 0-d tensors."""
    for group in optimizer.param_groups:
        for key, value in flags.items():
            group.setdefault(key, value)
        for p in group["params"]:
            p_state = optimizer.state.get(p, {})
            for key in scalar_keys:
                if key in p_state and not isinstance(p_state[key], Tensor):
                    p_state[key] = new_step(float(p_state[key]))


def real_arrays(params: list[Tensor]) -> tuple[list, list]:
    """The raw arrays of the parameters and of their gradients (complex ones as real pairs)."""
    return ([real_view(p._data) for p in params],
            [real_view(p.grad._data) for p in params])


def fresh_step(p: Tensor) -> Tensor:
    """A parameter's step counter as it starts (0)."""
    return new_step()


def state_arrays(optimizer: Optimizer, params: list[Tensor],
                 init: dict[str, Callable[[Tensor], Tensor]]) -> dict[str, list]:
    """Each state entry's arrays, one per parameter (complex ones as real pairs); a
    parameter without state gets its entries made by ``init``, in that order (the order
    torch's state dicts list them in)."""
    arrays: dict[str, list] = {key: [] for key in init}
    for p in params:
        state = optimizer.state[p]
        if len(state) == 0:
            for key, make in init.items():
                state[key] = make(p)
        for key in init:
            arrays[key].append(real_view(state[key]._data))
    return arrays
