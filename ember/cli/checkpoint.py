"""Reading and writing the training checkpoints of ``ember train``.

A checkpoint is a plain dict saved with :func:`ember.save`, holding only tensors, dicts, lists,
strings, numbers, booleans and None, so that ``torch.load(path, weights_only=True)`` reads it:

``model``        the model's ``state_dict``
``optimizer``    the optimizer's ``state_dict``
``epoch``        the epoch in progress, counted from 0 (equal to ``epochs`` once finished)
``step``         batches of that epoch already trained (0 at an epoch boundary)
``rng_state``    ember's global generator state (a uint8 tensor)
``args``         the run's settings (dataset, model, optimizer, lr, batch size, seed, ...)
``history``      one dict of metrics per finished epoch
``partial``      running sums of the epoch in progress, so a resumed epoch reports the same
                 metrics as an uninterrupted one

A bare ``state_dict`` (as the Quickstart saves with ``ember.save(model.state_dict(), ...)``)
is accepted too wherever only the weights are needed.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .common import CLIError, one_line

__all__ = ["FORMAT", "save_checkpoint", "load_checkpoint", "restore_model", "CHECKPOINT_NAME"]

FORMAT = "ember.cli/1"
CHECKPOINT_NAME = "checkpoint.pt"


def save_checkpoint(path: str | os.PathLike, payload: dict) -> None:
    """Write ``payload`` atomically: readers see either the old file or the new one."""
    import ember

    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            ember.save(payload, f)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _resolve_path(path: str | os.PathLike) -> Path:
    p = Path(path)
    if p.is_dir():  # a run directory: use the checkpoint inside it
        if (p / CHECKPOINT_NAME).is_file():
            return p / CHECKPOINT_NAME
        raise CLIError(f"{p} is a directory without a {CHECKPOINT_NAME}")
    if not p.exists():
        raise CLIError(f"checkpoint not found: {p}")
    return p


def _is_state_dict(obj: object) -> bool:
    import ember

    return (isinstance(obj, dict) and len(obj) > 0
            and all(isinstance(k, str) and isinstance(v, ember.Tensor) for k, v in obj.items()))


def load_checkpoint(path: str | os.PathLike) -> dict:
    """Load a training checkpoint (or a bare state_dict, wrapped as one) on the CPU."""
    import ember

    p = _resolve_path(path)
    try:
        obj = ember.load(p, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - any failure to parse means "not a checkpoint"
        raise CLIError(f"cannot read checkpoint {p}: {one_line(e)}") from None
    if _is_state_dict(obj):
        return {"model": obj, "args": {}, "history": [], "bare": True, "path": str(p)}
    if not (isinstance(obj, dict) and _is_state_dict(obj.get("model"))):
        raise CLIError(f"{p} is not an ember checkpoint (expected a dict with a 'model' "
                       "state_dict, or a bare state_dict)")
    return {**obj, "path": str(p)}


def restore_model(ckpt: dict, model_name: str | None = None):
    """Build the checkpoint's model and load its weights; a mismatch is a CLIError."""
    from .models import build_model

    name = model_name or ckpt.get("args", {}).get("model") or "mlp"
    model = build_model(name)
    try:
        model.load_state_dict(ckpt["model"])
    except (RuntimeError, KeyError, ValueError) as e:
        raise CLIError(f"{ckpt['path']} does not hold weights for model {name!r}: "
                       f"{one_line(e)}") from None
    return model
