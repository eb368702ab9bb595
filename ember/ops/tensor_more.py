"""Tensor methods beyond the op families: in-place shape changes, random fills, scatters into
views."""

__all__: list = []
TENSOR_METHODS: tuple = ()
