"""``ember.fft``: discrete Fourier transforms, as in torch.fft."""

__all__: list = []
