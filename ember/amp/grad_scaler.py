"""``GradScaler``: dynamic loss scaling for float16 training, as ``torch.amp.GradScaler``.

Small float16 gradients underflow to zero. Multiplying the loss by a large factor before
``backward`` scales every gradient up by the same factor; ``step`` divides the gradients back
("unscales" them) before the optimizer uses them. When a gradient overflowed (inf or NaN) the
optimizer step is skipped and ``update`` multiplies the scale by ``backoff_factor``; after
``growth_interval`` consecutive good steps it multiplies it by ``growth_factor``.

The scale lives in a 0-d float32 tensor on the device of the first scaled output, the count of
good steps in a 0-d int32 tensor; both are created by the first ``scale`` call. A scaler for
``device="cuda"`` (the default) disables itself with a warning when ``ember.cuda`` has no GPU,
as torch's does; use ``device="cpu"`` on the CPU. Deliberate difference: that warning names
``ember.amp.GradScaler`` (torch's names ``torch.cuda.amp.GradScaler``).

>>> import ember
>>> w = ember.nn.Parameter(ember.ones(2))
>>> opt = ember.optim.SGD([w], lr=0.1)
>>> scaler = GradScaler("cpu", init_scale=8.0, growth_interval=1)
>>> scaler.scale((w * 3).sum()).backward()
>>> w.grad
tensor([24., 24.])
>>> scaler.step(opt); scaler.update()
>>> w.grad, scaler.get_scale()
(tensor([3., 3.]), 16.0)
"""

from __future__ import annotations

import inspect
import warnings
from collections import abc, defaultdict
from enum import Enum
from typing import Any

import numpy as np

from .. import _dtype, ops
from .._tensor import Tensor
from ..autograd import no_grad

__all__ = ["OptState", "GradScaler"]

_FIX = ("This may indicate your script did not use scaler.scale(loss or outputs) earlier in the "
        "iteration.")
_NEW_SCALE_REASON = ("new_scale should be a float or a 1-element ember.cuda.FloatTensor or "
                     "ember.FloatTensor with requires_grad=False.")


class OptState(Enum):
    """Where one optimizer is within an iteration."""

    READY = 0
    UNSCALED = 1
    STEPPED = 2


def _refresh_per_optimizer_state() -> dict[str, Any]:
    # A module-level factory (not a lambda) keeps the scaler picklable.
    return {"stage": OptState.READY, "found_inf_per_device": {}}


def _zero_d(value: float, dtype: _dtype.dtype, device: Any) -> Tensor:
    return ops.full((), value, dtype=dtype, device=device)


def _check_and_unscale(grads: list, found_inf: Tensor, inv_scale: Tensor) -> None:
    """Multiply ``grads`` in place by ``inv_scale``; set ``found_inf`` to 1 if any holds an inf
    or NaN (the gradients are multiplied either way)."""
    multiply = inv_scale.item() != 1.0  # a scale of one leaves float16 gradients untouched
    for grad in grads:
        if not bool(ops.isfinite(grad).all()):
            found_inf.fill_(1.0)
        if multiply:
            grad.mul_(inv_scale)


