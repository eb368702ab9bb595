"""More transforms, colour and blur: PIL paths against Pillow called directly (the reference
PIL path calls the same Pillow functions), tensor paths against the documented formulas
rebuilt with torch (torchvision itself is not a test dependency)."""

import colorsys

import numpy as np
import pytest

import ember
from ember.vision import transforms as T
from ember.vision.transforms import functional as F
from ._images import BATCH, F32, U8, assert_tensor, et, hwc, pil, tt

Image = pytest.importorskip("PIL.Image")
ImageEnhance = pytest.importorskip("PIL.ImageEnhance")
ImageOps = pytest.importorskip("PIL.ImageOps")
torch = pytest.importorskip("torch")



# -- torch references of the documented tensor formulas --------------------------------------------
def bound_of(t):
    return 1.0 if t.is_floating_point() else 255.0


def ref_blend(a, b, ratio):
    return (ratio * a + (1.0 - ratio) * b).clamp(0, bound_of(a)).to(a.dtype)


def ref_gray(t):
    r, g, b = t.unbind(-3)
    return (0.2989 * r + 0.587 * g + 0.114 * b).to(t.dtype).unsqueeze(-3)


def ref_contrast(t, factor):
    work = t.dtype if t.is_floating_point() else torch.float32
    mean = ref_gray(t).to(work).mean(dim=(-3, -2, -1), keepdim=True)
    return ref_blend(t, mean, factor)


def ref_sharpness(t, factor):
    work = t.dtype if t.is_floating_point() else torch.float32
    kernel = torch.ones(3, 3, dtype=work)
    kernel[1, 1] = 5.0
    kernel = (kernel / kernel.sum()).expand(t.shape[-3], 1, 3, 3)
    x = t.reshape(-1, *t.shape[-3:]).to(work)
    smooth = torch.nn.functional.conv2d(x, kernel, groups=t.shape[-3])
    if not t.is_floating_point():
        smooth = smooth.round()
    degenerate = t.clone()
    degenerate[..., 1:-1, 1:-1] = smooth.reshape(*t.shape[:-2], *smooth.shape[-2:]).to(t.dtype)
    return ref_blend(t, degenerate, factor)


def ref_blur(t, ksize, sigma):
    work = t.dtype if t.is_floating_point() else torch.float32

    def k1d(k, s):
        x = torch.linspace(-(k - 1) * 0.5, (k - 1) * 0.5, k, dtype=work)
        pdf = torch.exp(-0.5 * (x / s).pow(2))
        return pdf / pdf.sum()
    kernel = torch.mm(k1d(ksize[1], sigma[1])[:, None], k1d(ksize[0], sigma[0])[None, :])
    x = t.reshape(-1, *t.shape[-3:]).to(work)
    px, py = ksize[0] // 2, ksize[1] // 2
    x = torch.nn.functional.pad(x, [px, px, py, py], mode="reflect")
    out = torch.nn.functional.conv2d(x, kernel.expand(t.shape[-3], 1, *kernel.shape),
                                     groups=t.shape[-3])
    if not t.is_floating_point():
        out = out.round()
    return out.to(t.dtype).reshape(t.shape)


# -- colour: tensors -------------------------------------------------------------------------------
@pytest.mark.parametrize("arr", [U8, F32, BATCH], ids=["uint8", "float32", "batch"])
@pytest.mark.parametrize("factor", [0.0, 0.4, 1.7])
def test_brightness_contrast_saturation_sharpness_tensor(arr, factor):
    t = tt(arr)
    atol = 1e-6 if arr.dtype == np.float32 else 0
    assert_tensor(F.adjust_brightness(et(arr), factor), ref_blend(t, torch.zeros_like(t), factor))
    assert_tensor(F.adjust_saturation(et(arr), factor), ref_blend(t, ref_gray(t), factor),
                  atol)
    assert_tensor(F.adjust_sharpness(et(arr), factor), ref_sharpness(t, factor), atol)
    ours = F.adjust_contrast(et(arr), factor).numpy().astype(np.float64)
    # The mean may differ in its last bit (summation order), moving a truncation by one.
    np.testing.assert_allclose(ours, ref_contrast(t, factor).double().numpy(), atol=1.0001)


