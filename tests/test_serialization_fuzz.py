"""Fuzzing the loaders with mutated valid files: only ember's clear exceptions may come out.

CI runs a short pass (200 examples per test). For a long run:

    EMBER_FUZZ_EXAMPLES=20000 python -m pytest tests/test_serialization_fuzz.py -o addopts=""

(the long run draws fresh random examples instead of CI's fixed ones).
"""

from __future__ import annotations

import io
import os
import tempfile
import zipfile
from collections import OrderedDict
from pickle import UnpicklingError

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ember
from ember.nn.parameter import Parameter
from ember.serialization import load, load_file, save, save_file

EXAMPLES = int(os.environ.get("EMBER_FUZZ_EXAMPLES", "200"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 200,
                suppress_health_check=list(HealthCheck), database=None)
CHECKPOINT_ERRORS = (UnpicklingError, RuntimeError)


def seed_objects() -> list:
    base = ember.tensor(np.arange(24, dtype=np.float32).reshape(4, 6))
    sd = OrderedDict(weight=base, view=base[1:, ::2], t=base.t(), bias=ember.tensor([1, 2, 3]))
    sd._metadata = {"": {"version": 1}}
    return [
        sd,
        {"model": sd, "opt": {"state": {0: {"step": ember.tensor(3.0)}},
                              "param_groups": [{"lr": 0.1, "params": [0]}]}, "epoch": 2},
        [Parameter(ember.ones(3)), ember.tensor([True, False]), (1, 2.5, "s", b"b", None),
         {1, 2}, 1 + 2j, ember.float16, ember.Size([2, 3]), ember.tensor(np.ones(2, np.complex64))],
    ]


def _bytes_of(obj) -> bytes:
    buf = io.BytesIO()
    save(obj, buf)
    return buf.getvalue()


SEEDS = [_bytes_of(obj) for obj in seed_objects()]
PICKLES = [zipfile.ZipFile(io.BytesIO(s)).read("archive/data.pkl") for s in SEEDS]


@st.composite
def mutated(draw, sources: list) -> bytes:
    """A source with a few random edits: flipped or set bytes, cuts, insertions, repeats."""
    data = bytearray(draw(st.sampled_from(sources)))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "set", "truncate", "insert", "delete", "repeat"]))
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif kind == "set" and data:
            data[pos] = draw(st.sampled_from([0, 1, 0x7F, 0x80, 0xFF, ord("("), ord("R"),
                                              ord("b"), ord("s"), ord("Q")]))
        elif kind == "truncate":
            del data[pos:]
        elif kind == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "delete":
            del data[pos:pos + draw(st.integers(1, 16))]
        elif kind == "repeat":
            data[pos:pos] = data[pos:pos + draw(st.integers(1, 32))]
    return bytes(data)


def with_pickle(pkl: bytes, seed: bytes) -> bytes:
    """``seed`` with its data.pkl replaced (so the CRC is right and the unpickler runs)."""
    src = zipfile.ZipFile(io.BytesIO(seed))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for info in src.infolist():
            z.writestr(info.filename, pkl if info.filename.endswith("data.pkl")
                       else src.read(info))
    return out.getvalue()


def touch_every_tensor(obj) -> None:
    """Read all memory of every tensor reachable from ``obj`` (out-of-bounds views would
    crash here), walking iteratively so recursive structures are fine."""
    seen, todo = set(), [obj]
    while todo:
        item = todo.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, ember.Tensor):
            np.asarray(item._data).tobytes()
        elif isinstance(item, dict):
            todo.extend(item.keys())
            todo.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            todo.extend(item)


def load_or_refuse(data: bytes) -> None:
    try:
        out = load(io.BytesIO(data))
    except CHECKPOINT_ERRORS:
        return
    touch_every_tensor(out)


@FUZZ
@given(mutated(SEEDS))
def test_mutated_checkpoint_files(data):
    load_or_refuse(data)


@FUZZ
@given(mutated(PICKLES), st.integers(0, len(SEEDS) - 1))
def test_mutated_pickles_in_valid_archives(pkl, which):
    load_or_refuse(with_pickle(pkl, SEEDS[which]))


@FUZZ
@given(st.binary(max_size=200))
def test_random_bytes_as_pickle(pkl):
    load_or_refuse(with_pickle(b"\x80\x02" + pkl, SEEDS[0]))


def _safetensors_seed() -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "seed.safetensors")
        save_file({"w": ember.tensor(np.arange(12, dtype=np.float32).reshape(3, 4)),
                   "b": ember.tensor([1, 2, 3]), "flag": ember.tensor([True]),
                   "empty": ember.tensor(np.zeros((0, 2), np.float16))}, path, {"format": "pt"})
        with open(path, "rb") as f:
            return f.read()


ST_SEEDS = [_safetensors_seed()]


@FUZZ
@given(mutated(ST_SEEDS))
def test_mutated_safetensors_files(tmp_path_factory, blob):
    path = tmp_path_factory.getbasetemp() / "fuzzed.safetensors"
    path.write_bytes(blob)
    try:
        out = load_file(path)
    except ValueError:
        return
    touch_every_tensor(out)
