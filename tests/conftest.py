"""Shared test settings: deterministic hypothesis profile sized for CI."""

import os
import sys

from hypothesis import HealthCheck, settings

sys.path.insert(0, os.path.dirname(__file__))  # tests import the shared ``helpers`` module

settings.register_profile(
    "ci", max_examples=int(os.environ.get("EMBER_HYPOTHESIS_EXAMPLES", "40")), deadline=None,
    suppress_health_check=[HealthCheck.too_slow], derandomize=True)
settings.load_profile("ci")
