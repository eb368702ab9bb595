"""Graph nodes: the ``grad_fn`` objects, saved tensors and leaf accumulators.

Each differentiable op defines one ``Node`` subclass named as PyTorch names it
(``MulBackward0``, ``AddmmBackward0``, ...) right beside its forward function. The node stores
what the backward formula needs and maps output gradients to input gradients, in Tensor
terms, so the same formula serves ``create_graph=True``.

>>> import ember
>>> x = ember.ones(3, requires_grad=True)
>>> y = (x * 2).sum()
>>> y.grad_fn.name(), y.grad_fn.next_functions[0][0].name()
('SumBackward0', 'MulBackward0')
"""

from __future__ import annotations

import re
import sys
import weakref
from typing import Any
from collections.abc import Callable

from .grad_mode import state

__all__ = ["Node", "AccumulateGrad", "RemovableHandle", "CopyBackwards"]

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
        self._store = weakref.ref(store)
        RemovableHandle._next_id += 1
        self.id = RemovableHandle._next_id

    def remove(self) -> None:
        store = self._store()
        if store is not None:
            store.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


class _Hooks(dict):
    """A hook table that handles can refer to weakly."""

    __slots__ = ("__weakref__",)


def _add_to(node: Node, attr: str, entry: Any) -> RemovableHandle:
    store = node.__dict__.get(attr)
    if store is None:
        store = _Hooks()
        setattr(node, attr, store)
    handle = RemovableHandle(store)
    store[handle.id] = entry
    return handle


