"""``ember._allocator``: glibc's thresholds raised once, unless the process chose its own."""

import subprocess
import sys

import pytest

from ember import _allocator

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")


def _tune_in_child(env_extra: dict) -> str:
    import os
    env = {k: v for k, v in os.environ.items()
           if k not in ("EMBER_ALLOCATOR", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")}
    env.update(env_extra)
    code = "from ember import _allocator; print(_allocator.tune())"
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, check=True).stdout.strip()


def test_thresholds_are_set_on_glibc():
    import ctypes
    glibc = hasattr(ctypes.CDLL(None), "gnu_get_libc_version")
    assert _tune_in_child({}) == str(glibc)


@pytest.mark.parametrize("env", [{"EMBER_ALLOCATOR": "system"},
                                 {"MALLOC_MMAP_THRESHOLD_": "131072"},
                                 {"MALLOC_TRIM_THRESHOLD_": "131072"}])
def test_a_process_that_chose_its_own_settings_keeps_them(env):
    assert _tune_in_child(env) == "False"


def test_tuning_twice_is_harmless():
    assert _allocator.tune() == _allocator.tune()


def test_factories_place_large_tensors_on_a_cache_line():
    import numpy as np

    import ember
    from ember._allocator import aligned_array
    made = [ember.empty(512, 784), ember.zeros(64, 100), ember.ones(3, 1000),
            ember.full((40, 40), 2.5), ember.nn.Linear(784, 512).weight]
    for t in made:
        assert t._data.ctypes.data % 64 == 0 and t._data.flags.c_contiguous
    assert made[1].sum().item() == 0 and made[2].sum().item() == 3000
    assert made[3].sum().item() == 4000
    small = aligned_array((3,), np.float32, True)
    assert small.tolist() == [0.0, 0.0, 0.0] and small.base is None
    big = aligned_array((2, 1024), np.float64, False)
    assert big.shape == (2, 1024) and big.dtype == np.float64
