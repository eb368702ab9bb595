"""``ember.testing``: comparing tensors in tests and making random test tensors.

:func:`assert_close` checks two tensors (or NumPy arrays, Python numbers, or sequences and
mappings of them) for closeness with tolerances chosen by dtype, and raises an
``AssertionError`` that says how many elements differ and where the greatest difference lies;
:func:`make_tensor` draws a tensor of a given shape, dtype and device from a uniform interval.

>>> import ember
>>> ember.testing.assert_close(ember.tensor([1.0, 2.0]), ember.tensor([1.0, 2.0 + 1e-7]))
>>> try:
...     ember.testing.assert_close(ember.tensor([1.0, 3.0]), ember.tensor([1.0, 2.0]))
... except AssertionError as error:
...     print(error)
Tensor-likes are not close!
<BLANKLINE>
Mismatched elements: 1 / 2 (50.0%)
Greatest absolute difference: 1.0 at index (1,) (up to 1e-05 allowed)
Greatest relative difference: 0.5 at index (1,) (up to 1.3e-06 allowed)
>>> t = ember.testing.make_tensor(2, 3, dtype=ember.int64, device="cpu", low=0, high=5)
>>> t.shape, bool(((t >= 0) & (t < 5)).all())
(ember.Size([2, 3]), True)
"""

from ._comparison import assert_allclose, assert_close
from ._creation import make_tensor

__all__ = ["assert_close", "make_tensor", "assert_allclose"]
