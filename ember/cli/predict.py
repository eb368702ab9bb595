"""``ember predict CHECKPOINT IMAGE...``: the most likely classes of images or test items.

Images of any size and mode are turned into what the model was trained on: one 28x28 gray
channel scaled to [0, 1]. Non-square images are padded to a square with their border's median
gray before resizing, so the object keeps its proportions. FashionMNIST and MNIST draw a light
object on a black background; a photo of a dark object on white needs ``--invert``.
"""

from __future__ import annotations

import argparse

import numpy as np

from .common import DATASETS, CLIError, need, one_line

__all__ = ["add_parser", "run", "load_image"]

SIDE = 28


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "predict", help="classify images (PNG, JPEG, ...) or test-set items",
        description="Print the top classes and their probabilities for each image or "
                    "test-set item.")
    p.add_argument("checkpoint", help="checkpoint file, or a run directory holding one")
    p.add_argument("images", nargs="*", metavar="IMAGE", help="image files, any size")
    p.add_argument("--index", type=int, action="append", default=[], metavar="N",
                   help="classify test-set item N (repeatable)")
    p.add_argument("--top-k", type=int, default=3, metavar="K", help="classes to show "
                   "(default: 3)")
    p.add_argument("--invert", action="store_true",
                   help="invert gray levels (for dark objects on a light background)")
    p.add_argument("--dataset", choices=sorted(DATASETS),
                   help="default: the checkpoint's dataset")
    p.add_argument("--data-dir", default="data", help="dataset root for --index")
    p.add_argument("--no-download", action="store_true", help="never download the dataset")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.set_defaults(run=run)


def load_image(path: str, invert: bool = False) -> np.ndarray:
    """Read ``path`` as a (28, 28) uint8 gray image, padded to a square first."""
    need("PIL", "Pillow", "reading an image")
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            im = ImageOps.exif_transpose(im).convert("L")
    except FileNotFoundError:
        raise CLIError(f"image not found: {path}") from None
    except IsADirectoryError:
        raise CLIError(f"{path} is a directory, not an image") from None
    except UnidentifiedImageError:
        raise CLIError(f"{path} is not an image (Pillow cannot identify its format)") from None
    except (OSError, ValueError, SyntaxError) as e:  # truncated or corrupt image data
        raise CLIError(f"cannot read image {path}: {one_line(e)}") from None
    if invert:
        im = ImageOps.invert(im)
    pixels = np.asarray(im)
    if im.width != im.height:
        border = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
        im = ImageOps.pad(im, (max(im.size),) * 2, color=int(np.median(border)))
    return np.asarray(im.resize((SIDE, SIDE), Image.Resampling.LANCZOS), dtype=np.uint8)


def _top_classes(model, images: np.ndarray, device, k: int) -> list[list[tuple[int, float]]]:
    import ember
    from ember.nn import functional as F

    from .data import to_input

    model.eval()
    with ember.no_grad():
        probs = F.softmax(model(to_input(images).to(device)), dim=1).cpu().numpy()
    order = np.argsort(-probs, axis=1, kind="stable")[:, :k]
    return [[(int(c), float(row[c])) for c in top] for row, top in zip(probs, order)]


def run(args: argparse.Namespace) -> int:
    from .checkpoint import load_checkpoint, restore_model
    from .common import resolve_device

    if not args.images and not args.index:
        raise CLIError("nothing to predict: give IMAGE files or --index N")
    if args.top_k < 1:
        raise CLIError(f"--top-k must be at least 1, got {args.top_k}")
    ckpt = load_checkpoint(args.checkpoint)
    dataset = args.dataset or ckpt.get("args", {}).get("dataset") or "fashion-mnist"
    classes = ckpt.get("classes") or DATASETS[dataset]["classes"]
    names, images = [], []
    for path in args.images:
        images.append(load_image(path, args.invert))
        names.append(path)
    if args.index:
        names_i, images_i = _test_items(args, dataset, classes)
        names += names_i
        images += images_i
    device = resolve_device(args.device)
    model = restore_model(ckpt).to(device)
    tops = _top_classes(model, np.stack(images), device, min(args.top_k, len(classes)))
    width = max(len(c) for c in classes)
    for name, top in zip(names, tops):
        print(f"{name}:")
        for rank, (c, p) in enumerate(top, 1):
            print(f"  {rank}. {classes[c]:<{width}}  {100 * p:6.2f}%")
    return 0


def _test_items(args: argparse.Namespace, dataset: str, classes: list[str]):
    from .data import load_split

    split = load_split(dataset, args.data_dir, False, None, not args.no_download)
    names, images = [], []
    for i in args.index:
        if not -len(split) <= i < len(split):
            raise CLIError(f"--index {i} is out of range: the {dataset} test split has "
                           f"{len(split)} items")
        names.append(f"test item {i} (true class: {classes[int(split.labels[i])]})")
        images.append(split.images[i])
    return names, images
