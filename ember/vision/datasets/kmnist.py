"""Kuzushiji-MNIST: 28 x 28 grey images of 10 cursive Japanese (hiragana) characters.

Same interface and file layout as ``MNIST`` (``<root>/KMNIST/raw``).

>>> from ember.vision.datasets import KMNIST
>>> KMNIST.classes[:3]
['o', 'ki', 'su']
"""

from __future__ import annotations

from .mnist import MNIST

__all__ = ["KMNIST"]


class KMNIST(MNIST):
    """Kuzushiji-MNIST (60,000 training and 10,000 test images), files as published."""

    mirrors = ["http://codh.rois.ac.jp/kmnist/dataset/kmnist/"]
    resources = [("train-images-idx3-ubyte.gz", "bdb82020997e1d708af4cf47b453dcf7"),
                 ("train-labels-idx1-ubyte.gz", "e144d726b3acfaa3e44228e80efcd344"),
                 ("t10k-images-idx3-ubyte.gz", "5c965bf0a639b31b8f53240b1b52f4d7"),
                 ("t10k-labels-idx1-ubyte.gz", "7320c461ea6c1c855c0b718fb2a4b134")]
    raw_md5s: dict = {}
    classes = ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]
