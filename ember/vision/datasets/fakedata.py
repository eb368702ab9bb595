"""``FakeData``: random images and labels, the same for the same index every time.

>>> from ember.vision.datasets import FakeData
>>> ds = FakeData(size=4, image_size=(3, 8, 8), num_classes=5)
>>> img, label = ds[2]
>>> img.size, 0 <= label < 5
((8, 8), True)
"""

from __future__ import annotations

from collections.abc import Callable

from .vision import VisionDataset

__all__ = ["FakeData"]


class FakeData(VisionDataset):
    """``size`` items ``(PIL image, int label)``; item ``i`` is drawn from ember's generator
    seeded with ``i + random_offset`` (the global generator state is restored afterwards)."""

    def __init__(self, size: int = 1000, image_size: tuple = (3, 224, 224),
                 num_classes: int = 10, transform: Callable | None = None,
                 target_transform: Callable | None = None, random_offset: int = 0) -> None:
        super().__init__(None, transform=transform, target_transform=target_transform)
        self.size = size
        self.num_classes = num_classes
        self.image_size = image_size
        self.random_offset = random_offset

    def __getitem__(self, index: int) -> tuple:
        from ... import get_rng_state, manual_seed, randint, randn, set_rng_state
        from ..transforms import functional as F
        if index >= len(self):
            raise IndexError(f"{type(self).__name__} index out of range")
        state = get_rng_state()
        manual_seed(index + self.random_offset)
        img = randn(*self.image_size)
        target = int(randint(0, self.num_classes, (1,))[0].item())
        set_rng_state(state)
        img = F.to_pil_image(img)
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self) -> int:
        return self.size