def test_grayscale_tensor_and_pil():
    assert_tensor(F.rgb_to_grayscale(et(U8)), ref_gray(tt(U8)))
    assert_tensor(F.rgb_to_grayscale(et(F32), 3), ref_gray(tt(F32)).expand(3, 6, 7))
    assert_tensor(T.Grayscale()(et(BATCH)), ref_gray(tt(BATCH)))
    assert hwc(T.Grayscale()(pil(U8))).tolist() == hwc(pil(U8).convert("L")).tolist()
    three = T.Grayscale(3)(pil(U8))
    assert three.mode == "RGB"
    assert (hwc(three) == hwc(pil(U8).convert("L"))[..., None]).all()
    with pytest.raises(ValueError, match="num_output_channels should be either 1 or 3"):
        F.rgb_to_grayscale(et(U8), 2)
    with pytest.raises(TypeError, match=r"permitted channel values are \[1, 3\], but found 2"):
        F.rgb_to_grayscale(et(U8[:2]))


def hue_reference(arr, factor):
    out = np.empty_like(arr, dtype=np.float64)
    for y in range(arr.shape[1]):
        for x in range(arr.shape[2]):
            h, s, v = colorsys.rgb_to_hsv(*arr[:, y, x].astype(np.float64))
            out[:, y, x] = colorsys.hsv_to_rgb((h + factor) % 1.0, s, v)
    return out


@pytest.mark.parametrize("factor", [-0.5, -0.2, 0.0, 0.35])
def test_adjust_hue_tensor_matches_colorsys(factor):
    ours = F.adjust_hue(et(F32), factor)
    assert ours.dtype == ember.float32
    np.testing.assert_allclose(ours.numpy(), hue_reference(F32, factor), atol=2e-6)
    as_u8 = F.adjust_hue(et(U8), factor).numpy().astype(int)
    expected = hue_reference(U8 / 255.0, factor) * 255.999
    assert np.abs(as_u8 - expected).max() <= 1.0  # truncation after float32 round trip
    grey = et(U8[:1])
    assert F.adjust_hue(grey, factor) is grey


def test_adjust_hue_pil_and_errors():
    img = pil(U8)
    h, s, v = img.convert("HSV").split()
    shifted = (np.asarray(h).astype(int) + int(0.2 * 255)) % 256
    expected = Image.merge("HSV", (Image.fromarray(shifted.astype(np.uint8)), s, v))
    assert hwc(F.adjust_hue(img, 0.2)).tolist() == hwc(expected.convert("RGB")).tolist()
    assert F.adjust_hue(img.convert("L"), 0.3).mode == "L"
    with pytest.raises(ValueError, match=r"hue_factor \(0.7\) is not in \[-0.5, 0.5\]."):
        F.adjust_hue(et(U8), 0.7)
    with pytest.raises(ValueError, match=r"brightness_factor \(-1\) is not non-negative."):
        F.adjust_brightness(et(U8), -1)
    with pytest.raises(TypeError, match="img should be PIL Image. Got <class 'list'>"):
        F.adjust_contrast([1], 0.5)


@pytest.mark.parametrize("name, factor", [("Brightness", 1.3), ("Contrast", 0.5),
                                          ("Color", 1.6), ("Sharpness", 1.8)])
def test_enhance_pil_matches_pillow(name, factor):
    fn = {"Brightness": F.adjust_brightness, "Contrast": F.adjust_contrast,
          "Color": F.adjust_saturation, "Sharpness": F.adjust_sharpness}[name]
    expected = getattr(ImageEnhance, name)(pil(U8)).enhance(factor)
    assert hwc(fn(pil(U8), factor)).tolist() == hwc(expected).tolist()


