"""Guard for ops whose backward runs NumPy kernels outside autograd.

Such a backward returns plain results with no history, so a graph of the gradient itself
(``create_graph=True``) would silently miss their second derivatives; refuse it instead.
"""

from __future__ import annotations

from typing import Any

from ._core import state

__all__ = ["refuse_double_backward"]


def refuse_double_backward(node: Any) -> None:
    """Raise when the backward of ``node`` runs with ``create_graph=True``."""
    if state.enabled:
        raise RuntimeError(f"double backward (create_graph=True) through {node.name()} is not "
                           "supported: its gradient is computed with NumPy kernels")
