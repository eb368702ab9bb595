"""Which ops autocast changes, and how: the CPU lists of torch 2.x, restricted to ops ember has.

``LOWER`` ops run in the autocast dtype (their floating inputs other than float64 are cast to
it); ``FP32`` ops run in float32 (their float16 inputs are cast up). Composite functions that
torch computes through a listed op (``tensordot`` and ``multi_dot`` through ``mm``,
``einsum`` through ``bmm`` when it contracts an index) are listed under the same policy, since
their results carry its dtype. Every other op runs on its inputs as they are, which follows the
usual type promotion (a float16 tensor plus a float32 one gives float32).

>>> "linear" in LOWER_OPS, "cross_entropy" in FP32_OPS
(True, True)
"""

from __future__ import annotations

__all__ = ["LOWER_OPS", "FP32_OPS", "NAMESPACES", "TENSOR_METHODS", "contracts", "pads_in_fp32"]

LOWER_OPS = frozenset((
    "matmul", "mm", "bmm", "addmm", "addbmm", "baddbmm", "linear", "conv1d", "conv2d", "conv3d",
    "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "prelu", "tensordot",
    "chain_matmul", "scaled_dot_product_attention"))

FP32_OPS = frozenset((
    # losses
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "cosine_embedding_loss",
    "cross_entropy", "ctc_loss", "hinge_embedding_loss", "huber_loss", "kl_div", "l1_loss",
    "margin_ranking_loss", "mse_loss", "multi_margin_loss", "multilabel_margin_loss",
    "nll_loss", "poisson_nll_loss", "smooth_l1_loss", "soft_margin_loss",
    "triplet_margin_loss",
    # pooling and sampling
    "adaptive_avg_pool3d", "adaptive_max_pool3d", "avg_pool3d", "fractional_max_pool2d",
    "fractional_max_pool3d", "grid_sample", "max_pool3d", "max_unpool2d", "max_unpool3d",
    # reductions, statistics and signal processing
    "cdist", "nanquantile", "polar", "prod", "quantile", "stft", "trace", "view_as_complex",
    # the legacy linear-algebra functions
    "cholesky", "cholesky_inverse", "cholesky_solve", "inverse", "lu_solve", "pinverse", "qr",
    "svd", "triangular_solve"))

_LINALG_LOWER = frozenset(("matmul", "vecdot", "multi_dot"))
_LINALG_FP32 = frozenset((
    "cholesky", "cholesky_ex", "cond", "eig", "eigh", "eigvals", "eigvalsh",
    "householder_product", "inv", "inv_ex", "lstsq", "matrix_rank", "qr", "solve", "svd",
    "svdvals", "tensorinv", "tensorsolve"))
_FFT_FP32 = frozenset((
    "fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "rfft", "irfft", "rfft2", "irfft2", "rfftn",
    "irfftn", "hfft", "ihfft"))

# ``einsum`` and ``pad`` depend on their arguments (see ``contracts`` and ``pads_in_fp32``).
_TOP_LEVEL = (LOWER_OPS, FP32_OPS | {"einsum"})
# Only the names torch.nn.functional has: replacing a module attribute also changes what the
# module's own functions call (ember's ``F.bilinear`` computes with the ``einsum`` and ``addmm``
# it imports, which must stay uncast, as torch's ``bilinear`` gives float32).
_NN_LOWER = frozenset(("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                       "conv_transpose2d", "conv_transpose3d", "prelu",
                       "scaled_dot_product_attention"))
_NN_FP32 = (FP32_OPS | {"pad"}) - {
    "cdist", "nanquantile", "polar", "prod", "quantile", "stft", "trace", "view_as_complex",
    "cholesky", "cholesky_inverse", "cholesky_solve", "inverse", "lu_solve", "pinverse", "qr",
    "svd", "triangular_solve"}
_NN = (_NN_LOWER, _NN_FP32)

# The modules through which user code and ember's own layers reach these functions, with the
# (lower, fp32-or-special) names to look for in each. Names a module lacks are skipped.
NAMESPACES = {
    "ember": _TOP_LEVEL,
    "ember.linalg": (_LINALG_LOWER, _LINALG_FP32),
    "ember.fft": (frozenset(), _FFT_FP32),
    "ember.nn.functional": _NN,
    "ember.nn._functional_conv": _NN,
    "ember.nn._functional_volumetric": _NN,
    "ember.nn._functional_attention": _NN,
    "ember.nn._functional_activation": _NN,
    "ember.nn._functional_loss": _NN,
    "ember.nn._functional_loss_more": _NN,
    "ember.nn._functional_distance": _NN,
    "ember.nn._functional_extra": _NN,
    "ember.nn._grid_sample": _NN,
}

TENSOR_METHODS = (
    frozenset(("__matmul__", "__rmatmul__", "matmul", "mm", "bmm", "addmm", "addbmm", "baddbmm",
               "prelu")),
    frozenset(("prod", "trace", "inverse", "pinverse", "cholesky", "cholesky_inverse",
               "cholesky_solve", "lu_solve", "quantile", "nanquantile", "stft", "qr", "svd",
               "triangular_solve")))


def contracts(equation: object, operand_count: int) -> bool:
    """Whether ``einsum(equation, ...)`` sums over an index shared by two operands: torch then
    computes it with ``bmm`` (autocast in the lower dtype); otherwise with elementwise
    products and sums, left in the inputs' dtype."""
    if not isinstance(equation, str) or operand_count < 2:
        return False
    spec = equation.replace(" ", "").replace("...", "")
    inputs, arrow, output = spec.partition("->")
    terms = inputs.split(",")
    letters = "".join(terms)
    if not arrow:  # implicit output: the indices that appear once
        output = "".join(c for c in set(letters) if letters.count(c) == 1)
    shared = {c for c in set(letters) if sum(c in term for term in terms) >= 2}
    return any(c not in output for c in shared)


def pads_in_fp32(args: tuple, kwargs: dict) -> bool:
    """``pad`` runs in float32 for replicate padding and 1-d/2-d reflect padding (the
    padding kernels on torch's float32 list)."""
    mode = kwargs.get("mode", args[2] if len(args) > 2 else "constant")
    pad = kwargs.get("pad", args[1] if len(args) > 1 else ())
    return mode == "replicate" or (mode == "reflect" and len(pad) <= 4)
