"""Tensor operations, one module per family; each op's forward sits beside its backward node."""

from .activation import *  # noqa: F403
from .arithmetic import *  # noqa: F403
from .compare import *  # noqa: F403
from .creation import *  # noqa: F403
from .indexing import *  # noqa: F403
from .linalg import *  # noqa: F403
from .nn_ops import *  # noqa: F403
from .reduction import *  # noqa: F403
from .extrema import *  # noqa: F403
from .vector_norm import *  # noqa: F403
from .shape import *  # noqa: F403
from .sorting import *  # noqa: F403
from .pointwise import *  # noqa: F403
from .scans import *  # noqa: F403
from .rearrange import *  # noqa: F403
from .linalg_extra import *  # noqa: F403
from .distance import *  # noqa: F403
from .elementary import *  # noqa: F403
from .statistics import *  # noqa: F403
from .special_math import *  # noqa: F403
from .complex_parts import *  # noqa: F403
from .index_more import *  # noqa: F403
from .join_more import *  # noqa: F403
from .misc_api import *  # noqa: F403
from .matrix_more import *  # noqa: F403
from .numeric_more import *  # noqa: F403
from .windows import *  # noqa: F403
from .tensor_more import *  # noqa: F403
from .linalg_legacy import *  # noqa: F403
from .api_sweep import *  # noqa: F403
from .signal import *  # noqa: F403
from . import (api_sweep, complex_parts, distance, elementary, index_more,  # noqa: E402
               join_more, linalg_extra, linalg_legacy, matrix_more, misc_api, numeric_more,
               pointwise, random_fills, rearrange, scans, signal, special_math, statistics,
               tensor_more, windows)
from .unary import *  # noqa: F403
