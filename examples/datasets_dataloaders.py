"""PyTorch's "Datasets & DataLoaders" tutorial, run on ember: only the imports differ.

    python examples/datasets_dataloaders.py
    EMBER_EXAMPLE_QUICK=1 python examples/datasets_dataloaders.py   # CI: no figures kept

The dataset is read from ./data, or from a system copy such as Debian's
dataset-fashion-mnist package, and downloaded otherwise. Without a display, matplotlib
draws off-screen (Agg) and ``plt.show()`` does nothing.
"""

import os

import matplotlib

if not os.environ.get("DISPLAY") and not os.environ.get("MPLBACKEND"):
    matplotlib.use("Agg")

import ember as torch
from ember.utils.data import Dataset
from ember.vision import datasets
from ember.vision.transforms import ToTensor
import matplotlib.pyplot as plt

QUICK = os.environ.get("EMBER_EXAMPLE_QUICK") == "1"
if QUICK:
    plt.show = lambda *args, **kwargs: plt.close("all")


training_data = datasets.FashionMNIST(
    root="data",
    train=True,
    download=True,
    transform=ToTensor()
)

test_data = datasets.FashionMNIST(
    root="data",
    train=False,
    download=True,
    transform=ToTensor()
)

labels_map = {
    0: "T-Shirt",
    1: "Trouser",
    2: "Pullover",
    3: "Dress",
    4: "Coat",
    5: "Sandal",
    6: "Shirt",
    7: "Sneaker",
    8: "Bag",
    9: "Ankle Boot",
}
figure = plt.figure(figsize=(8, 8))
cols, rows = 3, 3
for i in range(1, cols * rows + 1):
    sample_idx = torch.randint(len(training_data), size=(1,)).item()
    img, label = training_data[sample_idx]
    figure.add_subplot(rows, cols, i)
    plt.title(labels_map[label])
    plt.axis("off")
    plt.imshow(img.squeeze(), cmap="gray")
plt.show()


import os  # noqa: E402, F811
try:
    import pandas as pd
except ImportError:  # only CustomImageDataset needs pandas, and nothing here builds one
    pd = None
from ember.vision.io import read_image  # noqa: E402


class CustomImageDataset(Dataset):
    def __init__(self, annotations_file, img_dir, transform=None, target_transform=None):
        self.img_labels = pd.read_csv(annotations_file)
        self.img_dir = img_dir
        self.transform = transform
        self.target_transform = target_transform

    def __len__(self):
        return len(self.img_labels)

    def __getitem__(self, idx):
        img_path = os.path.join(self.img_dir, self.img_labels.iloc[idx, 0])
        image = read_image(img_path)
        label = self.img_labels.iloc[idx, 1]
        if self.transform:
            image = self.transform(image)
        if self.target_transform:
            label = self.target_transform(label)
        return image, label


from ember.utils.data import DataLoader  # noqa: E402

train_dataloader = DataLoader(training_data, batch_size=64, shuffle=True)
test_dataloader = DataLoader(test_data, batch_size=64, shuffle=True)

# Display image and label.
train_features, train_labels = next(iter(train_dataloader))
print(f"Feature batch shape: {train_features.size()}")
print(f"Labels batch shape: {train_labels.size()}")
img = train_features[0].squeeze()
label = train_labels[0]
plt.imshow(img, cmap="gray")
plt.show()
print(f"Label: {label}")
