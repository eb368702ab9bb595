"""Module backward hooks: the machinery behind ``Module.register_full_backward_hook``.

For one call of a module with full backward hooks (or backward pre-hooks), the tensor inputs
and then the tensor outputs pass through ``BackwardHookFunction``, an identity autograd
Function. In backward, the node recorded for the outputs runs first: it collects
``grad_output`` and runs the pre-hooks. The node recorded for the inputs runs later: it
collects ``grad_input`` and runs the full hooks with both. A ``_ModuleBackwardHook`` links the
two nodes of one call.

The deprecated non-full hooks (``register_backward_hook``) are simply post-hooks of the graph
node that produced the module's (first) output.

``hooks_in_use`` holds one key per live backward hook of any kind, so ``Module.__call__`` can
test a single dict to keep its fast path when no backward hook exists anywhere.
"""

from __future__ import annotations

import functools
import os
import sys
import warnings
import weakref
from typing import Any
from collections.abc import Callable

from ..._tensor import Tensor
from ...autograd.function import Function
from ...autograd.grad_mode import state
from ...ops.shape import make_view
from .hooks import RemovableHandle, _ids

__all__ = ["register_module_backward_hook", "register_module_full_backward_hook",
           "register_module_full_backward_pre_hook"]

hooks_in_use: dict = {}
_global_backward_hooks: dict = {}
_global_backward_pre_hooks: dict = {}
_global_is_full_backward_hook: bool | None = None
_keys_of_module: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

_EMBER_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_MIXED_MODULE = ("Cannot use both regular backward hooks and full backward hooks on a single "
                 "Module. Please use only one of them.")
_MIXED_GLOBAL = ("Cannot use both regular backward hooks and full backward hooks as a global "
                 "Module hook. Please use only one of them.")
_INPLACE_ON_INPUT = (
    "Output {} of BackwardHookFunction is a view and is being modified inplace. This view was "
    "created inside a custom Function (or because an input was returned as-is) and the autograd "
    "logic to handle view+inplace would override the custom backward associated with the custom "
    "Function, leading to incorrect gradients. This behavior is forbidden. You can fix this by "
    "cloning the output of the custom Function.")
_NO_INPUT_GRAD = (
    "Full backward hook is firing when gradients are computed with respect to module outputs "
    "since no inputs require gradients. See "
    "https://docs.pytorch.org/docs/main/generated/torch.nn.Module.html"
    "#torch.nn.Module.register_full_backward_hook for more details.")
_DEPRECATED = " is deprecated and will be removed in future versions. This hook will be missing "
_USE_FULL = " Please use register_full_backward_hook to get the documented behavior."


# -- registration --------------------------------------------------------------------------
def _track(handle: RemovableHandle, owner: Any = None) -> RemovableHandle:
    """Count a new hook in ``hooks_in_use`` until its handle is removed or ``owner`` dies."""
    if owner is None:
        hooks_in_use[handle.id] = True
    else:
        _track_key(owner, handle.id)
    return handle


def _track_key(owner: Any, key: int) -> None:
    """Count ``key`` in ``hooks_in_use``; it is dropped when ``owner`` dies.

    One finalizer per module, holding only keys (a hook may refer to its module, so the
    finalizer must not hold the hooks), keeps register/remove loops from piling up state.
    """
    hooks_in_use[key] = True
    try:
        keys = _keys_of_module.get(owner)
    except TypeError:  # a module class made unhashable: one finalizer per hook then
        weakref.finalize(owner, _forget, [key])
        return
    if keys is None:
        keys = _keys_of_module[owner] = []
        weakref.finalize(owner, _forget, keys)
    keys[:] = [k for k in keys if k in hooks_in_use]
    keys.append(key)


def _forget(keys: list) -> None:
    for key in keys:
        hooks_in_use.pop(key, None)


def _add_module_hook(module: Any, store_name: str, hook: Callable, prepend: bool,
                     full: bool | None = None) -> RemovableHandle:
    """Add ``hook`` to ``module.<store_name>``; ``full`` says which kind of backward hook it
    is (None for pre-hooks, which have a single kind)."""
    if full is not None:
        if module._is_full_backward_hook is (not full):
            raise RuntimeError(_MIXED_MODULE)
        module._is_full_backward_hook = full
    store = getattr(module, store_name)
    handle = RemovableHandle(store, extra_dict=hooks_in_use)
    store[handle.id] = hook
    if prepend:
        for key in [k for k in store if k != handle.id]:
            store[key] = store.pop(key)
    return _track(handle, module)


