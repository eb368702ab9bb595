"""The backward engine: an iterative walk over the graph of ``Node`` objects.

Iterative, not recursive, so that a chain of 100,000 ops needs no deep Python stack.
Nodes run in reverse topological order: a node runs once every node that feeds it a
gradient has run, so its gradient buffer is complete when it is called.
"""

from __future__ import annotations

from typing import Any, Sequence

from .graph import AccumulateGrad, Node
from .grad_mode import state

__all__ = ["run_backward"]


def _count_dependencies(roots: Sequence[Node]) -> dict[Node, int]:
    """For every reachable node, how many edges point at it."""
    deps: dict[Node, int] = {}
    seen = set(roots)
    stack = list(roots)
    while stack:
        node = stack.pop()
        for nxt, _ in node.next_functions:
            if nxt is None:
                continue
            deps[nxt] = deps.get(nxt, 0) + 1
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return deps


def _needed_for(targets: set, roots: Sequence[Node]) -> set:
    """Nodes from which some target node can be reached (the only ones worth running)."""
    order, seen, stack = [], set(roots), list(roots)
    while stack:
        node = stack.pop()
        order.append(node)
        for nxt, _ in node.next_functions:
            if nxt is not None and nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    needed = set(targets)
    changed = True
    while changed:  # propagate "leads to a target" backwards until stable
        changed = False
        for node in order:
            if node not in needed and any(n in needed for n, _ in node.next_functions):
                needed.add(node)
                changed = True
    return needed


def _run_pre_hooks(node: Node, grads: list) -> list:
    for kind, fn in list(node._pre_hooks.values()):
        if kind == "node":
            new = fn(tuple(grads))
            if new is not None:
                grads = list(new)
        else:  # ("tensor", output_nr) hooks registered through Tensor.register_hook
            nr, hook = kind, fn
            if grads[nr] is not None:
                new = hook(grads[nr])
                if new is not None:
                    grads[nr] = new
    return grads


def run_backward(roots: Sequence[Any], grads: Sequence[Any], retain_graph: bool,
                 create_graph: bool, inputs: Sequence[Any] | None = None,
                 accumulate: bool = True) -> list | None:
    """Propagate ``grads`` from the ``roots`` tensors through the graph.

    With ``accumulate`` the leaves' ``.grad`` are updated (``Tensor.backward``); otherwise the
    gradients reaching ``inputs`` are returned (``autograd.grad``).
    """
    root_nodes, buffers = [], {}
    for t, g in zip(roots, grads):
        node = t.grad_fn if t.grad_fn is not None else t._grad_accumulator()
        buf = buffers.setdefault(node, [None] * node.n_outputs)
        nr = t._output_nr
        buf[nr] = g if buf[nr] is None else buf[nr] + g
        if node not in root_nodes:
            root_nodes.append(node)

    captured, capture_at = None, {}
    if inputs is not None:
        captured = [None] * len(inputs)
        for i, t in enumerate(inputs):
            node = t.grad_fn if t.grad_fn is not None else t._grad_accumulator()
            capture_at.setdefault(node, []).append((i, t._output_nr))
    needed = _needed_for(set(capture_at), root_nodes) if not accumulate else None

    deps = _count_dependencies(root_nodes)
    ready = [n for n in root_nodes if deps.get(n, 0) == 0]
    prev_mode = state.enabled
    state.enabled = create_graph
    try:
        while ready:
            node = ready.pop()
            node_grads = buffers.pop(node, None) or [None] * node.n_outputs
            _execute(node, node_grads, buffers, deps, ready, needed, capture_at, captured,
                     accumulate, retain_graph)
    finally:
        state.enabled = prev_mode
    return captured


def _execute(node, node_grads, buffers, deps, ready, needed, capture_at, captured,
             accumulate, retain_graph) -> None:
    if node._pre_hooks:
        node_grads = _run_pre_hooks(node, node_grads)
    if node in capture_at:
        for i, nr in capture_at[node]:
            captured[i] = node_grads[nr]
    skip = (needed is not None and node not in needed) or (
        not accumulate and type(node) is AccumulateGrad)
    in_grads = () if skip or all(g is None for g in node_grads) else node(*node_grads)
    if node._hooks and not skip:
        for hook in list(node._hooks.values()):
            new = hook(in_grads, tuple(node_grads))
            if new is not None:
                in_grads = tuple(new)
    if not retain_graph:
        node.release()
    for idx, (nxt, nr) in enumerate(node.next_functions):
        if nxt is None:
            continue
        g = in_grads[idx] if idx < len(in_grads) else None
        if g is not None:
            buf = buffers.get(nxt)
            if buf is None:
                buf = buffers[nxt] = [None] * nxt.n_outputs
            buf[nr] = g if buf[nr] is None else buf[nr] + g
        deps[nxt] -= 1
        if deps[nxt] == 0:
            ready.append(nxt)
