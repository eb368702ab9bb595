"""Folding batch normalisation into the preceding convolution or linear layer."""

__all__: list = []
