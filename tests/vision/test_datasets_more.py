"""ImageFolder / DatasetFolder, FakeData, CIFAR10 / CIFAR100 and KMNIST, on files written here
(CIFAR batches in the official pickle format); downloads only from a 127.0.0.1 server."""

import gzip
import hashlib
import http.server
import io
import os
import pickle
import struct
import tarfile
import threading

import numpy as np
import pytest

import ember
from ember.utils.data import DataLoader
from ember.vision import datasets
from ember.vision import transforms as T
from ember.vision.datasets import folder

Image = pytest.importorskip("PIL.Image")


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch):
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy",
                 "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1")


@pytest.fixture
def server(tmp_path):
    """Serve tmp_path/served on 127.0.0.1."""
    root = tmp_path / "served"
    root.mkdir()

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def md5_of(path):
    return hashlib.md5(open(path, "rb").read()).hexdigest()


# -- folders ---------------------------------------------------------------------------------------
@pytest.fixture
def image_tree(tmp_path):
    rng = np.random.default_rng(0)
    layout = {"dog": ["b.png", "a.jpg", "sub/c.bmp", "notes.txt"], "cat": ["z.PNG"],
              "empty_is_not_here": []}
    pixels = {}
    for cls, files in layout.items():
        (tmp_path / cls).mkdir()
        for name in files:
            path = tmp_path / cls / name
            path.parent.mkdir(exist_ok=True)
            if name.endswith(".txt"):
                path.write_text("not an image")
                continue
            arr = rng.integers(0, 256, (4, 5, 3), dtype=np.uint8)
            fmt = {"png": "PNG", "jpg": "PNG", "bmp": "BMP"}[name.rsplit(".", 1)[1].lower()]
            Image.fromarray(arr).save(path, format=fmt)
            pixels[str(path)] = arr
    (tmp_path / "empty_is_not_here").rmdir()
    (tmp_path / "stray.png").write_bytes(b"")  # files at the top level are not classes
    return tmp_path, pixels


def test_image_folder_lists_classes_and_samples_in_order(image_tree):
    root, pixels = image_tree
    ds = datasets.ImageFolder(str(root))
    assert ds.classes == ["cat", "dog"] and ds.class_to_idx == {"cat": 0, "dog": 1}
    expected = [(os.path.join(root, "cat", "z.PNG"), 0),
                (os.path.join(root, "dog", "a.jpg"), 1),
                (os.path.join(root, "dog", "b.png"), 1),
                (os.path.join(root, "dog", "sub", "c.bmp"), 1)]
    assert ds.samples == expected and ds.imgs == expected and ds.targets == [0, 1, 1, 1]
    img, target = ds[3]
    assert img.mode == "RGB" and target == 1
    np.testing.assert_array_equal(np.asarray(img), pixels[expected[3][0]])
    ds = datasets.ImageFolder(root, transform=T.ToTensor(), target_transform=lambda t: t * 10)
    x, y = ds[0]
    assert x.shape == (3, 4, 5) and y == 0
    batch = next(iter(DataLoader(ds, batch_size=4)))
    assert batch[0].shape == (4, 3, 4, 5) and batch[1].tolist() == [0, 10, 10, 10]
    assert "Number of datapoints: 4" in repr(ds)


def test_dataset_folder_with_custom_loader_and_validity(image_tree):
    root, _ = image_tree
    ds = datasets.DatasetFolder(root, loader=os.path.getsize, extensions=(".txt",),
                                allow_empty=True)
    assert [os.path.basename(p) for p, _ in ds.samples] == ["notes.txt"]
    assert ds[0] == (len("not an image"), 1) and ds.extensions == (".txt",)
    ds = datasets.ImageFolder(root, is_valid_file=lambda p: p.endswith("b.png"),
                              allow_empty=True)
    assert len(ds) == 1 and ds.targets == [1]
    assert folder.has_file_allowed_extension("X.JPEG", (".jpeg",))
    assert folder.is_image_file("a.webp") and not folder.is_image_file("a.txt")


