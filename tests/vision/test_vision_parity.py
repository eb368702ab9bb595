"""ember.vision against torchvision's documented behaviour, rebuilt here from torch primitives
(torchvision itself is not a test dependency).

ToTensor: an HWC uint8 image becomes a CHW tensor of the default float dtype divided by 255;
other dtypes keep their values. Normalize: ``x.clone().sub_(mean).div_(std)`` with the stats
as ``(C, 1, 1)`` tensors of x's dtype, so its errors are torch's in-place arithmetic errors.
The MNIST family indexes a uint8 images tensor, so a bad index fails as tensor indexing does.
"""

import gzip
import os
import struct

import numpy as np
import pytest

import ember
from ember import nn
from ember.utils.data import DataLoader
from ember.vision import datasets
from ember.vision import transforms as T
from helpers import assert_same, assert_same_error

Image = pytest.importorskip("PIL.Image")
torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
HWC = RNG.integers(0, 256, (4, 5, 3), dtype=np.uint8)


# -- ToTensor ----------------------------------------------------------------------------------
def expected_to_tensor(pic):
    """The tensor torchvision's ToTensor makes of ``pic``, computed with torch."""
    if isinstance(pic, Image.Image):
        wide = {"I": np.int32, "I;16": np.int16, "F": np.float32}.get(pic.mode, np.uint8)
        values = np.array(pic, dtype=wide)
        if pic.mode == "1":
            values = values * np.uint8(255)
        hwc = torch.from_numpy(values).reshape(pic.height, pic.width, len(pic.getbands()))
    else:
        hwc = torch.from_numpy(pic if pic.ndim == 3 else pic[:, :, None])
    chw = hwc.permute(2, 0, 1).contiguous()
    if chw.dtype == torch.uint8:
        return chw.to(torch.get_default_dtype()) / 255
    return chw


ARRAYS = {
    "uint8 HWC": HWC,
    "uint8 HW": HWC[..., 0],
    "uint8 one channel": HWC[..., :1],
    "uint8 non-contiguous": HWC[:, ::2],
    "float32 kept": HWC.astype(np.float32),
    "float64 HW kept": HWC[..., 0].astype(np.float64),
    "int16 kept": HWC.astype(np.int16),
    "int64 kept": HWC.astype(np.int64),
    "bool kept": HWC > 100,
}


@pytest.mark.parametrize("name", ARRAYS)
def test_to_tensor_on_arrays(name):
    assert_same(T.ToTensor()(ARRAYS[name]), expected_to_tensor(ARRAYS[name]), atol=0, rtol=0)


PIL_MODES = ["L", "RGB", "RGBA", "1", "I", "F", "I;16", "P", "LA", "CMYK", "YCbCr", "HSV"]


@pytest.mark.parametrize("mode", PIL_MODES)
def test_to_tensor_on_pil_images(mode):
    pic = Image.fromarray(HWC).convert(mode) if mode != "I;16" \
        else Image.fromarray(HWC[..., 0].astype(np.uint16) * 200)
    assert_same(T.ToTensor()(pic), expected_to_tensor(pic), atol=0, rtol=0)


def test_to_tensor_follows_the_default_dtype():
    ember.set_default_dtype(ember.float64)
    try:
        assert T.ToTensor()(HWC).dtype == ember.float64
    finally:
        ember.set_default_dtype(ember.float32)


@pytest.mark.parametrize("pic, error, message", [
    (HWC[None], ValueError, "pic should be 2/3 dimensional. Got 4 dimensions."),
    (HWC[0, 0], ValueError, "pic should be 2/3 dimensional. Got 1 dimensions."),
    ([[1, 2]], TypeError, "pic should be PIL Image or ndarray. Got <class 'list'>"),
    (None, TypeError, "pic should be PIL Image or ndarray. Got <class 'NoneType'>"),
    (ember.ones(2, 2), TypeError, "pic should be PIL Image or ndarray. Got <class 'ember.Tensor'>"),
])
def test_to_tensor_errors(pic, error, message):
    with pytest.raises(error) as info:
        T.ToTensor()(pic)
    assert str(info.value) == message


