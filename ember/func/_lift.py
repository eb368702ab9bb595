"""Plumbing shared by the derivative transforms: picking the differentiated arguments,
giving the function private copies of them, and handing results back.

A transform traces ``func`` on *lifted* inputs: fresh leaves that require grad, or, when the
caller's tensor is itself being differentiated by an enclosing transform (or by ordinary
autograd), a view of it, so that the result stays differentiable in that outer tensor.
Derivatives are always taken with ``create_graph=True`` for the same reason. A result is
then *lowered*: it keeps its graph only if that graph reaches a tensor from outside the
transform; otherwise it is detached, so nothing of the transform's internals leaks out.
"""

from __future__ import annotations

from typing import Any

from ..autograd.graph import AccumulateGrad
from ._pytree import tree_flatten, tree_unflatten

__all__ = ["check_argnums", "lift_args", "lower", "lower_tree", "require_tensor_leaves",
           "split_aux", "Lifted", "tensor_type"]


def tensor_type() -> type:
    from .._tensor import Tensor
    return Tensor


def check_argnums(argnums: Any, num_args: int) -> tuple[int, ...]:
    """``argnums`` (an int or a tuple of ints) as non-negative positions in ``args``."""
    if isinstance(argnums, tuple):
        if not argnums:
            raise RuntimeError("argnums must be non-empty")
        for a in argnums:
            if not isinstance(a, int) or isinstance(a, bool):
                raise RuntimeError(f"argnum must be int, got: {type(a)}")
        wrapped = tuple(_wrap_argnum(a, num_args) for a in argnums)
        if len(set(wrapped)) != len(wrapped):
            raise RuntimeError(f"argnums elements must be unique, got {wrapped}")
        return wrapped
    if not isinstance(argnums, int) or isinstance(argnums, bool):
        raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
    return (_wrap_argnum(argnums, num_args),)


def _wrap_argnum(argnum: int, num_args: int) -> int:
    if not -num_args <= argnum < num_args:
        raise RuntimeError(f"Got argnum={argnum}, but only {num_args} positional inputs")
    return argnum + num_args if argnum < 0 else argnum


def _lift_tensor(t: Any) -> Any:
    """The private input a transform traces ``func`` on, standing for ``t``."""
    if t.requires_grad:
        return t.view_as(t)  # keeps ``t``'s history: the result differentiates through it
    return t.detach().requires_grad_()


class Lifted:
    """The lifted form of some arguments: their leaves (flat) and how to nest them back."""

    def __init__(self, args: tuple, positions: tuple[int, ...]) -> None:
        Tensor = tensor_type()
        self.args = list(args)
        self.specs, self.leaves = [], []
        for pos in positions:
            leaves, spec = tree_flatten(args[pos])
            for leaf in leaves:
                if not isinstance(leaf, Tensor):
                    raise ValueError(f"Thing passed to transform API must be Tensor, got "
                                     f"{type(leaf)}")
            lifted = [_lift_tensor(t) for t in leaves]
            self.args[pos] = tree_unflatten(lifted, spec)
            self.specs.append(spec)
            self.leaves.extend(lifted)
        self.internal = {id(t) for t in self.leaves}

    def nest(self, flat: list, single: bool) -> Any:
        """``flat`` (one value per leaf) laid out as the differentiated arguments were."""
        groups, start = [], 0
        for spec in self.specs:
            groups.append(tree_unflatten(flat[start:start + spec.num_leaves], spec))
            start += spec.num_leaves
        return groups[0] if single else tuple(groups)


def lift_args(args: tuple, argnums: Any) -> tuple[Lifted, bool]:
    """Lift ``args[argnums]``; also whether ``argnums`` was a single int."""
    positions = check_argnums(argnums, len(args))
    return Lifted(args, positions), not isinstance(argnums, tuple)


def _reaches_outside(t: Any, internal: set) -> bool:
    """Whether ``t``'s graph leads to a leaf tensor other than the transform's own."""
    stack, seen = [t.grad_fn], set()
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        if type(node) is AccumulateGrad:
            var = node.variable
            if var is not None and id(var) not in internal:
                return True
            continue
        stack.extend(n for n, _ in node.next_functions)
    return False


def lower(t: Any, internal: set, keep_graph: bool) -> Any:
    """A result handed back to the caller (see the module docstring)."""
    if not isinstance(t, tensor_type()) or not t.requires_grad:
        return t
    if keep_graph and (t.grad_fn is None and id(t) not in internal
                       or t.grad_fn is not None and _reaches_outside(t, internal)):
        return t
    return t.detach()


def lower_tree(tree: Any, internal: set, keep_graph: bool) -> Any:
    leaves, spec = tree_flatten(tree)
    return tree_unflatten([lower(t, internal, keep_graph) for t in leaves], spec)


def require_tensor_leaves(tree: Any, prefix: str = "") -> list:
    """The leaves of ``tree``, which must all be tensors."""
    Tensor = tensor_type()
    leaves, _ = tree_flatten(tree)
    for leaf in leaves:
        if not isinstance(leaf, Tensor):
            what = f"{prefix}expected f(*primals) to return only tensors, got unsupported type" \
                if prefix else "Expected tensors, got unsupported type"
            raise RuntimeError(f"{what} {type(leaf)}")
    return leaves


def split_aux(out: Any, has_aux: bool, prefix: str) -> tuple[Any, Any]:
    """``(output, aux)`` of a function's result (aux None unless ``has_aux``)."""
    if not has_aux:
        return out, None
    if not (isinstance(out, tuple) and len(out) == 2):
        raise RuntimeError(f"{prefix}: output of function f should be a tuple: (output, aux) "
                           "if has_aux is True")
    require_tensor_leaves(out[1])
    return out
