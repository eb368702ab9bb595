"""Activation checkpointing: trading compute for memory in backward.

``checkpoint(fn, *args)`` runs ``fn`` without keeping the intermediate tensors its backward
would need; when gradients reach its outputs, ``fn`` is run again (with grad enabled, and
with ember's random state put back as it was, so dropout draws the same mask) and the
gradients flow through that recomputation. Results and gradients are those of ``fn(*args)``.

Two flavours, chosen by ``use_reentrant``:

* ``True``: ``fn`` runs under ``no_grad`` inside a custom ``Function``; its backward runs a
  nested ``backward`` through the recomputation, which accumulates the gradients of tensors
  ``fn`` captured (a module's parameters) straight into their ``.grad``. Only outputs that
  are tensors at the top level (or in a returned tuple) carry gradients, and at least one
  tensor argument must require grad.
* ``False``: ``fn`` is traced once to find every tensor its result depends on (arguments,
  nested arguments and captured tensors alike), then the trace is dropped and one graph node
  stands for the whole call. Works with ``autograd.grad``, nested outputs, and arguments
  that do not require grad.

>>> import ember
>>> from ember.utils.checkpoint import checkpoint
>>> x = ember.tensor([1.0, 2.0], requires_grad=True)
>>> y = checkpoint(lambda t: (t.sin() * t).sum(), x, use_reentrant=False)
>>> y.backward()
>>> bool(ember.allclose(x.grad, x.sin() + x * x.cos()))
True
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from .._random import get_rng_state, set_rng_state
from .._tensor import Tensor
from ..autograd import backward as autograd_backward
from ..autograd import grad as autograd_grad
from ..autograd.function import Function
from ..autograd.graph import AccumulateGrad, Node
from ..autograd.grad_mode import enable_grad, is_grad_enabled, state
from ..func._pytree import tree_flatten, tree_unflatten

__all__ = ["checkpoint", "checkpoint_sequential", "CheckpointError", "CheckpointFunction",
           "noop_context_fn", "detach_variable", "check_backward_validity"]

_REENTRANT_DEFAULT_WARNING = (
    "ember.utils.checkpoint: the use_reentrant parameter should be passed explicitly. Starting "
    "in PyTorch 2.9, calling checkpoint without use_reentrant will raise an exception. "
    "use_reentrant=False is recommended, but if you need to preserve the current default "
    "behavior, you can pass use_reentrant=True. Refer to docs for more details on the "
    "differences between the two variants.")
_SEQUENTIAL_DEFAULT_WARNING = (
    "ember.utils.checkpoint.checkpoint_sequential: the use_reentrant parameter should be passed "
    "explicitly. In version 2.9 we will raise an exception if use_reentrant is not passed. "
    "use_reentrant=False is recommended, but if you need to preserve the current default "
    "behavior, you can pass use_reentrant=True. Refer to docs for more details on the "
    "differences between the two variants.")


class CheckpointError(RuntimeError):
    """The recomputation did not reproduce the original forward pass."""


def noop_context_fn() -> tuple[contextlib.AbstractContextManager,
                               contextlib.AbstractContextManager]:
    """The default ``context_fn``: no context around the forward pass or its recomputation."""
    return contextlib.nullcontext(), contextlib.nullcontext()


def detach_variable(inputs: tuple) -> tuple:
    """Each tensor of ``inputs`` detached, keeping its ``requires_grad``."""
    if not isinstance(inputs, tuple):
        raise RuntimeError("Only tuple of tensors is supported. Got Unsupported input type: "
                           f"{type(inputs).__name__}")
    return tuple(x.detach().requires_grad_(x.requires_grad) if isinstance(x, Tensor) else x
                 for x in inputs)


def check_backward_validity(inputs: Iterable[Any]) -> None:
    if not any(isinstance(x, Tensor) and x.requires_grad for x in inputs):
        warnings.warn("None of the inputs have requires_grad=True. Gradients will be None",
                      stacklevel=2)


@contextlib.contextmanager
def _rng_restored(saved: Any) -> Iterator[None]:
    """Run the body from random state ``saved`` (None: as is), then put the current state
    back, so the recomputation does not disturb the random stream of the rest of backward."""
    if saved is None:
        yield
        return
    current = get_rng_state()
    set_rng_state(saved)
    try:
        yield
    finally:
        set_rng_state(current)


# -- use_reentrant=True ---------------------------------------------------------------------
class CheckpointFunction(Function):
    """The reentrant flavour: ``apply(run_function, preserve_rng_state, *args)``."""

    @staticmethod
    def forward(ctx: Any, run_function: Callable, preserve_rng_state: bool, *args: Any) -> Any:
        check_backward_validity(args)
        ctx.run_function = run_function
        ctx.rng_state = get_rng_state() if preserve_rng_state else None
        ctx.tensor_slots = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        ctx.plain_args = [None if isinstance(a, Tensor) else a for a in args]
        ctx.save_for_backward(*(args[i] for i in ctx.tensor_slots))
        return run_function(*args)

    @staticmethod
    def backward(ctx: Any, *grads: Any) -> tuple:
        args = list(ctx.plain_args)
        for slot, t in zip(ctx.tensor_slots, detach_variable(tuple(ctx.saved_tensors))):
            args[slot] = t
        with _rng_restored(ctx.rng_state), enable_grad():
            outputs = ctx.run_function(*args)
        outputs = outputs if isinstance(outputs, tuple) else (outputs,)
        pairs = [(o, g) for o, g in zip(outputs, grads)
                 if isinstance(o, Tensor) and o.requires_grad]
        if not pairs:
            raise RuntimeError("none of output has requires_grad=True, this checkpoint() is not "
                               "necessary")
        autograd_backward([o for o, _ in pairs], [g for _, g in pairs])
        return (None, None) + tuple(a.grad if isinstance(a, Tensor) else None for a in args)


# -- use_reentrant=False --------------------------------------------------------------------
def _stand_in(value: Any) -> Any:
    """A detached copy of a tensor argument, to trace and recompute the function on."""
    if isinstance(value, Tensor):
        return value.detach().requires_grad_(value.requires_grad)
    return value


def _captured_leaves(outputs: list, own: set) -> list:
    """Leaf tensors requiring grad that ``outputs`` depend on, other than the ``own`` ones."""
    stack = [o.grad_fn for o in outputs if o.grad_fn is not None]
    seen, leaves = set(), []
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        if type(node) is AccumulateGrad:
            var = node.variable
            if var is not None and id(var) not in own:
                leaves.append(var)
            continue
        stack.extend(n for n, _ in node.next_functions)
    return leaves


class CheckpointBackward(Node):
    """One node standing for a whole checkpointed call: its backward recomputes the call
    and differentiates the recomputation."""

    def backward(self, *grads: Any) -> tuple:
        create_graph = state.enabled
        args = self.originals if create_graph else self.stand_ins
        if create_graph:  # the gradients must stay differentiable in the real arguments
            args = [a.view_as(a) if isinstance(a, Tensor) and a.requires_grad else a
                    for a in args]
        with _rng_restored(self.rng_state), enable_grad(), self.recompute_context:
            outputs = self.function(*tree_unflatten(args, self.arg_spec), **self.kwargs)
        recomputed = [o for o in tree_flatten(outputs)[0] if isinstance(o, Tensor)]
        self._check_metadata(recomputed)
        pairs = [(recomputed[i], g) for i, g in zip(self.output_slots, grads)
                 if g is not None and recomputed[i].requires_grad]
        targets = [a for a in args if isinstance(a, Tensor) and a.requires_grad]
        targets += self.captured
        if not pairs or not targets:
            return (None,) * len(self.next_functions)
        # one gradient per edge: the arguments that require grad, then the captured leaves
        return autograd_grad([o for o, _ in pairs], targets, [g for _, g in pairs],
                             create_graph=create_graph, allow_unused=True)

    def _check_metadata(self, recomputed: list) -> None:
        if not self.check:
            return
        now = [(tuple(t.shape), t.dtype) for t in recomputed]
        if now != self.out_meta:
            raise CheckpointError(
                "ember.utils.checkpoint: Recomputed values for the following tensors have "
                "different metadata than during the forward pass.\n"
                f"saved metadata: {self.out_meta}\nrecomputed metadata: {now}\n")


def _attach(node: CheckpointBackward, outputs: Any, originals: list, stand_ins: list) -> Any:
    """``outputs`` with each differentiable tensor replaced by one produced by ``node``."""
    from .._tensor import tensor_from_array
    leaves, spec = tree_flatten(outputs)
    by_stand_in = {id(s): o for s, o in zip(stand_ins, originals) if isinstance(s, Tensor)}
    tensors = [o for o in leaves if isinstance(o, Tensor)]
    node.out_meta = [(tuple(t.shape), t.dtype) for t in tensors]
    node.output_slots, result, k = [], [], 0
    for o in leaves:
        if isinstance(o, Tensor):
            if id(o) in by_stand_in:  # an argument returned as is: hand back the argument
                o = by_stand_in[id(o)]
            elif o.requires_grad:
                fresh = tensor_from_array(o._data)
                fresh.grad_fn, fresh._requires_grad = node, True
                fresh._output_nr = len(node.output_slots)
                node.output_slots.append(k)
                o = fresh
            k += 1
        result.append(o)
    node.n_outputs = len(node.output_slots)
    return tree_unflatten(result, spec)


def _checkpoint_without_reentrant(function: Callable, preserve_rng_state: bool,
                                  context_fn: Callable, determinism_check: str, args: tuple,
                                  kwargs: dict) -> Any:
    if determinism_check not in ("default", "none"):
        raise ValueError("determinism_check should be one of ['default', 'none'], but got "
                         f"{determinism_check}")
    forward_context, recompute_context = context_fn()
    if not is_grad_enabled():
        with forward_context:
            return function(*args, **kwargs)
    rng_state = get_rng_state() if preserve_rng_state else None
    originals, arg_spec = tree_flatten(args)
    stand_ins = [_stand_in(a) for a in originals]
    with forward_context:
        outputs = function(*tree_unflatten(stand_ins, arg_spec), **kwargs)
    traced = [o for o in tree_flatten(outputs)[0] if isinstance(o, Tensor) and o.requires_grad]
    if not traced:
        return outputs
    from ..ops._core import edge
    node = CheckpointBackward()
    node.function, node.kwargs, node.rng_state = function, kwargs, rng_state
    node.recompute_context, node.check = recompute_context, determinism_check == "default"
    node.originals, node.stand_ins, node.arg_spec = originals, stand_ins, arg_spec
    node.captured = _captured_leaves(traced, {id(s) for s in stand_ins})
    differentiable = [a for a in originals if isinstance(a, Tensor) and a.requires_grad]
    node.next_functions = tuple(edge(t) for t in differentiable + node.captured)
    return _attach(node, outputs, originals, stand_ins)


def checkpoint(function: Callable, *args: Any, use_reentrant: bool | None = None,
               context_fn: Callable = noop_context_fn, determinism_check: str = "default",
               debug: bool = False, early_stop: bool = True, **kwargs: Any) -> Any:
    """``function(*args, **kwargs)``, recomputed during backward instead of kept.

    Args:
        function: what to run; it should compute the same thing when run again.
        use_reentrant: which flavour (see the module docstring); pass it explicitly, it
            defaults to ``True`` with a warning.
        context_fn: returns two context managers, entered around the forward pass and
            around the recomputation (``use_reentrant=False`` only).
        determinism_check: ``"default"`` raises ``CheckpointError`` when the recomputed
            outputs differ in shape or dtype; ``"none"`` skips the check.
        debug, early_stop: accepted for compatibility (``use_reentrant=False`` only).
        preserve_rng_state (keyword): restore ember's random state before recomputing, so
            random ops draw as in the forward pass (default ``True``).
    """
    if use_reentrant is None:
        warnings.warn(_REENTRANT_DEFAULT_WARNING, stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if not use_reentrant:
        return _checkpoint_without_reentrant(function, preserve, context_fn, determinism_check,
                                             args, kwargs)
    if context_fn is not noop_context_fn or debug is not False:
        raise ValueError("Passing `context_fn` or `debug` is only supported when "
                         "use_reentrant=False.")
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    return CheckpointFunction.apply(function, preserve, *args)


def _segment(functions: list, start: int, stop: int) -> Callable:
    def run(value: Any) -> Any:
        for fn in functions[start:stop]:
            value = fn(value)
        return value
    return run


def checkpoint_sequential(functions: Any, segments: int, input: Any,
                          use_reentrant: bool | None = None, **kwargs: Any) -> Any:
    """Run ``functions`` (a list, or an ``nn.Sequential``'s children) one after another on
    ``input``, in ``segments`` groups; every group but the last is checkpointed."""
    if use_reentrant is None:
        warnings.warn(_SEQUENTIAL_DEFAULT_WARNING, stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    from ..nn.modules.container import Sequential
    if isinstance(functions, Sequential):
        functions = list(functions.children())
    size = len(functions) // segments
    end = 0
    for start in range(0, size * (segments - 1), size):
        end = start + size
        input = checkpoint(_segment(functions, start, end), input, use_reentrant=use_reentrant,
                           preserve_rng_state=preserve)
    return _segment(functions, end, len(functions))(input)
