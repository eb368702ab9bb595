"""The backward engine: an iterative walk over the graph of ``Node`` objects.

Iterative, not recursive, so that a chain of 100,000 ops needs no deep Python stack.
A node runs once every node that feeds it a gradient has run (dependency counting), so its
gradient buffer is complete when it is called.
"""

from __future__ import annotations

from typing import Any
from collections.abc import Sequence

from .anomaly_mode import check_nan
from .graph import AccumulateGrad, Node
from .grad_mode import state

__all__ = ["run_backward"]


def _count_dependencies(roots: Sequence[Node]) -> dict:
    """For every node reachable from ``roots``: how many edges point at it."""
    deps: dict = {}
    stack = list(roots)
    for node in stack:
        deps.setdefault(node, 0)
    while stack:
        for nxt, _ in stack.pop().next_functions:
            if nxt is None:
                continue
            if nxt in deps:
                deps[nxt] += 1
            else:
                deps[nxt] = 1
                stack.append(nxt)
    return deps


def _needed_nodes(targets: set, roots: Sequence[Node], deps: dict) -> set:
    """Nodes from which a target can be reached: the only ones worth running."""
    remaining = dict(deps)
    order = [n for n in roots if remaining[n] == 0]
    for node in order:  # Kahn's algorithm: ``order`` grows into a topological order
        for nxt, _ in node.next_functions:
            if nxt is not None:
                remaining[nxt] -= 1
                if remaining[nxt] == 0:
                    order.append(nxt)
    # A target only has its incoming gradient captured: it runs (and frees its saved
    # tensors) only when another target lies beyond it.
    needed = set()
    for node in reversed(order):  # every successor is decided before its predecessors
        if any(n in needed or n in targets for n, _ in node.next_functions):
            needed.add(node)
    return needed


def _tensor_hooks(node: Node, grads: list, node_hooks: bool = True) -> list:
    """Hooks from ``Tensor.register_hook`` then ``retain_grad``, per output, then (with
    ``node_hooks``) the node's own pre-hooks."""
    if node._tensor_hooks:
        for nr, hook in list(node._tensor_hooks.values()):
            if grads[nr] is not None:
                new = hook(grads[nr])
                if new is not None:
                    grads[nr] = new
    if node._retain_hooks:
        for nr, hook in list(node._retain_hooks.items()):
            if grads[nr] is not None:
                hook(grads[nr])
    if node_hooks and node._pre_hooks:
        for hook in list(node._pre_hooks.values()):
            new = hook(tuple(grads))
            if new is not None:
                grads = list(new)
    return grads


def _seed(roots: Sequence[Any], grads: Sequence[Any]) -> tuple:
    root_nodes, buffers = [], {}
    for t, g in zip(roots, grads):
        node = t.grad_fn if t.grad_fn is not None else t._grad_accumulator()
        buf = buffers.get(node)
        if buf is None:
            buf = buffers[node] = [None] * node.n_outputs
            root_nodes.append(node)
        nr = t._output_nr
        buf[nr] = g if buf[nr] is None else buf[nr] + g
    return root_nodes, buffers


def run_backward(roots: Sequence[Any], grads: Sequence[Any], retain_graph: bool,
                 create_graph: bool, inputs: Sequence[Any] | None = None,
                 accumulate: bool = True) -> list | None:
    """Propagate ``grads`` from the ``roots`` tensors through the graph.

    With ``accumulate`` the leaves' ``.grad`` are updated (``Tensor.backward``); otherwise
    the gradients reaching ``inputs`` are captured and returned (``autograd.grad``).
    """
    root_nodes, buffers = _seed(roots, grads)
    deps = _count_dependencies(root_nodes)
    captured, capture_at, needed = None, None, None
    if inputs is not None:
        captured, capture_at = [None] * len(inputs), {}
        for i, t in enumerate(inputs):
            node = t.grad_fn if t.grad_fn is not None else t._grad_accumulator()
            capture_at.setdefault(node, []).append((i, t._output_nr))
        needed = _needed_nodes(set(capture_at), root_nodes, deps)
    ready = [n for n in root_nodes if deps[n] == 0]
    prev_mode = state.enabled
    state.enabled = create_graph
    try:
        while ready:
            node = ready.pop()
            node_grads = buffers.pop(node, None)
            if needed is not None and node not in needed:
                if node_grads is not None and node in capture_at:
                    # A node that does not run still has its tensors' hooks (retain_grad's
                    # too) applied to the gradient it captures.
                    _capture(node, _tensor_hooks(node, node_grads, node_hooks=False),
                             capture_at, captured)
                _skip(node, deps, ready)
            elif type(node) is AccumulateGrad and capture_at is None:
                _accumulate(node, node_grads)
            else:
                _execute(node, node_grads, buffers, deps, ready, capture_at, captured,
                         retain_graph)
    finally:
        state.enabled = prev_mode
    return captured


def _skip(node: Node, deps: dict, ready: list) -> None:
    for nxt, _ in node.next_functions:
        if nxt is not None:
            deps[nxt] -= 1
            if deps[nxt] == 0:
                ready.append(nxt)


def _accumulate(node: AccumulateGrad, node_grads: list | None) -> None:
    if node_grads is None or node_grads[0] is None:
        return
    if node._tensor_hooks or node._pre_hooks or node._retain_hooks:
        node_grads = _tensor_hooks(node, node_grads)
    node.accumulate(node_grads.pop())  # pop: the accumulator may adopt an unshared grad


def _capture(node: Node, node_grads: list, capture_at: dict, captured: list) -> None:
    for i, nr in capture_at[node]:
        captured[i] = node_grads[nr]


def _execute(node: Node, node_grads: list | None, buffers: dict, deps: dict, ready: list,
             capture_at: dict | None, captured: list | None, retain_graph: bool) -> None:
    if node_grads is not None:
        if capture_at is not None and node in capture_at:
            # A node that runs has its gradient captured as it arrives, before any hook.
            _capture(node, node_grads, capture_at, captured)
        if node._tensor_hooks or node._pre_hooks or node._retain_hooks:
            node_grads = _tensor_hooks(node, node_grads)
    if node_grads is None or type(node) is AccumulateGrad or all(
            g is None for g in node_grads):
        in_grads = ()
    else:
        in_grads = node.backward(*node_grads)
        if type(in_grads) is not tuple:
            in_grads = (in_grads,)
        if node._hooks:
            for hook in list(node._hooks.values()):
                new = hook(in_grads, tuple(node_grads))
                if new is not None:
                    in_grads = tuple(new)
        if state.anomaly and state.anomaly_nan:
            check_nan(node, in_grads)
    if not retain_graph:
        node.release()
    n = len(in_grads)
    for idx, (nxt, nr) in enumerate(node.next_functions):
        if nxt is None:
            continue
        g = in_grads[idx] if idx < n else None
        if g is not None:
            buf = buffers.get(nxt)
            if buf is None:
                buf = buffers[nxt] = [None] * nxt.n_outputs
            buf[nr] = g if buf[nr] is None else buf[nr] + g
        deps[nxt] -= 1
        if deps[nxt] == 0:
            ready.append(nxt)
