"""MNIST/FashionMNIST on small IDX files written here (gzip and raw), corrupt files, the
batched fast path, and (when installed) the real FashionMNIST."""

import gzip
import os
import struct
from pathlib import Path

import numpy as np
import pytest

import ember
from ember.utils.data import DataLoader, Dataset, Subset, default_collate
from ember.vision import datasets, transforms
from ember.vision.datasets import DatasetFileError, read_idx

Image = pytest.importorskip("PIL.Image")

SYSTEM_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                   "Sneaker", "Bag", "Ankle boot"]


def idx_bytes(array: np.ndarray) -> bytes:
    """An IDX file, written from the format's definition."""
    codes = {np.dtype(np.uint8): 0x08, np.dtype(np.int8): 0x09, np.dtype(">i2"): 0x0B,
             np.dtype(">i4"): 0x0C, np.dtype(">f4"): 0x0D, np.dtype(">f8"): 0x0E}
    big = array.astype(array.dtype.newbyteorder(">")) if array.dtype.itemsize > 1 else array
    header = bytes([0, 0, codes[big.dtype], array.ndim]) + struct.pack(f">{array.ndim}I",
                                                                      *array.shape)
    return header + big.tobytes()


def write_idx(path: Path, array: np.ndarray, compress: bool) -> Path:
    data = idx_bytes(array)
    path = path.with_name(path.name + ".gz") if compress else path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def tiny_split(n=12, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), rng.integers(0, 10, n,
                                                                         dtype=np.uint8)


@pytest.fixture
def no_system_copy(monkeypatch):
    monkeypatch.setattr(datasets.FashionMNIST, "system_dirs", ())


def make_root(tmp_path, cls="FashionMNIST", compress=True, train=True, n=12):
    images, labels = tiny_split(n, seed=1 if train else 2)
    prefix = "train" if train else "t10k"
    raw = tmp_path / cls / "raw"
    write_idx(raw / f"{prefix}-images-idx3-ubyte", images, compress)
    write_idx(raw / f"{prefix}-labels-idx1-ubyte", labels, compress)
    return images, labels


# -- IDX reader ----------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32,
                                   np.float64])
@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_types(tmp_path, dtype, compress):
    array = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    if dtype == np.uint8:
        array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    path = write_idx(tmp_path / "a", array, compress)
    out = read_idx(path)
    assert out.dtype == np.dtype(dtype) and out.dtype.isnative
    np.testing.assert_array_equal(out, array)


def corrupt_cases(tmp_path):
    good = idx_bytes(np.zeros((3, 28, 28), np.uint8))
    return {
        "truncated.raw": (good[:-10], "is truncated"),
        "header-only.raw": (good[:6], "is truncated (incomplete IDX header)"),
        "empty.raw": (b"", "is empty or truncated"),
        "bad-magic.raw": (b"\x01\x02" + good[2:], "is not an IDX file"),
        "long.raw": (good + b"xx", "is longer than its header says"),
        "truncated.gz": (gzip.compress(good)[:-30], "is corrupt or truncated"),
        "not-gzip.gz": (b"this is not gzip data at all", "is corrupt or truncated"),
        "short-content.gz": (gzip.compress(good[:-5]), "is truncated"),
    }


def test_corrupt_files_give_errors_naming_them(tmp_path):
    for name, (data, message) in corrupt_cases(tmp_path).items():
        path = tmp_path / name.replace(".raw", "")
        path.write_bytes(data)
        with pytest.raises(DatasetFileError) as info:
            read_idx(path)
        assert str(path) in str(info.value) and message in str(info.value), name
        assert "download it again" in str(info.value)


def test_corrupt_dataset_file_fails_construction(tmp_path, no_system_copy):
    make_root(tmp_path)
    bad = tmp_path / "FashionMNIST" / "raw" / "train-images-idx3-ubyte.gz"
    bad.write_bytes(bad.read_bytes()[:100])
    with pytest.raises(DatasetFileError, match="train-images-idx3-ubyte.gz is corrupt"):
        datasets.FashionMNIST(tmp_path)


def test_mismatched_image_and_label_counts(tmp_path, no_system_copy):
    raw = tmp_path / "FashionMNIST" / "raw"
    write_idx(raw / "t10k-images-idx3-ubyte", np.zeros((4, 28, 28), np.uint8), False)
    write_idx(raw / "t10k-labels-idx1-ubyte", np.zeros(3, np.uint8), False)
    with pytest.raises(DatasetFileError, match="holds 4 images but .* holds 3 labels"):
        datasets.FashionMNIST(tmp_path, train=False)


