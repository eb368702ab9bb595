"""Transforms: numbers checked against Pillow run directly (torchvision's PIL path calls the
same Pillow functions) and against torch's tensor ops; reprs against torchvision's format."""

import numpy as np
import pytest

import ember
from ember.vision import transforms as T
from ember.vision.transforms import functional as F

Image = pytest.importorskip("PIL.Image")
torch = pytest.importorskip("torch")


def grey(h=6, w=8, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (h, w), dtype=np.uint8)


def rgb(h=5, w=7, seed=1):
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


# -- conversion --------------------------------------------------------------------------------
@pytest.mark.parametrize("arr", [grey(), rgb()], ids=["L", "RGB"])
def test_to_tensor_on_pil_and_ndarray_matches_torch_scaling(arr):
    hwc = arr if arr.ndim == 3 else arr[:, :, None]
    expected = torch.from_numpy(hwc).permute(2, 0, 1).float().div(255).numpy()
    for pic in (Image.fromarray(arr), arr):
        out = T.ToTensor()(pic)
        assert out.dtype == ember.float32
        np.testing.assert_array_equal(out.numpy(), expected)  # bit for bit


def test_to_tensor_special_modes_and_dtypes():
    binary = Image.fromarray(grey() > 128)
    assert binary.mode == "1"
    np.testing.assert_array_equal(F.to_tensor(binary).numpy()[0], (grey() > 128).astype(np.float32))
    ints = Image.fromarray(grey().astype(np.int32))
    assert ints.mode == "I"
    out = F.to_tensor(ints)
    assert out.dtype == ember.int32 and out.numpy()[0].tolist() == grey().tolist()
    floats = np.random.default_rng(0).random((3, 4, 2))
    out = F.to_tensor(floats)  # non-uint8 arrays are not rescaled
    assert out.dtype == ember.float64 and np.array_equal(out.numpy(), floats.transpose(2, 0, 1))
    with pytest.raises(TypeError, match="pic should be PIL Image or ndarray. Got <class 'list'>"):
        F.to_tensor([1, 2])
    with pytest.raises(ValueError, match="pic should be 2/3 dimensional. Got 1 dimensions."):
        F.to_tensor(np.zeros(3, np.uint8))


def test_pil_to_tensor_keeps_raw_values():
    out = T.PILToTensor()(Image.fromarray(rgb()))
    assert out.dtype == ember.uint8
    np.testing.assert_array_equal(out.numpy(), rgb().transpose(2, 0, 1))
    with pytest.raises(TypeError, match="pic should be PIL Image"):
        F.pil_to_tensor(rgb())


def test_normalize_matches_torch():
    x = np.random.default_rng(2).random((3, 4, 5), dtype=np.float32)
    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    theirs = (torch.from_numpy(x) - torch.tensor(mean).view(3, 1, 1)) / \
        torch.tensor(std).view(3, 1, 1)
    ours = T.Normalize(mean, std)(ember.from_numpy(x))
    assert ours.dtype == ember.float32
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    batch = T.Normalize(mean, std)(ember.from_numpy(np.stack([x, x])))
    np.testing.assert_array_equal(batch.numpy()[1], theirs.numpy())
    y = ember.from_numpy(x.copy())
    assert T.Normalize(mean, std, inplace=True)(y) is y
    np.testing.assert_array_equal(y.numpy(), theirs.numpy())


def test_normalize_errors():
    with pytest.raises(TypeError, match="Input tensor should be a float tensor. Got ember.uint8."):
        F.normalize(ember.zeros(1, 2, 2, dtype=ember.uint8), [0.5], [0.5])
    with pytest.raises(ValueError, match="std evaluated to zero after conversion to "
                                         "ember.float32, leading to division by zero."):
        F.normalize(ember.zeros(1, 2, 2), [0.5], [0.0])
    with pytest.raises(ValueError, match=r"Expected tensor to be a tensor image of size "
                                         r"\(..., C, H, W\)"):
        F.normalize(ember.zeros(2, 2), [0.5], [0.5])
    with pytest.raises(TypeError, match="img should be Tensor Image"):
        F.normalize(grey(), [0.5], [0.5])


def test_normalize_keeps_autograd():
    x = ember.ones(1, 2, 2, requires_grad=True)
    F.normalize(x, [0.5], [0.25]).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full((1, 2, 2), 4.0))


