"""``ember.Size``: the tuple subclass that shapes are reported as."""

from __future__ import annotations

import math


class Size(tuple):
    """A tensor shape; prints as ``ember.Size([3, 784])``."""

    __slots__ = ()

    def __new__(cls, sizes=()):
        return tuple.__new__(cls, (int(s) for s in sizes))

    def numel(self) -> int:
        return math.prod(self)

    def __repr__(self) -> str:
        return f"ember.Size([{', '.join(str(s) for s in self)}])"

    __str__ = __repr__

    def __getitem__(self, key):
        out = tuple.__getitem__(self, key)
        return Size(out) if isinstance(key, slice) else out

    def __add__(self, other):
        if not isinstance(other, tuple):
            raise TypeError(f"can only concatenate tuple (not {type(other).__name__}) to "
                            "ember.Size")
        return Size(tuple.__add__(self, other))

    def __radd__(self, other):
        if not isinstance(other, tuple):  # tuple + Size lands here; anything else is an error
            return NotImplemented
        return Size(tuple.__add__(other, self))

    def __mul__(self, times):
        # As a plain tuple, so that a non-integer gets Python's own sequence-repeat error.
        return Size(tuple(self) * times)

    __rmul__ = __mul__

    def __reduce__(self):
        return (Size, (tuple(self),))
