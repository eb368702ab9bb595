"""Graph nodes: the ``grad_fn`` objects, saved tensors and leaf accumulators.

Each differentiable op defines one ``Node`` subclass named as PyTorch names it
(``MulBackward0``, ``AddmmBackward0``, ...) right beside its forward function. The node stores
what the backward formula needs and maps output gradients to input gradients, in Tensor
terms, so the same formula serves ``create_graph=True``.
"""

from __future__ import annotations

import sys
import weakref
from typing import Any, Callable

from .grad_mode import state

__all__ = ["Node", "AccumulateGrad", "RemovableHandle"]

FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward.")


class RemovableHandle:
    """Returned by hook registrations; ``remove()`` unregisters the hook."""

    _next_id = 0
    __slots__ = ("_store", "id")

    def __init__(self, store: dict) -> None:
        self._store = weakref.ref(store) if store is not None else None
        RemovableHandle._next_id += 1
        self.id = RemovableHandle._next_id

    def remove(self) -> None:
        store = self._store() if self._store is not None else None
        if store is not None:
            store.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


class Node:
    """A backward function. ``next_functions`` holds one ``(node, output_nr)`` edge per input."""

    __slots__ = ("next_functions", "_saved", "_versions", "_freed", "_pre_hooks",
                 "_hooks", "n_outputs", "_out_meta", "__weakref__", "__dict__")

    def __init__(self) -> None:
        self.next_functions: tuple = ()
        self._saved: tuple | None = None
        self._freed = False
        self._pre_hooks: dict | None = None
        self._hooks: dict | None = None
        self.n_outputs = 1

    def name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{type(self).__name__} object at {id(self):#x}>"

    # -- saved tensors -------------------------------------------------------------------
    def save(self, *tensors: Any) -> None:
        """Keep tensors for backward; their version is checked when they are unpacked."""
        self._saved = tensors
        self._versions = tuple(t._version[0] if t is not None else 0 for t in tensors)

    def saved(self) -> tuple:
        if self._freed:
            raise RuntimeError(FREED_MESSAGE)
        for t, v in zip(self._saved, self._versions):
            if t is not None and t._version[0] != v:
                raise RuntimeError(_modified_message(t, v))
        return self._saved

    def release(self) -> None:
        """Drop saved tensors after backward (unless the graph is retained)."""
        if self._saved is not None:
            self._saved = None
            self._freed = True
        self._release_extra()

    def _release_extra(self) -> None:
        """Subclasses that keep arrays outside ``save`` drop them here."""

    # -- backward ------------------------------------------------------------------------
    def backward(self, *grads: Any) -> tuple:
        raise NotImplementedError(f"{self.name()} does not implement backward")

    def __call__(self, *grads: Any) -> tuple:
        out = self.backward(*grads)
        return out if isinstance(out, tuple) else (out,)

    # -- hooks ---------------------------------------------------------------------------
    def register_hook(self, fn: Callable) -> RemovableHandle:
        """``fn(grad_inputs, grad_outputs)`` runs after this node; it may return new inputs."""
        if self._hooks is None:
            self._hooks = {}
        handle = RemovableHandle(self._hooks)
        self._hooks[handle.id] = fn
        return handle

    def register_prehook(self, fn: Callable) -> RemovableHandle:
        """``fn(grad_outputs)`` runs before this node; it may return new grad_outputs."""
        return self._add_pre_hook(("node", fn))

    def _add_pre_hook(self, entry: tuple) -> RemovableHandle:
        if self._pre_hooks is None:
            self._pre_hooks = {}
        handle = RemovableHandle(self._pre_hooks)
        self._pre_hooks[handle.id] = entry
        return handle


def _modified_message(t: Any, expected: int) -> str:
    dims = ", ".join(str(s) for s in t.shape)
    what = f"[torch.{t.dtype._legacy} [{dims}]]"
    fn = t.grad_fn
    origin = f", which is output {t._output_nr} of {fn.name()}," if fn is not None else ""
    return ("one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: {what}{origin} is at version {t._version[0]}; expected "
            f"version {expected} instead. Hint: enable anomaly detection to find the operation "
            "that failed to compute its gradient, with torch.autograd.set_detect_anomaly(True).")


# References to a gradient array that only its Tensor holds: the Tensor's slot and
# getrefcount's own argument.
_UNSHARED_REFS = 2


class AccumulateGrad(Node):
    """The sink of a leaf tensor: adds the incoming gradient into ``tensor.grad``."""

    __slots__ = ("_variable",)

    def __init__(self, tensor: Any) -> None:
        super().__init__()
        self._variable = weakref.ref(tensor)

    @property
    def variable(self) -> Any:
        return self._variable()

    def backward(self, grad: Any) -> tuple:
        t = self._variable()
        if t is None or grad is None:
            return ()
        if t.grad is None:
            if state.enabled:
                t.grad = grad
            elif sys.getrefcount(grad._data) <= _UNSHARED_REFS:
                # Nobody else holds this array: adopt it instead of copying.
                t.grad = grad.detach()
            else:
                # Keep our own copy, so that a later in-place accumulation never writes
                # into a buffer that another tensor still uses.
                t.grad = grad.detach().clone()
        elif state.enabled:
            t.grad = t.grad + grad
        else:
            t.grad._data += grad._data
        return ()