# -- Normalize ---------------------------------------------------------------------------------
def torch_normalize(x, mean, std, inplace=False):
    """torchvision's tensor normalization, expressed with torch's in-place arithmetic."""
    out = x if inplace else x.clone()
    m, s = torch.as_tensor(mean, dtype=x.dtype), torch.as_tensor(std, dtype=x.dtype)
    if m.ndim == 1:
        m = m.view(-1, 1, 1)
    if s.ndim == 1:
        s = s.view(-1, 1, 1)
    return out.sub_(m).div_(s)


IMAGE = RNG.random((3, 4, 5), dtype=np.float32)
NORMALIZE_CASES = {
    "per channel": (IMAGE, (0.1, 0.2, 0.3), (0.5, 0.6, 0.7)),
    "one value for all channels": (IMAGE, (0.5,), (0.5,)),
    "scalars": (IMAGE, 0.5, 0.25),
    "lists of ints": (IMAGE, [0, 1, 2], [1, 2, 3]),
    "nested stats": (IMAGE, [[0.1]], [[0.5]]),
    "batch of images": (RNG.random((2, 3, 4, 5), dtype=np.float32), (0.1, 0.2, 0.3), (1, 2, 3)),
    "float64": (IMAGE.astype(np.float64), (0.1, 0.2, 0.3), (0.5, 0.6, 0.7)),
    "three means for one channel": (IMAGE[:1], (0.1, 0.2, 0.3), (0.5, 0.6, 0.7)),
    "two means for three channels": (IMAGE, (0.1, 0.2), (0.5, 0.6)),
    "three stds for one channel": (IMAGE[:1], (0.1,), (0.5, 0.6, 0.7)),
    "two means for a batch of three channels": (RNG.random((2, 3, 4, 5), dtype=np.float32),
                                                (0.1, 0.2), (0.5, 0.6)),
    "no stats": (IMAGE, (), ()),
}


@pytest.mark.parametrize("name", NORMALIZE_CASES)
def test_normalize_matches_torch(name):
    arr, mean, std = NORMALIZE_CASES[name]
    try:
        expected = torch_normalize(torch.from_numpy(arr.copy()), mean, std)
    except RuntimeError:
        assert_same_error(lambda: T.Normalize(mean, std)(ember.from_numpy(arr.copy())),
                          lambda: torch_normalize(torch.from_numpy(arr.copy()), mean, std))
        return
    assert_same(T.Normalize(mean, std)(ember.from_numpy(arr.copy())), expected, atol=0, rtol=0)


@pytest.mark.parametrize("value, error, message", [
    (ember.zeros(5), TypeError, "Tensor is not a torch image."),
    (ember.zeros(()), TypeError, "Tensor is not a torch image."),
    (ember.zeros(4, 5), ValueError, "Expected tensor to be a tensor image of size (..., C, H, W). "
                                    "Got tensor.size() = ember.Size([4, 5])"),
    (ember.zeros(3, 4, 5, dtype=ember.int64), TypeError,
     "Input tensor should be a float tensor. Got ember.int64."),
    (IMAGE, TypeError, "img should be Tensor Image. Got <class 'numpy.ndarray'>"),
])
def test_normalize_input_errors(value, error, message):
    with pytest.raises(error) as info:
        T.Normalize((0.5,), (0.5,))(value)
    assert str(info.value) == message


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_normalize_zero_std(dtype):
    with pytest.raises(ValueError) as info:
        T.Normalize((0.5,), (0.0,))(ember.zeros(1, 2, 2, dtype=getattr(ember, dtype)))
    assert str(info.value) == (f"std evaluated to zero after conversion to ember.{dtype}, "
                               f"leading to division by zero.")


def version(t):
    """The in-place write counter (ember keeps it in a one-item list shared with views)."""
    return t._version[0] if isinstance(t._version, list) else t._version


