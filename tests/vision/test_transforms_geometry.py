"""More transforms, geometry, conversion and containers: PIL paths against Pillow, tensor
paths against the documented formulas rebuilt with torch and NumPy primitives (torchvision
itself is not a test dependency), reprs against the reference format, random transforms
through seeded get_params and statistics."""

import math
import random

import numpy as np
import pytest

import ember
from ember.vision import transforms as T
from ember.vision.transforms import functional as F
from ._images import BATCH, F32, RNG, U8, assert_tensor, et, hwc, pil, tt

Image = pytest.importorskip("PIL.Image")
ImageEnhance = pytest.importorskip("PIL.ImageEnhance")
ImageOps = pytest.importorskip("PIL.ImageOps")
torch = pytest.importorskip("torch")



# -- affine ----------------------------------------------------------------------------------------
def ref_inverse_matrix(center, angle, translate, scale, shear):
    """Inverse of T(translate) C R(angle) Sh(shear) S(scale) C^-1, built with numpy."""
    rot, sx, sy = (math.radians(v) for v in (angle, shear[0], shear[1]))
    rss = np.array([[math.cos(rot - sy) / math.cos(sy),
                     -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)],
                    [math.sin(rot - sy) / math.cos(sy),
                     -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)]])
    forward = np.eye(3)
    forward[:2, :2] = rss * scale
    c = np.eye(3)
    c[:2, 2] = center
    t = np.eye(3)
    t[:2, 2] = translate
    return np.linalg.inv(t @ c @ forward @ np.linalg.inv(c))[:2].ravel().tolist()


def ref_affine_tensor(t, matrix, mode, fill):
    """Grid sampling (align_corners=False) at the inverse-mapped output pixel centres."""
    n_lead = t.shape[:-3]
    x = t.reshape(-1, *t.shape[-3:])
    work = x.dtype if x.is_floating_point() else torch.float32
    x = x.to(work)
    h, w = x.shape[-2:]
    theta = torch.tensor(matrix, dtype=work).reshape(2, 3)
    xs = torch.linspace(-w * 0.5 + 0.5, w * 0.5 - 0.5, w, dtype=work)
    ys = torch.linspace(-h * 0.5 + 0.5, h * 0.5 - 0.5, h, dtype=work)
    base = torch.stack(torch.broadcast_tensors(xs[None, :], ys[:, None], torch.ones(1, 1)), -1)
    grid = (base @ theta.T) / torch.tensor([0.5 * w, 0.5 * h], dtype=work)
    grid = grid.expand(x.shape[0], h, w, 2)
    x = torch.cat([x, torch.ones_like(x[:, :1])], 1)
    out = torch.nn.functional.grid_sample(x, grid, mode=mode, padding_mode="zeros",
                                          align_corners=False)
    img, mask = out[:, :-1], out[:, -1:].expand_as(out[:, :-1])
    fill_img = torch.tensor(fill, dtype=work).view(1, -1, 1, 1).expand_as(img)
    if mode == "nearest":
        img = torch.where(mask < 0.5, fill_img, img)
    else:
        img = img * mask + (1.0 - mask) * fill_img
    if not t.is_floating_point():
        img = img.round()
    return img.to(t.dtype).reshape(*n_lead, *img.shape[-3:])


@pytest.mark.parametrize("arr", [U8, F32, BATCH], ids=["uint8", "float32", "batch"])
@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
def test_affine_tensor_matches_grid_sampling(arr, mode):
    angle, translate, scale, shear = 25.0, [1, -2], 0.9, [10.0, -5.0]
    h, w = arr.shape[-2:]
    center = [3, 2]
    pivot = [center[0] - w * 0.5, center[1] - h * 0.5]
    matrix = ref_inverse_matrix(pivot, angle, translate, scale, shear)
    fill = [7.0, 50.0, 3.0] if arr.dtype == np.uint8 else [0.5, 0.1, 0.0]
    ours = F.affine(et(arr), angle, translate, scale, shear, interpolation=getattr(
        T.InterpolationMode, mode.upper()), fill=fill, center=center)
    expected = ref_affine_tensor(tt(arr), matrix, mode, fill)
    if arr.dtype == np.uint8:
        assert (np.abs(ours.numpy().astype(int) - expected.numpy().astype(int)) <= 1).all()
        assert (ours.numpy() == expected.numpy()).mean() > 0.95
    else:
        assert_tensor(ours, expected, 1e-5)


