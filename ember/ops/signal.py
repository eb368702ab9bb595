"""Short-time Fourier transforms: stft and istft."""

__all__: list = []
TENSOR_METHODS: tuple = ()
