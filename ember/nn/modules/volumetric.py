"""Three-dimensional convolution, pooling and normalisation layers, LP pooling and max unpooling."""

__all__: list = []