def test_affine_quarter_turn_and_translation_are_exact():
    square = RNG.integers(0, 256, (3, 6, 6), dtype=np.uint8)
    turned = F.affine(et(square), 90.0, [0, 0], 1.0, 0.0)
    # A positive angle turns clockwise.
    np.testing.assert_array_equal(turned.numpy(), np.rot90(square, -1, axes=(1, 2)))
    turned = F.affine(pil(square), 90.0, [0, 0], 1.0, 0.0)
    np.testing.assert_array_equal(hwc(turned), np.rot90(square.transpose(1, 2, 0), -1))
    shifted = F.affine(pil(U8), 0.0, [2, 1], 1.0, 0.0, fill=9)
    expected = np.full_like(hwc(pil(U8)), 9)
    expected[1:, 2:] = hwc(pil(U8))[:-1, :-2]
    np.testing.assert_array_equal(hwc(shifted), expected)
    shifted = F.affine(et(U8), 0.0, [2, 1], 1.0, 0.0, fill=[9.0])
    np.testing.assert_array_equal(shifted.numpy(), expected.transpose(2, 0, 1))


def test_affine_pil_matches_pillow_transform():
    matrix = ref_inverse_matrix([3.5, 3.0], 30.0, [1, 0], 1.2, [5.0, 0.0])
    expected = pil(U8).transform(pil(U8).size, Image.Transform.AFFINE, matrix,
                                 Image.Resampling.BILINEAR, fillcolor=(1, 2, 3))
    ours = F.affine(pil(U8), 30.0, [1, 0], 1.2, 5.0, T.InterpolationMode.BILINEAR,
                    fill=[1, 2, 3])
    assert hwc(ours).tolist() == hwc(expected).tolist()


def test_affine_errors():
    with pytest.raises(TypeError, match="Argument angle should be int or float"):
        F.affine(et(U8), "1", [0, 0], 1.0, 0.0)
    with pytest.raises(ValueError, match="Argument translate should be a sequence of length 2"):
        F.affine(et(U8), 1.0, [0], 1.0, 0.0)
    with pytest.raises(ValueError, match="Argument scale should be positive"):
        F.affine(et(U8), 1.0, [0, 0], 0.0, 0.0)
    with pytest.raises(ValueError, match="Shear should be a sequence containing two values"):
        F.affine(et(U8), 1.0, [0, 0], 1.0, [1, 2, 3])
    with pytest.raises(ValueError, match="Interpolation mode 'bicubic' is unsupported"):
        F.affine(et(U8), 1.0, [0, 0], 1.0, 0.0, T.InterpolationMode.BICUBIC)
    with pytest.raises(ValueError, match=r"cannot broadcast .* \(2 != 3\)"):
        F.affine(et(U8), 1.0, [0, 0], 1.0, 0.0, fill=[1.0, 2.0])


def test_random_affine_params_and_errors():
    ember.manual_seed(0)
    draws = [T.RandomAffine.get_params([-10, 10], [0.2, 0.1], [0.8, 1.2], [-5, 5, -3, 3],
                                       [50, 40]) for _ in range(200)]
    angles, trans, scales, shears = zip(*draws)
    assert all(-10 <= a <= 10 for a in angles) and np.std(angles) > 4
    assert all(abs(tx) <= 10 and abs(ty) <= 4 and isinstance(tx, int) for tx, ty in trans)
    assert all(0.8 <= s <= 1.2 for s in scales)
    assert all(-5 <= sx <= 5 and -3 <= sy <= 3 for sx, sy in shears)
    ember.manual_seed(1)
    a = T.RandomAffine(30, (0.1, 0.1))(et(U8))
    ember.manual_seed(1)
    b = T.RandomAffine(30, (0.1, 0.1))(et(U8))
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert T.RandomAffine(0)(pil(U8)).size == (7, 6)
    with pytest.raises(ValueError, match="If degrees is a single number, it must be positive."):
        T.RandomAffine(-1)
    with pytest.raises(TypeError, match="translate should be a sequence of length 2."):
        T.RandomAffine(0, translate=0.1)
    with pytest.raises(ValueError, match="translation values should be between 0 and 1"):
        T.RandomAffine(0, translate=(0.1, 2))
    with pytest.raises(ValueError, match="scale values should be positive"):
        T.RandomAffine(0, scale=(0, 1))
    with pytest.raises(ValueError, match="shear should be a sequence of length 2 or 4."):
        T.RandomAffine(0, shear=(1, 2, 3))