# -- reprs (torchvision's format) ---------------------------------------------------------------
@pytest.mark.parametrize("transform, text", [
    (T.Compose([T.ToTensor(), T.Normalize((0.5,), (0.5,))]),
     "Compose(\n    ToTensor()\n    Normalize(mean=(0.5,), std=(0.5,))\n)"),
    (T.Normalize([0.1, 0.2], [1, 2]), "Normalize(mean=[0.1, 0.2], std=[1, 2])"),
    (T.PILToTensor(), "PILToTensor()"),
    (T.Lambda(lambda x: x), "Lambda()"),
    (T.Resize(28), "Resize(size=28, interpolation=bilinear, max_size=None, antialias=True)"),
    (T.Resize((32, 16), interpolation=T.InterpolationMode.NEAREST),
     "Resize(size=(32, 16), interpolation=nearest, max_size=None, antialias=True)"),
    (T.CenterCrop(10), "CenterCrop(size=(10, 10))"),
    (T.RandomCrop(32, padding=4), "RandomCrop(size=(32, 32), padding=4)"),
    (T.RandomHorizontalFlip(), "RandomHorizontalFlip(p=0.5)"),
    (T.RandomRotation(10),
     "RandomRotation(degrees=[-10.0, 10.0], interpolation=nearest, expand=False, fill=0)"),
    (T.RandomRotation((5, 20), center=(1, 2)),
     "RandomRotation(degrees=[5.0, 20.0], interpolation=nearest, expand=False, "
     "center=(1, 2), fill=0)"),
])
def test_reprs(transform, text):
    assert repr(transform) == text


def test_lambda_and_compose_apply_in_order():
    pipeline = T.Compose([T.Lambda(lambda x: x + 1), T.Lambda(lambda x: x * 10)])
    assert pipeline(1) == 20
    with pytest.raises(TypeError, match="Argument lambd should be callable, got 'int'"):
        T.Lambda(3)


# -- geometry ------------------------------------------------------------------------------------
@pytest.mark.parametrize("size, h, w, expected", [
    (15, 30, 40, (15, 20)),       # shorter edge (height) to 15, width keeps the aspect
    (15, 40, 30, (20, 15)),
    (7, 30, 40, (7, 9)),          # int() truncates 9.33
    ([10], 30, 40, (10, 13)),
    ((12, 5), 30, 40, (12, 5)),
])
def test_resize_sizes_and_pixels_match_pillow(size, h, w, expected):
    img = Image.fromarray(grey(h, w))
    out = T.Resize(size)(img)
    assert (out.height, out.width) == expected
    reference = img.resize((expected[1], expected[0]), Image.Resampling.BILINEAR)
    assert np.array_equal(np.asarray(out), np.asarray(reference))


def test_resize_max_size_and_noop():
    img = Image.fromarray(grey(10, 40))
    assert T.Resize(8, max_size=20)(img).size == (20, 5)
    with pytest.raises(ValueError, match="must be strictly greater"):
        T.Resize(8, max_size=8)(img)
    assert T.Resize(10)(img) is img
    with pytest.raises(ValueError, match="If size is a sequence, it should have 1 or 2 values"):
        T.Resize((1, 2, 3))


def test_resize_tensor_close_to_torch_antialiased_bilinear():
    x = np.random.default_rng(3).random((2, 24, 30), dtype=np.float32)
    ours = T.Resize((10, 13))(ember.from_numpy(x)).numpy()
    theirs = torch.nn.functional.interpolate(torch.from_numpy(x)[None], size=(10, 13),
                                             mode="bilinear", antialias=True)[0].numpy()
    np.testing.assert_allclose(ours, theirs, atol=1e-5)


@pytest.mark.parametrize("h, w, size", [(6, 8, 4), (7, 8, (4, 3)), (5, 5, 2), (4, 4, 6),
                                        (3, 5, (5, 2))])
