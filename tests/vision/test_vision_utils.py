"""make_grid and save_image: layout, padding, normalisation and the written pixels."""

import io

import numpy as np
import pytest

import ember
from ember.vision.utils import make_grid, save_image

Image = pytest.importorskip("PIL.Image")

RNG = np.random.default_rng(0)
BATCH = RNG.random((5, 3, 4, 6), dtype=np.float32)


def cell(grid, row, col, h, w, padding):
    top, left = row * (h + padding) + padding, col * (w + padding) + padding
    return grid[:, top:top + h, left:left + w]


def test_layout_and_padding():
    grid = make_grid(ember.from_numpy(BATCH), nrow=2, padding=3, pad_value=0.25).numpy()
    assert grid.shape == (3, 3 * (4 + 3) + 3, 2 * (6 + 3) + 3) and grid.dtype == np.float32
    mask = np.ones(grid.shape[1:], bool)
    for k in range(5):
        row, col = divmod(k, 2)
        np.testing.assert_array_equal(cell(grid, row, col, 4, 6, 3), BATCH[k])
        mask[row * 7 + 3:row * 7 + 7, col * 9 + 3:col * 9 + 9] = False
    assert (grid[:, mask] == 0.25).all()  # frame, gaps and the empty last cell
    wide = make_grid(ember.from_numpy(BATCH), nrow=8, padding=0).numpy()
    assert wide.shape == (3, 4, 30)
    np.testing.assert_array_equal(wide[:, :, 6:12], BATCH[1])


def test_inputs_of_other_shapes():
    items = [ember.from_numpy(BATCH[k]) for k in range(2)]
    np.testing.assert_array_equal(make_grid(items).numpy(),
                                  make_grid(ember.from_numpy(BATCH[:2])).numpy())
    single = make_grid(ember.from_numpy(BATCH[:1]))
    np.testing.assert_array_equal(single.numpy(), BATCH[0])  # one image: returned unpadded
    grey = make_grid(ember.from_numpy(BATCH[0, 0])).numpy()
    assert grey.shape == (3, 4, 6) and (grey == BATCH[0, 0]).all()
    grey_batch = make_grid(ember.from_numpy(BATCH[:2, :1]), padding=0).numpy()
    assert grey_batch.shape == (3, 4, 12) and (grey_batch[2, :, 6:] == BATCH[1, 0]).all()


def test_normalize_maps_the_range_to_unit_interval():
    x = BATCH * 10 - 3
    out = make_grid(ember.from_numpy(x), normalize=True, padding=0, nrow=5).numpy()
    expected = (x - x.min()) / (x.max() - x.min())
    np.testing.assert_allclose(np.concatenate(list(expected), axis=2), out, rtol=1e-6)
    out = make_grid(ember.from_numpy(x), normalize=True, value_range=(0.0, 2.0), padding=0,
                    nrow=5).numpy()
    np.testing.assert_allclose(out[:, :, :6], np.clip(x[0], 0, 2) / 2, rtol=1e-6)
    each = make_grid(ember.from_numpy(x), normalize=True, scale_each=True, padding=0,
                     nrow=5).numpy()
    for k in range(5):
        img = each[:, :, 6 * k:6 * k + 6]
        assert img.min() == 0 and abs(img.max() - 1) < 1e-6
    np.testing.assert_array_equal(x, BATCH * 10 - 3)  # input untouched
    flat = make_grid(ember.full((2, 1, 2, 2), 0.5), normalize=True).numpy()
    assert (flat == 0).all()  # a flat range divides by a tiny span instead of zero


def test_errors():
    with pytest.raises(TypeError, match="tensor or list of tensors expected, got a list "
                                        "containing <class 'int'>"):
        make_grid([1, 2])
    with pytest.raises(TypeError, match="tensor or list of tensors expected, got "
                                        "<class 'numpy.ndarray'>"):
        make_grid(BATCH)
    with pytest.raises(TypeError, match=r"value_range has to be a tuple \(min, max\)"):
        make_grid(ember.from_numpy(BATCH), normalize=True, value_range=[0, 1])


def test_save_image_rounds_to_nearest(tmp_path):
    path = tmp_path / "grid.png"
    save_image(ember.from_numpy(BATCH), path, nrow=3, padding=1, pad_value=1.0)
    written = np.asarray(Image.open(path))
    grid = make_grid(ember.from_numpy(BATCH), nrow=3, padding=1, pad_value=1.0).numpy()
    expected = np.floor(np.clip(grid * 255 + 0.5, 0, 255)).astype(np.uint8).transpose(1, 2, 0)
    np.testing.assert_array_equal(written, expected)
    buffer = io.BytesIO()
    save_image(ember.from_numpy(BATCH[0]), buffer, format="BMP")
    assert Image.open(io.BytesIO(buffer.getvalue())).size == (6, 4)
