"""Derivative transforms: grad, grad_and_value, vjp, jacrev, jacfwd, hessian, jvp, linearize.

Each returns a new function (or, for ``vjp``/``jvp``, evaluates at once) built on ember's
reverse-mode autograd; see ``_lift`` for how inputs are traced and results handed back, which
is what lets the transforms nest (``grad(grad(f))``, ``jacrev(jacrev(f))``).
Forward-mode results (``jacfwd``, ``jvp``) are computed in reverse mode: ``jvp`` as the
derivative of a vector-Jacobian product with respect to its (linear) cotangent.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from ..autograd import grad as autograd_grad
from ..autograd.grad_mode import enable_grad, is_grad_enabled
from ._lift import (Lifted, check_argnums, lift_args, lower, lower_tree,
                    require_tensor_leaves, split_aux, tensor_type)
from ._pytree import spec_brief, tree_flatten, tree_map, tree_unflatten

__all__ = ["grad", "grad_and_value", "vjp", "jacrev", "jacfwd", "hessian", "jvp", "linearize"]


def _zeros_like(t: Any) -> Any:
    from ..ops.creation import zeros_like
    return zeros_like(t)


def _grads(outputs: list, inputs: list, cotangents: list | None = None) -> list:
    """d(outputs)/d(inputs) contracted with ``cotangents``, zeros where nothing flows;
    differentiable, so that enclosing transforms can differentiate it again."""
    live = [i for i, o in enumerate(outputs) if o.requires_grad]
    if not live or not inputs:
        return [_zeros_like(t) for t in inputs]
    seeds = None if cotangents is None else [cotangents[i] for i in live]
    found = autograd_grad([outputs[i] for i in live], inputs, seeds, retain_graph=True,
                          create_graph=True, allow_unused=True)
    return [_zeros_like(t) if g is None else g for g, t in zip(found, inputs)]


# -- grad ----------------------------------------------------------------------------------
def grad_and_value(func: Callable, argnums: int | tuple[int, ...] = 0,
                   has_aux: bool = False) -> Callable:
    """A function returning ``(gradient, value)`` of scalar-valued ``func``.

    The gradient is taken with respect to ``args[argnums]`` (nested like the arguments; a
    tuple when ``argnums`` is a tuple); with ``has_aux``, ``func`` returns ``(value, aux)``
    and the wrapper returns ``(gradient, (value, aux))``.
    """
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        keep = is_grad_enabled()
        with enable_grad():
            lifted, single = lift_args(args, argnums)
            output, aux = split_aux(func(*lifted.args, **kwargs), has_aux,
                                    "grad_and_value(f)(*args)")
            _check_scalar(output)
            flat = _grads([output], lifted.leaves)
        grads = lifted.nest([lower(g, lifted.internal, keep) for g in flat], single)
        value = lower(output, lifted.internal, keep)
        if has_aux:
            return grads, (value, lower_tree(aux, lifted.internal, keep))
        return grads, value
    return wrapper


def _check_scalar(output: Any) -> None:
    if not isinstance(output, tensor_type()):
        raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a Tensor, "
                           f"got {type(output)}")
    if output.dim() != 0:
        raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a scalar "
                           f"Tensor, got tensor with {output.dim()} dims. Maybe you wanted to "
                           "use the vjp or jacrev APIs instead?")


def grad(func: Callable, argnums: int | tuple[int, ...] = 0, has_aux: bool = False) -> Callable:
    """A function returning the gradient of scalar-valued ``func`` (see ``grad_and_value``);
    with ``has_aux`` it returns ``(gradient, aux)``."""
    inner = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        grads, value = inner(*args, **kwargs)
        return (grads, value[1]) if has_aux else grads
    return wrapper


# -- vjp -----------------------------------------------------------------------------------
def vjp(func: Callable, *primals: Any, has_aux: bool = False) -> tuple:
    """``(func(*primals), vjp_fn[, aux])``: ``vjp_fn(cotangents)`` returns, for each primal,
    the cotangents pulled back through ``func`` (a tuple with one entry per primal)."""
    keep = is_grad_enabled()
    with enable_grad():
        lifted = Lifted(primals, tuple(range(len(primals))))
        output, aux = split_aux(func(*lifted.args), has_aux, "vjp(f, *primals)")
        outs, out_spec = tree_flatten(output)
        require_tensor_leaves(output, "vjp(f, *primals): ")

    def vjp_fn(cotangents: Any, retain_graph: bool = True,
               create_graph: bool | None = None) -> tuple:
        cts, ct_spec = tree_flatten(cotangents)
        if ct_spec != out_spec:
            raise RuntimeError("Expected pytree structure of cotangents to be the same as pytree "
                               "structure of outputs to the function. cotangents: "
                               f"{spec_brief(ct_spec)}, primal output: {spec_brief(out_spec)}")
        keep_now = is_grad_enabled() if create_graph is None else create_graph
        with enable_grad():
            flat = _grads(outs, lifted.leaves, cts)
        return lifted.nest([lower(g, lifted.internal, keep_now) for g in flat], False)

    result = lower_tree(output, lifted.internal, keep)
    if has_aux:
        return result, vjp_fn, lower_tree(aux, lifted.internal, keep)
    return result, vjp_fn


# -- Jacobians ------------------------------------------------------------------------------
def _basis(o: Any) -> list:
    """One-hot cotangents, one per element of ``o`` in row-major order."""
    from ..ops.creation import zeros
    rows = []
    for j in range(o.numel()):
        e = zeros(o.numel(), dtype=o.dtype)
        e[j] = 1
        rows.append(e.reshape(o.shape))
    return rows


def _jacobian_of(o: Any, leaves: list) -> list:
    """For each leaf ``x``: d o / d x, shaped ``o.shape + x.shape``."""
    from ..ops.join import stack
    per_leaf: list[list] = [[] for _ in leaves]
    for seed in _basis(o):
        for k, g in enumerate(_grads([o], leaves, [seed])):
            per_leaf[k].append(g)
    jac = []
    for rows, x in zip(per_leaf, leaves):
        shape = tuple(o.shape) + tuple(x.shape)
        jac.append(stack(rows).reshape(shape) if rows else
                   _zeros_like(x).new_zeros(shape))
    return jac


def _jacobian_transform(func: Callable, argnums: Any, has_aux: bool, prefix: str,
                        out_prefix: str) -> Callable:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        keep = is_grad_enabled()
        with enable_grad():
            lifted, single = lift_args(args, argnums)
            output, aux = split_aux(func(*lifted.args, **kwargs), has_aux, prefix)
            outs, out_spec = tree_flatten(output)
            require_tensor_leaves(output, out_prefix)
            jacs = [_jacobian_of(o, lifted.leaves) for o in outs]
        nested = [lifted.nest([lower(j, lifted.internal, keep) for j in js], single)
                  for js in jacs]
        result = tree_unflatten(nested, out_spec)
        if has_aux:
            return result, lower_tree(aux, lifted.internal, keep)
        return result
    return wrapper


def jacrev(func: Callable, argnums: int | tuple[int, ...] = 0, *, has_aux: bool = False,
           chunk_size: int | None = None, _preallocate_and_copy: bool = False) -> Callable:
    """A function returning the Jacobian of ``func`` with respect to ``args[argnums]``:
    for output ``o`` and input ``x``, a tensor of shape ``o.shape + x.shape``."""
    if chunk_size is not None and chunk_size <= 0:
        raise ValueError("jacrev: `chunk_size` should be greater than 0.")
    return _jacobian_transform(func, argnums, has_aux, "vjp(f, *primals)",
                               "vjp(f, *primals): ")


def jacfwd(func: Callable, argnums: int | tuple[int, ...] = 0, has_aux: bool = False, *,
           randomness: str = "error") -> Callable:
    """The Jacobian of ``func``, as ``jacrev`` (ember computes it in reverse mode)."""
    from ._vmap import check_randomness, random_guard
    inner = _jacobian_transform(func, argnums, has_aux, "jvp(f, primals, tangents)",
                                "jvp(f, primals, tangents): ")

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        check_randomness(randomness)
        positions = check_argnums(argnums, len(args))
        for a in tree_flatten([args[i] for i in positions])[0]:
            if not isinstance(a, tensor_type()):
                raise AttributeError(f"'{type(a).__name__}' object has no attribute 'numel'")
        with random_guard(randomness):
            return inner(*args, **kwargs)
    return wrapper


def hessian(func: Callable, argnums: int | tuple[int, ...] = 0) -> Callable:
    """The matrix of second derivatives of scalar-valued ``func``: ``jacfwd(jacrev(f))``."""
    return jacfwd(jacrev(func, argnums), argnums)


# -- jvp -----------------------------------------------------------------------------------
def _check_jvp_args(primals: Any, tangents: Any) -> tuple[list, list]:
    Tensor = tensor_type()
    if not isinstance(primals, tuple):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals to be a tuple. E.g. it "
                           "should be valid to call f(*primals).")
    p_leaves, p_spec = tree_flatten(primals)
    t_leaves, t_spec = tree_flatten(tangents)
    if p_spec != t_spec:
        raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to have "
                           "the same python structure. For example, if primals is a tuple of 3 "
                           "tensors, tangents also must be. Got primals with structure "
                           f"{p_spec!r} and tangents with structure {t_spec!r}")
    if not p_leaves:
        raise RuntimeError("jvp(f, primals, tangents): Expected primals to contain at least one "
                           "Tensor.")
    for name, leaves in (("primals", p_leaves), ("tangents", t_leaves)):
        for leaf in leaves:
            if not isinstance(leaf, Tensor):
                raise RuntimeError(f"jvp(f, primals, tangents): Expected {name} to only "
                                   f"contain Tensors, got {type(leaf)}")
    for p, t in zip(p_leaves, t_leaves):
        if not p.is_floating_point() and not p.is_complex():
            raise ValueError(f"Expected primal to be floating point or complex, but got: "
                             f"{p.dtype}")
        if tuple(p.shape) != tuple(t.shape):
            raise RuntimeError("Trying to set a forward gradient that has a different size than "
                               "that of the original Tensor, this is not supported. Tensor is "
                               f"of size {list(p.shape)} while the given forward gradient is of "
                               f"size {list(t.shape)}.")
    return p_leaves, t_leaves


def _jvp_of(outs: list, leaves: list, tangents: list) -> tuple[list, list]:
    """J @ tangents for each output: the vjp with a dummy cotangent ``u`` is linear in ``u``,
    so differentiating it along ``tangents`` with respect to ``u`` gives J @ tangents."""
    dummies = [_zeros_like(o).requires_grad_() for o in outs]
    pulled = _grads(outs, leaves, dummies)
    live = [(p, t) for p, t in zip(pulled, tangents) if p.requires_grad]
    if not live:
        return [_zeros_like(o) for o in outs], dummies
    found = autograd_grad([p for p, _ in live], dummies, [t for _, t in live], retain_graph=True,
                          create_graph=True, allow_unused=True)
    return [_zeros_like(o) if g is None else g for g, o in zip(found, outs)], dummies


def jvp(func: Callable, primals: Any, tangents: Any, *, strict: bool = False,
        has_aux: bool = False) -> tuple:
    """``(func(*primals), J @ tangents[, aux])``: the Jacobian-vector product at ``primals``."""
    _, t_leaves = _check_jvp_args(primals, tangents)
    keep = is_grad_enabled()
    with enable_grad():
        lifted = Lifted(primals, tuple(range(len(primals))))
        output, aux = split_aux(func(*lifted.args), has_aux, "jvp(f, primals, tangents)")
        outs, out_spec = tree_flatten(output)
        require_tensor_leaves(output, "jvp(f, primals, tangents): ")
        products, dummies = _jvp_of(outs, lifted.leaves, t_leaves)
    internal = lifted.internal | {id(d) for d in dummies}
    value = lower_tree(output, internal, keep)
    tangent_out = tree_unflatten([lower(p, internal, keep) for p in products], out_spec)
    if has_aux:
        return value, tangent_out, lower_tree(aux, internal, keep)
    return value, tangent_out


def linearize(func: Callable, *primals: Any) -> tuple[Any, Callable]:
    """``(func(*primals), jvp_fn)`` where ``jvp_fn(*tangents)`` is the Jacobian-vector product
    at ``primals``."""
    output = jvp(func, primals, tree_map(_zeros_like, primals))[0]

    def jvp_fn(*tangents: Any) -> Any:
        return jvp(func, primals, tangents)[1]
    return output, jvp_fn