# -- the dataset classes -------------------------------------------------------------------------
@pytest.mark.parametrize("compress", [True, False])
@pytest.mark.parametrize("train", [True, False])
def test_fashion_mnist_from_small_files(tmp_path, no_system_copy, compress, train):
    images, labels = make_root(tmp_path, compress=compress, train=train)
    ds = datasets.FashionMNIST(str(tmp_path), train=train)
    assert len(ds) == 12
    assert ds.data.dtype == ember.uint8 and tuple(ds.data.shape) == (12, 28, 28)
    assert ds.targets.dtype == ember.int64 and ds.targets.tolist() == labels.tolist()
    np.testing.assert_array_equal(ds.data.numpy(), images)
    img, target = ds[3]
    assert isinstance(img, Image.Image) and img.mode == "L" and img.size == (28, 28)
    assert np.array_equal(np.asarray(img), images[3]) and target == int(labels[3])
    assert type(target) is int
    assert ds.classes == FASHION_CLASSES
    assert ds.class_to_idx == {name: i for i, name in enumerate(FASHION_CLASSES)}


def test_mnist_class_and_transforms(tmp_path):
    images, labels = make_root(tmp_path, cls="MNIST", train=False)
    ds = datasets.MNIST(tmp_path, train=False, transform=transforms.ToTensor(),
                        target_transform=lambda y: y + 100)
    img, target = ds[0]
    assert tuple(img.shape) == (1, 28, 28) and img.dtype == ember.float32
    np.testing.assert_array_equal(img.numpy()[0], images[0].astype(np.float32) / 255)
    assert target == int(labels[0]) + 100
    assert ds.classes[0] == "0 - zero" and ds.classes[9] == "9 - nine"


def test_repr_like_torchvision(tmp_path, no_system_copy):
    make_root(tmp_path, train=False)
    ds = datasets.FashionMNIST(str(tmp_path), train=False, transform=transforms.Compose(
        [transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))]))
    assert repr(ds) == (
        "Dataset FashionMNIST\n"
        "    Number of datapoints: 12\n"
        f"    Root location: {tmp_path}\n"
        "    Split: Test\n"
        "    StandardTransform\n"
        "Transform: Compose(\n"
        "               ToTensor()\n"
        "               Normalize(mean=(0.5,), std=(0.5,))\n"
        "           )")
    plain = datasets.FashionMNIST(str(tmp_path), train=False)
    assert repr(plain).splitlines()[-1] == "    Split: Test"


def test_missing_files_explain_what_to_do(tmp_path, no_system_copy):
    with pytest.raises(RuntimeError) as info:
        datasets.FashionMNIST(tmp_path)
    text = str(info.value)
    assert text.startswith("Dataset not found. You can use download=True to download it")
    assert os.path.join(str(tmp_path), "FashionMNIST", "raw") in text
    assert "dataset-fashion-mnist" in text


# -- batched fetch: same results as the per-item path ------------------------------------------
def per_item_batch(ds, indices):
    return default_collate([ds[i] for i in indices])


@pytest.mark.parametrize("transform", [
    transforms.ToTensor(),
    transforms.Compose([transforms.ToTensor()]),
    transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.2860,), (0.3530,))]),
    transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,)),
                        transforms.Normalize((0.1,), (2.0,))]),
])
def test_batched_fetch_equals_per_item(tmp_path, no_system_copy, transform):
    make_root(tmp_path)
    ds = datasets.FashionMNIST(tmp_path, transform=transform)
    indices = [5, 0, 11, 5, 3]
    fast = default_collate(ds.__getitems__(indices))
    slow = per_item_batch(ds, indices)
    assert fast[0].dtype == slow[0].dtype == ember.float32
    assert fast[1].dtype == slow[1].dtype == ember.int64
    np.testing.assert_array_equal(fast[0].numpy(), slow[0].numpy())  # bit for bit
    np.testing.assert_array_equal(fast[1].numpy(), slow[1].numpy())
    items = ds.__getitems__(indices)
    np.testing.assert_array_equal(items[2][0].numpy(), ds[11][0].numpy())


