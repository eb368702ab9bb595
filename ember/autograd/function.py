"""Custom differentiable functions: subclass ``Function`` with static forward/backward.

>>> import ember
>>> class Cube(ember.autograd.Function):
...     @staticmethod
...     def forward(ctx, x):
...         ctx.save_for_backward(x)
...         return x ** 3
...     @staticmethod
...     def backward(ctx, grad):
...         (x,) = ctx.saved_tensors
...         return 3 * x ** 2 * grad
>>> x = ember.tensor([1.0, 2.0], requires_grad=True)
>>> y = Cube.apply(x)
>>> y.grad_fn.name()
'CubeBackward'
>>> y.sum().backward()
>>> x.grad
tensor([ 3., 12.])
"""

from __future__ import annotations

import functools
from typing import Any
from collections.abc import Callable

from .graph import Node
from .grad_mode import no_grad, state

__all__ = ["Function", "FunctionCtx", "once_differentiable"]


class FunctionCtx:
    """What ``forward`` may use to pass information to ``backward``."""

    def save_for_backward(self, *tensors: Any) -> None:
        self._to_save = tensors

    def mark_dirty(self, *tensors: Any) -> None:
        self._dirty = tensors

    def mark_non_differentiable(self, *tensors: Any) -> None:
        self._non_diff = {id(t) for t in tensors}

    def set_materialize_grads(self, value: bool) -> None:
        self._materialize = value


class BackwardCFunction(Node, FunctionCtx):
    """The node of a custom Function; it is also the ``ctx`` seen by forward and backward."""

    _forward_cls: type
    _materialize = True
    _arg_slots: tuple = ()      # for each forward argument, its edge index (None: not a tensor)
    _in_meta: tuple = ()        # (shape, dtype) per tensor input
    _out_meta: tuple = ()       # (shape, dtype) per output

    def __repr__(self) -> str:
        return f"<ember.autograd.function.{self.name()} object at {id(self):#x}>"

    @property
    def saved_tensors(self) -> tuple:
        return self.saved()

    def backward(self, *grads: Any) -> tuple:
        if self._materialize:
            from ..ops.creation import zeros
            grads = tuple(g if g is not None else zeros(s, dtype=d)
                          for g, (s, d) in zip(grads, self._out_meta))
        out = self._forward_cls._backward_fn()(self, *grads)
        out = out if isinstance(out, tuple) else (out,)
        n_args = len(self._arg_slots)
        if len(out) != n_args:
            if len(out) < n_args or any(g is not None for g in out[n_args:]):
                raise RuntimeError(f"function {self.name()} returned an incorrect number of "
                                   f"gradients (expected {n_args}, got {len(out)})")
        result = [None] * len(self.next_functions)
        for i, (slot, g) in enumerate(zip(self._arg_slots, out)):
            if g is None:
                continue
            if slot is None:
                raise RuntimeError(f"function {self.name()} returned a gradient different than "
                                   f"None at position {i + 1}, but the corresponding forward "
                                   "input was not a Variable")
            result[slot] = self._validate(slot, g)
        return tuple(result)

    def _validate(self, slot: int, grad: Any) -> Any:
        """Reduce a broadcast gradient to the input's shape and cast it to its dtype."""
        from .._tensor import Tensor
        if not isinstance(grad, Tensor):
            raise RuntimeError(f"expected Variable or None (got {type(grad).__name__})")
        shape, dtype = self._in_meta[slot]
        if grad._data.shape != shape:
            if not _expandable(shape, grad._data.shape):
                raise RuntimeError(
                    f"Function {self.name()} returned an invalid gradient at index {slot} - "
                    f"got {list(grad._data.shape)} but expected shape compatible with "
                    f"{list(shape)}")
            from ..ops._core import sum_to
            grad = sum_to(grad, shape)
        if grad.dtype != dtype:
            grad = grad.to(dtype)
        return grad


def _expandable(shape: tuple, target: tuple) -> bool:
    """Whether ``shape`` broadcasts to exactly ``target``."""
    if len(shape) > len(target):
        return False
    return all(s in (1, t) for s, t in zip(shape[::-1], target[::-1]))


class _FunctionMeta(type):
    def __init__(cls, name: str, bases: tuple, attrs: dict) -> None:
        super().__init__(name, bases, attrs)
        # The node classes live with BackwardCFunction, whatever module defines ``cls``.
        cls._backward_cls = type(name + "Backward", (BackwardCFunction,),
                                 {"_forward_cls": cls, "__module__": __name__})


