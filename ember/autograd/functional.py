"""Derivatives of whole functions: ``vjp``, ``jacobian`` and ``hessian``.

Each calls the function on fresh copies of the inputs that require grad, then runs reverse
mode once per output element (ember has no vectorizing map).

>>> import ember
>>> from ember.autograd.functional import jacobian, hessian
>>> jacobian(lambda x: x ** 2, ember.tensor([1.0, 2.0]))
tensor([[2., 0.],
        [0., 4.]])
>>> hessian(lambda x: (x ** 3).sum(), ember.tensor([1.0, 2.0]))
tensor([[ 6.,  0.],
        [ 0., 12.]])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["vjp", "jacobian", "hessian"]


def _as_tuple(value: Any, what: str, fn_name: str) -> tuple[bool, tuple]:
    """``(was_tuple, values)`` after checking every value is a Tensor; ``what`` is
    "inputs" or "outputs" (the function's)."""
    from .._tensor import Tensor
    was_tuple = isinstance(value, tuple)
    values = value if was_tuple else (value,)
    for i, v in enumerate(values):
        if isinstance(v, Tensor):
            continue
        if what == "inputs":
            subject, given = f"The inputs given to {fn_name}", "the given inputs"
        else:
            subject = f"The outputs of the user-provided function given to {fn_name}"
            given = "the given outputs of the user-provided function"
        where = f"the value at index {i}" if was_tuple else given
        raise TypeError(f"{subject} must be either a Tensor or a tuple of Tensors but {where} "
                        f"has type {type(v)}.")
    return was_tuple, values


def _prepare(inputs: tuple, create_graph: bool) -> tuple:
    """Inputs the function is traced on: differentiable, and cut from any outer graph
    unless ``create_graph`` keeps the result differentiable in them."""
    return tuple(t.view_as(t) if create_graph and t.requires_grad else
                 t.detach().requires_grad_() for t in inputs)


def _strict_check(outputs: tuple) -> None:
    for i, out in enumerate(outputs):
        if not out.requires_grad:
            raise RuntimeError(f"Output {i} of the user-provided function does not require "
                               "gradients. The outputs must be computed in a differentiable "
                               "manner from the input when running in strict mode.")


def _rows(out: Any, inputs: tuple, create_graph: bool) -> list:
    """For each input, the Jacobian of one output, shaped ``out.shape + input.shape``."""
    from . import grad
    from ..ops.creation import zeros, zeros_like
    from ..ops.shape import stack
    per_input: list[list] = [[] for _ in inputs]
    flat = out.reshape(-1)
    for j in range(flat.numel()):
        if flat.requires_grad:
            gs = grad(flat[j], inputs, retain_graph=True, create_graph=create_graph,
                      allow_unused=True)
        else:
            gs = (None,) * len(inputs)
        for k, (g, t) in enumerate(zip(gs, inputs)):
            per_input[k].append(zeros_like(t) if g is None else g)
    return [stack(rows).reshape(tuple(out.shape) + tuple(t.shape)) if rows else
            zeros(tuple(out.shape) + tuple(t.shape), dtype=t.dtype)
            for rows, t in zip(per_input, inputs)]


def jacobian(func: Callable, inputs: Any, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode") -> Any:
    """The Jacobian of ``func`` at ``inputs``: for output ``o`` and input ``x``, a tensor of
    shape ``o.shape + x.shape``; nested in tuples as ``func``'s outputs and ``inputs`` are."""
    if strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode". '
                             'Hint: If your function has more outputs than inputs, '
                             '"forward-mode" tends to be more performant. Otherwise, prefer to '
                             'use "reverse-mode".')
    if strategy == "forward-mode":
        raise NotImplementedError("Computing Jacobian using forward-AD or forward-over-reverse "
                                  "Hessian isonly implemented for `vectorize=True`.")
    in_tuple, ins = _as_tuple(inputs, "inputs", "jacobian")
    from .grad_mode import enable_grad
    with enable_grad():
        ins = _prepare(ins, create_graph)
        out_tuple, outs = _as_tuple(func(*ins), "outputs", "jacobian")
        if strict:
            _strict_check(outs)
        jac = [tuple(r if create_graph else r.detach() for r in _rows(o, ins, create_graph))
               for o in outs]
    per_out = [j if in_tuple else j[0] for j in jac]
    return tuple(per_out) if out_tuple else per_out[0]


def hessian(func: Callable, inputs: Any, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode") -> Any:
    """The matrix of second derivatives of ``func`` (a one-element output) at ``inputs``."""
    in_tuple, ins = _as_tuple(inputs, "inputs", "hessian")

    def first_derivatives(*args: Any) -> tuple:
        from .._tensor import Tensor
        out = func(*args)
        if not isinstance(out, Tensor):
            raise RuntimeError("The function given to hessian should return a single Tensor")
        if out.numel() != 1:
            raise RuntimeError("The Tensor returned by the function given to hessian should "
                               "contain a single element")
        if strict:
            _strict_check((out,))
        return tuple(_rows(out.reshape(()), args, create_graph=True))

    hess = jacobian(first_derivatives, ins, create_graph=create_graph, strict=strict,
                    strategy=outer_jacobian_strategy)
    return hess if in_tuple else hess[0][0]


def vjp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """``(func(inputs), v^T J)``: the outputs and the vector-Jacobian product at ``inputs``."""
    from . import grad
    from .grad_mode import enable_grad
    in_tuple, ins = _as_tuple(inputs, "inputs", "vjp")
    with enable_grad():
        ins = _prepare(ins, create_graph)
        out_tuple, outs = _as_tuple(func(*ins), "outputs", "vjp")
        if strict:
            _strict_check(outs)
        vs = (None,) * len(outs) if v is None else (v if isinstance(v, tuple) else (v,))
        live = [(o, g) for o, g in zip(outs, vs) if o.requires_grad]
        grads = grad([o for o, _ in live], ins, [g for _, g in live], create_graph=create_graph,
                     materialize_grads=True) if live else tuple(t.new_zeros(t.shape)
                                                                for t in ins)
    if not create_graph:
        outs, grads = tuple(o.detach() for o in outs), tuple(g.detach() for g in grads)
    return (outs if out_tuple else outs[0]), (grads if in_tuple else grads[0])


def batched_grad(outputs: tuple, inputs: tuple, grad_outputs: tuple, retain_graph: bool,
                 create_graph: bool) -> list:
    """``autograd.grad(..., is_grads_batched=True)``: one backward pass per row of the
    stacked ``grad_outputs``, results stacked along a new first dimension."""
    from . import _captured_grads, _check_requires_grad, _size_str
    from ..ops.shape import stack
    sizes = []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if g is None or g.dim() == 0:
            raise ValueError("vmap(vjp, in_dims=0, ...)(<inputs>): Got in_dim=0 for some input, "
                             "but that input is a Tensor of dimensionality 0 so expected in_dim "
                             "to satisfy 0 <= in_dim < 0.")
        if tuple(g.shape[1:]) != tuple(out.shape):
            raise RuntimeError(
                "If `is_grads_batched=True`, we interpret the first dimension of each "
                "grad_output as the batch dimension. The sizes of the remaining dimensions are "
                "expected to match the shape of corresponding output, but a mismatch was "
                f"detected: grad_output[{i}] has a shape of {_size_str(tuple(g.shape[1:]))} and "
                f"output[{i}] has a shape of {_size_str(tuple(out.shape))}. If you only want "
                "some tensors in `grad_output` to be considered batched, consider using vmap.")
        sizes.append(g.shape[0])
    if len(set(sizes)) > 1:
        raise ValueError("vmap: Expected all tensors to have the same size in the mapped "
                         f"dimension, got sizes {sizes} for the mapped dimension")
    _check_requires_grad(outputs)
    per_row = [_captured_grads(outputs, inputs, [g[b].to(o.dtype) for o, g in
                                                 zip(outputs, grad_outputs)],
                               retain_graph or b + 1 < sizes[0], create_graph)
               for b in range(sizes[0] if sizes else 0)]
    return [None if any(r[k] is None for r in per_row) else stack([r[k] for r in per_row])
            for k in range(len(inputs))]
