"""``ember.special``: special mathematical functions, as in torch.special.

Error functions and the normal distribution (``erf``, ``erfcx``, ``ndtr``, ``ndtri``,
``log_ndtr``), the gamma family (``gammaln``, ``digamma``/``psi``, ``polygamma``,
``multigammaln``, ``gammainc``, ``gammaincc``, ``zeta``), Bessel and Airy functions, the
classical orthogonal polynomials, and a few numerically careful elementwise helpers
(``expit``, ``logit``, ``xlogy``, ``xlog1py``, ``entr``, ``sinc``, ``softmax``, ...).
Integer inputs give the default float dtype. The Bessel, Airy and polynomial functions
have no gradient, as in torch; several kernels need SciPy, which is loaded on first use.

>>> ember.special.expit(ember.tensor([0.0]))
tensor([0.5000])
>>> ember.special.chebyshev_polynomial_t(ember.tensor([0.5]), 3)
tensor([-1.])
"""

from __future__ import annotations

from .. import _dtype as D
from ..ops._binary import _write_out
from ..ops._core import Tensor
from ..ops.activation import log_softmax as _log_softmax
from ..ops.activation import sigmoid as expit
from ..ops.activation import softmax as _softmax
from ..ops.elementary import erfc, erfinv, exp2, logit, sinc
from ..ops.pointwise import xlogy
from ..ops.reduction import logsumexp
from ..ops.special_math import digamma, i0, polygamma
from ..ops.special_math import lgamma as gammaln
from ..ops.special_math import mvlgamma as multigammaln
from ..ops.unary import erf, expm1, log1p
from ..ops.unary import round as _round
from ._nondiff import (airy_ai, bessel_j0, bessel_j1, bessel_y0, bessel_y1,
                       chebyshev_polynomial_t, chebyshev_polynomial_u, chebyshev_polynomial_v,
                       chebyshev_polynomial_w, hermite_polynomial_h, hermite_polynomial_he,
                       laguerre_polynomial_l, legendre_polynomial_p, modified_bessel_i0,
                       modified_bessel_i1, modified_bessel_k0, modified_bessel_k1,
                       scaled_modified_bessel_k0, scaled_modified_bessel_k1,
                       shifted_chebyshev_polynomial_t, shifted_chebyshev_polynomial_u,
                       shifted_chebyshev_polynomial_v, shifted_chebyshev_polynomial_w,
                       spherical_bessel_j0)
from ._pointwise import (entr, erfcx, gammainc, gammaincc, i0e, i1, i1e, log_ndtr, ndtr, ndtri,
                         xlog1py, zeta)

psi = digamma

__all__ = ["airy_ai", "digamma", "entr", "erf", "erfc", "erfcx", "erfinv", "exp2", "expit",
           "expm1", "gammainc", "gammaincc", "gammaln", "i0", "i0e", "i1", "i1e", "log1p",
           "log_ndtr", "log_softmax", "logit", "logsumexp", "multigammaln", "ndtr", "ndtri",
           "polygamma", "psi", "round", "sinc", "softmax", "xlog1py", "xlogy", "zeta",
           "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "modified_bessel_i0",
           "modified_bessel_i1", "modified_bessel_k0", "modified_bessel_k1",
           "scaled_modified_bessel_k0", "scaled_modified_bessel_k1", "spherical_bessel_j0",
           "chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v",
           "chebyshev_polynomial_w", "hermite_polynomial_h", "hermite_polynomial_he",
           "laguerre_polynomial_l", "legendre_polynomial_p", "shifted_chebyshev_polynomial_t",
           "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
           "shifted_chebyshev_polynomial_w"]


def softmax(input: Tensor, dim: int, *, dtype: D.dtype | None = None) -> Tensor:
    """Softmax along ``dim`` (computed in ``dtype`` when given)."""
    return _softmax(input, dim, dtype=dtype)


def log_softmax(input: Tensor, dim: int, *, dtype: D.dtype | None = None) -> Tensor:
    """Log of the softmax along ``dim`` (computed in ``dtype`` when given)."""
    return _log_softmax(input, dim, dtype=dtype)


def round(input: Tensor, *, decimals: int = 0, out: Tensor | None = None) -> Tensor:
    """Round half to even, to ``decimals`` decimal places."""
    return _write_out(_round(input, decimals=decimals), out, "special_round")

