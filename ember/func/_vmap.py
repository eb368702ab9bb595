"""``vmap``: map a function over a dimension of its inputs.

ember runs the function once per index of the mapped dimension, on the inputs' slices, then
stacks the per-slice results along ``out_dims``. Slicing and stacking are ordinary
differentiable ops, so ``vmap`` composes with autograd and the derivative transforms
(``vmap(grad(f))``, ``jacrev(vmap(f))``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from ._lift import tensor_type
from ._pytree import broadcast_flatten, tree_flatten, tree_unflatten

__all__ = ["vmap", "check_randomness", "random_guard"]

_RANDOM_ERROR = ("vmap: called random operation while in randomness error mode. Please either "
                 "use the 'same' or 'different' randomness flags on vmap or perform the "
                 "randomness operation out of vmap")


def check_randomness(randomness: Any) -> None:
    if randomness not in ("error", "different", "same"):
        raise RuntimeError("Only allowed values for randomness are 'error', 'different', or "
                           f"'same'. Got {randomness}")


def _rng_position() -> Any:
    """Where the default random stream stands (changes whenever a draw is made)."""
    from .._random import default_generator as gen
    stream = gen._stream
    return id(stream), None if stream is None else stream.bit_generator.state["state"]


@contextmanager
def random_guard(randomness: str) -> Iterator[None]:
    """Raise, in ``"error"`` mode, if the body draws from ember's default random stream."""
    before = _rng_position() if randomness == "error" else None
    yield
    if before is not None and _rng_position() != before:
        raise RuntimeError(_RANDOM_ERROR)


def _func_name(func: Any) -> str:
    return getattr(func, "__name__", repr(func))


def _batch_dims(args: tuple, in_dims: Any, name: str) -> tuple[list, Any, list]:
    """The flat inputs, their spec, and each one's mapped dimension (None: unmapped)."""
    if not isinstance(in_dims, (int, tuple)) or isinstance(in_dims, bool):
        raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): expected `in_dims` to "
                         "be int or a (potentially nested) tuple matching the structure of "
                         f"inputs, got: {type(in_dims)}.")
    leaves, spec = tree_flatten(args)
    dims = broadcast_flatten(in_dims, spec)
    if dims is None:
        raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): in_dims is not "
                         "compatible with the structure of `inputs`. in_dims has structure "
                         f"{tree_flatten(in_dims)[1]!r} but inputs has structure {spec!r}.")
    prefix = f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): "
    return leaves, spec, [_check_dim(x, d, prefix) for x, d in zip(leaves, dims)]


def _check_dim(x: Any, dim: Any, prefix: str) -> int | None:
    if dim is None:
        return None
    if not isinstance(dim, int) or isinstance(dim, bool):
        raise ValueError(f"{prefix}Got in_dim={dim} for an input but in_dim must be either an "
                         "integer dimension or None.")
    if not isinstance(x, tensor_type()):
        raise ValueError(f"{prefix}Got in_dim={dim} for an input but the input is of type "
                         f"{type(x)}. We cannot vmap over non-Tensor arguments, please use None "
                         "as the respective in_dim")
    n = x.dim()
    if not -n <= dim < n:
        raise ValueError(f"{prefix}Got in_dim={dim} for some input, but that input is a Tensor "
                         f"of dimensionality {n} so expected in_dim to satisfy -{n} <= in_dim "
                         f"< {n}.")
    return dim + n if dim < 0 else dim


def _batch_size(leaves: list, dims: list) -> int:
    sizes = [x.shape[d] for x, d in zip(leaves, dims) if d is not None]
    if not sizes:
        raise ValueError("vmap: Expected at least one Tensor to vmap over")
    if len(set(sizes)) > 1:
        raise ValueError("vmap: Expected all tensors to have the same size in the mapped "
                         f"dimension, got sizes {sizes} for the mapped dimension")
    return sizes[0]


def _slice(leaves: list, dims: list, index: int | None) -> list:
    """The inputs at one index of the mapped dimension (None: a zero-filled stand-in, used
    to learn the output layout when the mapped dimension is empty)."""
    out = []
    for x, d in zip(leaves, dims):
        if d is None:
            out.append(x)
        elif index is None:
            out.append(x.new_zeros(tuple(x.shape[:d]) + tuple(x.shape[d + 1:])))
        else:
            out.append(x.select(d, index))
    return out


def _run_slices(func: Callable, leaves: list, spec: Any, dims: list, size: int,
                kwargs: dict, randomness: str) -> list:
    from .._random import get_rng_state, set_rng_state
    start = get_rng_state() if randomness == "same" else None
    results = []
    for b in range(size) if size else [None]:
        if start is not None:
            set_rng_state(start)  # every slice draws the same random numbers
        with random_guard(randomness):
            results.append(func(*tree_unflatten(_slice(leaves, dims, b), spec), **kwargs))
    return results


def _stack_outputs(results: list, out_dims: Any, size: int, name: str) -> Any:
    from ..ops.join import stack
    flat = [tree_flatten(r) for r in results]
    leaves0, spec = flat[0]
    dims = broadcast_flatten(out_dims, spec)
    if dims is None:
        raise ValueError(f"vmap({name}, ..., out_dims={out_dims})(<inputs>): out_dims is not "
                         "compatible with the structure of `outputs`. out_dims has structure "
                         f"{tree_flatten(out_dims)[1]!r} but outputs has structure {spec!r}.")
    stacked = []
    for k, (value, dim) in enumerate(zip(leaves0, dims)):
        column = [leaves[k] for leaves, _ in flat]
        if dim is None:
            stacked.append(_unmapped(column, name))
            continue
        if not isinstance(value, tensor_type()):
            raise ValueError(f"vmap({name}, ...): `{name}` must only return Tensors, got type "
                             f"{type(value)}. Did you mean to set out_dims= to None for output?")
        if size == 0:
            stacked.append(stack([value], dim).narrow(dim, 0, 0))
        else:
            stacked.append(stack(column, dim))
    return tree_unflatten(stacked, spec)


def _unmapped(column: list, name: str) -> Any:
    """An output with ``out_dim=None``: it must be the same for every slice."""
    first = column[0]
    if isinstance(first, tensor_type()):
        for other in column[1:]:
            if other.shape != first.shape or not bool((other == first).all()):
                raise ValueError(f"vmap({name}, ...): `{name}` can not return a BatchedTensor "
                                 "when out_dim is None")
    return first


def vmap(func: Callable, in_dims: int | tuple = 0, out_dims: int | tuple = 0,
         randomness: str = "error", *, chunk_size: int | None = None) -> Callable:
    """``func`` mapped over dimension ``in_dims`` of its inputs, results stacked along
    ``out_dims``.

    ``in_dims`` is an int for every input, or a tuple nested like the positional arguments
    (None: that input is passed whole to every call); keyword arguments are never mapped.
    ``randomness`` says what random draws inside ``func`` do: ``"error"`` raises,
    ``"different"`` draws anew for every slice, ``"same"`` repeats one draw for all slices.
    """
    check_randomness(randomness)
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size <= 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")
    name = _func_name(func)

    @functools.wraps(func)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not args:
            raise ValueError(f"vmap({name})(<inputs>): got no inputs. Maybe you forgot to add "
                             "inputs, or you are trying to vmap over a function with no inputs. "
                             "The latter is unsupported.")
        leaves, spec, dims = _batch_dims(args, in_dims, name)
        size = _batch_size(leaves, dims)
        results = _run_slices(func, leaves, spec, dims, size, kwargs, randomness)
        return _stack_outputs(results, out_dims, size, name)
    return wrapped
