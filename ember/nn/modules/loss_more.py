"""Margin and sequence losses beyond the common ones."""

__all__: list = []