class GradScaler:
    """Scales losses up, gradients back down, and adapts the scale; see the module docs."""

    def __init__(self, device: str = "cuda", init_scale: float = 2.0**16,
                 growth_factor: float = 2.0, backoff_factor: float = 0.5,
                 growth_interval: int = 2000, enabled: bool = True) -> None:
        self._device = device
        self._enabled = enabled
        if self._device == "cuda" and enabled:
            from .. import cuda
            if not cuda.is_available():
                warnings.warn("ember.amp.GradScaler is enabled, but CUDA is not available.  "
                              "Disabling.", stacklevel=2)
                self._enabled = False
        if self._enabled:
            if growth_factor <= 1.0:
                raise AssertionError("The growth factor must be > 1.0.")
            if backoff_factor >= 1.0:
                raise AssertionError("The backoff factor must be < 1.0.")
            self._init_scale = init_scale
            self._scale: Tensor | None = None  # created by the first scale() call
            self._growth_factor = growth_factor
            self._backoff_factor = backoff_factor
            self._growth_interval = growth_interval
            self._init_growth_tracker = 0
            self._growth_tracker: Tensor | None = None
            self._per_optimizer_states: dict[int, dict[str, Any]] = defaultdict(
                _refresh_per_optimizer_state)

    def _check_scale_growth_tracker(self, funcname: str) -> tuple[Tensor, Tensor]:
        if self._scale is None:
            raise AssertionError(f"Attempted {funcname} but _scale is None.  " + _FIX)
        if self._growth_tracker is None:
            raise AssertionError(f"Attempted {funcname} but _growth_tracker is None.  " + _FIX)
        return self._scale, self._growth_tracker

    def _lazy_init_scale_growth_tracker(self, dev: Any) -> None:
        if self._growth_tracker is not None:
            raise AssertionError("_growth_tracker initialized before _scale")
        self._scale = _zero_d(self._init_scale, _dtype.float32, dev)
        self._growth_tracker = _zero_d(self._init_growth_tracker, _dtype.int32, dev)

    def scale(self, outputs: Tensor | abc.Iterable) -> Tensor | abc.Iterable:
        """``outputs`` (a tensor, or an iterable of them, nested) times the current scale;
        unchanged when the scaler is disabled."""
        if not self._enabled:
            return outputs
        if isinstance(outputs, Tensor):
            if self._scale is None:
                self._lazy_init_scale_growth_tracker(outputs.device)
            return outputs * self._scale.to(device=outputs.device)
        return self._scale_nested(outputs)

    def _scale_nested(self, value: Any) -> Any:
        if isinstance(value, Tensor):
            if self._scale is None:
                self._lazy_init_scale_growth_tracker(value.device)
            return value * self._scale.to(device=value.device)
        if isinstance(value, abc.Iterable):
            scaled = map(self._scale_nested, value)
            return type(value)(scaled) if isinstance(value, (list, tuple)) else scaled
        raise ValueError("outputs must be a Tensor or an iterable of Tensors")

    def _unscale_grads_(self, optimizer: Any, inv_scale: Tensor, found_inf: Tensor,
                        allow_fp16: bool) -> dict:
        """Unscale the gradients of ``optimizer``'s parameters by device; one ``found_inf``
        flag per device."""
        per_device: dict = defaultdict(list)
        with no_grad():
            for group in optimizer.param_groups:
                for param in group["params"]:
                    if not isinstance(param, Tensor):
                        raise AssertionError(
                            f"expected param to be ember.Tensor, got {type(param).__name__}")
                    if param.grad is None:
                        continue
                    if not allow_fp16 and param.grad.dtype == _dtype.float16:
                        raise ValueError("Attempting to unscale FP16 gradients.")
                    per_device[param.grad.device].append(param.grad)
            found_per_device = {}
            for device, grads in per_device.items():
                found = found_inf.to(device=device, copy=True)
                _check_and_unscale(grads, found, inv_scale.to(device=device))
                found_per_device[device] = found
        return found_per_device

    def unscale_(self, optimizer: Any) -> None:
        """Divide ``optimizer``'s gradients by the scale now (e.g. to clip them before
        ``step``); at most once per optimizer between ``update`` calls."""
        if not self._enabled:
            return
        self._check_scale_growth_tracker("unscale_")
        optimizer_state = self._per_optimizer_states[id(optimizer)]
        if optimizer_state["stage"] is OptState.UNSCALED:
            raise RuntimeError(
                "unscale_() has already been called on this optimizer since the last update().")
        if optimizer_state["stage"] is OptState.STEPPED:
            raise RuntimeError("unscale_() is being called after step().")
        # The reciprocal is taken in float64 and rounded once to float32.
        inv_scale = self._scale.double().reciprocal().float()
        found_inf = _zero_d(0.0, _dtype.float32, self._scale.device)
        optimizer_state["found_inf_per_device"] = self._unscale_grads_(
            optimizer, inv_scale, found_inf, False)
        optimizer_state["stage"] = OptState.UNSCALED

    def _maybe_opt_step(self, optimizer: Any, optimizer_state: dict, *args: Any,
                        **kwargs: Any) -> Any:
        if not sum(v.item() for v in optimizer_state["found_inf_per_device"].values()):
            return optimizer.step(*args, **kwargs)
        return None

    def step(self, optimizer: Any, *args: Any, **kwargs: Any) -> Any:
        """Unscale the gradients (unless ``unscale_`` did) and run ``optimizer.step(*args,
        **kwargs)`` if they are all finite; returns what that step returned, else None."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is enabled.")
        self._check_scale_growth_tracker("step")
        optimizer_state = self._per_optimizer_states[id(optimizer)]
        if optimizer_state["stage"] is OptState.STEPPED:
            raise RuntimeError("step() has already been called since the last update().")
        if getattr(optimizer, "_step_supports_amp_scaling", False):
            return self._step_self_scaling(optimizer, optimizer_state, args, kwargs)
        if optimizer_state["stage"] is OptState.READY:
            self.unscale_(optimizer)
        if len(optimizer_state["found_inf_per_device"]) == 0:
            raise AssertionError("No inf checks were recorded for this optimizer.")
        retval = self._maybe_opt_step(optimizer, optimizer_state, *args, **kwargs)
        optimizer_state["stage"] = OptState.STEPPED
        return retval

    def _step_self_scaling(self, optimizer: Any, optimizer_state: dict, args: tuple,
                           kwargs: dict) -> Any:
        """An optimizer that unscales and skips by itself: it receives ``grad_scale`` and
        ``found_inf`` attributes for the step (or the scaler, if its step takes one)."""
        takes_scaler = "grad_scaler" in inspect.signature(optimizer.step).parameters
        if takes_scaler:
            warnings.warn(
                "GradScaler is going to stop passing itself as a keyword argument to the passed "
                "optimizer. In the near future GradScaler registers `grad_scale: Tensor` and "
                "`found_inf: Tensor` to the passed optimizer and let the optimizer use them "
                "directly.", FutureWarning, stacklevel=3)
            kwargs.update({"grad_scaler": self})
        else:
            if optimizer_state["stage"] is OptState.READY:
                self._check_inf_per_device(optimizer)
            scale = self._scale
            found_inf = sum(t.to(device=scale.device)
                            for t in optimizer_state["found_inf_per_device"].values())
            optimizer.grad_scale = (getattr(optimizer, "grad_scale", None)
                                    if optimizer_state["stage"] == OptState.UNSCALED
                                    else scale * getattr(optimizer, "grad_scale", 1))
            optimizer.found_inf = found_inf
        retval = optimizer.step(*args, **kwargs)
        optimizer_state["stage"] = OptState.STEPPED
        if not takes_scaler:
            del optimizer.grad_scale
            del optimizer.found_inf
        return retval

    def update(self, new_scale: float | Tensor | None = None) -> None:
        """Back the scale off if a step was skipped, grow it after ``growth_interval`` good
        steps; or set it to ``new_scale``. Call once per iteration, after every ``step``."""
        if not self._enabled:
            return
        scale, growth_tracker = self._check_scale_growth_tracker("update")
        if new_scale is not None:
            self._set_scale(new_scale)
        else:
            found_infs = [found_inf.to(device=scale.device)
                          for state in self._per_optimizer_states.values()
                          for found_inf in state["found_inf_per_device"].values()]
            if len(found_infs) == 0:
                raise AssertionError("No inf checks were recorded prior to update.")
            self._update_scale(scale, growth_tracker, bool(sum(f.item() for f in found_infs)))
        self._per_optimizer_states = defaultdict(_refresh_per_optimizer_state)

    def _set_scale(self, new_scale: float | Tensor) -> None:
        if isinstance(new_scale, float):
            self._scale.fill_(new_scale)
            return
        if new_scale.device.type != self._device:
            raise AssertionError(_NEW_SCALE_REASON)
        if new_scale.numel() != 1:
            raise AssertionError(_NEW_SCALE_REASON)
        if new_scale.requires_grad is True:
            raise AssertionError(_NEW_SCALE_REASON)
        self._scale.copy_(new_scale)

    def _update_scale(self, scale: Tensor, growth_tracker: Tensor, found_inf: bool) -> None:
        # The factors are Python floats: each product is formed in float64 and rounded once to
        # the float32 of the stored scale.
        current = scale.item()
        if found_inf:
            scale.fill_(float(np.float32(current * self._backoff_factor)))
            growth_tracker.fill_(0)
            return
        successful = int(growth_tracker.item()) + 1
        if successful == self._growth_interval:
            with np.errstate(over="ignore"):
                grown = np.float32(current * self._growth_factor)
            if np.isfinite(grown):  # a scale that would overflow float32 stays where it is
                scale.fill_(float(grown))
            growth_tracker.fill_(0)
        else:
            growth_tracker.fill_(successful)

    def _get_scale_async(self) -> Tensor | None:
        return self._scale

    def get_scale(self) -> float:
        """The current scale as a Python float (1.0 when disabled)."""
        if self._enabled:
            return self._init_scale if self._scale is None else float(self._scale.item())
        return 1.0

    def get_growth_factor(self) -> float:
        return self._growth_factor

    def set_growth_factor(self, new_factor: float) -> None:
        self._growth_factor = new_factor

    def get_backoff_factor(self) -> float:
        return self._backoff_factor

    def set_backoff_factor(self, new_factor: float) -> None:
        self._backoff_factor = new_factor

    def get_growth_interval(self) -> int:
        return self._growth_interval

    def set_growth_interval(self, new_interval: int) -> None:
        self._growth_interval = new_interval

    def _get_growth_tracker(self) -> int:
        if self._enabled:
            return (self._init_growth_tracker if self._growth_tracker is None
                    else int(self._growth_tracker.item()))
        return 0

    def is_enabled(self) -> bool:
        return self._enabled

    def state_dict(self) -> dict[str, Any]:
        """scale, growth_factor, backoff_factor, growth_interval and _growth_tracker (an
        empty dict when disabled)."""
        if not self._enabled:
            return {}
        return {"scale": self.get_scale(), "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor, "growth_interval": self._growth_interval,
                "_growth_tracker": self._get_growth_tracker()}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError("The source state dict is empty, possibly because it was saved "
                               "from a disabled instance of GradScaler.")
        self._init_scale = state_dict["scale"]
        if self._scale is not None:
            self._scale.fill_(state_dict["scale"])
        self._growth_factor = state_dict["growth_factor"]
        self._backoff_factor = state_dict["backoff_factor"]
        self._growth_interval = state_dict["growth_interval"]
        self._init_growth_tracker = state_dict["_growth_tracker"]
        if self._growth_tracker is not None:
            self._growth_tracker.fill_(state_dict["_growth_tracker"])

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        if self._enabled:
            if len(self._per_optimizer_states) != 0:
                raise AssertionError("A GradScaler instance may only be pickled at the beginning "
                                     "of an iteration, or at the end after scaler.update().")
            # The tensors are rebuilt lazily after unpickling, from these plain numbers.
            state["_init_scale"] = self.get_scale()
            state["_init_growth_tracker"] = self._get_growth_tracker()
            state["_scale"] = None
            state["_growth_tracker"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def _check_inf_per_device(self, optimizer: Any) -> dict:
        scale, _ = self._check_scale_growth_tracker("_check_inf_per_device")
        dummy_inv_scale = _zero_d(1.0, _dtype.float32, scale.device)
        found_inf = _zero_d(0.0, _dtype.float32, scale.device)
        self._per_optimizer_states[id(optimizer)]["found_inf_per_device"] = (
            self._unscale_grads_(optimizer, dummy_inv_scale, found_inf, True))
        return self._per_optimizer_states[id(optimizer)]["found_inf_per_device"]

    def _found_inf_per_device(self, optimizer: Any) -> dict:
        return self._per_optimizer_states[id(optimizer)]["found_inf_per_device"]
