"""Handles returned by ``Module.register_*_hook``: ``handle.remove()`` unregisters the hook."""

from __future__ import annotations

import itertools
from typing import Any

__all__ = ["RemovableHandle"]

_ids = itertools.count()


class RemovableHandle:
    """Removes one hook from the dicts it was registered in.

    A hook may be recorded in several dicts (the hook itself, and flags such as "called with
    kwargs"); all of them are keyed by ``handle.id``.

    >>> hooks = {}
    >>> h = RemovableHandle(hooks)
    >>> hooks[h.id] = print
    >>> h.remove()
    >>> hooks
    {}
    """

    __slots__ = ("id", "_dicts")

    def __init__(self, hooks_dict: dict, *, extra_dict: Any = None) -> None:
        self.id = next(_ids)
        extras = () if extra_dict is None else (
            tuple(extra_dict) if isinstance(extra_dict, (list, tuple)) else (extra_dict,))
        self._dicts = (hooks_dict, *extras)

    def remove(self) -> None:
        for d in self._dicts:
            d.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()

    def __repr__(self) -> str:
        return f"<ember.nn.modules.hooks.RemovableHandle object at {id(self):#x}>"
