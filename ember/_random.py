"""Random number generators: ember's own streams on NumPy's PCG64.

The same seed always gives the same numbers in ember (they differ from torch's, which uses
its own Mersenne Twister; tests that compare with torch copy values, never seeds).
"""

from __future__ import annotations

import pickle

import numpy as np

__all__ = ["Generator", "manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state",
           "default_generator"]


class Generator:
    """A seeded random stream: ``Generator().manual_seed(0)``."""

    def __init__(self, device: object = "cpu") -> None:
        from ._backend import device as _device
        self.device = device if isinstance(device, _device) else _device(device)
        self._seed = 67280421310721  # torch's documented default seed
        self._stream = None  # made on first use: importing numpy.random slows ``import ember``

    @property
    def _np(self) -> np.random.Generator:
        """The NumPy generator behind this stream."""
        if self._stream is None:
            self._stream = np.random.Generator(np.random.PCG64(self._seed))
        return self._stream

    @_np.setter
    def _np(self, stream: np.random.Generator) -> None:
        self._stream = stream

    def manual_seed(self, seed: int) -> Generator:
        """Restart the stream from ``seed`` (any int in [-2**63, 2**64)); returns self."""
        seed = int(seed)
        if not -(1 << 63) <= seed < 1 << 64:
            raise ValueError("Overflow when unpacking long long")
        if seed < 0:
            seed += 1 << 64  # torch maps negative seeds into the unsigned range
        self._seed = seed
        self._np = np.random.Generator(np.random.PCG64(seed))
        return self

    def seed(self) -> int:
        """Reseed from a non-deterministic source and return the new seed."""
        s = int.from_bytes(np.random.SeedSequence().entropy.to_bytes(16, "little")[:8], "little")
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self):
        """The stream's full state as a uint8 tensor (restores with ``set_state``)."""
        from ._tensor import tensor_from_array
        blob = pickle.dumps((self._seed, self._np.bit_generator.state))
        return tensor_from_array(np.frombuffer(blob, dtype=np.uint8).copy())

    def set_state(self, new_state) -> Generator:
        """Restore a state returned by ``get_state`` (a uint8 tensor)."""
        from ._tensor import Tensor
        if not isinstance(new_state, Tensor):
            raise TypeError(f"expected a torch.ByteTensor, but got {type(new_state).__name__}")
        data = new_state._numpy_host()
        if data.dtype != np.uint8:
            raise TypeError("RNG state must be a torch.ByteTensor")
        seed, bit_state = _decode_state(data.tobytes())
        self._seed = seed
        self._np = np.random.Generator(np.random.PCG64())
        self._np.bit_generator.state = bit_state
        return self

    def __repr__(self) -> str:
        return f"<ember.Generator object at {id(self):#x}>"


class _StateUnpickler(pickle.Unpickler):
    # RNG states are plain ints and dicts: refuse any global so a crafted state runs no code.
    def find_class(self, module: str, name: str):
        raise pickle.UnpicklingError(f"RNG state may not reference {module}.{name}")


def _decode_state(blob: bytes):
    import io
    try:
        seed, bit_state = _StateUnpickler(io.BytesIO(blob)).load()
    except Exception as e:  # noqa: BLE001
        raise RuntimeError(f"invalid RNG state: {e}") from None
    if not isinstance(bit_state, dict) or bit_state.get("bit_generator") != "PCG64":
        raise RuntimeError("invalid RNG state: not an ember generator state")
    return seed, bit_state


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the default generator (and return it), like ``torch.manual_seed``."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(new_state) -> None:
    default_generator.set_state(new_state)


def numpy_rng(generator: Generator | None) -> np.random.Generator:
    return (generator or default_generator)._np


