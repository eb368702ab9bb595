"""Window functions for signal processing (Hann, Hamming, Blackman, Bartlett, Kaiser)."""

__all__: list = []
TENSOR_METHODS: tuple = ()