def test_center_crop_matches_manual_crop(h, w, size):
    arr = grey(h, w)
    th, tw = (size, size) if isinstance(size, int) else size
    # pad with zeros when the crop is larger, then take the centred window (round half even)
    pad_h, pad_w = max(th - h, 0), max(tw - w, 0)
    padded = np.pad(arr, ((pad_h // 2, (pad_h + 1) // 2), (pad_w // 2, (pad_w + 1) // 2)))
    top = int(round((padded.shape[0] - th) / 2.0))
    left = int(round((padded.shape[1] - tw) / 2.0))
    expected = padded[top:top + th, left:left + tw]
    out = T.CenterCrop(size)(Image.fromarray(arr))
    assert np.array_equal(np.asarray(out), expected)
    tensor_out = T.CenterCrop(size)(ember.from_numpy(arr[None].copy()))
    assert np.array_equal(tensor_out.numpy()[0], expected)


def test_random_crop_with_padding_is_a_window_of_the_padded_image():
    arr = grey(6, 6)
    padded = np.pad(arr, 2)
    crop = T.RandomCrop(6, padding=2)
    ember.manual_seed(0)
    seen = set()
    for _ in range(30):
        out = np.asarray(crop(Image.fromarray(arr)))
        assert out.shape == (6, 6)
        offsets = [(i, j) for i in range(5) for j in range(5)
                   if np.array_equal(padded[i:i + 6, j:j + 6], out)]
        assert offsets
        seen.update(offsets)
    assert len(seen) > 3  # positions vary
    ember.manual_seed(7)
    first = np.asarray(crop(Image.fromarray(arr)))
    ember.manual_seed(7)
    assert np.array_equal(np.asarray(crop(Image.fromarray(arr))), first)


def test_random_crop_pad_if_needed_and_error():
    img = Image.fromarray(grey(4, 5))
    assert T.RandomCrop((6, 7), pad_if_needed=True)(img).size == (7, 6)
    with pytest.raises(ValueError, match=r"Required crop size \(6, 6\) is larger than input "
                                         r"image size \(4, 5\)"):
        T.RandomCrop(6)(img)


@pytest.mark.parametrize("mode, torch_mode", [("constant", "constant"), ("edge", "replicate"),
                                               ("reflect", "reflect")])
def test_pad_on_tensors_matches_torch(mode, torch_mode):
    x = np.random.default_rng(4).random((2, 4, 5), dtype=np.float32)
    ours = F.pad(ember.from_numpy(x), [1, 2, 3, 1], padding_mode=mode).numpy()
    theirs = torch.nn.functional.pad(torch.from_numpy(x)[None], (1, 3, 2, 1),
                                     mode=torch_mode)[0].numpy()
    np.testing.assert_array_equal(ours, theirs)


def test_pad_pil_fill_per_channel():
    out = np.asarray(F.pad(Image.fromarray(rgb(2, 2)), 1, fill=(10, 20, 30)))
    assert out.shape == (4, 4, 3) and out[0, 0].tolist() == [10, 20, 30]
    assert out[1:3, 1:3].tolist() == rgb(2, 2).tolist()


def test_horizontal_flip():
    img = Image.fromarray(rgb())
    assert np.array_equal(np.asarray(T.RandomHorizontalFlip(p=1.0)(img)), rgb()[:, ::-1])
    assert T.RandomHorizontalFlip(p=0.0)(img) is img
    x = ember.from_numpy(rgb().transpose(2, 0, 1).copy())
    assert np.array_equal(T.RandomHorizontalFlip(p=1.0)(x).numpy(),
                          rgb().transpose(2, 0, 1)[:, :, ::-1])
    ember.manual_seed(0)
    flips = sum(T.RandomHorizontalFlip()(img) is not img for _ in range(200))
    assert 70 < flips < 130


@pytest.mark.parametrize("angle, expand", [(30.0, False), (-45.0, True), (90.0, False)])
def test_rotation_with_a_fixed_angle_matches_pillow(angle, expand):
    img = Image.fromarray(grey(9, 11))
    out = T.RandomRotation((angle, angle), expand=expand)(img)
    reference = img.rotate(angle, Image.Resampling.NEAREST, expand, None, fillcolor=0)
    assert np.array_equal(np.asarray(out), np.asarray(reference))
    as_tensor = T.RandomRotation((angle, angle), expand=expand)(
        ember.from_numpy(grey(9, 11)[None].copy()))
    assert np.array_equal(as_tensor.numpy()[0], np.asarray(reference))


def test_rotation_angles_stay_in_range():
    ember.manual_seed(0)
    angles = [T.RandomRotation.get_params([-10.0, 10.0]) for _ in range(100)]
    assert all(-10.0 <= a <= 10.0 for a in angles) and len(set(angles)) > 50
    with pytest.raises(ValueError, match="If degrees is a single number, it must be positive."):
        T.RandomRotation(-3)
