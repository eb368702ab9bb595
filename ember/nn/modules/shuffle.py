"""Pixel and channel shuffling layers, and alpha dropout."""

__all__: list = []
