"""``ember.testing``: comparing tensors in tests (assert_close) and making test tensors, as torch.testing."""

__all__: list = []
