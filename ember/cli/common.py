"""Pieces shared by the ``ember`` subcommands: the error type, devices and dataset metadata."""

from __future__ import annotations

import re

__all__ = ["CLIError", "MissingExtra", "need", "one_line", "resolve_device", "DATASETS",
           "fmt_count"]

# Class names by dataset, so that ``predict`` and ``evaluate`` can name classes even when a
# checkpoint was written by plain ``ember.save(model.state_dict())``.
DATASETS: dict[str, dict] = {
    "fashion-mnist": {
        "class_name": "FashionMNIST",
        "classes": ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                    "Sneaker", "Bag", "Ankle boot"],
    },
    "mnist": {
        "class_name": "MNIST",
        "classes": ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five",
                    "6 - six", "7 - seven", "8 - eight", "9 - nine"],
    },
}


class CLIError(Exception):
    """A problem with the user's input: reported as one line on stderr, exit status 1."""


class MissingExtra(CLIError):
    """An optional library a feature needs is not installed (``pip install 'ember[train]'``)."""


def need(module: str, package: str, purpose: str):
    """Import ``module`` or raise ``MissingExtra`` saying which package ``purpose`` needs.

    tqdm, matplotlib and Pillow come with the ``train`` extra: ``ember train`` runs on NumPy
    alone, without progress bars and ``curves.png``.
    """
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtra(f"{purpose} needs {package}, which is not installed: "
                           "pip install 'ember[train]'") from None


def one_line(message: object) -> str:
    """Collapse a (possibly multi-line) message into a single line."""
    return re.sub(r"\s+", " ", str(message)).strip()


def resolve_device(name: str):
    """``auto`` picks CUDA when ember can use a GPU, else the CPU.

    >>> str(resolve_device("cpu"))
    'cpu'
    """
    import ember

    if name == "auto":
        name = "cuda" if ember.cuda.is_available() else "cpu"
    elif name == "cuda" and not ember.cuda.is_available():
        raise CLIError("--device cuda: no usable GPU (ember's GPU support needs CuPy and a "
                       "CUDA device); use --device cpu")
    return ember.device(name)


def fmt_count(n: int) -> str:
    """Thousands separators for parameter and sample counts: ``669,706``."""
    return f"{n:,}"