# -- crops, flips, padding -------------------------------------------------------------------------
def test_vflip_five_and_ten_crop():
    np.testing.assert_array_equal(F.vflip(et(BATCH)).numpy(), BATCH[..., ::-1, :])
    assert hwc(F.vflip(pil(U8))).tolist() == hwc(pil(U8))[::-1].tolist()
    crops = T.FiveCrop((2, 3))(et(U8))
    expected = [U8[:, :2, :3], U8[:, :2, 4:], U8[:, 4:, :3], U8[:, 4:, 4:], U8[:, 2:4, 2:5]]
    for ours, theirs in zip(crops, expected):
        np.testing.assert_array_equal(ours.numpy(), theirs)
    ten = T.TenCrop(2, vertical_flip=True)(pil(U8))
    assert len(ten) == 10
    assert hwc(ten[5]).tolist() == hwc(pil(U8))[::-1][:2, :2].tolist()
    ten = F.ten_crop(et(U8), [2])
    np.testing.assert_array_equal(ten[6].numpy(), U8[:, :, ::-1][:, :2, 5:])
    with pytest.raises(ValueError, match=r"Requested crop size \(7, 2\) is bigger than input "
                                         r"size \(6, 7\)"):
        F.five_crop(et(U8), (7, 2))
    with pytest.raises(ValueError, match="Please provide only two dimensions"):
        T.FiveCrop((1, 2, 3))


def test_resized_crop_is_crop_then_resize():
    ours = F.resized_crop(pil(U8), 1, 2, 4, 3, [5, 6])
    expected = pil(U8).crop((2, 1, 5, 5)).resize((6, 5), Image.Resampling.BILINEAR)
    assert hwc(ours).tolist() == hwc(expected).tolist()
    ours = F.resized_crop(et(U8), 1, 2, 4, 3, [5, 6], T.InterpolationMode.NEAREST)
    expected = [np.asarray(Image.fromarray(np.ascontiguousarray(U8[c, 1:5, 2:5])).resize(
        (6, 5), Image.Resampling.NEAREST)) for c in range(3)]
    np.testing.assert_array_equal(ours.numpy(), np.stack(expected))


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric"])
def test_pad_transform(mode):
    out = T.Pad((1, 2), fill=5, padding_mode=mode)(et(U8))
    kwargs = {"constant_values": 5} if mode == "constant" else {}
    np.testing.assert_array_equal(out.numpy(), np.pad(U8, [(0, 0), (2, 2), (1, 1)], mode,
                                                      **kwargs))
    out = T.Pad([1, 0, 2, 3], padding_mode=mode)(pil(U8))
    np.testing.assert_array_equal(hwc(out), np.pad(hwc(pil(U8)), [(0, 3), (1, 2), (0, 0)], mode))


def test_pad_errors():
    with pytest.raises(TypeError, match="Got inappropriate padding arg"):
        T.Pad("1")
    with pytest.raises(TypeError, match="Got inappropriate fill arg"):
        T.Pad(1, fill="x")
    with pytest.raises(ValueError, match="Padding mode should be either constant, edge"):
        T.Pad(1, padding_mode="wrap")
    with pytest.raises(ValueError, match="Padding must be an int or a 1, 2, or 4 element tuple, "
                                         "not a 3 element tuple"):
        T.Pad((1, 2, 3))


