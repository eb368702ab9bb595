"""ember.save / ember.load against PyTorch: the file format and round trips both ways."""

from __future__ import annotations

import collections
import io
import json
import os
import struct
import subprocess
import sys
import textwrap
import warnings
import zipfile

import numpy as np
import pytest

import ember
from ember.serialization import load, save

torch = pytest.importorskip("torch")

DTYPES = ["float16", "float32", "float64", "complex64", "complex128", "uint8", "int8", "int16",
          "int32", "int64", "bool"]
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def torch_load(data: bytes, **kwargs):
    """torch.load that fails on any warning (ember's files must load cleanly)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return torch.load(io.BytesIO(data), weights_only=True, **kwargs)


def ember_bytes(obj) -> bytes:
    buf = io.BytesIO()
    save(obj, buf)
    return buf.getvalue()


def torch_bytes(obj, **kwargs) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf, **kwargs)
    return buf.getvalue()


def sample(dtype: str, shape=(3, 4), seed: int = 0) -> np.ndarray:
    r = np.random.default_rng(seed)
    if dtype == "bool":
        return r.random(shape) > 0.5
    if dtype.startswith("complex"):
        return (r.standard_normal(shape) + 1j * r.standard_normal(shape)).astype(dtype)
    if dtype.startswith(("int", "uint")):
        return r.integers(0, 100, shape).astype(dtype)
    return r.standard_normal(shape).astype(dtype)


def assert_same_tensor(e, t) -> None:
    """Values, dtype, shape, strides, storage offset and requires_grad agree."""
    assert isinstance(e, ember.Tensor) and isinstance(t, torch.Tensor)
    assert str(e.dtype).split(".")[1] == str(t.dtype).split(".")[1]
    assert tuple(e.shape) == tuple(t.shape)
    assert e.stride() == t.stride()
    assert e.storage_offset() == t.storage_offset()
    assert e.requires_grad == t.requires_grad
    np.testing.assert_array_equal(e.detach().numpy(), t.detach().numpy())


def twin_views():
    """The same views of one storage built in ember and in torch."""
    base = np.arange(24, dtype=np.float32).reshape(4, 6)
    e, t = ember.tensor(base), torch.tensor(base)
    views = {
        "base": lambda x: x, "rows": lambda x: x[1:3], "cols": lambda x: x[:, 2:5],
        "transposed": lambda x: x.t(), "stepped": lambda x: x[::2, 1::3],
        "row": lambda x: x[2], "piece": lambda x: x[2, 3:4], "flat": lambda x: x.reshape(-1)[5:],
    }
    return ({k: f(e) for k, f in views.items()}, {k: f(t) for k, f in views.items()})


# -- the archive ----------------------------------------------------------------------------
def test_archive_records_match_torch():
    e, t = twin_views()
    ours, theirs = zipfile.ZipFile(io.BytesIO(ember_bytes(e))), zipfile.ZipFile(
        io.BytesIO(torch_bytes(t)))
    assert ours.namelist() == theirs.namelist()
    for name in ("version", "byteorder", ".format_version", ".storage_alignment"):
        assert ours.read(f"archive/{name}") == theirs.read(f"archive/{name}")
    assert len(ours.read("archive/.data/serialization_id")) == 40
    assert ours.read("archive/data/0") == theirs.read("archive/data/0")  # one shared storage


def test_pickle_stream_is_byte_identical_to_torch():
    from ember.nn.parameter import Parameter
    e, t = twin_views()
    for d in DTYPES:
        e[d], t[d] = ember.tensor(sample(d)), torch.tensor(sample(d))
    e["param"], t["param"] = Parameter(ember.ones(3)), torch.nn.Parameter(torch.ones(3))
    e["grad"] = ember.ones(2, requires_grad=True)
    t["grad"] = torch.ones(2, requires_grad=True)
    plain = [1, 2.5, "text", (None, True), {"k": b"\x00\xff"}, {1, 2}, frozenset([3]), 1 + 2j,
             2**70, -5, float("inf")]
    e["plain"], t["plain"] = plain, plain
    e["dtype"], t["dtype"] = ember.float16, torch.float16
    e["size"], t["size"] = ember.Size([2, 3]), torch.Size([2, 3])
    e, t = collections.OrderedDict(e), collections.OrderedDict(t)
    e._metadata = t._metadata = {"": {"version": 1}}
    ours = zipfile.ZipFile(io.BytesIO(ember_bytes(e))).read("archive/data.pkl")
    theirs = zipfile.ZipFile(io.BytesIO(torch_bytes(t))).read("archive/data.pkl")
    assert ours == theirs


def test_records_are_64_byte_aligned_and_output_is_deterministic(tmp_path):
    obj = {"a": ember.tensor(sample("float32", (5, 7))), "b": ember.tensor(sample("int8", (3,)))}
    data = ember_bytes(obj)
    assert data == ember_bytes(obj)
    for info in zipfile.ZipFile(io.BytesIO(data)).infolist():
        name_len, extra_len = struct.unpack("<HH", data[info.header_offset + 26:
                                                        info.header_offset + 30])
        assert (info.header_offset + 30 + name_len + extra_len) % 64 == 0, info.filename
    path = tmp_path / "model.weights.pth"
    save(obj, path)
    assert zipfile.ZipFile(path).namelist()[0] == "model.weights/data.pkl"  # torch's naming
    first = path.read_bytes()
    save(obj, path)
    assert path.read_bytes() == first
    assert torch.load(path, weights_only=True)["b"].tolist() == obj["b"].tolist()


# -- ember -> torch -> ember ----------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
def test_every_dtype_round_trips(dtype):
    arr = sample(dtype, (3, 4))
    e = {"x": ember.tensor(arr), "xt": ember.tensor(arr).t(),
         "scalar": ember.tensor(np.asarray(arr[0, 0]))}
    t = torch_load(ember_bytes(e))
    for k in e:
        assert_same_tensor(e[k], t[k])
    back = load(io.BytesIO(torch_bytes(t)))
    for k in e:
        assert_same_tensor(back[k], t[k])


def test_views_keep_layout_and_sharing_both_ways():
    e, t = twin_views()
    from_ember = torch_load(ember_bytes(e))
    ptrs = {v.untyped_storage().data_ptr() for v in from_ember.values()}
    assert len(ptrs) == 1  # stored once, shared again in torch
    for k in e:
        assert_same_tensor(e[k], from_ember[k])
    from_torch = load(io.BytesIO(torch_bytes(t)))
    for k in t:
        assert_same_tensor(from_torch[k], t[k])
    from_torch["base"][0, 0] = 100.0  # a write through one view shows in the others
    assert from_torch["transposed"][0, 0].item() == 100.0
    assert from_torch["flat"][-1].item() == from_torch["base"][3, 5].item()


def test_torch_to_ember_to_torch_keeps_values_strides_and_sharing():
    base = torch.arange(30, dtype=torch.float64).reshape(5, 6)
    t = {"a": base, "b": base[1:, ::2], "c": base.t()[2], "e": base.expand(2, 5, 6),
         "z": torch.zeros(0, 3)}
    again = torch_load(ember_bytes(load(io.BytesIO(torch_bytes(t)))))
    for k in t:
        assert torch.equal(again[k], t[k]) and again[k].stride() == t[k].stride()
        assert again[k].storage_offset() == t[k].storage_offset()
    assert again["a"].untyped_storage().data_ptr() == again["c"].untyped_storage().data_ptr()


def test_negative_strides_and_odd_roots_are_saved_as_copies():
    arr = np.arange(10, dtype=np.float32)
    from ember._tensor import tensor_from_array
    flipped = tensor_from_array(arr[::-1])
    t = torch_load(ember_bytes({"f": flipped, "a": tensor_from_array(arr)}))
    assert t["f"].tolist() == arr[::-1].tolist() and t["a"].tolist() == arr.tolist()


def test_views_of_non_contiguous_roots_keep_their_shape():
    from ember._tensor import tensor_from_array
    base = np.arange(10.0)
    strided = np.lib.stride_tricks.as_strided(base, (3,), (16,))  # a root with gaps
    e = {"s": tensor_from_array(strided), "scalar": tensor_from_array(strided[1, ...])}
    t = torch_load(ember_bytes(e))
    assert t["s"].tolist() == [0.0, 2.0, 4.0]
    assert t["scalar"].shape == () and t["scalar"].item() == 2.0


def test_tensors_viewing_one_root_as_two_dtypes_are_refused_like_torch():
    from ember._tensor import tensor_from_array
    arr = np.zeros(4, np.float32)
    with pytest.raises(RuntimeError) as ours:
        ember_bytes([tensor_from_array(arr), tensor_from_array(arr.view(np.int32))])
    x = torch.zeros(4)
    with pytest.raises(RuntimeError) as theirs:
        torch_bytes([x, x.view(torch.int32)])
    assert str(ours.value) == str(theirs.value)


def test_parameters_and_requires_grad_both_ways():
    from ember.nn.parameter import Parameter
    e = {"p": Parameter(ember.tensor([1.0, 2.0])), "frozen": Parameter(ember.ones(2), False),
         "g": ember.ones(2, requires_grad=True) * 3}
    t = torch_load(ember_bytes(e))
    assert type(t["p"]) is torch.nn.Parameter and t["p"].requires_grad
    assert type(t["frozen"]) is torch.nn.Parameter and not t["frozen"].requires_grad
    assert t["g"].requires_grad and t["g"].grad_fn is None
    back = load(io.BytesIO(torch_bytes(t)))
    assert type(back["p"]) is Parameter and back["p"].requires_grad
    assert type(back["frozen"]) is Parameter and not back["frozen"].requires_grad
    assert back["g"].requires_grad and back["g"].is_leaf


def test_plain_python_values_round_trip():
    obj = {"int": 3, "big": -(2**80), "float": 0.1, "str": "ünïcode", "bytes": b"\x00\x01",
           "none": None, "bools": [True, False], "tuple": (1, (2, 3)), "set": {1, "a"},
           "complex": 1 - 2j, "nested": {"a": [{"b": {}}]}, "dtype": ember.int16,
           "size": ember.Size([1, 2]), "device": ember.device("cpu")}
    t = torch_load(ember_bytes(obj))
    assert t["dtype"] is torch.int16 and t["size"] == torch.Size([1, 2])
    assert t["device"] == torch.device("cpu")
    assert {k: v for k, v in t.items() if k not in ("dtype", "size", "device")} == {
        k: v for k, v in obj.items() if k not in ("dtype", "size", "device")}
    # torch's own allowlist lacks these; ember's has them.
    obj.update(frozenset=frozenset([2.5]), slice=slice(1, None, 2), bytearray=bytearray(b"xy"))
    back = load(io.BytesIO(ember_bytes(obj)))
    assert back == obj


def test_optimizer_and_model_state_dicts_from_torch():
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    opt = torch.optim.Adam(model.parameters())
    model(torch.ones(2, 3)).sum().backward()
    opt.step()
    ckpt = {"model": model.state_dict(), "opt": opt.state_dict(), "epoch": 7}
    back = load(io.BytesIO(torch_bytes(ckpt)))
    assert back["model"]._metadata == model.state_dict()._metadata
    assert back["opt"]["param_groups"] == ckpt["opt"]["param_groups"]
    for k, v in ckpt["model"].items():
        assert_same_tensor(back["model"][k], v)
    for idx, state in ckpt["opt"]["state"].items():
        for k, v in state.items():
            assert_same_tensor(back["opt"]["state"][idx][k], v)
    again = torch_load(ember_bytes(back))
    model.load_state_dict(again["model"])  # torch accepts what ember wrote
    opt.load_state_dict(again["opt"])


def test_tensor_with_python_attributes_from_torch_loads():
    t = torch.arange(3.0)
    t.note = "hello"  # torch pickles this through _rebuild_from_type_v2
    back = load(io.BytesIO(torch_bytes([t, torch.nn.Parameter(torch.ones(1))])))
    assert back[0].tolist() == [0.0, 1.0, 2.0]


def test_large_tensor_in_small_chunks(monkeypatch):
    from ember._serialization import _zip
    monkeypatch.setattr(_zip, "_CHUNK", 1000)  # exercise the chunked CRC, write and read
    arr = sample("float64", (517, 33))
    t = torch_load(ember_bytes({"x": ember.tensor(arr)}))
    np.testing.assert_array_equal(t["x"].numpy(), arr)
    back = load(io.BytesIO(torch_bytes(t)))
    np.testing.assert_array_equal(back["x"].numpy(), arr)


def test_zip64_records_are_read_by_torch_and_zipfile(monkeypatch):
    from ember._serialization import _zip
    monkeypatch.setattr(_zip, "_ZIP64_LIMIT", 16)  # every size and offset takes zip64 fields
    arr = sample("int32", (40,))
    data = ember_bytes({"x": ember.tensor(arr)})
    assert zipfile.ZipFile(io.BytesIO(data)).testzip() is None
    np.testing.assert_array_equal(torch_load(data)["x"].numpy(), arr)
    np.testing.assert_array_equal(load(io.BytesIO(data))["x"].numpy(), arr)


# -- files, map_location, mmap --------------------------------------------------------------
def test_paths_and_file_objects(tmp_path):
    obj = {"x": ember.arange(6).reshape(2, 3)}
    save(obj, str(tmp_path / "a.pt"))
    save(obj, tmp_path / "b.pt")
    with open(tmp_path / "c.pt", "wb") as f:
        f.write(b"junk")  # loading starts at the file's current position
        save(obj, f)
    for name in ("a.pt", "b.pt"):
        assert torch.load(tmp_path / name, weights_only=True)["x"].tolist() == [[0, 1, 2],
                                                                                [3, 4, 5]]
        assert load(tmp_path / name)["x"].tolist() == [[0, 1, 2], [3, 4, 5]]
    with open(tmp_path / "c.pt", "rb") as f:
        f.seek(4)
        assert load(f)["x"].tolist() == [[0, 1, 2], [3, 4, 5]]


def test_non_seekable_streams():
    class WriteOnly:
        def __init__(self):
            self.chunks = []

        def write(self, b):
            self.chunks.append(bytes(b))
            return len(b)

        def flush(self):
            pass

    out = WriteOnly()
    save({"x": ember.ones(3)}, out)
    data = b"".join(out.chunks)
    assert torch_load(data)["x"].tolist() == [1.0, 1.0, 1.0]

    class ReadOnly(io.RawIOBase):
        def __init__(self, data):
            self._src = io.BytesIO(data)

        def readable(self):
            return True

        def readinto(self, b):
            return self._src.readinto(b)

    assert load(io.BufferedReader(ReadOnly(data)))["x"].tolist() == [1.0, 1.0, 1.0]


def test_save_to_missing_directory_matches_torch(tmp_path):
    missing = tmp_path / "nope" / "x.pt"
    with pytest.raises(RuntimeError) as ours:
        save(1, missing)
    with pytest.raises(RuntimeError) as theirs:
        torch.save(1, missing)
    assert str(ours.value) == str(theirs.value)


def test_map_location_forms():
    data = torch_bytes({"x": torch.arange(4.0)})
    seen = []

    def keep(storage, location):
        seen.append(location)
        return storage

    for ml in (None, "cpu", ember.device("cpu"), {"cpu": "cpu"}, keep, lambda s, loc: None):
        assert load(io.BytesIO(data), map_location=ml)["x"].tolist() == [0.0, 1.0, 2.0, 3.0]
    assert seen == ["cpu"]


def test_cuda_locations_need_a_map_location_without_a_gpu():
    raw = torch_bytes({"x": torch.arange(3.0)})
    src = zipfile.ZipFile(io.BytesIO(raw))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith("data.pkl"):  # pretend it was saved on a GPU
                data = data.replace(b"X\x03\x00\x00\x00cpu", b"X\x06\x00\x00\x00cuda:0")
            z.writestr(info.filename, data)
    if ember.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(RuntimeError, match="map_location"):
        load(io.BytesIO(out.getvalue()))
    for ml in ("cpu", {"cuda:0": "cpu"}):
        assert load(io.BytesIO(out.getvalue()), map_location=ml)["x"].tolist() == [0, 1, 2]


def test_mmap_loading_both_ways(tmp_path):
    arr = sample("float32", (64, 3))
    x = torch.tensor(arr)
    torch.save({"x": x, "y": x[::2]}, tmp_path / "t.pt")
    save({"x": ember.tensor(arr)}, tmp_path / "e.pt")
    before = (tmp_path / "t.pt").read_bytes()
    got = load(tmp_path / "t.pt", mmap=True)
    np.testing.assert_array_equal(got["y"].numpy(), arr[::2])
    got["x"][0, 0] = 123.0  # copy-on-write: the file does not change
    assert got["y"][0, 0].item() == 123.0
    assert (tmp_path / "t.pt").read_bytes() == before
    mapped = torch.load(tmp_path / "e.pt", mmap=True, weights_only=True)
    np.testing.assert_array_equal(mapped["x"].numpy(), arr)
    with pytest.raises(ValueError, match="file path"):
        load(io.BytesIO(before), mmap=True)


# -- formats ember does not read ------------------------------------------------------------
def test_legacy_format_gets_a_clear_error():
    data = torch_bytes({"x": torch.ones(2)}, _use_new_zipfile_serialization=False)
    with pytest.raises(RuntimeError, match="legacy"):
        load(io.BytesIO(data))


def test_torchscript_archive_gets_a_clear_error():
    buf = io.BytesIO()
    torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), buf)
    with pytest.raises(RuntimeError, match="TorchScript"):
        load(io.BytesIO(buf.getvalue()))


def test_bfloat16_is_refused_by_name():
    with pytest.raises(Exception, match="bfloat16"):
        load(io.BytesIO(torch_bytes(torch.ones(2, dtype=torch.bfloat16))))


# -- a process that cannot import torch -----------------------------------------------------
def test_loader_runs_without_torch(tmp_path):
    base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    torch.save({"w": base, "t": base.t(), "step": 5, "p": torch.nn.Parameter(torch.ones(2))},
               tmp_path / "ckpt.pt")
    script = textwrap.dedent("""
        import json, sys

        class NoTorch:
            def find_spec(self, name, path=None, target=None):
                if name == "torch" or name.startswith("torch."):
                    raise ImportError("torch is not available here")

        sys.meta_path.insert(0, NoTorch())
        try:
            import torch
            blocked = False
        except ImportError:
            blocked = True
        import ember
        out = ember.load(sys.argv[1])
        out["t"][0, 1] = -1.0  # shared storage: visible through "w" too
        print(json.dumps({"blocked": blocked, "torch_loaded": "torch" in sys.modules,
                          "w": out["w"].tolist(), "t_stride": list(out["t"].stride()),
                          "step": out["step"], "p_grad": out["p"].requires_grad}))
    """)
    env = dict(os.environ, PYTHONPATH=REPO)
    proc = subprocess.run([sys.executable, "-c", script, str(tmp_path / "ckpt.pt")],
                          capture_output=True, text=True, env=env, check=False)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    expected = base.clone()
    expected[1, 0] = -1.0
    assert result == {"blocked": True, "torch_loaded": False, "w": expected.tolist(),
                      "t_stride": [1, 4], "step": 5, "p_grad": True}