def register_full_backward_pre_hook(self: Any, hook: Callable,
                                    prepend: bool = False) -> RemovableHandle:
    """``Module`` method: run ``hook(module, grad_output)`` when the gradients of the
    module's outputs are known; it may return a replacement ``grad_output`` tuple.
    ``prepend=True`` runs it before the hooks already registered on this module."""
    return _add_module_hook(self, "_backward_pre_hooks", hook, prepend)


def register_full_backward_hook(self: Any, hook: Callable,
                                prepend: bool = False) -> RemovableHandle:
    """``Module`` method: run ``hook(module, grad_input, grad_output)`` when the gradients of
    the module's positional inputs are known (or, if no input requires grad, of its outputs);
    it may return a replacement ``grad_input`` tuple. Non-tensor entries are None."""
    return _add_module_hook(self, "_backward_hooks", hook, prepend, full=True)


def register_backward_hook(self: Any, hook: Callable) -> RemovableHandle:
    """``Module`` method, deprecated: ``hook(module, grad_input, grad_output)`` runs as a
    post-hook of the graph node that produced the output, so it is exact only for modules
    made of a single operation. Use :func:`register_full_backward_hook` instead."""
    return _add_module_hook(self, "_backward_hooks", hook, False, full=False)


def restore_module_state(self: Any, state: dict) -> None:
    """``Module.__setstate__``: a module rebuilt by copy or unpickling keeps its hooks (count
    them until it dies); state saved before backward hooks existed gets empty hook dicts."""
    self.__dict__.update(state)
    d = self.__dict__
    d.setdefault("_backward_hooks", {})
    d.setdefault("_backward_pre_hooks", {})
    d.setdefault("_is_full_backward_hook", None)
    if d["_backward_hooks"] or d["_backward_pre_hooks"]:
        _track_key(self, next(_ids))


def register_module_full_backward_pre_hook(hook: Callable) -> RemovableHandle:
    """Run ``hook(module, grad_output)`` before the full backward hooks of every module."""
    handle = RemovableHandle(_global_backward_pre_hooks, extra_dict=hooks_in_use)
    _global_backward_pre_hooks[handle.id] = hook
    return _track(handle)


def _register_global(hook: Callable, full: bool) -> RemovableHandle:
    global _global_is_full_backward_hook
    if _global_is_full_backward_hook is (not full):
        raise RuntimeError(_MIXED_GLOBAL)
    _global_is_full_backward_hook = full
    handle = RemovableHandle(_global_backward_hooks, extra_dict=hooks_in_use)
    _global_backward_hooks[handle.id] = hook
    return _track(handle)


def register_module_full_backward_hook(hook: Callable) -> RemovableHandle:
    """Run ``hook(module, grad_input, grad_output)`` in the backward of every module."""
    return _register_global(hook, True)


def register_module_backward_hook(hook: Callable) -> RemovableHandle:
    """Deprecated non-full form of :func:`register_module_full_backward_hook`."""
    return _register_global(hook, False)


# -- per call ------------------------------------------------------------------------------
def plan_backward_hooks(module: Any) -> _ModuleBackwardHook | None:
    """The backward hooks that apply to one call of ``module``, or None if there are none."""
    full: list = []
    non_full: list = []
    for hooks, is_full in ((_global_backward_hooks, _global_is_full_backward_hook),
                           (module._backward_hooks, module._is_full_backward_hook)):
        if hooks and is_full is not None:
            (full if is_full else non_full).extend(hooks.values())
    pre = [*_global_backward_pre_hooks.values(), *module._backward_pre_hooks.values()]
    if not (full or non_full or pre):
        return None
    return _ModuleBackwardHook(module, full, pre, non_full)


class BackwardHookFunction(Function):
    """Identity on tensors; its graph node is where module backward hooks attach."""

    @staticmethod
    def forward(ctx: Any, *tensors: Tensor) -> tuple:
        views = tuple(make_view(t, t._data.view()) for t in tensors)
        ctx.mark_non_differentiable(
            *(v for t, v in zip(tensors, views) if not t._requires_grad))
        return views

    @staticmethod
    def backward(ctx: Any, *grads: Any) -> tuple:
        return grads