# -- conversion ------------------------------------------------------------------------------------
def test_to_pil_image_modes_and_round_trips():
    assert T.ToPILImage()(et(U8)).mode == "RGB"
    np.testing.assert_array_equal(F.pil_to_tensor(F.to_pil_image(et(U8))).numpy(), U8)
    img = F.to_pil_image(et(F32))  # floats are scaled by 255 and truncated
    np.testing.assert_array_equal(hwc(img), (F32.transpose(1, 2, 0) * 255).astype(np.uint8))
    assert F.to_pil_image(et(F32[:1]), mode="F").mode == "F"
    cases = {(1, np.uint8): "L", (2, np.uint8): "LA", (4, np.uint8): "RGBA",
             (1, np.int32): "I", (1, np.float32): "L"}
    for (c, dt), mode in cases.items():
        assert F.to_pil_image(et(np.zeros((c, 2, 3), dt))).mode == mode
    arr = U8.transpose(1, 2, 0)
    assert hwc(F.to_pil_image(arr)).tolist() == arr.tolist()
    assert F.to_pil_image(arr[:, :, 0]).mode == "L"
    assert F.to_pil_image(arr, mode="HSV").mode == "HSV"
    assert repr(T.ToPILImage()) == "ToPILImage()"
    assert repr(T.ToPILImage("RGB")) == "ToPILImage(mode=RGB)"


def test_to_pil_image_errors():
    with pytest.raises(TypeError, match="pic should be Tensor or ndarray. Got <class 'list'>."):
        F.to_pil_image([1])
    with pytest.raises(ValueError, match="pic should be 2/3 dimensional. Got 4 dimensions."):
        F.to_pil_image(et(BATCH))
    with pytest.raises(ValueError, match="pic should not have > 4 channels. Got 5 channels."):
        F.to_pil_image(et(np.zeros((5, 2, 2), np.uint8)))
    with pytest.raises(ValueError, match=r"Incorrect mode \(F\) supplied for input type "
                                         r"<class 'numpy.dtype'>. Should be L"):
        F.to_pil_image(et(U8[:1]), mode="F")
    with pytest.raises(ValueError, match=r"Only modes \['RGB', 'YCbCr', 'HSV'\] are supported "
                                         r"for 3D inputs"):
        F.to_pil_image(et(U8), mode="RGBA")
    with pytest.raises(TypeError, match="Input type int32 is not supported"):
        F.to_pil_image(et(np.zeros((3, 2, 2), np.int32)))


@pytest.mark.parametrize("src, dst", [("uint8", "float32"), ("uint8", "float64"),
                                      ("float32", "uint8"), ("float64", "int32"),
                                      ("uint8", "int32"), ("int32", "uint8"),
                                      ("int16", "uint8"), ("float64", "float32")])
