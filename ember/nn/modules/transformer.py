"""Attention and transformer layers."""

__all__: list = []
