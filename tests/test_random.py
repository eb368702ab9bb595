"""ember's random streams: seeding, generators and saved states (numbers differ from torch's
by design, so these tests check reproducibility and torch's API, not torch's values)."""

import numpy as np
import pytest

import ember
from helpers import assert_same_error

torch = pytest.importorskip("torch")

DRAWS = {
    "rand": lambda g=None: ember.rand(5, generator=g),
    "randn": lambda g=None: ember.randn(2, 3, generator=g, dtype=ember.float64),
    "randint": lambda g=None: ember.randint(0, 100, (6,), generator=g),
    "randperm": lambda g=None: ember.randperm(10, generator=g),
    "uniform_": lambda g=None: ember.empty(4).uniform_(-2, 3, generator=g),
    "normal_": lambda g=None: ember.empty(4).normal_(1, 2, generator=g),
    "bernoulli": lambda g=None: ember.bernoulli(ember.full((8,), 0.5), generator=g),
    "multinomial": lambda g=None: ember.multinomial(ember.ones(5), 3, generator=g),
    "rand_like": lambda g=None: ember.rand_like(ember.ones(3), generator=g),
}


@pytest.mark.parametrize("name", sorted(DRAWS))
def test_same_seed_same_numbers(name):
    ember.manual_seed(123)
    first = DRAWS[name]().tolist()
    second = DRAWS[name]().tolist()
    ember.manual_seed(123)
    assert DRAWS[name]().tolist() == first
    assert DRAWS[name]().tolist() == second
    if name not in ("bernoulli", "multinomial"):  # few outcomes: they may coincide
        assert first != second
        ember.manual_seed(124)
        assert DRAWS[name]().tolist() != first


@pytest.mark.parametrize("name", sorted(DRAWS))
def test_generator_streams_are_independent(name):
    g = ember.Generator().manual_seed(7)
    ember.manual_seed(0)
    a = DRAWS[name](g).tolist()
    ember.rand(100)  # advancing the default stream does not touch g
    g2 = ember.Generator()
    assert g2.manual_seed(7) is g2
    assert DRAWS[name](g2).tolist() == a


def test_seeding_api_matches_torch():
    for s in (0, 5, 2 ** 64 - 1, -1, -2 ** 63, 1.5, "3"):
        ember.manual_seed(s)
        torch.manual_seed(s)
        assert ember.initial_seed() == torch.initial_seed()
    for s in (2 ** 64, -2 ** 63 - 1):
        assert_same_error(lambda s=s: ember.manual_seed(s), lambda s=s: torch.manual_seed(s))
    g = ember.manual_seed(3)
    assert g is ember.default_generator and g.initial_seed() == 3
    assert ember.Generator().initial_seed() == torch.Generator().initial_seed()
    assert str(ember.Generator().device) == str(torch.Generator().device)
    new = ember.seed()
    assert isinstance(new, int) and ember.initial_seed() == new


def test_rng_state_round_trip():
    ember.manual_seed(42)
    ember.randn(3)
    state = ember.get_rng_state()
    assert state.dtype is ember.uint8 and state.dim() == 1
    expected = [ember.rand(4).tolist(), ember.randint(0, 9, (3,)).tolist()]
    ember.rand(50)
    ember.set_rng_state(state)
    assert [ember.rand(4).tolist(), ember.randint(0, 9, (3,)).tolist()] == expected
    assert ember.initial_seed() == 42
    g = ember.Generator().manual_seed(1)
    gs = g.get_state()
    x = ember.rand(3, generator=g).tolist()
    assert ember.rand(3, generator=g.set_state(gs)).tolist() == x


def test_rng_state_errors_match_torch():
    assert_same_error(lambda: ember.set_rng_state(ember.zeros(3)),
                      lambda: torch.set_rng_state(torch.zeros(3)))
    assert_same_error(lambda: ember.set_rng_state([1, 2]), lambda: torch.set_rng_state([1, 2]))
    with pytest.raises(RuntimeError, match="invalid RNG state"):
        ember.set_rng_state(ember.zeros(8, dtype=ember.uint8))


def test_state_cannot_run_code():
    import pickle

    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))
    blob = np.frombuffer(pickle.dumps((1, Evil())), dtype=np.uint8).copy()
    with pytest.raises(RuntimeError, match="invalid RNG state"):
        ember.set_rng_state(ember.from_numpy(blob))


def test_module_samplers_use_the_seed():
    ember.manual_seed(9)
    a = (ember.rand(2), ember.randn(2), ember.randperm(4))
    ember.manual_seed(9)
    b = (ember.rand(2), ember.randn(2), ember.randperm(4))
    assert all(x.tolist() == y.tolist() for x, y in zip(a, b))


@pytest.mark.parametrize("expr", ["L.randn()", "L.rand()", "L.randint(0.5, 10, (2,))",
                                  "L.multinomial(L.tensor([.1, .9]), 3)",
                                  "L.multinomial(L.tensor([-1., 2.]), 1)",
                                  "L.multinomial(L.tensor([0., 0.]), 1)",
                                  "L.multinomial(L.tensor([1., 2.]), 0)"])
def test_sampling_argument_errors(expr):
    calls = [lambda L=L: eval(expr, {"L": L}) for L in (ember, torch)]
    assert_same_error(*calls, match_message=not expr.startswith("L.rand"))  # torch lists overloads


def test_multinomial_without_replacement_draws_zero_weights_last():
    draw = ember.multinomial(ember.tensor([0.0, 1.0, 0.0]), 3)
    assert draw[0].item() == 1 and sorted(draw.tolist()) == [0, 1, 2]