def test_normalize_inplace_writes_the_input_and_bumps_its_version():
    x, xt = ember.from_numpy(IMAGE.copy()), torch.from_numpy(IMAGE.copy())
    before = version(x)
    out = T.Normalize((0.1, 0.2, 0.3), (0.5, 0.6, 0.7), inplace=True)(x)
    assert out is x and version(x) > before
    assert_same(x, torch_normalize(xt, (0.1, 0.2, 0.3), (0.5, 0.6, 0.7), inplace=True))
    y = ember.from_numpy(IMAGE.copy())
    assert T.Normalize((0.5,), (0.5,))(y) is not y
    np.testing.assert_array_equal(y.numpy(), IMAGE)


def test_normalize_keeps_the_graph_and_refuses_in_place_on_a_leaf():
    x, xt = ember.tensor(IMAGE, requires_grad=True), torch.tensor(IMAGE, requires_grad=True)
    out, expected = T.Normalize((0.5,), (0.25,))(x), torch_normalize(xt, (0.5,), (0.25,))
    assert out.grad_fn.name() == expected.grad_fn.name()
    out.sum().backward()
    expected.sum().backward()
    assert_same(x.grad, xt.grad)
    assert_same_error(lambda: T.Normalize((0.5,), (0.25,), inplace=True)(x),
                      lambda: torch_normalize(xt, (0.5,), (0.25,), inplace=True))


# -- Compose, Lambda, reprs, nn.Sequential -----------------------------------------------------
def test_reprs():
    pipeline = T.Compose([T.ToTensor(), T.Lambda(lambda x: x), T.Normalize([0.1], [2])])
    assert repr(pipeline) == ("Compose(\n    ToTensor()\n    Lambda()\n"
                              "    Normalize(mean=[0.1], std=[2])\n)")
    assert repr(T.Compose([])) == "Compose(\n)"
    assert repr(T.Normalize(0.5, 0.5, inplace=True)) == "Normalize(mean=0.5, std=0.5)"


def test_compose_applies_in_order_and_lambda_checks_its_argument():
    pipeline = T.Compose([T.ToTensor(), T.Lambda(lambda x: x * 2), T.Normalize((1.0,), (2.0,))])
    expected = (expected_to_tensor(HWC[..., 0]) * 2 - 1.0) / 2.0
    assert_same(pipeline(HWC[..., 0]), expected)
    with pytest.raises(TypeError) as info:
        T.Lambda(3)
    assert str(info.value) == "Argument lambd should be callable, got 'int'"


def test_tensor_transforms_are_modules_and_chain_in_sequential():
    for transform in (T.Normalize((0.5,), (0.5,)), T.CenterCrop(2), T.Resize(3),
                      T.RandomCrop(2), T.RandomHorizontalFlip(), T.RandomRotation(5)):
        assert isinstance(transform, nn.Module)
    for transform in (T.ToTensor(), T.PILToTensor(), T.Compose([]), T.Lambda(abs)):
        assert not isinstance(transform, nn.Module)
    chain = nn.Sequential(T.CenterCrop(2), T.Normalize((0.5,), (0.25,)))
    x = RNG.random((1, 4, 4), dtype=np.float32)
    expected = torch_normalize(torch.from_numpy(x)[:, 1:3, 1:3], (0.5,), (0.25,))
    assert_same(chain(ember.from_numpy(x)), expected)
    assert repr(chain) == ("Sequential(\n  (0): CenterCrop(size=(2, 2))\n"
                           "  (1): Normalize(mean=(0.5,), std=(0.25,))\n)")


# -- FashionMNIST ------------------------------------------------------------------------------
def write_split(root, train, n=6):
    """Tiny IDX files (the format's header: magic, then big-endian sizes) for one split."""
    images = RNG.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    labels = RNG.integers(0, 10, n, dtype=np.uint8)
    raw = root / "FashionMNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    prefix = "train" if train else "t10k"
    for kind, arr in (("images-idx3", images), ("labels-idx1", labels)):
        header = bytes([0, 0, 8, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape)
        (raw / f"{prefix}-{kind}-ubyte.gz").write_bytes(gzip.compress(header + arr.tobytes()))
    return images, labels


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets.FashionMNIST, "system_dirs", ())
    images, labels = write_split(tmp_path, train=False)
    return tmp_path, images, labels


