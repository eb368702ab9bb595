"""Numerical gradient checking by central differences (use float64 inputs)."""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

__all__ = ["gradcheck", "numerical_jacobian", "analytical_jacobian"]


def _outputs(fn: Callable, inputs: Sequence[Any]) -> list:
    out = fn(*inputs)
    return list(out) if isinstance(out, (tuple, list)) else [out]


def numerical_jacobian(fn: Callable, inputs: Sequence[Any], eps: float = 1e-6) -> list:
    """d(flattened outputs)/d(each differentiable input), by central differences."""
    from .grad_mode import no_grad
    jacs = []
    with no_grad():
        for t in inputs:
            if not getattr(t, "requires_grad", False):
                continue
            flat = t._data.reshape(-1) if t._data.flags.c_contiguous else None
            if flat is None:
                raise ValueError("gradcheck needs contiguous inputs")
            cols = []
            for i in range(flat.size):
                orig = flat[i]
                flat[i] = orig + eps
                plus = np.concatenate([o._data.reshape(-1) for o in _outputs(fn, inputs)])
                flat[i] = orig - eps
                minus = np.concatenate([o._data.reshape(-1) for o in _outputs(fn, inputs)])
                flat[i] = orig
                cols.append((plus - minus) / (2 * eps))
            jacs.append(np.stack(cols, axis=1) if cols else np.zeros((0, 0)))
    return jacs


def analytical_jacobian(fn: Callable, inputs: Sequence[Any]) -> list:
    from . import grad
    from ..ops.creation import zeros_like
    diff = [t for t in inputs if getattr(t, "requires_grad", False)]
    outs = [o for o in _outputs(fn, inputs)]
    rows: list[list] = [[] for _ in diff]
    for o in outs:
        for j in range(o.numel()):
            go = zeros_like(o)
            go._data.reshape(-1)[j] = 1
            if not o.requires_grad:
                gs = [None] * len(diff)
            else:
                gs = grad(o, diff, go, retain_graph=True, allow_unused=True)
            for k, (g, t) in enumerate(zip(gs, diff)):
                rows[k].append(np.zeros(t.numel()) if g is None else
                               g._data.reshape(-1).astype(np.float64))
    return [np.stack(r, axis=0) if r else np.zeros((0, t.numel())) for r, t in zip(rows, diff)]


def gradcheck(fn: Callable, inputs: Any, *, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True, **_: Any) -> bool:
    """Compare analytical gradients with central differences; raise on mismatch."""
    inputs = inputs if isinstance(inputs, (tuple, list)) else (inputs,)
    num = numerical_jacobian(fn, inputs, eps)
    ana = analytical_jacobian(fn, inputs)
    for i, (n, a) in enumerate(zip(num, ana)):
        if n.shape != a.shape or not np.allclose(a, n, atol=atol, rtol=rtol):
            if raise_exception:
                raise RuntimeError(f"Jacobian mismatch for output 0 with respect to input {i},\n"
                                   f"numerical:{n}\nanalytical:{a}\n")
            return False
    return True