def test_imageops_on_tensors_match_pillow_per_channel():
    img, t = pil(U8), et(U8)
    for ours, theirs in [(F.invert(t), ImageOps.invert(img)),
                         (F.posterize(t, 3), ImageOps.posterize(img, 3)),
                         (F.solarize(t, 100), ImageOps.solarize(img, 100)),
                         (F.equalize(t), ImageOps.equalize(img))]:
        np.testing.assert_array_equal(ours.numpy(), hwc(theirs).transpose(2, 0, 1))
    for fn in (F.invert, F.equalize, F.autocontrast, lambda x: F.posterize(x, 2)):
        assert fn(img).size == img.size
    batch = F.equalize(et(BATCH)).numpy()
    expected = hwc(ImageOps.equalize(pil(BATCH[1]))).transpose(2, 0, 1)
    np.testing.assert_array_equal(batch[1], expected)


def test_autocontrast_and_invert_float_formulas():
    arr = F32.copy()
    arr[1] = 0.25  # a flat channel is left unchanged
    t = tt(arr)
    low, high = t.amin(dim=(-2, -1), keepdim=True), t.amax(dim=(-2, -1), keepdim=True)
    scale = 1.0 / (high - low)
    bad = ~torch.isfinite(scale)
    low[bad], scale[bad] = 0, 1
    assert_tensor(F.autocontrast(et(arr)), ((t - low) * scale).clamp(0, 1), 1e-6)
    assert_tensor(F.invert(et(arr)), 1.0 - t)
    u = tt(U8)
    lo = u.amin(dim=(-2, -1), keepdim=True).float()
    hi = u.amax(dim=(-2, -1), keepdim=True).float()
    expected = ((u - lo) * (255.0 / (hi - lo))).clamp(0, 255).to(u.dtype)
    assert_tensor(F.autocontrast(et(U8)), expected)
    assert_tensor(F.solarize(et(F32), 0.5), torch.where(tt(F32) >= 0.5, 1.0 - tt(F32), tt(F32)))


def test_imageops_errors():
    with pytest.raises(ValueError, match="The number if bits should be between 0 and 8. Got 9"):
        F.posterize(et(U8), 9)
    with pytest.raises(TypeError, match="Only ember.uint8 image tensors are supported"):
        F.posterize(et(F32), 2)
    with pytest.raises(TypeError, match="Only ember.uint8 image tensors are supported"):
        F.equalize(et(F32))
    with pytest.raises(TypeError, match="Threshold should be less than bound of img."):
        F.solarize(et(F32), 1.5)
    with pytest.raises(TypeError, match="should have at least 3 dimensions, but found 2"):
        F.invert(et(U8[0]))


# -- blur ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("arr", [U8, F32, BATCH], ids=["uint8", "float32", "batch"])
@pytest.mark.parametrize("ksize, sigma", [((3, 3), (1.0, 1.0)), ((5, 3), (1.5, 0.7))])
def test_gaussian_blur_tensor(arr, ksize, sigma):
    atol = 1e-6 if arr.dtype == np.float32 else 0
    assert_tensor(F.gaussian_blur(et(arr), list(ksize), list(sigma)),
                  ref_blur(tt(arr), ksize, sigma), atol)


def test_gaussian_blur_pil_default_sigma_and_errors():
    out = F.gaussian_blur(pil(U8), 3)
    assert out.mode == "RGB"
    expected = ref_blur(tt(U8), (3, 3), (0.8, 0.8)).numpy().transpose(1, 2, 0)
    np.testing.assert_array_equal(hwc(out), expected)
    with pytest.raises(ValueError, match=r"kernel_size should have odd and positive integers. "
                                         r"Got \[4, 4\]"):
        F.gaussian_blur(et(U8), 4)
    with pytest.raises(ValueError, match=r"sigma should have positive values. Got \[0.0, 0.0\]"):
        F.gaussian_blur(et(U8), 3, 0.0)
    with pytest.raises(ValueError, match="Kernel size value should be an odd and positive"):
        T.GaussianBlur(4)
    with pytest.raises(ValueError, match=r"sigma values should be positive and of the form"):
        T.GaussianBlur(3, (2.0, 1.0))


def test_gaussian_blur_transform_draws_sigma():
    ember.manual_seed(5)
    sigma = T.GaussianBlur.get_params(0.1, 2.0)
    assert 0.1 <= sigma <= 2.0
    ember.manual_seed(5)
    out = T.GaussianBlur(3)(et(F32))
    assert_tensor(out, ref_blur(tt(F32), (3, 3), (sigma, sigma)), 1e-6)


