"""Grid sampling, bags of embeddings, Gumbel-softmax and other functional pieces."""

__all__: list = []
