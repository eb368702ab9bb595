"""ember.save_file / ember.load_file against the safetensors package, and hostile headers."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

import ember
from ember.serialization import load_file, save_file

safetensors_numpy = pytest.importorskip("safetensors.numpy")

NP_DTYPES = ["float16", "float32", "float64", "complex64", "uint8", "int8", "int16", "int32",
             "int64", "bool"]


def arrays() -> dict:
    r = np.random.default_rng(0)
    out = {}
    for i, d in enumerate(NP_DTYPES):
        shape = [(3, 4), (5,), (), (2, 0, 3), (1, 2, 1)][i % 5]
        out[f"t.{d}"] = np.asarray(r.standard_normal(shape) * 10).astype(d)
    return out


def test_ember_files_read_by_safetensors_and_back(tmp_path):
    src = arrays()
    tensors = {k: ember.tensor(v) for k, v in src.items()}
    tensors["transposed"] = ember.tensor(src["t.float32"]).t()  # written contiguous
    save_file(tensors, tmp_path / "e.safetensors", metadata={"format": "pt"})
    theirs = safetensors_numpy.load_file(str(tmp_path / "e.safetensors"))
    assert set(theirs) == set(tensors)
    for k, t in tensors.items():
        assert theirs[k].dtype == t.numpy().dtype and theirs[k].shape == tuple(t.shape)
        np.testing.assert_array_equal(theirs[k], t.numpy())
    ours = load_file(tmp_path / "e.safetensors")
    assert list(ours) == list(theirs)  # file order, as the reference loader gives it
    for k in tensors:
        np.testing.assert_array_equal(ours[k].numpy(), theirs[k])


def test_safetensors_files_read_by_ember(tmp_path):
    src = arrays()
    safetensors_numpy.save_file(src, str(tmp_path / "s.safetensors"), metadata={"a": "b"})
    ours = load_file(str(tmp_path / "s.safetensors"))
    assert set(ours) == set(src)
    for k, v in src.items():
        assert ours[k].dtype == ember._dtype.from_np(v.dtype)
        np.testing.assert_array_equal(ours[k].numpy(), v)
    ours["t.float32"].add_(1.0)  # loaded tensors own writable memory


def test_layout_matches_the_reference_writer(tmp_path):
    src = arrays()
    save_file({k: ember.tensor(v) for k, v in src.items()}, tmp_path / "e.safetensors",
              {"format": "pt"})
    safetensors_numpy.save_file(src, str(tmp_path / "s.safetensors"), {"format": "pt"})
    assert (tmp_path / "e.safetensors").read_bytes() == (tmp_path / "s.safetensors").read_bytes()


def test_torch_safetensors_interop(tmp_path):
    torch = pytest.importorskip("torch")
    st_torch = pytest.importorskip("safetensors.torch")
    model = torch.nn.Linear(4, 3)
    st_torch.save_file(model.state_dict(), str(tmp_path / "m.safetensors"))
    ours = load_file(tmp_path / "m.safetensors")
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(ours[k].numpy(), v.numpy())
    save_file(ours, tmp_path / "back.safetensors")
    model.load_state_dict(st_torch.load_file(str(tmp_path / "back.safetensors")))


def test_bad_arguments_to_save_file(tmp_path):
    with pytest.raises(TypeError, match="complex128"):
        save_file({"c": ember.tensor(np.ones(2, np.complex128))}, tmp_path / "x")
    with pytest.raises(TypeError, match="not a tensor"):
        save_file({"a": np.ones(2)}, tmp_path / "x")
    with pytest.raises(TypeError, match="metadata"):
        save_file({"a": ember.ones(2)}, tmp_path / "x", metadata={"k": 1})
    with pytest.raises(TypeError, match="__metadata__"):
        save_file({"__metadata__": ember.ones(2)}, tmp_path / "x")
    assert not (tmp_path / "x").exists()


# -- hostile files --------------------------------------------------------------------------
def build(header, data: bytes = b"", length: int | None = None) -> bytes:
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack("<Q", len(raw) if length is None else length) + raw + data


def entry(dtype="F32", shape=(2,), offsets=(0, 8)) -> dict:
    return {"dtype": dtype, "shape": list(shape), "data_offsets": list(offsets)}


EIGHT = bytes(range(8))


@pytest.mark.parametrize("blob,match", [
    (b"", "shorter"),
    (b"\x01\x00", "shorter"),
    (build({}, length=10**12), "exceeds"),
    (build({}, length=2**64 - 1), "exceeds"),
    (build(b"{" * 100_000), "JSON"),  # deep nesting
    (build(b"[" * 50_000 + b"]" * 50_000), "JSON"),
    (build(b'{"a": 1, "a": 2}'), "repeats"),
    (build(b"\xff\xfe"), "JSON"),
    (build([1, 2]), "object"),
    (build({"a": entry(offsets=(0, 8)), "b": entry(offsets=(4, 12))}, EIGHT + EIGHT[:4]),
     "overlapping"),
    (build({"a": entry(offsets=(0, 8))}, EIGHT + b"hidden"), "cover"),
    (build({"a": entry(offsets=(8, 16))}, EIGHT * 2), "starts at 8"),
    (build({"a": entry(offsets=(0, 16), shape=(4,))}, EIGHT), "cover"),
    (build({"a": entry(offsets=(0, 2**70), shape=(2**68,))}, EIGHT), "cover"),
    (build({"a": entry(offsets=(0, 8), shape=(3,))}, EIGHT), "8 bytes for shape"),
    (build({"a": entry(offsets=(8, 0))}, EIGHT), "data_offsets"),
    (build({"a": entry(offsets=(-8, 0))}, EIGHT), "data_offsets"),
    (build({"a": entry(offsets=(0, 8.0))}, EIGHT), "data_offsets"),
    (build({"a": entry(shape=(-2,))}, EIGHT), "shape"),
    (build({"a": entry(shape=(True, 2))}, EIGHT), "shape"),
    (build({"a": entry(shape=[1] * 65)}, EIGHT), "shape"),
    (build({"a": entry(dtype="BF16", shape=(4,))}, EIGHT), "BF16"),
    (build({"a": entry(dtype="F8_E5M2", shape=(4,))}, EIGHT), "F8_E5M2"),
    (build({"a": entry(dtype=["F32"])}, EIGHT), "dtype"),
    (build({"a": {"dtype": "F32", "shape": [2]}}, EIGHT), "exactly"),
    (build({"a": dict(entry(), extra=1)}, EIGHT), "exactly"),
    (build({"a": [1]}, EIGHT), "exactly"),
    (build({"__metadata__": {"k": 1}, "a": entry()}, EIGHT), "__metadata__"),
])
def test_hostile_headers_are_refused(tmp_path, blob, match):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(blob)
    with pytest.raises(ValueError, match=match):
        load_file(path)


def test_valid_hand_built_file_loads(tmp_path):
    """Control for the hostile cases: the same builder makes a file that loads."""
    path = tmp_path / "ok.safetensors"
    path.write_bytes(build({"__metadata__": {"k": "v"}, "a": entry(), "z": entry(
        shape=(0, 3), offsets=(8, 8))}, np.array([1.5, -2.0], "<f4").tobytes()))
    out = load_file(path)
    assert out["a"].tolist() == [1.5, -2.0] and tuple(out["z"].shape) == (0, 3)
