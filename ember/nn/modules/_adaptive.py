"""``AdaptiveLogSoftmaxWithLoss``: an efficient log-softmax over many, unevenly used classes.

The most frequent classes (below the first cutoff) get a column of the head layer each; every
later range of classes (a cluster) gets one head column for "the class is in this cluster" and
its own two-layer tail, narrower by ``div_value`` per cluster. log p(class) is the head
log-probability of the class, or of its cluster plus the class's log-probability within the
cluster's tail.

>>> import ember
>>> asm = ember.nn.AdaptiveLogSoftmaxWithLoss(16, 10, cutoffs=[3, 6])
>>> out = asm(ember.randn(4, 16), ember.tensor([0, 4, 9, 2]))
>>> out.output.shape, out.loss.shape
(ember.Size([4]), ember.Size([]))
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Sequence
from typing import Any

import numpy as np

from ... import ops
from ..._tensor import Tensor
from .. import _functional_activation as F
from .container import ModuleList, Sequential
from .linear import Linear
from .module import Module

__all__ = ["AdaptiveLogSoftmaxWithLoss"]

_ASMoutput = namedtuple("_ASMoutput", ["output", "loss"])


def _check_cutoffs(cutoffs: list, n_classes: int) -> None:
    if not cutoffs:
        raise ValueError("cutoffs should be a sequence of length larger than 0")
    increasing = all(a < b for a, b in zip(cutoffs, cutoffs[1:]))
    if (not increasing or min(cutoffs) <= 0 or max(cutoffs) > n_classes - 1
            or any(int(c) != c for c in cutoffs)):
        raise ValueError("cutoffs should be a sequence of unique, positive integers sorted in "
                         "an increasing order, where each value is between 1 and n_classes-1")


class AdaptiveLogSoftmaxWithLoss(Module):
    """Adaptive softmax (Grave et al., 2016) for ``n_classes`` split at ``cutoffs``.

    ``forward(input, target)`` returns ``(output, loss)``: the log-probability of each target
    and the mean negative log-likelihood. ``log_prob(input)`` gives all class
    log-probabilities, ``predict(input)`` the most likely class.

    Submodules: ``head`` (a Linear to shortlist + number of clusters outputs) and ``tail``
    (one ``Sequential(Linear(in, hidden), Linear(hidden, cluster size))`` per cluster, with
    ``hidden = in_features // div_value ** (i + 1)``).
    """

    def __init__(self, in_features: int, n_classes: int, cutoffs: Sequence[int],
                 div_value: float = 4.0, head_bias: bool = False, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        cutoffs = list(cutoffs)
        _check_cutoffs(cutoffs, n_classes)
        self.in_features = in_features
        self.n_classes = n_classes
        self.cutoffs = cutoffs + [n_classes]
        self.div_value = div_value
        self.head_bias = head_bias
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        factory = {"device": device, "dtype": dtype}
        self.head = Linear(in_features, self.head_size, bias=head_bias, **factory)
        self.tail = ModuleList()
        for i in range(self.n_clusters):
            hidden = int(in_features // (div_value ** (i + 1)))
            size = self.cutoffs[i + 1] - self.cutoffs[i]
            self.tail.append(Sequential(Linear(in_features, hidden, bias=False, **factory),
                                        Linear(hidden, size, bias=False, **factory)))

    def reset_parameters(self) -> None:
        self.head.reset_parameters()
        for first, second in self.tail:
            first.reset_parameters()
            second.reset_parameters()

    def forward(self, input_: Tensor, target_: Tensor) -> _ASMoutput:
        _check_forward_shapes(input_, target_)
        batched = target_.dim() > 0
        input = input_ if batched else input_.unsqueeze(0)
        target = target_ if batched else target_.unsqueeze(0)
        labels = target._data.astype(np.int64)
        if labels.size and (labels.min() < 0 or labels.max() >= self.n_classes):
            raise RuntimeError(f"Target values should be in [0, {self.n_classes - 1}], but "
                               f"values in range [{labels.min()}, {labels.max()}] were found. ")
        # 0 for the shortlist, i + 1 for the i-th cluster.
        cluster = np.searchsorted(np.asarray(self.cutoffs), labels, side="right")
        head_column = np.where(cluster == 0, labels, self.shortlist_size + cluster - 1)
        head_logprob = F.log_softmax(self.head(input), dim=1)
        output = head_logprob.gather(1, ops.tensor(head_column).unsqueeze(1)).squeeze(1)
        for i in range(1, self.n_clusters + 1):
            rows = np.flatnonzero(cluster == i)
            if rows.size == 0:
                continue
            rows_t = ops.tensor(rows)
            within = ops.tensor(labels[rows] - self.cutoffs[i - 1]).unsqueeze(1)
            tail_logprob = F.log_softmax(self.tail[i - 1](input[rows_t]), dim=1)
            output = output.index_add(0, rows_t, tail_logprob.gather(1, within).squeeze(1))
        loss = (-output).mean()
        return _ASMoutput(output if batched else output.squeeze(0), loss)

    def _full_log_prob(self, input: Tensor, head_output: Tensor) -> Tensor:
        head_logprob = F.log_softmax(head_output, dim=1)
        columns = [head_logprob[:, :self.shortlist_size]]
        for i, tail in enumerate(self.tail):
            cluster_column = head_logprob[:, self.shortlist_size + i].unsqueeze(1)
            columns.append(F.log_softmax(tail(input), dim=1) + cluster_column)
        return ops.cat(columns, dim=1)

    def log_prob(self, input: Tensor) -> Tensor:
        """Log-probabilities (N, n_classes) of every class."""
        return self._full_log_prob(input, self.head(input))

    def predict(self, input: Tensor) -> Tensor:
        """The most likely class of each row; only rows whose best head column is a cluster
        need the tails."""
        head_output = self.head(input)
        best = head_output.argmax(dim=1)
        in_cluster = best >= self.shortlist_size
        if not bool(in_cluster.any()):
            return best
        rows = in_cluster.nonzero().squeeze(1)
        log_prob = self._full_log_prob(input[rows], head_output[rows])
        best[rows] = log_prob.argmax(dim=1)
        return best


def _check_forward_shapes(input: Tensor, target: Tensor) -> None:
    if target.dim() == 1:
        if input.shape[0] != target.shape[0]:
            raise RuntimeError("Input and target should have the same size in the batch "
                               "dimension.")
        if input.dim() != 2:
            raise RuntimeError("1D target tensor expects 2D input tensors, but found inputs "
                               f"with size {input.size()}")
    elif target.dim() == 0:
        if input.dim() != 1:
            raise RuntimeError("0D target tensor expects 1D input tensors, but found inputs "
                               f"with size {input.size()}")
    else:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
