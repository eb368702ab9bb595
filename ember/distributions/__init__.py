"""``ember.distributions``: probability distributions with sampling, log-densities and KL divergences, as torch.distributions."""

__all__: list = []