def test_folder_errors(image_tree, tmp_path_factory):
    root, _ = image_tree
    with pytest.raises(FileNotFoundError, match="Found no valid file for the classes cat, dog. "
                                                "Supported extensions are: .xyz"):
        datasets.DatasetFolder(root, loader=str, extensions=(".xyz",))
    with pytest.raises(ValueError, match="Both extensions and is_valid_file cannot be None or "
                                         "not None at the same time"):
        folder.make_dataset(root, {"cat": 0})
    with pytest.raises(ValueError, match="'class_to_index' must have at least one entry"):
        folder.make_dataset(root, {}, extensions=".png")
    with pytest.raises(ValueError, match="The class_to_idx parameter cannot be None."):
        datasets.DatasetFolder.make_dataset(root, None, extensions=".png")
    bare = tmp_path_factory.mktemp("bare")
    with pytest.raises(FileNotFoundError, match="Couldn't find any class folder in"):
        datasets.ImageFolder(bare)
    # make_dataset on its own finds the classes; missing class folders are skipped.
    assert len(folder.make_dataset(root, extensions=".png")) == 2
    assert folder.make_dataset(root, {"dog": 0, "bird": 1}, ".bmp", allow_empty=True) == \
        [(os.path.join(root, "dog", "sub", "c.bmp"), 0)]


# -- FakeData --------------------------------------------------------------------------------------
def test_fake_data_is_repeatable_and_leaves_the_generator_alone():
    ds = datasets.FakeData(size=6, image_size=(3, 5, 4), num_classes=3, random_offset=2)
    assert len(ds) == 6
    ember.manual_seed(11)
    expected_next = ember.rand(3).tolist()
    ember.manual_seed(11)
    img, label = ds[4]
    assert ember.rand(3).tolist() == expected_next  # the global state was restored
    assert img.mode == "RGB" and img.size == (4, 5) and 0 <= label < 3
    again, label_again = ds[4]
    assert np.array_equal(np.asarray(img), np.asarray(again)) and label == label_again
    other = datasets.FakeData(size=6, image_size=(3, 5, 4), random_offset=3)
    assert np.array_equal(np.asarray(other[3][0]), np.asarray(img))  # seeded by i + offset
    labels = {datasets.FakeData(50, (1, 2, 2), 4)[i][1] for i in range(50)}
    assert labels == {0, 1, 2, 3}
    assert datasets.FakeData(2, (1, 3, 3), transform=T.ToTensor())[0][0].shape == (1, 3, 3)
    with pytest.raises(IndexError, match="FakeData index out of range"):
        ds[6]


# -- CIFAR -----------------------------------------------------------------------------------------
def write_batch(path, data, labels, key="labels"):
    with open(path, "wb") as f:
        pickle.dump({"batch_label": b"testing", key: labels, "data": data,
                     "filenames": [b"x.png"] * len(labels)}, f, protocol=2)


def make_cifar(root, cls, n_per_batch=3, seed=0):
    """Write ``cls``'s files with random images; return a subclass whose MD5s match them
    and the images (N, 32, 32, 3) per split."""
    rng = np.random.default_rng(seed)
    folder_path = root / cls.base_folder
    folder_path.mkdir(parents=True)
    key = "labels" if cls is datasets.CIFAR10 else "fine_labels"
    n_classes = 10 if cls is datasets.CIFAR10 else 100
    images, lists = {}, {}
    for split, entries in (("train", cls.train_list), ("test", cls.test_list)):
        chunks, new_list = [], []
        for name, _ in entries:
            # Rows are the red, green and blue planes of one image, 1024 bytes each.
            chw = rng.integers(0, 256, (n_per_batch, 3, 32, 32), dtype=np.uint8)
            labels = rng.integers(0, n_classes, n_per_batch).tolist()
            write_batch(folder_path / name, chw.reshape(n_per_batch, 3072), labels, key)
            chunks.append((chw.transpose(0, 2, 3, 1), labels))
            new_list.append([name, md5_of(folder_path / name)])
        images[split] = (np.concatenate([c[0] for c in chunks]), sum((c[1] for c in chunks), []))
        lists[split] = new_list
    names = [f"class{i}" for i in range(n_classes)]
    with open(folder_path / cls.meta["filename"], "wb") as f:
        pickle.dump({cls.meta["key"]: names}, f, protocol=2)
    meta = dict(cls.meta, md5=md5_of(folder_path / cls.meta["filename"]))
    local = type("Local" + cls.__name__, (cls,), {"train_list": lists["train"],
                                                  "test_list": lists["test"], "meta": meta})
    return local, images, names


