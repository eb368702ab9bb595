"""Calling a module with parameters and buffers swapped for given tensors."""

__all__: list = []
