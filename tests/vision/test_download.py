"""Downloads against a local HTTP server on 127.0.0.1 only: a good file, a wrong checksum, a
refused connection, mirror fallback, atomic writes, and the dataset classes end to end."""

import gzip
import hashlib
import http.server
import os
import shutil
import socket
import struct
import threading
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from ember.vision import datasets
from ember.vision.datasets._download import Resource, download_resource

SYSTEM_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch):
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy",
                 "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1")


@pytest.fixture
def server(tmp_path):
    """Serve tmp_path/served on 127.0.0.1, recording each requested path."""
    root = tmp_path / "served"
    root.mkdir()
    requests = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def do_GET(self):  # noqa: N802 - the http.server hook name
            requests.append(self.path)
            super().do_GET()

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield SimpleNamespace(root=root, requests=requests,
                          url=f"http://127.0.0.1:{httpd.server_address[1]}/")
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def refused_url():
    """A 127.0.0.1 port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def idx_gz(array, mtime=0):
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes(), mtime=mtime)


def md5(data):
    return hashlib.md5(data).hexdigest()


def raw_md5(gz_data):
    return md5(gzip.decompress(gz_data))


IMAGES = np.arange(5 * 28 * 28, dtype=np.uint64).reshape(5, 28, 28) % 251


def leftovers(folder):
    return sorted(p.name for p in Path(folder).iterdir())


# -- download_resource ---------------------------------------------------------------------------
def test_good_file_is_downloaded_and_verified(server, tmp_path):
    data = idx_gz(IMAGES)
    (server.root / "imgs.gz").write_bytes(data)
    dest = tmp_path / "dest"
    path = download_resource(Resource("imgs.gz", md5(data), None, (5, 28, 28)),
                             [server.url], dest)
    assert path == dest / "imgs.gz" and path.read_bytes() == data
    assert leftovers(dest) == ["imgs.gz"]  # no temporary file left behind
    assert server.requests == ["/imgs.gz"]


def test_wrong_checksum_is_rejected_and_nothing_is_kept(server, tmp_path):
    (server.root / "imgs.gz").write_bytes(idx_gz(IMAGES))
    dest = tmp_path / "dest"
    with pytest.raises(RuntimeError) as info:
        download_resource(Resource("imgs.gz", "0" * 32, None, (5, 28, 28)), [server.url], dest,
                          hint="Copy the files by hand.")
    text = str(info.value)
    assert "checksum mismatch" in text and server.url + "imgs.gz" in text
    assert text.endswith("Copy the files by hand.")
    assert leftovers(dest) == []


def test_connection_refused_gives_a_clear_error(tmp_path):
    url = refused_url()
    dest = tmp_path / "dest"
    with pytest.raises(RuntimeError) as info:
        download_resource(Resource("imgs.gz", "0" * 32), [url], dest,
                          hint="If this machine is offline, copy the files.")
    text = str(info.value)
    assert text.startswith("Error downloading imgs.gz; every mirror failed:")
    assert url + "imgs.gz" in text and "refused" in text.lower()
    assert "If this machine is offline, copy the files." in text
    assert leftovers(dest) == []


def test_next_mirror_is_tried(server, tmp_path):
    data = idx_gz(IMAGES)
    (server.root / "good").mkdir()
    (server.root / "good" / "imgs.gz").write_bytes(data)
    mirrors = [refused_url(), server.url + "missing/", server.url + "good/"]
    path = download_resource(Resource("imgs.gz", md5(data)), mirrors, tmp_path / "dest")
    assert path.read_bytes() == data
    assert server.requests == ["/missing/imgs.gz", "/good/imgs.gz"]


def test_recompressed_copy_is_accepted_by_its_content(server, tmp_path):
    published = idx_gz(IMAGES, mtime=1)
    recompressed = idx_gz(IMAGES, mtime=2)
    assert md5(published) != md5(recompressed)
    (server.root / "imgs.gz").write_bytes(recompressed)
    resource = Resource("imgs.gz", md5(published), raw_md5(published), (5, 28, 28))
    path = download_resource(resource, [server.url], tmp_path / "dest")
    assert path.read_bytes() == recompressed


@pytest.mark.parametrize("content, problem", [
    (idx_gz(IMAGES[:4]), "unexpected content: shape (4, 28, 28), expected (5, 28, 28)"),
    (gzip.compress(b"\x00\x00\x08\x03" + b"\x00" * 8), "is truncated"),
])
def test_content_that_is_not_the_expected_idx_is_rejected(server, tmp_path, content, problem):
    (server.root / "imgs.gz").write_bytes(content)
    with pytest.raises(RuntimeError) as info:
        download_resource(Resource("imgs.gz", md5(content), None, (5, 28, 28)), [server.url],
                          tmp_path / "dest")
    assert problem in str(info.value)
    assert leftovers(tmp_path / "dest") == []


def test_an_existing_good_file_is_only_replaced_after_success(server, tmp_path):
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "imgs.gz").write_bytes(b"previous")
    (server.root / "imgs.gz").write_bytes(b"corrupted download")
    with pytest.raises(RuntimeError):
        download_resource(Resource("imgs.gz", "0" * 32), [server.url], dest)
    assert (dest / "imgs.gz").read_bytes() == b"previous"


# -- the dataset classes -------------------------------------------------------------------------
def serve_tiny_dataset(server, monkeypatch, cls):
    """Publish a 5-image train and 3-image test split and point ``cls`` at the server."""
    rng = np.random.default_rng(0)
    files = {"train-images-idx3-ubyte": rng.integers(0, 256, (5, 28, 28)),
             "train-labels-idx1-ubyte": rng.integers(0, 10, 5),
             "t10k-images-idx3-ubyte": rng.integers(0, 256, (3, 28, 28)),
             "t10k-labels-idx1-ubyte": rng.integers(0, 10, 3)}
    resources, shapes = [], {}
    for name, array in files.items():
        data = idx_gz(array)
        (server.root / f"{name}.gz").write_bytes(data)
        resources.append((f"{name}.gz", md5(data)))
        shapes[name] = array.shape
    monkeypatch.setattr(cls, "mirrors", [refused_url(), server.url])
    monkeypatch.setattr(cls, "resources", resources)
    monkeypatch.setattr(cls, "raw_md5s", {})
    monkeypatch.setattr(cls, "shapes", shapes)
    monkeypatch.setattr(cls, "system_dirs", ())
    return files


@pytest.mark.parametrize("cls", [datasets.FashionMNIST, datasets.MNIST])
def test_dataset_download_end_to_end(server, tmp_path, monkeypatch, cls):
    files = serve_tiny_dataset(server, monkeypatch, cls)
    ds = cls(tmp_path / "root", train=False, download=True)
    assert ds.targets.tolist() == files["t10k-labels-idx1-ubyte"].tolist()
    raw = tmp_path / "root" / cls.__name__ / "raw"
    assert leftovers(raw) == sorted(f"{n}.gz" for n in files)
    assert len(server.requests) == 4
    cls(tmp_path / "root", train=True, download=True)  # everything is there: no request
    assert len(server.requests) == 4


def test_download_fetches_only_missing_files(server, tmp_path, monkeypatch):
    files = serve_tiny_dataset(server, monkeypatch, datasets.FashionMNIST)
    raw = tmp_path / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"):
        header = struct.pack(">BBBB", 0, 0, 8, files[name].ndim)
        dims = struct.pack(f">{files[name].ndim}I", *files[name].shape)
        (raw / name).write_bytes(header + dims + files[name].astype(np.uint8).tobytes())
    ds = datasets.FashionMNIST(tmp_path, train=True, download=True)
    assert len(ds) == 5
    assert sorted(server.requests) == ["/t10k-images-idx3-ubyte.gz",
                                       "/t10k-labels-idx1-ubyte.gz"]


def test_offline_dataset_download_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets.FashionMNIST, "mirrors", [refused_url()])
    monkeypatch.setattr(datasets.FashionMNIST, "system_dirs", ())
    with pytest.raises(RuntimeError) as info:
        datasets.FashionMNIST(tmp_path, download=True)
    text = str(info.value)
    assert "every mirror failed" in text
    assert f"into {os.path.join(str(tmp_path), 'FashionMNIST', 'raw')}" in text
    assert "apt install dataset-fashion-mnist" in text


@pytest.mark.skipif(not SYSTEM_FASHION_MNIST.is_dir(), reason="FashionMNIST is not installed")
def test_real_fashion_mnist_download_checks(server, tmp_path, monkeypatch):
    # Debian's copy is recompressed: the .gz MD5 differs from the published one, while the
    # decompressed content matches the published content checksum.
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        shutil.copy(SYSTEM_FASHION_MNIST / name, server.root / name)
    raw = tmp_path / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"):
        os.symlink(SYSTEM_FASHION_MNIST / name, raw / name)
    monkeypatch.setattr(datasets.FashionMNIST, "mirrors", [server.url])
    monkeypatch.setattr(datasets.FashionMNIST, "system_dirs", ())
    ds = datasets.FashionMNIST(tmp_path, train=False, download=True)
    assert len(ds) == 10000 and sorted(server.requests) == [
        "/t10k-images-idx3-ubyte.gz", "/t10k-labels-idx1-ubyte.gz"]
    # a copy whose content differs is refused
    labels = gzip.decompress((server.root / "t10k-labels-idx1-ubyte.gz").read_bytes())
    (server.root / "t10k-labels-idx1-ubyte.gz").write_bytes(
        gzip.compress(labels[:-1] + bytes([(labels[-1] + 1) % 10])))
    (raw / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(RuntimeError, match="checksum mismatch"):
        datasets.FashionMNIST(tmp_path, train=False, download=True)
    assert not (raw / "t10k-labels-idx1-ubyte.gz").exists()
