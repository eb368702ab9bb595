"""Custom differentiable functions: subclass ``Function`` with static forward/backward."""

from __future__ import annotations

from typing import Any

from .graph import Node
from .grad_mode import state

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

    @property
    def saved_tensors(self) -> tuple:
        return self.saved()

    def backward(self, *grads: Any) -> tuple:
        if getattr(self, "_materialize", True):
            from ..ops.creation import zeros
            grads = tuple(g if g is not None else zeros(s, dtype=d)
                          for g, (s, d) in zip(grads, self._out_meta))
        out = self._forward_cls.backward(self, *grads)
        out = out if isinstance(out, tuple) else (out,)
        n = len(self.next_functions)
        if len(out) < n:
            raise RuntimeError(f"function {self.name()} returned an incorrect number of "
                               f"gradients (expected {n}, got {len(out)})")
        return tuple(out[:n])


class _FunctionMeta(type):
    def __init__(cls, name: str, bases: tuple, attrs: dict) -> None:
        super().__init__(name, bases, attrs)
        cls._backward_cls = type(name + "Backward", (BackwardCFunction,),
                                 {"_forward_cls": cls, "__module__": cls.__module__})


class Function(metaclass=_FunctionMeta):
    """Base of user-defined autograd operations.

    Example:
        >>> class Square(Function):
        ...     @staticmethod
        ...     def forward(ctx, x):
        ...         ctx.save_for_backward(x)
        ...         return x * x
        ...     @staticmethod
        ...     def backward(ctx, grad):
        ...         (x,) = ctx.saved_tensors
        ...         return 2 * x * grad
    """

    @staticmethod
    def forward(ctx: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("You must implement the forward function for custom "
                                  "autograd.Function.")

    @staticmethod
    def backward(ctx: Any, *grads: Any) -> Any:
        raise NotImplementedError("You must implement either the backward or vjp method for "
                                  "your custom autograd.Function to use it with backward mode AD.")

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        from .._tensor import Tensor
        from ..ops._core import edge
        ctx = cls._backward_cls()
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
        prev = state.enabled
        state.enabled = False
        try:
            outputs = cls.forward(ctx, *args, **kwargs)
        finally:
            state.enabled = prev
        track = prev and any(ctx.needs_input_grad)
        single = not isinstance(outputs, tuple)
        outs = (outputs,) if single else outputs
        if track:
            tensor_args = [a if isinstance(a, Tensor) else None for a in args]
            ctx.next_functions = tuple(edge(a) for a in tensor_args)
            ctx.save(*getattr(ctx, "_to_save", ()))
            non_diff = getattr(ctx, "_non_diff", set())
            ctx.n_outputs = len(outs)
            ctx._out_meta = [(o.shape, o.dtype) if isinstance(o, Tensor) else ((), None)
                             for o in outs]
            for i, o in enumerate(outs):
                if isinstance(o, Tensor) and id(o) not in non_diff:
                    if o.grad_fn is None and o._requires_grad:
                        o = o.view_as(o)  # an input returned as is gets a fresh history
                    o.grad_fn, o._requires_grad, o._output_nr = ctx, True, i
        elif hasattr(ctx, "_to_save"):
            ctx.save(*ctx._to_save)
        return outputs


def once_differentiable(fn: Any) -> Any:
    return fn
