"""Functional margin and sequence losses."""

__all__: list = []
