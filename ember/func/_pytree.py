"""Nested containers of tensors (tuples, lists, dicts, named tuples) as flat leaf lists.

The function transforms accept and return such nests; they flatten them into a list of
leaves plus a ``TreeSpec`` describing the containers, work on the leaves, then rebuild the
nest. ``repr(spec)`` and ``spec_brief(spec)`` give the two layouts used in error messages.

>>> leaves, spec = tree_flatten((1, {"a": 2, "b": [3, 4]}))
>>> leaves
[1, 2, 3, 4]
>>> tree_unflatten([5, 6, 7, 8], spec)
(5, {'a': 6, 'b': [7, 8]})
>>> spec_brief(spec)
"(*, {'a': *, 'b': [*, *]})"
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["TreeSpec", "LEAF", "tree_flatten", "tree_unflatten", "tree_map", "spec_brief",
           "broadcast_flatten"]


def _is_namedtuple(value: Any) -> bool:
    return isinstance(value, tuple) and hasattr(type(value), "_fields")


class TreeSpec:
    """The container layout of a nest: its type, keys (dicts) and children's specs."""

    def __init__(self, kind: type | None, context: Any, children: list) -> None:
        self.kind = kind          # None for a leaf
        self.context = context    # dict keys, the named tuple class, or None
        self.children = children
        self.num_leaves = 1 if kind is None else sum(c.num_leaves for c in children)

    def is_leaf(self) -> bool:
        return self.kind is None

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, TreeSpec) and self.kind is other.kind
                and self.context == other.context and self.children == other.children)

    def __hash__(self) -> int:
        return hash((self.kind, len(self.children)))

    def __repr__(self, indent: int = 0) -> str:
        if self.kind is None:
            return "*"
        name = "namedtuple" if self.kind is not tuple and issubclass(self.kind, tuple) \
            else self.kind.__name__
        inner = indent + 2
        parts = [c.__repr__(inner) for c in self.children]
        body = (",\n" + " " * inner).join(parts)
        return f"TreeSpec({name}, {self.context}, [{body}])"


LEAF = TreeSpec(None, None, [])


def tree_flatten(tree: Any) -> tuple[list, TreeSpec]:
    """The leaves of ``tree`` in order, and its spec."""
    leaves: list = []
    return leaves, _flatten_into(tree, leaves)


def _flatten_into(tree: Any, leaves: list) -> TreeSpec:
    if _is_namedtuple(tree):
        return TreeSpec(type(tree), type(tree), [_flatten_into(v, leaves) for v in tree])
    if type(tree) in (tuple, list):
        return TreeSpec(type(tree), None, [_flatten_into(v, leaves) for v in tree])
    if isinstance(tree, dict):
        keys = list(tree)
        return TreeSpec(dict, keys, [_flatten_into(tree[k], leaves) for k in keys])
    leaves.append(tree)
    return LEAF


def tree_unflatten(leaves: list, spec: TreeSpec) -> Any:
    """The nest with ``spec``'s layout holding ``leaves``."""
    it = iter(leaves)
    return _build(it, spec)


def _build(it: Any, spec: TreeSpec) -> Any:
    if spec.kind is None:
        return next(it)
    values = [_build(it, c) for c in spec.children]
    if spec.kind is dict:
        return dict(zip(spec.context, values))
    if spec.kind is tuple or spec.kind is list:
        return spec.kind(values)
    return spec.kind(*values)  # a named tuple


def tree_map(fn: Callable, tree: Any) -> Any:
    leaves, spec = tree_flatten(tree)
    return tree_unflatten([fn(v) for v in leaves], spec)


def spec_brief(spec: TreeSpec) -> str:
    """The compact layout: ``(*, [*, *])``, ``{'a': *}``."""
    if spec.kind is None:
        return "*"
    parts = [spec_brief(c) for c in spec.children]
    if spec.kind is dict:
        return "{" + ", ".join(f"{k!r}: {p}" for k, p in zip(spec.context, parts)) + "}"
    if spec.kind is list:
        return "[" + ", ".join(parts) + "]"
    if spec.kind is tuple:
        return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"
    return f"{spec.kind.__name__}(" + ", ".join(parts) + ")"


def broadcast_flatten(prefix: Any, spec: TreeSpec) -> list | None:
    """``prefix`` (a nest whose leaves stand for whole subtrees of ``spec``) expanded to one
    value per leaf of ``spec``; None when ``prefix``'s layout does not fit ``spec``."""
    out: list = []
    return out if _broadcast_into(prefix, spec, out) else None


def _broadcast_into(prefix: Any, spec: TreeSpec, out: list) -> bool:
    if spec.kind is None:
        if isinstance(prefix, (tuple, list, dict)):
            return False
        out.append(prefix)
        return True
    if not isinstance(prefix, (tuple, list, dict)):
        out.extend([prefix] * spec.num_leaves)
        return True
    kind = dict if isinstance(prefix, dict) else type(prefix)
    if kind is not spec.kind or len(prefix) != len(spec.children):
        return False
    if spec.kind is dict:
        if set(prefix) != set(spec.context):
            return False
        items = [prefix[k] for k in spec.context]
    else:
        items = list(prefix)
    return all(_broadcast_into(p, c, out) for p, c in zip(items, spec.children))