class _ModuleBackwardHook:
    """Connects the output node and the input node of one module call."""

    def __init__(self, module: Any, hooks: list, pre_hooks: list, non_full: list) -> None:
        self.module = module
        self.hooks = hooks
        self.pre_hooks = pre_hooks
        self.non_full = non_full
        self.grad_outputs: Any = None
        self.n_inputs = self.n_outputs = -1
        self.input_index: list | None = None
        self.output_index: list | None = None
        self.watched: list = []   # (output_nr, view, version) of inputs that require grad

    @property
    def full(self) -> bool:
        return bool(self.hooks or self.pre_hooks)

    def setup_inputs(self, args: tuple) -> tuple:
        if not self.full:
            return args
        new_args, self.input_index = self._wrap(args, self._on_input_grads)
        self.n_inputs = len(args)
        if self.input_index is not None:
            tensors = [new_args[i] for i in self.input_index]
            self.watched = [(nr, t, t._version[0]) for nr, t in enumerate(tensors)
                            if t._requires_grad]
        return new_args

    def setup_outputs(self, args: tuple, result: Any) -> Any:
        """Hook the outputs (after forward and its forward hooks have run)."""
        if self.full:
            for nr, view, version in self.watched:
                if view._version[0] != version:
                    raise RuntimeError(_INPLACE_ON_INPUT.format(nr))
            if not isinstance(result, (Tensor, tuple)):
                warnings.warn("For backward hooks to be called, module output should be a "
                              f"Tensor or a tuple of Tensors but received {type(result)}",
                              stacklevel=_user_stacklevel())
            outs = result if isinstance(result, tuple) else (result,)
            new, self.output_index = self._wrap(outs, self._on_output_grads)
            self.n_outputs = len(outs)
            result = new if isinstance(result, tuple) else new[0]
        if self.non_full:
            _attach_non_full(self.module, self.non_full, args, result)
        return result

    def _wrap(self, values: tuple, node_hook: Callable) -> tuple:
        """Run the tensors of ``values`` through the identity Function; hook its node."""
        index = [i for i, v in enumerate(values) if isinstance(v, Tensor)]
        tensors = [values[i] for i in index]
        if not (state.enabled and any(t._requires_grad for t in tensors)):
            return values, None
        wrapped = BackwardHookFunction.apply(*tensors)
        node = next(t.grad_fn for t in wrapped if t.grad_fn is not None)
        node.register_hook(node_hook)
        out = list(values)
        for i, t in zip(index, wrapped):
            out[i] = t
        return (tuple(out) if type(values) is tuple else type(values)(*out)), index

    def _on_output_grads(self, node_results: tuple, grad_outputs: tuple) -> tuple:
        current = _spread(self.output_index, grad_outputs, self.n_outputs)
        for hook in self.pre_hooks:
            new = hook(self.module, current)
            if new is None:
                continue
            if len(new) != self.n_outputs:
                raise RuntimeError("Backward pre hook returned an invalid number of grad_output, "
                                   f"got {len(new)}, but expected {self.n_outputs}")
            current = new
        self.grad_outputs = current
        if self.input_index is None:
            self._run_without_input_grads()
        return _checked("hook", node_results, tuple(current[i] for i in self.output_index))

    def _run_without_input_grads(self) -> None:
        """No input requires grad: the full hooks run now, with an all-None grad_input."""
        warnings.warn(_NO_INPUT_GRAD, stacklevel=_user_stacklevel())
        grad_inputs = (None,) * self.n_inputs
        for hook in self.hooks:
            res = hook(self.module, grad_inputs, self.grad_outputs)
            if res is not None and not (isinstance(res, tuple) and all(g is None for g in res)):
                raise RuntimeError("Backward hook for Modules where no input requires gradient "
                                   "should always return None or None for all gradients.")
        self.grad_outputs = None

    def _on_input_grads(self, node_results: tuple, _grads: tuple) -> tuple | None:
        if self.grad_outputs is None:
            return None  # the gradient reached the inputs without passing through the outputs
        current = _spread(self.input_index, node_results, self.n_inputs)
        for hook in self.hooks:
            new = hook(self.module, current, self.grad_outputs)
            if new is None:
                continue
            if len(new) != len(current):
                raise RuntimeError("Backward hook returned an invalid number of grad_input, got "
                                   f"{len(new)}, but expected {len(current)}")
            current = new
        self.grad_outputs = None
        return _checked("hook", node_results, tuple(current[i] for i in self.input_index))