class Function(metaclass=_FunctionMeta):
    """Base of user-defined autograd operations (see the module docstring for an example).

    ``forward(ctx, *args)`` computes outputs (gradients are not recorded inside it);
    ``backward(ctx, *grads)`` returns one gradient per forward argument (None for
    non-tensors). Alternatively ``forward(*args)`` plus ``setup_context(ctx, inputs,
    output)``, as in torch 2.
    """

    @staticmethod
    def forward(ctx: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("You must implement the forward function for custom "
                                  "autograd.Function.")

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple, output: Any) -> Any:
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx: Any, *grads: Any) -> Any:
        raise NotImplementedError("You must implement either the backward or vjp method for "
                                  "your custom autograd.Function to use it with backward mode AD.")

    vjp = backward

    @classmethod
    def _backward_fn(cls) -> Callable:
        """The user's gradient formula: ``backward`` or its alias ``vjp`` (not both)."""
        has_backward = cls.backward is not Function.backward
        has_vjp = cls.vjp is not Function.vjp
        if has_backward and has_vjp:
            raise RuntimeError("Implementing both 'backward' and 'vjp' for a custom Function is "
                               "not allowed. You should only implement one of them.")
        return cls.vjp if has_vjp else cls.backward

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        from .._tensor import Tensor
        ctx = cls._backward_cls()
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
        separate_setup = cls.setup_context is not Function.setup_context
        prev = state.enabled
        state.enabled = False
        try:
            if separate_setup:
                outputs = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, outputs)
            else:
                outputs = cls.forward(ctx, *args, **kwargs)
        finally:
            state.enabled = prev
        if not (prev and any(ctx.needs_input_grad)):
            return outputs
        single = not isinstance(outputs, tuple)
        outs = _connect(ctx, args, (outputs,) if single else outputs)
        return outs[0] if single else outs


def _connect(ctx: BackwardCFunction, args: tuple, outs: tuple) -> tuple:
    """Wire ``ctx`` into the graph as the producer of ``outs``; returns the outputs."""
    from .._tensor import Tensor
    from ..ops._core import edge
    slots, edges, meta = [], [], []
    for a in args:
        if isinstance(a, Tensor):
            slots.append(len(edges))
            edges.append(edge(a))
            meta.append((a._data.shape, a.dtype))
        else:
            slots.append(None)
    ctx.next_functions, ctx._arg_slots, ctx._in_meta = tuple(edges), tuple(slots), tuple(meta)
    ctx.n_outputs = len(outs)
    ctx._out_meta = tuple((o._data.shape, o.dtype) if isinstance(o, Tensor) else ((), None)
                          for o in outs)
    non_diff = getattr(ctx, "_non_diff", set())
    dirty = {id(t) for t in getattr(ctx, "_dirty", ())}
    _check_dirty(getattr(ctx, "_dirty", ()))
    inputs = {id(a) for a in args if isinstance(a, Tensor)}
    result = []
    for i, o in enumerate(outs):
        if isinstance(o, Tensor) and id(o) not in non_diff:
            if id(o) in inputs and id(o) not in dirty:
                o = _fresh_view(o)  # an input returned as is: a new tensor gets the history
            o.grad_fn, o._requires_grad, o._output_nr = ctx, True, i
        result.append(o)
    _save(ctx, result)
    return tuple(result)


def _check_dirty(dirty: tuple) -> None:
    """Tensors changed in place by forward: not allowed on leaves that require grad."""
    for t in dirty:
        base = t._base
        if base is not None and base.grad_fn is None and base._requires_grad:
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in "
                               "an in-place operation.")
        if t.grad_fn is None and t._requires_grad:
            raise RuntimeError("a leaf Variable that requires grad has been used in an "
                               "in-place operation.")


def _fresh_view(t: Any) -> Any:
    from ..ops.shape import make_view
    return make_view(t, t._data.view())


def _save(ctx: BackwardCFunction, outs: list) -> None:
    from .._tensor import Tensor
    to_save = getattr(ctx, "_to_save", None)
    if to_save is None:
        return
    for i, t in enumerate(to_save):
        if t is not None and not isinstance(t, Tensor):
            raise TypeError("save_for_backward can only save variables, but argument "
                            f"{i} is of type {type(t).__name__}")
    # Outputs are kept detached (no reference cycle); ``saved()`` re-attaches them to ctx.
    out_ids = {id(o) for o in outs}
    ctx.save(*(t.detach() if t is not None and id(t) in out_ids else t for t in to_save))


def once_differentiable(fn: Callable) -> Callable:
    """Run a custom ``backward`` without recording, for formulas with no double backward."""
    @functools.wraps(fn)
    def wrapper(ctx: Any, *grads: Any) -> Any:
        with no_grad():
            return fn(ctx, *grads)
    return wrapper
