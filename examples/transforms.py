"""PyTorch's "Transforms" tutorial, run on ember: only the imports differ.

    python examples/transforms.py
    EMBER_EXAMPLE_QUICK=1 python examples/transforms.py   # same run (it is short already)

After building the dataset as the tutorial does, it prints one transformed sample so the
effect of ``ToTensor`` and of the one-hot ``Lambda`` can be seen.
"""

import os

import ember as torch
from ember.vision import datasets
from ember.vision.transforms import ToTensor, Lambda

QUICK = os.environ.get("EMBER_EXAMPLE_QUICK") == "1"  # nothing to shorten: one sample

ds = datasets.FashionMNIST(
    root="data",
    train=True,
    download=True,
    transform=ToTensor(),
    target_transform=Lambda(lambda y: torch.zeros(10, dtype=torch.float).scatter_(0, torch.tensor(y), value=1))  # noqa: E501
)

target_transform = Lambda(lambda y: torch.zeros(
    10, dtype=torch.float).scatter_(dim=0, index=torch.tensor(y), value=1))

# Not part of the tutorial's code: show what the transforms produced.
image, target = ds[0]
print(ds)
print(f"image: {image.shape} {image.dtype}, min {image.min().item():.4f}, "
      f"max {image.max().item():.4f}")
print(f"target: {target}")
print(f"same one-hot with keyword arguments: "
      f"{bool((target_transform(int(ds.targets[0])) == target).all())}")
