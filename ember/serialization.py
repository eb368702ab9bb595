"""Saving and loading: PyTorch-compatible checkpoints, safe by default.

``save`` writes PyTorch's zip checkpoint format, which ``torch.load(f, weights_only=True)``
reads; ``load`` reads files written by ``torch.save`` without importing torch. By default
``load`` never runs code from the file: it builds only data (containers, numbers, strings,
tensors) through an allowlist, and refuses everything else with ``pickle.UnpicklingError``.
``save_file`` / ``load_file`` handle the safetensors format.

Example::

    >>> model = ember.nn.Linear(2, 1)
    >>> ember.save(model.state_dict(), "model_weights.pth")
    >>> model.load_state_dict(ember.load("model_weights.pth", weights_only=True))
    <All keys matched successfully>
"""

from __future__ import annotations

import os
import pickle
from typing import Any

from ._serialization._files import archive_prefix, atomic_writer, is_path, open_source
from ._serialization._load import load_checkpoint
from ._serialization._pickler import write_checkpoint
from ._serialization._safetensors import load_file as _load_safetensors
from ._serialization._safetensors import save_file as _save_safetensors

__all__ = ["save", "load", "save_file", "load_file"]


def _check_pickle_module(pickle_module: Any) -> None:
    if pickle_module is not None and pickle_module is not pickle:
        raise TypeError("ember.save/ember.load only support the standard pickle module")


def save(obj: object, f: Any, pickle_module: Any = None, pickle_protocol: int = 2,
         _use_new_zipfile_serialization: bool = True,
         _disable_byteorder_record: bool = False) -> None:
    """Save ``obj`` to ``f`` (a path or a writable binary file) in PyTorch's zip format.

    Tensors are stored once per storage: views and tensors sharing memory keep sharing it
    when loaded, and non-contiguous tensors keep their strides. Writes to a path are atomic:
    a crash mid-save leaves any previous file at that path intact.

    Example::

        >>> ember.save({"w": ember.ones(3)}, "ckpt.pt")
        >>> ember.load("ckpt.pt")  # and so does ``torch.load(..., weights_only=True)``
        {'w': tensor([1., 1., 1.])}
    """
    _check_pickle_module(pickle_module)
    if not _use_new_zipfile_serialization:
        raise ValueError("ember.save writes only the zip checkpoint format")
    prefix = archive_prefix(f)
    if is_path(f):
        with atomic_writer(f) as stream:
            write_checkpoint(obj, stream, prefix, pickle_protocol)
    elif hasattr(f, "write"):
        write_checkpoint(obj, f, prefix, pickle_protocol)
    else:
        raise TypeError(f"expected a path or a writable binary file, got {type(f).__name__}")


def load(f: Any, map_location: Any = None, pickle_module: Any = None, *,
         weights_only: bool | None = True, mmap: bool | None = None,
         **pickle_load_args: Any) -> Any:
    """Load an object saved with ``ember.save`` or ``torch.save`` (zip format).

    Args:
        f: a path or a readable binary file.
        map_location: where storages go: ``None`` (where they were saved), a device or
            string (``"cpu"``), a dict mapping saved locations to new ones, or a function
            ``(storage, location) -> tensor or None``.
        weights_only: ``True`` (the default; ``None`` means the same) builds only tensors,
            containers and plain values through an allowlist and raises
            ``pickle.UnpicklingError`` naming anything else. ``False`` runs the file's pickle
            as Python would, which can execute arbitrary code: only for trusted files, e.g.
            a whole ``nn.Module`` saved with ``ember.save(model, ...)``.
        mmap: map storages from the file instead of reading them (``f`` must be a path).

    Example::

        >>> ember.save({"w": ember.ones(2)}, "model_weights.pth")
        >>> ember.load("model_weights.pth", map_location="cpu")["w"]
        tensor([1., 1.])
    """
    _check_pickle_module(pickle_module)
    unknown = set(pickle_load_args) - {"encoding"}
    if unknown:
        raise TypeError(f"load() got unexpected keyword arguments {sorted(unknown)}")
    if mmap and not is_path(f):
        raise ValueError("f must be a file path in order to use the mmap argument")
    with open_source(f) as (stream, _):
        return load_checkpoint(stream, map_location, weights_only is not False, bool(mmap))


def save_file(tensors: dict, filename: str | os.PathLike,
              metadata: dict | None = None) -> None:
    """Save ``{name: tensor}`` as a safetensors file (atomic write).

    Tensors that share memory are written as separate copies.

    Example::

        >>> model = ember.nn.Linear(2, 1)
        >>> ember.save_file(model.state_dict(), "model.safetensors", {"format": "pt"})
    """
    _save_safetensors(tensors, filename, metadata)


def load_file(filename: str | os.PathLike, device: Any = "cpu") -> dict:
    """Load a safetensors file as ``{name: tensor}`` (the header is checked in full first).

    Example::

        >>> ember.save_file({"w": ember.ones(2)}, "model.safetensors")
        >>> ember.load_file("model.safetensors")
        {'w': tensor([1., 1.])}
    """
    return _load_safetensors(filename, device)