class Node:
    """A backward function. ``next_functions`` holds one ``(node, output_nr)`` edge per input.

    Defaults live on the class so that creating a node (once per recorded op) only stores
    what differs; ``record`` sets ``next_functions``.
    """

    __slots__ = ("__dict__", "__weakref__")

    next_functions: tuple = ()
    n_outputs = 1
    _saved: tuple | None = None
    _versions: tuple = ()
    _freed = False
    _pre_hooks: dict | None = None      # node pre-hooks: fn(grad_outputs)
    _tensor_hooks: dict | None = None   # (output_nr, fn(grad)) from Tensor.register_hook
    _retain_hooks: dict | None = None   # output_nr -> fn(grad), run after the tensor hooks
    _hooks: dict | None = None          # post-hooks: fn(grad_inputs, grad_outputs)

    def name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{type(self).__name__} object at {id(self):#x}>"

    @property
    def metadata(self) -> dict:
        meta = self.__dict__.get("_metadata")
        if meta is None:
            meta = self._metadata = {}
        return meta

    # -- saved tensors -------------------------------------------------------------------
    def save(self, *tensors: Any) -> None:
        """Keep tensors for backward; their version is checked when they are unpacked."""
        self._saved = tensors
        self._versions = tuple(t._version[0] if t is not None else 0 for t in tensors)

    def saved(self) -> tuple:
        """The saved tensors, after checking that no in-place op changed them since."""
        saved = self._saved
        if saved is None:
            if self._freed:
                raise RuntimeError(FREED_MESSAGE)
            return ()
        for t, v in zip(saved, self._versions):
            if t is not None and t._version[0] != v:
                raise RuntimeError(_modified_message(t, v))
        if state.enabled:  # create_graph: own outputs must carry this node again
            return tuple(_reattach(t, self) for t in saved)
        return saved

    def release(self) -> None:
        """Drop saved tensors after backward (unless the graph is retained)."""
        if self._saved is not None:
            self._saved = None
            self._freed = True

    # -- backward ------------------------------------------------------------------------
    def backward(self, *grads: Any) -> tuple:
        raise NotImplementedError(f"{self.name()} does not implement backward")

    def __call__(self, *grads: Any) -> tuple:
        out = self.backward(*grads)
        return out if isinstance(out, tuple) else (out,)

    # -- hooks ---------------------------------------------------------------------------
    def register_hook(self, fn: Callable) -> RemovableHandle:
        """``fn(grad_inputs, grad_outputs)`` runs after this node; it may return new inputs."""
        return _add_to(self, "_hooks", fn)

    def register_prehook(self, fn: Callable) -> RemovableHandle:
        """``fn(grad_outputs)`` runs before this node; it may return new grad_outputs."""
        return _add_to(self, "_pre_hooks", fn)

    def _add_tensor_hook(self, output_nr: int, fn: Callable) -> RemovableHandle:
        return _add_to(self, "_tensor_hooks", (output_nr, _checked_hook(fn)))

    def _set_retain_hook(self, output_nr: int, fn: Callable) -> None:
        if self._retain_hooks is None:
            self._retain_hooks = {}
        self._retain_hooks[output_nr] = fn


def _checked_hook(fn: Callable) -> Callable:
    """``fn`` (a ``Tensor.register_hook`` hook), made to reject a replacement gradient of
    another type, shape or dtype: the graph relies on the gradient matching its tensor."""
    def hook(grad: Any) -> Any:
        new = fn(grad)
        if new is None:
            return None
        from .._tensor import Tensor
        if not isinstance(new, Tensor):
            raise TypeError(f"expected Variable, but hook returned '{type(new).__name__}'")
        name = getattr(fn, "__name__", type(fn).__name__)
        if new._data.shape != grad._data.shape:
            raise RuntimeError(f"hook '{name}' has changed the size of value")
        if new._data.dtype != grad._data.dtype:
            raise RuntimeError(f"hook '{name}' has changed the type of value (was "
                               f"ember.{grad.dtype._legacy} got ember.{new.dtype._legacy})")
        return new
    return hook


def _modified_message(t: Any, expected: int) -> str:
    dims = ", ".join(str(s) for s in t._data.shape)
    what = f"[ember.{t.dtype._legacy} [{dims}]]"
    if t.grad_fn is not None:
        origin = f", which is output {t._output_nr} of {_short_name(type(t.grad_fn))},"
    else:
        # A node's own output is saved detached; ``detach`` remembers its producer.
        producer = getattr(t, "_saved_output_of", None)
        node = producer[1]() if producer is not None else None
        origin = (f", which is output {producer[0]} of {_short_name(type(node))},"
                  if node is not None else "")
    return ("one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: {what}{origin} is at version {t._version[0]}; expected "
            f"version {expected} instead. Hint: enable anomaly detection to find the "
            "operation that failed to compute its gradient, with "
            "ember.autograd.set_detect_anomaly(True, check_nan=False).")


def _reattach(t: Any, node: Node) -> Any:
    """A node saves its own output detached (no reference cycle). For a differentiable
    backward, give that output its producer back, as torch's saved variables do."""
    if t is None or t.grad_fn is not None:
        return t
    origin = getattr(t, "_saved_output_of", None)
    if origin is None or origin[1]() is not node:
        return t
    from .._tensor import tensor_from_array
    out = tensor_from_array(t._data)
    out._version = t._version
    out.grad_fn, out._requires_grad, out._output_nr = node, True, origin[0]
    return out


def _short_name(cls: type) -> str:
    # torch names the producer without its "Backward<n>" suffix: "output 0 of Exp".
    name = cls.__name__
    if name in ("CopySlices", "AccumulateGrad"):
        return "torch::autograd::" + name
    return re.sub(r"Backward\d*$", "", name)


def _calibrate_unique_refs() -> int:
    """References ``sys.getrefcount`` reports for an object held by one caller's local only.

    Measured rather than assumed, since the interpreter's own count differs across versions.
    """
    def probe(obj: Any) -> int:
        return sys.getrefcount(obj)

    def caller() -> int:
        obj = object()
        return probe(obj)
    return caller()


def _calibrate_slot_refs() -> int:
    """References reported for an array held only by one object's slot (a Tensor's ``_data``)."""
    class Holder:
        __slots__ = ("value",)

    def probe(h: Any) -> int:
        return sys.getrefcount(h.value)
    h = Holder()
    h.value = object()
    return probe(h)


_UNIQUE_REFS = _calibrate_unique_refs()
_SLOT_REFS = _calibrate_slot_refs()


class AccumulateGrad(Node):
    """The sink of a leaf tensor: adds the incoming gradient into ``tensor.grad``."""

    __slots__ = ("_variable", "_post_hooks")

    def __init__(self, tensor: Any) -> None:
        self._variable = weakref.ref(tensor)
        self._post_hooks = None

    def _add_post_accumulate_hook(self, fn: Callable) -> RemovableHandle:
        if self._post_hooks is None:
            self._post_hooks = _Hooks()
        handle = RemovableHandle(self._post_hooks)
        self._post_hooks[handle.id] = fn
        return handle

    @property
    def variable(self) -> Any:
        return self._variable()

    def name(self) -> str:
        return "AccumulateGrad"

    def backward(self, grad: Any) -> tuple:
        self.accumulate(grad)
        return ()

    def accumulate(self, grad: Any) -> None:
        """Store or add ``grad`` (the engine passes it holding no other reference)."""
        t = self._variable()
        if t is None or grad is None:
            return
        if grad._data.dtype != t._data.dtype:
            grad = grad.to(t.dtype)
        old = t.grad
        if old is None:
            t.grad = _first_grad(grad)
        elif state.enabled:
            t.grad = old + grad
        elif old._data.flags.writeable and old._data.shape == grad._data.shape:
            old._data += grad._data
            old._version[0] += 1
        else:
            t.grad = old + grad
        if self._post_hooks:
            for hook in list(self._post_hooks.values()):
                hook(t)


def _first_grad(grad: Any) -> Any:
    """The tensor to store as a leaf's first ``.grad``: ``grad`` itself when nobody else can
    see its memory (so later in-place accumulation is safe), else a private copy."""
    if state.enabled:  # create_graph: keep the gradient's history, as a copy
        return _copy_with_graph(grad)
    # References to the tensor: this frame's, the caller's (the engine drops its own) and
    # getrefcount's argument; to the array: the tensor's slot and the argument. Any more
    # means another buffer or user code can see the memory.
    unique = (sys.getrefcount(grad) <= _UNIQUE_REFS + 1
              and sys.getrefcount(grad._data) <= _SLOT_REFS)
    arr = grad._data
    if unique and arr.base is None and arr.flags.writeable and arr.flags.c_contiguous:
        return grad.detach()
    from .._tensor import tensor_from_array
    return tensor_from_array(arr.copy())


class CopyBackwards(Node):
    """A leaf's first gradient under ``create_graph``: a copy that keeps the graph."""

    def backward(self, grad: Any) -> tuple:
        return None, grad


def _copy_with_graph(grad: Any) -> Any:
    from .._tensor import tensor_from_array
    out = tensor_from_array(grad._data.copy())
    if grad._requires_grad:
        from ..ops._core import edge
        node = CopyBackwards()
        node.next_functions = ((None, 0), edge(grad))
        out.grad_fn, out._requires_grad = node, True
    return out


class NotDifferentiable(Node):
    """The node of an op torch defines no derivative for (``what`` names it in the error):
    reaching it in backward raises."""

    what = ""

    def backward(self, *grads: Any) -> tuple:
        raise NotImplementedError(f"the derivative for '{self.what}' is not implemented.")
