"""Functional attention: scaled dot-product and multi-head attention."""

__all__: list = []