def test_loader_batches_equal_per_item_and_subclasses_keep_their_items(tmp_path,
                                                                     no_system_copy):
    make_root(tmp_path)
    norm = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
    ds = datasets.FashionMNIST(tmp_path, transform=norm)
    order = [7, 1, 1, 11, 0, 3]
    batches = list(DataLoader(ds, batch_size=4, sampler=order))
    for batch, rows in zip(batches, (order[:4], order[4:])):
        expected = per_item_batch(ds, rows)
        assert type(batch) is list
        for got, want in zip(batch, expected):
            assert got.dtype == want.dtype
            np.testing.assert_array_equal(got.numpy(), want.numpy())

    class FashionMNIST(datasets.FashionMNIST):  # same name: the files are found by it
        def __getitem__(self, index):
            img, target = super().__getitem__(index)
            return 1 - img, target

    inv = FashionMNIST(tmp_path, transform=transforms.ToTensor())  # inverted items
    (images, labels), = list(DataLoader(inv, batch_size=3, sampler=[2, 5, 9]))
    np.testing.assert_array_equal(images.numpy(), per_item_batch(inv, [2, 5, 9])[0].numpy())
    assert images[0].tolist() == (1 - transforms.ToTensor()(ds.data[2].numpy())).tolist()


@pytest.mark.parametrize("kwargs", [
    {"transform": transforms.Compose([transforms.ToTensor(), transforms.Lambda(lambda x: x)])},
    {"transform": transforms.Compose([transforms.RandomHorizontalFlip(0.0),
                                      transforms.ToTensor()])},
    {"transform": transforms.ToTensor(), "target_transform": lambda y: y * 2},
    {},
])
def test_other_transforms_take_the_per_item_path(tmp_path, no_system_copy, kwargs):
    make_root(tmp_path)
    ds = datasets.FashionMNIST(tmp_path, **kwargs)
    got = ds.__getitems__([1, 4])
    assert type(got) is list
    for (a, y), (b, z) in zip(got, [ds[1], ds[4]]):
        assert y == z
        assert np.array_equal(np.asarray(a), np.asarray(b))


class ItemsOnly(Dataset):
    """The same samples, without the batched fetch: forces the per-item path."""

    def __init__(self, dataset):
        self.dataset = dataset

    def __len__(self):
        return len(self.dataset)

    def __getitem__(self, i):
        return self.dataset[i]


def test_dataloader_batches_match_per_item_batches(tmp_path, no_system_copy):
    make_root(tmp_path, n=30)
    ds = datasets.FashionMNIST(tmp_path, transform=transforms.Compose(
        [transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))]))
    part = Subset(ds, range(3, 28))
    for workers in (0, 2):
        runs = [list(DataLoader(d, batch_size=8, shuffle=True, num_workers=workers,
                                generator=ember.Generator().manual_seed(4)))
                for d in (part, ItemsOnly(part))]
        assert [len(b[1]) for b in runs[0]] == [8, 8, 8, 1]
        for fast, slow in zip(*runs):
            np.testing.assert_array_equal(fast[0].numpy(), slow[0].numpy())
            assert fast[1].tolist() == slow[1].tolist()


# -- the real dataset (Debian's dataset-fashion-mnist) -------------------------------------------
needs_real_data = pytest.mark.skipif(not SYSTEM_FASHION_MNIST.is_dir(),
                                     reason="FashionMNIST is not installed")


def independent_read(name):
    with gzip.open(SYSTEM_FASHION_MNIST / f"{name}.gz") as f:
        raw = f.read()
    ndim = raw[3]
    dims = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(dims)


@needs_real_data
def test_real_fashion_mnist_from_the_system_copy(tmp_path):
    torch = pytest.importorskip("torch")
    ds = datasets.FashionMNIST(tmp_path / "empty", train=False, transform=transforms.ToTensor())
    images = independent_read("t10k-images-idx3-ubyte")
    labels = independent_read("t10k-labels-idx1-ubyte")
    assert len(ds) == 10000 and tuple(ds.data.shape) == (10000, 28, 28)
    assert ds.targets.tolist()[:50] == labels[:50].tolist()
    assert np.array_equal(ds.data.numpy()[::997], images[::997])
    expected = torch.from_numpy(images[:64].copy()).float().div(255).unsqueeze(1).numpy()
    x, y = next(iter(DataLoader(ds, batch_size=64)))
    np.testing.assert_array_equal(x.numpy(), expected)
    assert y.tolist() == labels[:64].tolist()
    assert not (tmp_path / "empty").exists()  # nothing written: the system copy was used