def test_convert_image_dtype_matches_documented_scaling(src, dst):
    info = {"uint8": 255, "int16": 32767, "int32": 2**31 - 1}
    if src.startswith("float"):
        arr = np.random.default_rng(1).random((2, 3, 4)).astype(src)
    else:
        arr = np.random.default_rng(1).integers(0, info[src], (2, 3, 4)).astype(src)
    t = tt(arr)
    dst_t = getattr(torch, dst)
    if t.is_floating_point() and dst_t.is_floating_point:
        expected = t.to(dst_t)
    elif t.is_floating_point():
        expected = t.mul(float(info[dst]) + 1.0 - 1e-3).to(dst_t)
    elif dst_t.is_floating_point:
        expected = t.to(dst_t) / float(info[src])
    elif info[src] > info[dst]:
        expected = torch.div(t, (info[src] + 1) // (info[dst] + 1), rounding_mode="floor").to(dst_t)
    else:
        expected = t.to(dst_t) * ((info[dst] + 1) // (info[src] + 1))
    ours = T.ConvertImageDtype(getattr(ember, dst))(et(arr))
    assert ours.dtype == getattr(ember, dst)
    np.testing.assert_array_equal(ours.numpy(), expected.numpy())


def test_convert_image_dtype_errors():
    with pytest.raises(RuntimeError, match="The cast from ember.float32 to ember.int64 cannot "
                                           "be performed safely."):
        F.convert_image_dtype(et(F32), ember.int64)
    with pytest.raises(TypeError, match="Input img should be Tensor Image"):
        F.convert_image_dtype(F32)
    t = et(F32)
    assert F.convert_image_dtype(t, ember.float32) is t
    assert repr(T.ConvertImageDtype(ember.float32)) == "ConvertImageDtype()"


def test_linear_transformation():
    d = 3 * 2 * 2
    matrix = np.random.default_rng(2).random((d, d), dtype=np.float32)
    mean = np.random.default_rng(3).random(d, dtype=np.float32)
    x = np.random.default_rng(4).random((2, 3, 2, 2), dtype=np.float32)
    out = T.LinearTransformation(et(matrix), et(mean))(et(x))
    expected = (tt(x).view(-1, d) - tt(mean)) @ tt(matrix)
    np.testing.assert_allclose(out.numpy(), expected.view(2, 3, 2, 2).numpy(), rtol=1e-5)
    small = T.LinearTransformation(ember.eye(1), ember.zeros(1))
    assert repr(small) == "LinearTransformation(transformation_matrix=[[1.0]], mean_vector=[0.0])"
    with pytest.raises(ValueError, match=r"transformation_matrix should be square. Got \(2, 3\) "
                                         r"rectangular matrix."):
        T.LinearTransformation(ember.zeros(2, 3), ember.zeros(2))
    with pytest.raises(ValueError, match=r"mean_vector should have the same length 3 as any one "
                                         r"of the dimensions of the transformation_matrix "
                                         r"\[\(2, 2\)\]"):
        T.LinearTransformation(ember.zeros(2, 2), ember.zeros(3))
    with pytest.raises(ValueError, match=r"incompatible shape.\[3 x 2 x 2\] != 1"):
        small(et(x))


# -- random transforms -----------------------------------------------------------------------------
def test_reprs():
    cases = {
        T.RandomVerticalFlip(): "RandomVerticalFlip(p=0.5)",
        T.RandomResizedCrop(224): "RandomResizedCrop(size=(224, 224), scale=(0.08, 1.0), "
                                  "ratio=(0.75, 1.3333), interpolation=bilinear, antialias=True)",
        T.RandomResizedCrop((3, 4), (0.5, 1), interpolation=T.InterpolationMode.NEAREST,
                            antialias=None):
            "RandomResizedCrop(size=(3, 4), scale=(0.5, 1), ratio=(0.75, 1.3333), "
            "interpolation=nearest, antialias=None)",
        T.ColorJitter(): "ColorJitter(brightness=None, contrast=None, saturation=None, hue=None)",
        T.ColorJitter(1.5, (0.2, 0.9), 0, 0.5):
            "ColorJitter(brightness=(0.0, 2.5), contrast=(0.2, 0.9), saturation=None, "
            "hue=(-0.5, 0.5))",
        T.Grayscale(): "Grayscale(num_output_channels=1)",
        T.RandomGrayscale(): "RandomGrayscale(p=0.1)",
        T.Pad([1, 2], fill=(1, 2, 3)): "Pad(padding=[1, 2], fill=(1, 2, 3), padding_mode=constant)",
        T.RandomAffine(10): "RandomAffine(degrees=[-10.0, 10.0])",
        T.RandomAffine((1, 5), (0.1, 0.2), (0.5, 2), 3, T.InterpolationMode.BILINEAR, 4, [1, 2]):
            "RandomAffine(degrees=[1.0, 5.0], translate=(0.1, 0.2), scale=(0.5, 2), "
            "shear=[-3.0, 3.0], interpolation=bilinear, fill=4, center=[1, 2])",
        T.GaussianBlur(3, 1.0): "GaussianBlur(kernel_size=(3, 3), sigma=(1.0, 1.0))",
        T.RandomErasing(): "RandomErasing(p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0, "
                           "inplace=False)",
        T.FiveCrop(3): "FiveCrop(size=(3, 3))",
        T.TenCrop([3, 2]): "TenCrop(size=(3, 2), vertical_flip=False)",
        T.RandomInvert(): "RandomInvert(p=0.5)",
        T.RandomPosterize(2): "RandomPosterize(bits=2,p=0.5)",
        T.RandomSolarize(128, 0.3): "RandomSolarize(threshold=128,p=0.3)",
        T.RandomAdjustSharpness(2): "RandomAdjustSharpness(sharpness_factor=2,p=0.5)",
        T.RandomAutocontrast(): "RandomAutocontrast(p=0.5)",
        T.RandomEqualize(0.1): "RandomEqualize(p=0.1)",
        T.RandomApply([T.RandomInvert()], 0.3):
            "RandomApply(\n    p=0.3\n    RandomInvert(p=0.5)\n)",
        T.RandomChoice([T.Grayscale()]): "RandomChoice(\n    Grayscale(num_output_channels=1)\n)"
                                         "(p=None)",
        T.RandomOrder([T.RandomInvert(), T.RandomEqualize()]):
            "RandomOrder(\n    RandomInvert(p=0.5)\n    RandomEqualize(p=0.5)\n)",
    }
    for transform, text in cases.items():
        assert repr(transform) == text


def test_probability_transforms_apply_at_p_one_and_skip_at_zero():
    t = et(U8)
    pairs = [(T.RandomVerticalFlip, F.vflip), (T.RandomInvert, F.invert),
             (T.RandomAutocontrast, F.autocontrast), (T.RandomEqualize, F.equalize),
             (T.RandomGrayscale, lambda x: F.rgb_to_grayscale(x, 3))]
    for cls, fn in pairs:
        np.testing.assert_array_equal(cls(p=1.0)(t).numpy(), fn(t).numpy())
        assert cls(p=0.0)(t) is t
    np.testing.assert_array_equal(T.RandomPosterize(2, 1.0)(t).numpy(), F.posterize(t, 2).numpy())
    np.testing.assert_array_equal(T.RandomSolarize(90, 1.0)(t).numpy(), F.solarize(t, 90).numpy())
    np.testing.assert_array_equal(T.RandomAdjustSharpness(3, 1.0)(t).numpy(),
                                  F.adjust_sharpness(t, 3).numpy())
    ember.manual_seed(0)
    flips = sum(T.RandomVerticalFlip(0.3)(t) is not t for _ in range(400))
    assert 80 < flips < 160
    assert T.RandomGrayscale(1.0)(pil(U8)).mode == "RGB"


def test_random_resized_crop_params():
    img = et(np.zeros((1, 40, 60), np.uint8))
    ember.manual_seed(0)
    boxes = [T.RandomResizedCrop.get_params(img, (0.2, 0.6), (0.5, 2.0)) for _ in range(300)]
    ember.manual_seed(0)
    assert boxes[0] == T.RandomResizedCrop.get_params(img, (0.2, 0.6), (0.5, 2.0))
    for top, left, h, w in boxes:
        assert 0 <= top <= 40 - h and 0 <= left <= 60 - w
        assert 0.2 * 2400 - 2 * (h + w) <= h * w <= 0.6 * 2400 + 2 * (h + w)
        assert 0.5 * 0.8 <= w / h <= 2.0 * 1.25
    ratios = np.log([w / h for _, _, h, w in boxes])
    assert abs(ratios.mean()) < 0.15  # log-uniform in [log 0.5, log 2]
    # Impossible areas fall back to the central crop, clamped to the ratio range.
    assert T.RandomResizedCrop.get_params(img, (2.0, 3.0), (0.5, 1.0)) == (0, 10, 40, 40)
    assert T.RandomResizedCrop.get_params(img, (2.0, 3.0), (0.5, 2.0)) == (0, 0, 40, 60)
    out = T.RandomResizedCrop((5, 4))(pil(U8))
    assert out.size == (4, 5)
    with pytest.raises(TypeError, match="Scale should be a sequence"):
        T.RandomResizedCrop(3, scale=1)
    with pytest.warns(UserWarning, match=r"Scale and ratio should be of kind \(min, max\)"):
        T.RandomResizedCrop(3, scale=(1, 0.5))


def test_color_jitter_params_and_application():
    jitter = T.ColorJitter(0.5, 0.5, 0.5, 0.2)
    ember.manual_seed(3)
    order, b, c, s, h = T.ColorJitter.get_params(*[jitter.brightness, jitter.contrast,
                                                   jitter.saturation, jitter.hue])
    assert sorted(order.tolist()) == [0, 1, 2, 3]
    assert 0.5 <= b <= 1.5 and 0.5 <= c <= 1.5 and 0.5 <= s <= 1.5 and -0.2 <= h <= 0.2
    img = et(U8)
    expected = img
    for k in order.tolist():
        expected = [F.adjust_brightness, F.adjust_contrast, F.adjust_saturation,
                    F.adjust_hue][k](expected, [b, c, s, h][k])
    ember.manual_seed(3)
    np.testing.assert_array_equal(jitter(img).numpy(), expected.numpy())
    assert T.ColorJitter(0.3)(pil(U8)).size == (7, 6)
    assert T.ColorJitter.get_params(None, None, None, None)[1:] == (None, None, None, None)
    with pytest.raises(ValueError, match="If brightness is a single number, it must be non "
                                         "negative."):
        T.ColorJitter(-1)
    with pytest.raises(ValueError, match=r"hue values should be between \(-0.5, 0.5\), but got "
                                         r"\[-0.6, 0.6\]."):
        T.ColorJitter(hue=0.6)
    with pytest.raises(TypeError, match="contrast should be a single number or a list/tuple with "
                                        "length 2."):
        T.ColorJitter(contrast=[1, 2, 3])


def test_random_erasing():
    img = et(F32)
    ember.manual_seed(0)
    top, left, h, w, v = T.RandomErasing.get_params(img, (0.1, 0.3), (0.5, 2.0), [0.5])
    assert 0 < h < 6 and 0 < w < 7 and v.shape == (1, 1, 1)
    out = T.RandomErasing(p=1.0, value=(1, 2, 3))(img)
    erased = out.numpy() != F32
    assert erased.any() and not np.array_equal(out.numpy(), F32)
    assert set(np.unique(out.numpy()[erased])) <= {1.0, 2.0, 3.0}
    rows, cols = np.nonzero(erased.any(0))
    assert erased[:, rows.min():rows.max() + 1, cols.min():cols.max() + 1].all()
    same = et(F32.copy())
    assert T.RandomErasing(p=1.0, inplace=True)(same) is same
    noisy = T.RandomErasing(p=1.0, value="random")(img)
    assert noisy.dtype == ember.float32
    # Nothing fits: the image is returned (whole-image "box", v = img itself).
    assert T.RandomErasing.get_params(img, (1.0, 1.0), (1.0, 1.0))[:4] == (0, 0, 6, 7)
    assert F.erase(img, 0, 0, 2, 2, 0.0).numpy()[:, :2, :2].sum() == 0
    with pytest.raises(ValueError, match="If value is str, it should be 'random'"):
        T.RandomErasing(value="x")
    with pytest.raises(ValueError, match="Scale should be between 0 and 1"):
        T.RandomErasing(scale=(0, 2))
    with pytest.raises(ValueError, match="Random erasing probability should be between 0 and 1"):
        T.RandomErasing(p=2)
    with pytest.raises(ValueError, match="it should have either a single value or 3"):
        T.RandomErasing(p=1.0, value=(1, 2))(img)
    with pytest.raises(TypeError, match="img should be Tensor Image"):
        F.erase(F32, 0, 0, 1, 1, 0)


def test_containers():
    t = et(U8)
    assert T.RandomApply([T.RandomInvert(1.0)], p=0.0)(t) is t
    np.testing.assert_array_equal(T.RandomApply([T.RandomInvert(1.0)], p=1.0)(t).numpy(),
                                  255 - U8)
    random.seed(0)
    picks = [T.RandomChoice([lambda x: 0, lambda x: 1], p=[1, 3])(None) for _ in range(400)]
    assert 250 < sum(picks) < 350
    random.seed(1)
    order = []
    T.RandomOrder([lambda x: order.append(0), lambda x: order.append(1),
                   lambda x: order.append(2)])(None)
    assert sorted(order) == [0, 1, 2]
    with pytest.raises(TypeError, match="Argument transforms should be a sequence"):
        T.RandomOrder(T.RandomInvert())
    with pytest.raises(TypeError, match="Argument p should be a sequence"):
        T.RandomChoice([T.RandomInvert()], p=0.5)
