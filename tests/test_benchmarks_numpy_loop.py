"""The hand-written NumPy reference of the benchmarks computes what PyTorch computes: the
same loss, and after a few steps the same parameters (SGD with momentum, and Adam)."""

from pathlib import Path

import numpy as np
import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def bench(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT))  # the repository, where ``benchmarks`` lives
    import benchmarks.cases as cases
    import benchmarks.numpy_loop as numpy_loop
    return cases, numpy_loop


def _as_numpy_layout(t: torch.Tensor) -> np.ndarray:
    """A torch parameter (or gradient) in the NumPy loop's layout: weights as (in, out)."""
    arr = t.detach().numpy()
    return np.ascontiguousarray(arr.T) if arr.ndim == 2 else arr


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_three_steps_match_torch(bench, optimizer):
    # Each step compares the loss and the gradients, then feeds PyTorch's gradients to both
    # optimizers: Adam divides by the root of the squared gradient, so where a gradient is a
    # rounding error away from zero the summation order alone would move a weight by a step.
    cases, numpy_loop = bench
    model = numpy_loop.SeedMLP()
    opt = (numpy_loop.SGD(model.params(), 0.1, momentum=0.9) if optimizer == "sgd"
           else numpy_loop.Adam(model.params(), 0.01))
    reference = cases._seed_model(torch, torch.nn)
    ref_opt = (torch.optim.SGD(reference.parameters(), lr=0.1, momentum=0.9)
               if optimizer == "sgd" else torch.optim.Adam(reference.parameters(), lr=0.01))
    for x, y in cases._batches(None, 32, count=3):
        loss, grads = model.loss_and_grads(x, y)
        ref_loss = torch.nn.functional.cross_entropy(reference(torch.from_numpy(x)),
                                                     torch.from_numpy(y))
        ref_opt.zero_grad()
        ref_loss.backward()
        assert loss == pytest.approx(ref_loss.item(), rel=1e-5)
        ref_grads = [_as_numpy_layout(p.grad) for p in reference.parameters()]
        for g, want in zip(grads, ref_grads):
            np.testing.assert_allclose(g, want, rtol=1e-4, atol=1e-6)
        opt.step(ref_grads)
        ref_opt.step()
    for p, ref in zip(model.params(), reference.parameters()):
        assert p.dtype == np.float32
        np.testing.assert_allclose(p, _as_numpy_layout(ref), rtol=1e-5, atol=1e-6)


def test_predict_matches_torch(bench):
    cases, numpy_loop = bench
    x = np.random.default_rng(7).random((8, 1, 28, 28), dtype=np.float32)
    reference = cases._seed_model(torch, torch.nn)
    with torch.no_grad():
        want = reference(torch.from_numpy(x)).argmax(1).numpy()
    np.testing.assert_array_equal(numpy_loop.SeedMLP().predict(x), want)
