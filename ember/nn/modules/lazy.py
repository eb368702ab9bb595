"""Lazy layers, whose parameter shapes are inferred from the first input."""

__all__: list = []
