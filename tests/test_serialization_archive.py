"""The zip container under attack (truncation, corruption, duplicates, bombs, overlaps) and
atomic saving (a process killed during ember.save leaves the previous file intact)."""

from __future__ import annotations

import io
import os
import random
import signal
import struct
import subprocess
import sys
import textwrap
import time
import warnings
import zipfile
from pickle import UnpicklingError

import numpy as np
import pytest

import ember
from ember.serialization import load, save

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def saved(obj) -> bytes:
    buf = io.BytesIO()
    save(obj, buf)
    return buf.getvalue()


def load_bytes(data: bytes):
    return load(io.BytesIO(data))


def sample_checkpoint() -> bytes:
    base = ember.tensor(np.arange(64, dtype=np.float32).reshape(8, 8))
    return saved({"w": base, "wt": base.t(), "b": ember.tensor([1, 2, 3]), "epoch": 4})


def rezip(data: bytes, compression: int = zipfile.ZIP_STORED, rename=None, extra=()) -> bytes:
    """The same records in a new zip written by Python's zipfile."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about deliberate duplicates
        with zipfile.ZipFile(out, "w", compression) as z:
            for info in src.infolist():
                name = rename(info.filename) if rename else info.filename
                z.writestr(name, src.read(info))
            for name, payload in extra:
                z.writestr(name, payload)
    return out.getvalue()


def patch_central(data: bytes, name: str, **fields: int) -> bytes:
    """Rewrite fields of one central-directory entry (the layout of the zip spec)."""
    offsets = {"compress_type": (10, "<H"), "compress_size": (20, "<I"),
               "file_size": (24, "<I"), "header_offset": (42, "<I")}
    pos = data.find(b"PK\x01\x02")
    out = bytearray(data)
    while pos >= 0:
        name_len = struct.unpack_from("<H", data, pos + 28)[0]
        if data[pos + 46:pos + 46 + name_len].decode() == name:
            for field, v in fields.items():
                off, fmt = offsets[field]
                struct.pack_into(fmt, out, pos + off, v)
            return bytes(out)
        pos = data.find(b"PK\x01\x02", pos + 4)
    raise KeyError(name)


def test_control_rezipped_checkpoints_load():
    data = sample_checkpoint()
    for compression in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        out = load_bytes(rezip(data, compression))
        assert out["wt"].tolist() == np.arange(64).reshape(8, 8).T.tolist()


def test_every_truncation_is_refused():
    data = sample_checkpoint()
    for cut in list(range(0, 100)) + list(range(100, len(data), 7)):
        with pytest.raises((RuntimeError, UnpicklingError)):
            load_bytes(data[:cut])


def test_corrupt_bytes_are_caught_by_the_crc():
    data = sample_checkpoint()
    z = zipfile.ZipFile(io.BytesIO(data))
    for name in ("archive/data.pkl", "archive/data/0"):
        offset = z.getinfo(name).header_offset
        start = offset + 30 + sum(struct.unpack_from("<HH", data, offset + 26))
        bad = bytearray(data)
        bad[start + 5] ^= 0x40
        with pytest.raises(RuntimeError, match="CRC"):
            load_bytes(bytes(bad))


def test_duplicate_records_are_refused():
    data = sample_checkpoint()
    for name in ("archive/data.pkl", "archive/data/0"):
        with pytest.raises(RuntimeError, match="more than once"):
            load_bytes(rezip(data, extra=[(name, b"x")]))


def test_declared_sizes_cannot_exceed_the_stored_bytes():
    data = sample_checkpoint()
    size = len(zipfile.ZipFile(io.BytesIO(data)).read("archive/data/0"))
    with pytest.raises(RuntimeError, match="two sizes"):
        load_bytes(patch_central(data, "archive/data/0", file_size=2**31))
    with pytest.raises(RuntimeError, match="past the end"):
        load_bytes(patch_central(data, "archive/data/0", file_size=2**31,
                                 compress_size=2**31))
    assert size == 256


def test_zip_bombs_are_refused_before_decompressing():
    zeros = np.zeros(10_000_000, np.uint8)  # deflates about 1000-fold
    real_bomb = saved({"z": ember.tensor(zeros)})
    with pytest.raises(RuntimeError, match="zip bomb"):
        load_bytes(rezip(real_bomb, zipfile.ZIP_DEFLATED))
    lying = rezip(sample_checkpoint(), zipfile.ZIP_DEFLATED)
    with pytest.raises(RuntimeError, match="zip bomb"):
        load_bytes(patch_central(lying, "archive/data/0", file_size=2**32 - 1))


def test_overlapping_records_are_refused():
    data = sample_checkpoint()
    z = zipfile.ZipFile(io.BytesIO(data))
    target = z.getinfo("archive/data/0").header_offset
    with pytest.raises(RuntimeError, match="overlaps"):
        load_bytes(patch_central(data, "archive/version", header_offset=target))
    with pytest.raises(RuntimeError):
        load_bytes(patch_central(data, "archive/version", header_offset=target + 3))


def test_unsupported_compression_is_refused():
    data = sample_checkpoint()
    for method in (zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA):
        with pytest.raises(RuntimeError, match="unsupported compression"):
            load_bytes(rezip(data, method))


@pytest.mark.parametrize("data,match", [
    (b"", "empty"),
    (b"hello world, not a checkpoint", "not a checkpoint"),
    (b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19rest", "legacy"),
    (b"\x00" * 257 + b"ustar" + b"\x00" * 300, "legacy"),
    (b"PK\x03\x04" + b"\x00" * 100, "zip"),
])
def test_things_that_are_not_checkpoints(data, match):
    with pytest.raises(RuntimeError, match=match):
        load_bytes(data)


def test_archive_layout_problems():
    data = sample_checkpoint()
    with pytest.raises(RuntimeError, match="more than one data.pkl"):
        load_bytes(rezip(data, extra=[("other/data.pkl", b".")]))
    with pytest.raises(RuntimeError, match="no data.pkl"):
        load_bytes(rezip(data, rename=lambda n: n.replace("data.pkl", "data.pickle")))
    with pytest.raises(RuntimeError, match="byteorder"):
        load_bytes(rezip(data, rename=lambda n: n.replace("byteorder", "x"),
                         extra=[("archive/byteorder", b"middle")]))


def test_big_endian_files_are_byte_swapped():
    arr = np.arange(6, dtype=np.int32)
    data = saved({"x": ember.tensor(arr)})
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for info in src.infolist():
            payload = src.read(info)
            if info.filename.endswith("byteorder"):
                payload = b"big"
            elif info.filename.endswith("data/0"):
                payload = arr.astype(">i4").tobytes()
            z.writestr(info.filename, payload)
    assert load_bytes(out.getvalue())["x"].tolist() == arr.tolist()


# -- atomic saving --------------------------------------------------------------------------
def run_child(code: str, *args: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=REPO)
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def stray_temp_files(directory) -> list:
    return [p for p in os.listdir(directory) if p.endswith(".tmp")]


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_killed_just_before_the_rename_leaves_the_old_file(tmp_path):
    path = tmp_path / "ckpt.pt"
    save({"x": ember.ones(1000)}, path)
    before = path.read_bytes()
    child = run_child("""
        import os, signal, sys
        import numpy as np
        import ember
        # Everything is written; die at the last moment before the file is renamed.
        os.fsync = lambda fd: os.kill(os.getpid(), signal.SIGKILL)
        ember.save({"x": ember.tensor(np.full(1_000_000, 2.0, np.float32))}, sys.argv[1])
    """, str(path))
    child.communicate(timeout=120)
    assert child.returncode == -signal.SIGKILL
    assert stray_temp_files(tmp_path)  # the new bytes were there, under another name
    assert path.read_bytes() == before
    assert load(path)["x"].tolist() == [1.0] * 1000


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
@pytest.mark.parametrize("seed", range(3))
def test_killed_at_a_random_moment_leaves_a_complete_checkpoint(tmp_path, seed):
    path = tmp_path / "ckpt.pt"
    n = 16_000_000  # 64 MB: most of the child's time goes to writing it
    save({"x": ember.zeros(n)}, path)
    child = run_child("""
        import sys
        import numpy as np
        import ember
        n = int(sys.argv[2])
        values = [ember.tensor(np.full(n, float(k), np.float32)) for k in (1, 2)]
        print("saving", flush=True)
        for k in range(10_000):
            ember.save({"x": values[k % 2]}, sys.argv[1])
    """, str(path), str(n))
    try:
        assert child.stdout.readline() == b"saving\n", child.stderr.read().decode()
        while not stray_temp_files(tmp_path):  # wait until a save is under way
            assert child.poll() is None, child.stderr.read().decode()
            time.sleep(0.001)
        time.sleep(random.Random(seed).uniform(0.0, 0.05))
    finally:
        child.send_signal(signal.SIGKILL)
        child.communicate(timeout=120)
    x = load(path)["x"].numpy()
    assert x.shape == (n,) and x[0] in (0.0, 1.0, 2.0) and (x == x[0]).all()
