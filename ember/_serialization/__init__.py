"""Checkpoint reading and writing behind ``ember.save`` / ``ember.load`` and safetensors.

The pieces, each small enough to audit on its own:

- ``_zip``: the zip container (aligned writer, validating reader).
- ``_files``: atomic writes to paths, opening sources for reading.
- ``_pickler``: writes the pickle stream with torch's global names, without importing torch.
- ``_storage``: storages read from an archive and tensors rebuilt over them.
- ``_globals``: the allowlist of names a checkpoint may mention.
- ``_unpickler``: the restricted pickle machine (``weights_only=True``) and the trusted one.
- ``_safetensors``: the safetensors format.
"""