def test_fashion_mnist_items_and_transforms(tiny):
    root, images, labels = tiny
    ds = datasets.FashionMNIST(root, train=False, download=False)
    img, target = ds[2]
    assert isinstance(img, Image.Image) and img.mode == "L" and type(target) is int
    np.testing.assert_array_equal(np.asarray(img), images[2])
    assert target == int(labels[2]) and ds[-1][1] == int(labels[-1])
    ds = datasets.FashionMNIST(str(root), False, T.ToTensor(), lambda y: y + 100)
    x, target = ds[1]
    assert_same(x, expected_to_tensor(images[1]), atol=0, rtol=0)
    assert target == int(labels[1]) + 100
    assert ds.classes[0] == "T-shirt/top" and ds.class_to_idx["Ankle boot"] == 9


@pytest.mark.parametrize("index", [6, 100, -7])
def test_fashion_mnist_index_errors_match_tensor_indexing(tiny, index):
    root, images, _ = tiny
    ds = datasets.FashionMNIST(root, train=False)
    assert_same_error(lambda: ds[index], lambda: torch.from_numpy(images)[index])
    ds.transform = T.ToTensor()
    batches = DataLoader(ds, batch_size=3, sampler=[0, index, 1])
    assert_same_error(lambda: next(iter(batches)), lambda: torch.from_numpy(images)[index])


def test_fashion_mnist_channel_mismatch_fails_alike_per_item_and_batched(tiny):
    root, images, _ = tiny
    three = T.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))
    ds = datasets.FashionMNIST(root, train=False, transform=T.Compose([T.ToTensor(), three]))
    def expected():
        return torch_normalize(expected_to_tensor(images[0]), three.mean, three.std)
    assert_same_error(lambda: ds[0], expected)
    assert_same_error(lambda: next(iter(DataLoader(ds, batch_size=4))), expected)


def test_fashion_mnist_repr(tiny):
    root, _, _ = tiny
    ds = datasets.FashionMNIST(root, train=False, transform=T.Compose(
        [T.ToTensor(), T.Normalize((0.5,), (0.5,))]), target_transform=T.Lambda(int))
    assert repr(ds) == (
        "Dataset FashionMNIST\n"
        "    Number of datapoints: 6\n"
        f"    Root location: {root}\n"
        "    Split: Test\n"
        "    StandardTransform\n"
        "Transform: Compose(\n"
        "               ToTensor()\n"
        "               Normalize(mean=(0.5,), std=(0.5,))\n"
        "           )\n"
        "Target transform: Lambda()")


needs_real_data = pytest.mark.skipif(
    not any(os.path.isdir(d) for d in datasets.FashionMNIST.system_dirs),
    reason="FashionMNIST is not installed")


@needs_real_data
def test_real_fashion_mnist_matches_its_files(tmp_path):
    ds = datasets.FashionMNIST(tmp_path, train=False, transform=T.ToTensor())
    assert len(ds) == 10000 and str(ds).splitlines()[1:4] == [
        "    Number of datapoints: 10000", f"    Root location: {tmp_path}", "    Split: Test"]
    images = ds.data.numpy()
    for index in (0, 9999, -1):
        x, target = ds[index]
        assert_same(x, expected_to_tensor(images[index]), atol=0, rtol=0)
        assert target == int(ds.targets[index])
    assert_same_error(lambda: ds[10000], lambda: torch.from_numpy(images)[10000])
    x, y = next(iter(DataLoader(ds, batch_size=5)))
    assert_same(x, torch.stack([expected_to_tensor(images[i]) for i in range(5)]), atol=0, rtol=0)
    assert y.tolist() == ds.targets[:5].tolist()
