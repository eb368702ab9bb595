"""ember's ops stay silent about inf and NaN, as torch's do; NumPy code outside ember still
warns as configured.

Run in a fresh interpreter: pytest's warning capture resets the filters that modules install
while tests are collected, which is where ``import ember`` installs its own.
"""

import subprocess
import sys

SCRIPT = """
import numpy as np
import ember
import ember.nn.functional as F

nan, inf = float("nan"), float("inf")
v = ember.tensor([nan, inf, -inf, 0.0, 1.0, -1.0], requires_grad=True)
zero = ember.zeros(6)
v * zero, v + (-v), v - v, v / zero, v.reshape(1, 6) @ zero.reshape(6, 1)
for act in (F.gelu, F.silu, F.mish, F.softplus, F.logsigmoid):
    act(v).sum().backward()
F.binary_cross_entropy_with_logits(v, zero)
p = ember.tensor([[inf, 0.0, 2.0]], requires_grad=True)
p.prod().backward()  # the exclusive products meet inf * 0
w = ember.tensor([[inf, -inf, 0.0]], requires_grad=True)
w.sum(), w.sum(1), w.prod(1), w.logsumexp(1)
w.mean().backward()  # inf - inf in the reductions
F.layer_norm(w, (3,)).sum().backward()
F.batch_norm(w.reshape(3, 1), None, None, training=True).sum().backward()
print("ember done", flush=True)
np.array([np.inf]) * 0  # NumPy outside ember: still warns
"""


def test_ember_ops_are_silent_and_numpy_outside_still_warns():
    proc = subprocess.run([sys.executable, "-W", "always", "-c", SCRIPT],
                          capture_output=True, text=True, check=True)
    assert proc.stdout == "ember done\n"
    lines = [line for line in proc.stderr.splitlines() if "Warning" in line]
    assert len(lines) == 1
    assert lines[0].endswith("RuntimeWarning: invalid value encountered in multiply")
