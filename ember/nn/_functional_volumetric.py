"""Functional 3-D convolution and pooling, LP pooling and max unpooling."""

__all__: list = []
