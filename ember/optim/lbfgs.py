"""L-BFGS: a quasi-Newton method that builds its search directions from the last few steps
and gradient changes; each ``step(closure)`` runs several iterations, re-evaluating the loss
through the closure.

>>> import ember
>>> w = ember.tensor([3.0, -1.0], requires_grad=True)
>>> opt = ember.optim.LBFGS([w], line_search_fn="strong_wolfe")
>>> def closure():
...     opt.zero_grad()
...     loss = ((w - 1.0) ** 2).sum()
...     loss.backward()
...     return loss
>>> _ = opt.step(closure)
>>> w
tensor([1., 1.], requires_grad=True)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._tensor import Tensor, tensor_from_array
from ..autograd.grad_mode import enable_grad, no_grad
from ._extra_common import check_lr
from ._functional import _add_scaled_
from ._line_search import strong_wolfe
from .optimizer import Optimizer, ParamsT, Scratch, real_view

__all__ = ["LBFGS"]

# What an L-BFGS step keeps between calls, besides the evaluation and iteration counts.
_MEMORY_KEYS = ("d", "t", "old_dirs", "old_stps", "ro", "H_diag", "prev_flat_grad",
                "prev_loss")


class LBFGS(Optimizer):
    """L-BFGS (after minFunc). ``step(closure)`` runs up to ``max_iter`` iterations and
    ``max_eval`` loss evaluations (default ``max_iter * 5 // 4``), stopping early when the
    largest gradient entry is at most ``tolerance_grad`` or when the step or the change of
    loss falls below ``tolerance_change``. The last ``history_size`` step/gradient-change
    pairs shape the direction. The step length is ``lr`` (the very first one is scaled down
    by the gradient's 1-norm), or, with ``line_search_fn="strong_wolfe"``, found by a line
    search.

    Only one parameter group is allowed; the state lives under the first parameter.
    """

    def __init__(self, params: ParamsT, lr: float | Tensor = 1, max_iter: int = 20,
                 max_eval: int | None = None, tolerance_grad: float = 1e-7,
                 tolerance_change: float = 1e-9, history_size: int = 100,
                 line_search_fn: str | None = None) -> None:
        check_lr(lr)
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = {"lr": lr, "max_iter": max_iter, "max_eval": max_eval,
                    "tolerance_grad": tolerance_grad, "tolerance_change": tolerance_change,
                    "history_size": history_size, "line_search_fn": line_search_fn}
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")

    @property
    def _params(self) -> list[Tensor]:
        return self.param_groups[0]["params"]

    # -- flat views of the parameters and gradients -----------------------------------------
    def _gather_flat_grad(self) -> Any:
        """All gradients as one new flat array (zeros for parameters without one)."""
        pieces = [np.zeros(_real_size(p), dtype=real_view(p._data).dtype) if p.grad is None
                  else real_view(p.grad._data).reshape(-1) for p in self._params]
        return np.concatenate(pieces)

    def _add_grad(self, step_size: Any, direction: Any) -> None:
        """``p += step_size * direction`` over the parameters laid end to end."""
        offset = 0
        for p in self._params:
            view = real_view(p._data)
            _add_scaled_(view, float(step_size), direction[offset:offset + view.size]
                         .reshape(view.shape), scratch=self._scratch)
            p._version[0] += 1
            offset += view.size

    def _set_params(self, arrays: list) -> None:
        for p, arr in zip(self._params, arrays):
            np.copyto(p._data, arr)
            p._version[0] += 1

    def _evaluate_at(self, closure: Callable, start: list, step_size: Any,
                     direction: Any) -> tuple[float, Any]:
        """Loss and flat gradient at ``start + step_size * direction``; the parameters are
        put back to ``start`` afterwards."""
        self._add_grad(step_size, direction)
        loss = float(closure())
        flat_grad = self._gather_flat_grad()
        self._set_params(start)
        return loss, flat_grad

    # -- the step ----------------------------------------------------------------------------
    def step(self, closure: Callable[[], Any]) -> Any:  # type: ignore[override]
        """Run the L-BFGS iterations; ``closure`` clears the gradients, computes the loss,
        back-propagates it and returns it. Returns the loss of the first evaluation."""
        closure = enable_grad()(closure)
        with no_grad():
            return self._iterate(closure)

    def _iterate(self, closure: Callable) -> Any:
        group = self.param_groups[0]
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        orig_loss = closure()
        loss = float(orig_loss)
        state["func_evals"] += 1
        flat_grad = self._gather_flat_grad()
        if np.abs(flat_grad).max() <= group["tolerance_grad"]:
            return orig_loss
        memory = {key: _to_arrays(state.get(key)) for key in _MEMORY_KEYS}
        _Run(self, closure, group, state, memory).loop(loss, flat_grad)
        for key in _MEMORY_KEYS:
            state[key] = _to_tensors(memory[key])
        if "al" in state:
            state["al"] = _to_tensors(state["al"])
        return orig_loss


class _Run:
    """The iterations of one ``LBFGS.step``, sharing the options, state and memory."""

    def __init__(self, optimizer: LBFGS, closure: Callable, group: dict[str, Any],
                 state: dict[str, Any], memory: dict[str, Any]) -> None:
        self.opt, self.closure, self.group = optimizer, closure, group
        self.state, self.mem = state, memory
        lr = group["lr"]
        self.lr = lr.item() if isinstance(lr, Tensor) else lr

    def loop(self, loss: float, flat_grad: Any) -> None:
        group, state, mem = self.group, self.state, self.mem
        evals, n_iter = 1, 0
        while n_iter < group["max_iter"]:
            n_iter += 1
            state["n_iter"] += 1
            self._new_direction(flat_grad)
            if mem["prev_flat_grad"] is None:
                mem["prev_flat_grad"] = flat_grad.copy()
            else:
                np.copyto(mem["prev_flat_grad"], flat_grad)
            mem["prev_loss"] = loss
            # The first step is scaled down by the gradient's size, as nothing yet tells
            # how far to go.
            if state["n_iter"] == 1:
                mem["t"] = min(1.0, 1.0 / np.abs(flat_grad).sum()) * self.lr
            else:
                mem["t"] = self.lr
            gtd = flat_grad.dot(mem["d"])
            if gtd > -group["tolerance_change"]:
                break  # not a descent direction
            loss, flat_grad, used, opt_cond = self._move(loss, flat_grad, gtd, evals,
                                                         n_iter != group["max_iter"])
            evals += used
            state["func_evals"] += used
            if self._should_stop(n_iter, evals, opt_cond, loss):
                break

    def _should_stop(self, n_iter: int, evals: int, opt_cond: Any, loss: float) -> bool:
        group, mem = self.group, self.mem
        return bool(n_iter == group["max_iter"] or evals >= group["max_eval"] or opt_cond
                    or np.abs(mem["d"] * mem["t"]).max() <= group["tolerance_change"]
                    or abs(loss - mem["prev_loss"]) < group["tolerance_change"])

    def _new_direction(self, flat_grad: Any) -> None:
        """Steepest descent at the very first iteration, else the two-loop recursion over
        the remembered pairs (after remembering the latest one if it keeps the curvature
        positive)."""
        mem = self.mem
        if self.state["n_iter"] == 1:
            mem["d"] = np.negative(flat_grad)
            mem["old_dirs"], mem["old_stps"], mem["ro"], mem["H_diag"] = [], [], [], 1
            return
        y = flat_grad - mem["prev_flat_grad"]
        s = mem["d"] * mem["t"]
        ys = y.dot(s)
        if ys > 1e-10:
            if len(mem["old_dirs"]) == self.group["history_size"]:
                for key in ("old_dirs", "old_stps", "ro"):
                    mem[key].pop(0)
            mem["old_dirs"].append(y)
            mem["old_stps"].append(s)
            mem["ro"].append(1.0 / ys)
            mem["H_diag"] = ys / y.dot(y)
        if "al" not in self.state:
            self.state["al"] = [None] * self.group["history_size"]
        mem["d"] = _two_loop(flat_grad, mem["old_dirs"], mem["old_stps"], mem["ro"],
                             mem["H_diag"], self.state["al"], self.opt._scratch)

    def _move(self, loss: float, flat_grad: Any, gtd: Any, evals: int,
              evaluate_after: bool) -> tuple[float, Any, int, Any]:
        """Step along the direction; returns the new loss and gradient, the evaluations
        used and whether the gradient is now small enough to stop."""
        group, mem, opt = self.group, self.mem, self.opt
        tol = group["tolerance_grad"]
        if group["line_search_fn"] is not None:
            if group["line_search_fn"] != "strong_wolfe":
                raise RuntimeError("only 'strong_wolfe' is supported")
            start = [p._data.copy() for p in opt._params]
            loss, flat_grad, mem["t"], used = strong_wolfe(
                lambda t: opt._evaluate_at(self.closure, start, t, mem["d"]), mem["d"], loss,
                flat_grad, gtd, mem["t"], max_ls=group["max_eval"] - evals)
            opt._add_grad(mem["t"], mem["d"])
            return loss, flat_grad, used, np.abs(flat_grad).max() <= tol
        opt._add_grad(mem["t"], mem["d"])
        if not evaluate_after:  # the last iteration: the caller re-evaluates anyway
            return loss, flat_grad, 0, False
        with enable_grad():
            loss = float(self.closure())
        flat_grad = opt._gather_flat_grad()
        return loss, flat_grad, 1, np.abs(flat_grad).max() <= tol


def _two_loop(flat_grad: Any, old_dirs: list, old_stps: list, ro: list, h_diag: Any,
              al: list, scratch: Scratch) -> Any:
    """The L-BFGS direction ``-H g``, with ``H`` the inverse-Hessian estimate built from the
    remembered pairs on top of the scaled identity ``h_diag``. ``al`` receives the
    coefficients of the first loop (it is kept in the state)."""
    q = np.negative(flat_grad)
    for i in range(len(old_dirs) - 1, -1, -1):
        al[i] = old_stps[i].dot(q) * ro[i]
        _add_scaled_(q, float(-al[i]), old_dirs[i], scratch=scratch)
    r = q * h_diag
    for i in range(len(old_dirs)):
        be_i = old_dirs[i].dot(r) * ro[i]
        _add_scaled_(r, float(al[i] - be_i), old_stps[i], scratch=scratch)
    return r


def _real_size(p: Tensor) -> int:
    return p.numel() * (2 if p.is_complex() else 1)


def _to_arrays(value: Any) -> Any:
    """State values as the step works on them: tensors as arrays (0-d ones as NumPy scalars,
    which keep their dtype in arithmetic with Python numbers), lists element-wise."""
    if isinstance(value, Tensor):
        return value._data[()] if value.dim() == 0 else value._data
    if isinstance(value, list):
        return [_to_arrays(v) for v in value]
    return value


def _to_tensors(value: Any) -> Any:
    """The inverse of ``_to_arrays``: arrays and NumPy scalars back to tensors."""
    if isinstance(value, (np.ndarray, np.generic)):
        return tensor_from_array(np.asarray(value))
    if isinstance(value, list):
        return [_to_tensors(v) for v in value]
    return value
