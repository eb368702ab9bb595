"""ember: the PyTorch way of building and training neural networks, on NumPy.

>>> import ember as torch
>>> x = torch.ones(2, 2, requires_grad=True)
>>> (x * 3).sum().backward()
>>> x.grad
tensor([[3., 3.],
        [3., 3.]])
"""

from __future__ import annotations

__version__ = "0.1.0"

from . import _allocator, _dtype
from ._backend import device
from ._dtype import (bool, cdouble, cfloat, complex64,  # noqa: A004
                     complex128, double, dtype, float, float16, float32, float64,
                     get_default_dtype, half, int, int8, int16, int32, int64, long,
                     promote_types, set_default_dtype, short, uint8, uint16, uint32,
                     uint64)
from ._random import (Generator, default_generator, get_rng_state, initial_seed,
                      manual_seed, seed, set_rng_state)
from ._size import Size
from ._tensor import Tensor

Tensor.__module__ = "ember"  # prints as <class 'ember.Tensor'>, like torch's
from . import _tensor_methods  # noqa: F401 - binds ops as Tensor methods
from .autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .autograd.anomaly_mode import (is_anomaly_check_nan_enabled, is_anomaly_enabled,
                                    set_anomaly_enabled)
from .autograd.grad_mode import is_inference_mode_enabled
from .ops import *  # noqa: F403
from ._runtime import *  # noqa: F403
from .ops.reduction import _return_type, return_types
from . import autograd, cuda, accelerator  # noqa: E402
del linalg  # noqa: F821 - ``ops.linalg``, brought in by the star import above
from . import linalg  # noqa: E402 - torch.linalg's namespace

from .ops._errstate import ignore_in_ember as _ignore_in_ember  # noqa: E402

_allocator.tune()
_ignore_in_ember()  # torch never warns about inf and NaN results
del _ignore_in_ember
try:  # printing lands in its own module
    from ._tensor_str import get_printoptions, printoptions, set_printoptions  # noqa: E402
except ImportError:  # pragma: no cover
    pass


def is_tensor(obj: object) -> builtins_bool:  # type: ignore[name-defined]
    """True for ember tensors (and Parameters)."""
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> builtins_int:  # type: ignore[name-defined]
    return input.numel()


def result_type(tensor1: object, tensor2: object) -> dtype:
    return _dtype.result_type(tensor1, tensor2)


def is_floating_point(input: Tensor) -> builtins_bool:  # type: ignore[name-defined]
    return input.is_floating_point()


for _name in ("max", "min", "sort", "topk", "cummax", "cummin", "median", "nanmedian",
              "kthvalue", "mode"):
    _return_type(_name)  # the (values, indices) ones exist before first use, as in torch
_return_type("aminmax", ("min", "max"))
del _name


# Loaded on first use, to keep ``import ember`` quick: the subpackages below (and the
# functions of ``serialization``) are reached through ``ember.<name>`` as usual.
_LAZY_MODULES = ("amp", "distributions", "fft", "func", "nn", "optim", "serialization", "special",
                 "testing", "utils", "vision")
_LAZY_NAMES = {"load": "serialization", "load_file": "serialization",
               "save": "serialization", "save_file": "serialization", "vmap": "func"}
# torch's top-level names for functions of ``nn.functional`` that take the same arguments.
_LAZY_NAMES.update(dict.fromkeys((
    "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
    "avg_pool1d", "max_pool1d", "max_pool2d", "max_pool3d", "max_pool1d_with_indices",
    "adaptive_avg_pool1d", "pixel_shuffle", "pixel_unshuffle", "channel_shuffle",
    "native_channel_shuffle", "prelu", "rrelu", "rrelu_", "hardshrink", "threshold",
    "threshold_", "celu_", "selu_", "bilinear", "cosine_similarity", "pairwise_distance",
    "pdist", "group_norm", "layer_norm", "rms_norm", "alpha_dropout", "feature_alpha_dropout"),
    "nn.functional"))
# Mixed precision, as torch's top level has it.
_LAZY_NAMES.update({"autocast": "amp", "GradScaler": "amp"})
_LAZY_NAMES.update(dict.fromkeys((
    "get_autocast_dtype", "set_autocast_dtype", "is_autocast_enabled", "set_autocast_enabled",
    "is_autocast_cache_enabled", "set_autocast_cache_enabled", "clear_autocast_cache",
    "autocast_increment_nesting", "autocast_decrement_nesting", "get_autocast_cpu_dtype",
    "get_autocast_gpu_dtype", "set_autocast_cpu_dtype", "set_autocast_gpu_dtype",
    "is_autocast_cpu_enabled", "set_autocast_cpu_enabled"), "amp._state"))
# ``ember.adaptive_max_pool1d`` returns the indices too, as torch's does.
_LAZY_RENAMED = {"adaptive_max_pool1d": ("nn.functional", "adaptive_max_pool1d_with_indices")}


def __getattr__(name: str) -> object:
    import importlib
    if name in _LAZY_MODULES:
        return importlib.import_module(f".{name}", __name__)
    if name in _LAZY_NAMES or name in _LAZY_RENAMED:
        module, attr = _LAZY_RENAMED.get(name) or (_LAZY_NAMES[name], name)
        value = getattr(importlib.import_module(f".{module}", __name__), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'ember' has no attribute '{name}'")


def __dir__() -> list:
    return sorted(set(globals()) | set(_LAZY_MODULES) | set(_LAZY_NAMES) | set(_LAZY_RENAMED))


import builtins as _builtins  # noqa: E402

builtins_bool = _builtins.bool
builtins_int = _builtins.int

from ._numpy_names import install as _install_numpy_names  # noqa: E402

# ``x.sum(axis=0)`` and ``ember.cat(ts, axis=1)``, as torch's own functions accept them.
_install_numpy_names(globals(), [n for n in list(globals()) if not n.startswith("_")], Tensor)
del _install_numpy_names