def _spread(index: list, values: tuple, size: int) -> tuple:
    """Place ``values`` at positions ``index`` of a ``size``-tuple of None."""
    out: list = [None] * size
    for i, v in zip(index, values):
        out[i] = v
    return tuple(out)


def _checked(hook_name: str, original: tuple, new: tuple) -> tuple:
    """Gradients returned by a hook must keep the type and size of those they replace."""
    for old, value in zip(original, new):
        if value is None:
            continue
        if not isinstance(value, Tensor):
            raise TypeError(f"expected Variable, but hook returned '{type(value).__name__}'")
        if old is None:
            raise RuntimeError("can't replace a empty gradient with a non-empty value")
        if value.dtype != old.dtype:
            raise RuntimeError(f"hook '{hook_name}' has changed the type of value (was "
                               f"{old.type()} got {value.type()})")
        if value.shape != old.shape:
            raise RuntimeError(f"hook '{hook_name}' has changed the size of value")
    return new


def _user_stacklevel() -> int:
    """The stacklevel of the first caller outside ember (where a warning should point)."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(_EMBER_DIR):
        frame, level = frame.f_back, level + 1
    return level


# -- non-full hooks ------------------------------------------------------------------------
class _NodeHookWithModule:
    """A non-full module hook as a post-hook of the output's graph node."""

    def __init__(self, hook: Callable, module: Any) -> None:
        self.hook = hook
        self.module = weakref.ref(module)
        self.name = getattr(hook, "__name__", "<unknown>")
        functools.update_wrapper(self, hook)

    def __call__(self, grad_inputs: tuple, grad_outputs: tuple) -> tuple | None:
        module = self.module()
        if module is None:
            raise RuntimeError("You are trying to call the hook of a dead Module!")
        new = self.hook(module, grad_inputs, grad_outputs)
        if new is None:
            return None
        if not isinstance(new, tuple):
            raise TypeError(f"expected tuple, but hook returned '{type(new).__name__}'")
        if len(new) != len(grad_inputs):
            raise RuntimeError(f"hook '{self.name}' has returned an incorrect number of values "
                               f"(got {len(new)}, but expected {len(grad_inputs)})")
        return _checked(self.name, grad_inputs, new)


def _attach_non_full(module: Any, hooks: list, args: tuple, result: Any) -> None:
    var = result
    while not isinstance(var, Tensor):
        if isinstance(var, dict):
            var = next(v for v in var.values() if isinstance(v, Tensor))
        else:
            var = var[0]
    node = var.grad_fn
    if node is None:
        return
    for hook in hooks:
        node.register_hook(_NodeHookWithModule(hook, module))
    message = _non_full_problem(args, result, node)
    if message is not None:
        warnings.warn(message, FutureWarning, stacklevel=_user_stacklevel())


def _non_full_problem(args: tuple, result: Any, node: Any) -> str | None:
    """Why a non-full hook on ``node`` would miss gradients of this call (None if it won't)."""
    outputs = (result,) if isinstance(result, Tensor) else result
    if not (isinstance(outputs, tuple) and all(isinstance(r, Tensor) for r in outputs)):
        return ("Using non-full backward hooks on a Module that does not return a single Tensor "
                "or a tuple of Tensors" + _DEPRECATED + "some of the grad_output." + _USE_FULL)
    if not all(isinstance(a, Tensor) for a in args):
        return ("Using non-full backward hooks on a Module that does not take as input a single "
                "Tensor or a tuple of Tensors" + _DEPRECATED + "some of the grad_input."
                + _USE_FULL)
    out_nodes = {r.grad_fn for r in outputs if r.grad_fn is not None}
    if not out_nodes or (len(out_nodes) == 1 and node not in out_nodes):
        return ("Using a non-full backward hook when outputs are nested in python data structure"
                + _DEPRECATED + "some grad_output.")
    if len(out_nodes) > 1:
        return ("Using a non-full backward hook when outputs are generated by different autograd "
                "Nodes" + _DEPRECATED + "some grad_output." + _USE_FULL)
    if {a.grad_fn for a in args if a.grad_fn is not None} != {n for n, _ in node.next_functions}:
        return ("Using a non-full backward hook when the forward contains multiple autograd Nodes"
                + _DEPRECATED + "some grad_input." + _USE_FULL)
    return None