@pytest.mark.parametrize("cls", [datasets.CIFAR10, datasets.CIFAR100])
def test_cifar_reads_official_batch_format(tmp_path, cls):
    local, images, names = make_cifar(tmp_path, cls)
    for train, split in ((True, "train"), (False, "test")):
        ds = local(str(tmp_path), train=train)
        data, labels = images[split]
        assert ds.data.shape == data.shape and ds.data.dtype == np.uint8
        np.testing.assert_array_equal(ds.data, data)
        assert ds.targets == labels and len(ds) == len(labels)
        img, target = ds[1]
        assert img.mode == "RGB" and img.size == (32, 32) and target == labels[1]
        np.testing.assert_array_equal(np.asarray(img), data[1])
    assert ds.classes == names and ds.class_to_idx[names[5]] == 5
    assert "Split: Test" in repr(ds)
    x, y = local(tmp_path, transform=T.ToTensor(), target_transform=str)[0]
    assert x.shape == (3, 32, 32) and y == str(images["train"][1][0])


def test_cifar_integrity_checks(tmp_path):
    with pytest.raises(RuntimeError, match="Dataset not found or corrupted. You can use "
                                           "download=True to download it"):
        datasets.CIFAR10(tmp_path)
    local, _, _ = make_cifar(tmp_path, datasets.CIFAR10)
    with open(tmp_path / local.base_folder / "test_batch", "ab") as f:
        f.write(b"tampered")
    with pytest.raises(RuntimeError, match="Dataset not found or corrupted."):
        local(tmp_path, train=False)
    # The published checksums are kept for the real files.
    assert datasets.CIFAR10.train_list[0] == ["data_batch_1", "c99cafc152244af753f735de768cd75f"]
    assert datasets.CIFAR100.tgz_md5 == "eb9058c3a382ffc7106e4002c42a8d85"
    assert datasets.CIFAR10.url == "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"


def test_cifar_download_extracts_a_verified_archive(tmp_path, server):
    served, url = server
    staging = tmp_path / "staging"
    local, images, _ = make_cifar(staging, datasets.CIFAR100)
    archive = served / local.filename
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(staging / local.base_folder, arcname=local.base_folder)
    root = tmp_path / "root"
    good = type("Served", (local,), {"url": url + local.filename,
                                     "tgz_md5": md5_of(archive)})
    ds = good(root, train=False, download=True)
    np.testing.assert_array_equal(ds.data, images["test"][0])
    assert (root / local.filename).is_file()
    good(root, download=True)  # already there and valid: nothing fetched again
    bad = type("Bad", (local,), {"url": url + local.filename, "tgz_md5": "0" * 32})
    with pytest.raises(RuntimeError, match="File not found or corrupted."):
        bad(tmp_path / "other", download=True)
    assert os.listdir(tmp_path / "other") == []  # the rejected download was removed


def test_archive_helpers(tmp_path):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo("inner/a.txt")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))
    path = tmp_path / "a.tar"
    path.write_bytes(buffer.getvalue())
    assert datasets.check_integrity(path) and not datasets.check_integrity(path, "0" * 32)
    datasets.extract_archive(path, tmp_path / "out", remove_finished=True)
    assert (tmp_path / "out" / "inner" / "a.txt").read_text() == "hi" and not path.exists()


# -- KMNIST ----------------------------------------------------------------------------------------
def idx_gz(array):
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes(), mtime=0)


def test_kmnist_reads_its_raw_folder(tmp_path):
    raw = tmp_path / "KMNIST" / "raw"
    raw.mkdir(parents=True)
    images = np.random.default_rng(0).integers(0, 256, (4, 28, 28), dtype=np.uint8)
    (raw / "t10k-images-idx3-ubyte.gz").write_bytes(idx_gz(images))
    (raw / "t10k-labels-idx1-ubyte.gz").write_bytes(idx_gz(np.array([3, 1, 4, 1])))
    ds = datasets.KMNIST(tmp_path, train=False)
    img, label = ds[2]
    assert label == 4 and img.mode == "L"
    np.testing.assert_array_equal(np.asarray(img), images[2])
    assert ds.classes[label] == "na" and ds.class_to_idx["wo"] == 9
    assert datasets.KMNIST.resources[0] == ("train-images-idx3-ubyte.gz",
                                            "bdb82020997e1d708af4cf47b453dcf7")
