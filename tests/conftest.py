"""Shared test settings: deterministic hypothesis profile sized for CI."""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=int(os.environ.get("EMBER_HYPOTHESIS_EXAMPLES", "40")), deadline=None,
    suppress_health_check=[HealthCheck.too_slow], derandomize=True)
settings.load_profile("ci")
