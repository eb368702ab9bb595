"""Remaining torch functions and Tensor methods: the *_copy forms of views, device and layout
queries, DLPack exchange, storage access and other small pieces."""

__all__: list = []
TENSOR_METHODS: tuple = ()
