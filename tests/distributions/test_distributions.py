"""ember.distributions against torch.distributions: values, gradients, shapes, reprs."""

import numpy as np
import pytest

import ember
import ember.distributions as ed
from helpers import assert_same_error

torch = pytest.importorskip("torch")
td = torch.distributions

R = np.random.default_rng(0)
POS = R.uniform(0.5, 2.0, (2, 3))
POS2 = R.uniform(0.5, 2.0, (3,))
REAL = R.normal(size=(2, 3))
PROB = R.uniform(0.1, 0.9, (2, 3))
X_REAL = R.normal(size=(2, 3))
X_POS = R.uniform(0.2, 2.0, (2, 3))
X_UNIT = R.uniform(0.05, 0.95, (2, 3))
X_BIN = (R.random((2, 3)) > 0.5).astype(float)
X_COUNT = R.integers(0, 5, (2, 3)).astype(float)
SIMPLEX = R.dirichlet(np.ones(4), 2)

# name -> (parameter arrays, value array, has cdf/icdf)
CASES = {
    "Normal": ((REAL, POS2), X_REAL, True),
    "Laplace": ((REAL, POS2), X_REAL, True),
    "Cauchy": ((REAL, POS2), X_REAL, True),
    "Exponential": ((POS,), X_POS, True),
    "Gamma": ((POS, POS2), X_POS, False),
    "Beta": ((POS, POS2), X_UNIT, False),
    "LogNormal": ((REAL, POS2), X_POS, True),
    "HalfNormal": ((POS,), X_POS, True),
    "Gumbel": ((REAL, POS2), X_REAL, True),
    "StudentT": ((POS + 2, REAL, POS2), X_REAL, False),
    "Poisson": ((POS,), X_COUNT, False),
    "Bernoulli": ((PROB,), X_BIN, False),
    "Geometric": ((PROB,), X_COUNT, False),
    "Dirichlet": ((SIMPLEX * 3 + 0.5,), SIMPLEX, False),
}


def _make(name, lib, arrays, dtype):
    conv = (lambda a: ember.tensor(a, dtype=getattr(ember, dtype), requires_grad=True)) \
        if lib == "ember" else \
        (lambda a: torch.tensor(a, dtype=getattr(torch, dtype), requires_grad=True))
    params = [conv(a) for a in arrays]
    mod = ed if lib == "ember" else td
    return getattr(mod, name)(*params), params


def _np(t):
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


def _close(e, t, dtype):
    tol = 1e-4 if dtype == "float32" else 1e-9
    np.testing.assert_allclose(_np(e), _np(t), rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", list(CASES))
def test_values_and_gradients(name, dtype):
    arrays, value, has_cdf = CASES[name]
    de, pe = _make(name, "ember", arrays, dtype)
    dt, pt = _make(name, "torch", arrays, dtype)
    assert tuple(de.batch_shape) == tuple(dt.batch_shape)
    assert tuple(de.event_shape) == tuple(dt.event_shape)
    ve = ember.tensor(value, dtype=getattr(ember, dtype))
    vt = torch.tensor(value, dtype=getattr(torch, dtype))
    outs_e = [de.log_prob(ve), de.mean, de.variance]
    outs_t = [dt.log_prob(vt), dt.mean, dt.variance]
    if name not in ("Poisson",):
        outs_e.append(de.entropy())
        outs_t.append(dt.entropy())
    if has_cdf:
        u = ember.tensor(X_UNIT, dtype=getattr(ember, dtype))
        outs_e += [de.cdf(ve), de.icdf(u)]
        outs_t += [dt.cdf(vt), dt.icdf(torch.tensor(X_UNIT, dtype=getattr(torch, dtype)))]
    for oe, ot in zip(outs_e, outs_t):
        assert oe.dtype == getattr(ember, dtype)
        assert tuple(oe.shape) == tuple(ot.shape)
        _close(oe, ot, dtype)
    finite = [(oe, ot) for oe, ot in zip(outs_e, outs_t) if np.isfinite(_np(ot)).all()]
    sum(o.sum() for o, _ in finite).backward()
    sum(o.sum() for _, o in finite).backward()
    for a, b in zip(pe, pt):
        _close(a.grad, b.grad, dtype)
    assert repr(de) == repr(dt).replace("torch.", "ember.")


def test_categorical_family():
    logits = R.normal(size=(2, 4))
    le, lt = ember.tensor(logits, requires_grad=True), torch.tensor(logits, requires_grad=True)
    ce, ct = ed.Categorical(logits=le), td.Categorical(logits=lt)
    v = np.array([[0, 3], [1, 2]])
    _close(ce.log_prob(ember.tensor(v)[:, :1].reshape(2)), ct.log_prob(torch.tensor(v)[:, 0]),
           "float64")
    _close(ce.entropy(), ct.entropy(), "float64")
    _close(ce.probs, ct.probs, "float64")
    assert repr(ce) == repr(ct).replace("torch.", "ember.")
    _close(ce.enumerate_support(), ct.enumerate_support(), "float64")
    oe, ot = ed.OneHotCategorical(probs=ember.tensor(SIMPLEX)), \
        td.OneHotCategorical(probs=torch.tensor(SIMPLEX))
    onehot = np.eye(4)[[1, 3]]
    _close(oe.log_prob(ember.tensor(onehot)), ot.log_prob(torch.tensor(onehot)), "float64")
    _close(oe.entropy(), ot.entropy(), "float64")
    _close(oe.enumerate_support(), ot.enumerate_support(), "float64")
    assert repr(oe) == repr(ot)
    samples = ce.sample((4000,))
    assert tuple(samples.shape) == (4000, 2)
    freq = np.stack([(samples.numpy() == k).mean(0) for k in range(4)], -1)
    np.testing.assert_allclose(freq, ct.probs.detach().numpy(), atol=0.04)


def test_kl_pairs_and_grads():
    pairs = [("Normal", (REAL, POS2), (X_REAL, POS)), ("Laplace", (REAL, POS2), (X_REAL, POS)),
             ("Exponential", (POS,), (POS2,)), ("Gamma", (POS, POS2), (POS2, POS)),
             ("Beta", (POS, POS2), (POS2, POS)), ("Poisson", (POS,), (POS2,)),
             ("Bernoulli", (PROB,), (X_UNIT,)), ("Geometric", (PROB,), (X_UNIT,)),
             ("Gumbel", (REAL, POS2), (X_REAL, POS)), ("Cauchy", (REAL, POS2), (X_REAL, POS)),
             ("HalfNormal", (POS,), (POS2,)), ("LogNormal", (REAL, POS2), (X_REAL, POS)),
             ("Dirichlet", (SIMPLEX + 1,), (SIMPLEX * 2 + 1,))]
    for name, pa, qa in pairs:
        pe, ppe = _make(name, "ember", pa, "float64")
        qe, _ = _make(name, "ember", qa, "float64")
        pt, ppt = _make(name, "torch", pa, "float64")
        qt, _ = _make(name, "torch", qa, "float64")
        ke, kt = ed.kl_divergence(pe, qe), td.kl_divergence(pt, qt)
        _close(ke, kt, "float64")
        ke.sum().backward()
        kt.sum().backward()
        for a, b in zip(ppe, ppt):
            _close(a.grad, b.grad, "float64")
    ue = ed.kl_divergence(ed.Uniform(ember.tensor([0., 0.]), ember.tensor([1., 2.])),
                          ed.Uniform(ember.tensor([-1., 0.5]), ember.tensor([2., 3.])))
    ut = td.kl_divergence(td.Uniform(torch.tensor([0., 0.]), torch.tensor([1., 2.])),
                          td.Uniform(torch.tensor([-1., 0.5]), torch.tensor([2., 3.])))
    _close(ue, ut, "float32")
    ie = ed.kl_divergence(ed.Independent(ed.Normal(ember.tensor(REAL), 1.0), 1),
                          ed.Independent(ed.Normal(ember.tensor(X_REAL), 2.0), 1))
    it = td.kl_divergence(td.Independent(td.Normal(torch.tensor(REAL), 1.0), 1),
                          td.Independent(td.Normal(torch.tensor(X_REAL), 2.0), 1))
    _close(ie, it, "float64")
    assert_same_error(lambda: ed.kl_divergence(ed.Normal(0., 1.), ed.Categorical(ember.ones(2))),
                      lambda: td.kl_divergence(td.Normal(0., 1.), td.Categorical(torch.ones(2))))


def _mvn_inputs():
    a = R.normal(size=(2, 3, 3))
    cov = a @ a.transpose(0, 2, 1) + 3 * np.eye(3)
    return R.normal(size=(2, 3)), cov


@pytest.mark.parametrize("kind", ["covariance_matrix", "precision_matrix", "scale_tril"])
def test_multivariate_normal(kind):
    loc, cov = _mvn_inputs()
    mat = {"covariance_matrix": cov, "precision_matrix": np.linalg.inv(cov),
           "scale_tril": np.linalg.cholesky(cov)}[kind]
    le, me = ember.tensor(loc, requires_grad=True), ember.tensor(mat, requires_grad=True)
    lt, mt = torch.tensor(loc, requires_grad=True), torch.tensor(mat, requires_grad=True)
    de, dt = ed.MultivariateNormal(le, **{kind: me}), td.MultivariateNormal(lt, **{kind: mt})
    x = R.normal(size=(4, 1, 3))
    oe = [de.log_prob(ember.tensor(x)), de.entropy(), de.variance, de.covariance_matrix,
          de.precision_matrix, de.scale_tril]
    ot = [dt.log_prob(torch.tensor(x)), dt.entropy(), dt.variance, dt.covariance_matrix,
          dt.precision_matrix, dt.scale_tril]
    for a, b in zip(oe, ot):
        _close(a, b, "float64")
    sum(o.sum() for o in oe[:3]).backward()
    sum(o.sum() for o in ot[:3]).backward()
    _close(le.grad, lt.grad, "float64")
    np.testing.assert_allclose(me.grad.numpy(), mt.grad.numpy(), rtol=1e-6, atol=1e-8)
    qe = ed.MultivariateNormal(ember.zeros(3, dtype=ember.float64), ember.tensor(cov[0]))
    qt = td.MultivariateNormal(torch.zeros(3, dtype=torch.float64), torch.tensor(cov[0]))
    _close(ed.kl_divergence(de, qe), td.kl_divergence(dt, qt), "float64")
    assert tuple(de.rsample((5,)).shape) == (5, 2, 3)


def test_transforms():
    x = R.normal(size=(2, 3))
    tr = td.transforms
    et = ed.transforms
    pairs = [(et.ExpTransform(), tr.ExpTransform()), (et.SigmoidTransform(), tr.SigmoidTransform()),
             (et.TanhTransform(), tr.TanhTransform()), (et.AffineTransform(1.0, -2.0),
                                                        tr.AffineTransform(1.0, -2.0)),
             (et.SoftplusTransform(), tr.SoftplusTransform()),
             (et.ComposeTransform([et.ExpTransform(), et.AffineTransform(1.0, 2.0)]),
              tr.ComposeTransform([tr.ExpTransform(), tr.AffineTransform(1.0, 2.0)]))]
    for e, t in pairs:
        xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        ye, yt = e(xe), t(xt)
        _close(ye, yt, "float64")
        _close(e.inv(ye), t.inv(yt), "float64")
        lde, ldt = e.log_abs_det_jacobian(xe, ye), t.log_abs_det_jacobian(xt, yt)
        _close(lde, ldt, "float64")
        (ye.sum() + lde.sum()).backward()
        (yt.sum() + ldt.sum()).backward()
        _close(xe.grad, xt.grad, "float64")
        assert repr(e) == repr(t)
        assert repr(e.inv) == repr(t.inv)
    _close(et.SoftmaxTransform()(ember.tensor(x)), tr.SoftmaxTransform()(torch.tensor(x)),
           "float64")
    be = ed.TransformedDistribution(ed.Normal(ember.tensor(REAL), 1.0),
                                    [et.SigmoidTransform(), et.AffineTransform(0.0, 3.0)])
    bt = td.TransformedDistribution(td.Normal(torch.tensor(REAL), 1.0),
                                    [tr.SigmoidTransform(), tr.AffineTransform(0.0, 3.0)])
    v = X_UNIT * 3
    _close(be.log_prob(ember.tensor(v)), bt.log_prob(torch.tensor(v)), "float64")
    _close(be.cdf(ember.tensor(v)), bt.cdf(torch.tensor(v)), "float64")
    assert repr(be) == repr(bt)


def test_reprs_constraints_and_errors():
    c = ed.constraints
    tc = td.constraints
    for name in ["real", "positive", "unit_interval", "simplex", "boolean", "nonnegative_integer",
                 "real_vector", "positive_definite", "lower_cholesky", "nonnegative", "one_hot"]:
        assert repr(getattr(c, name)) == repr(getattr(tc, name))
    assert repr(c.interval(0, 1)) == repr(tc.interval(0, 1))
    assert repr(c.integer_interval(0, 3)) == repr(tc.integer_interval(0, 3))
    assert repr(c.greater_than(2.0)) == repr(tc.greater_than(2.0))
    v = np.array([-1.0, 0.0, 0.5, 1.0, 2.0])
    for ce, ct in [(c.positive, tc.positive), (c.unit_interval, tc.unit_interval),
                   (c.boolean, tc.boolean), (c.nonnegative_integer, tc.nonnegative_integer),
                   (c.half_open_interval(0, 1), tc.half_open_interval(0, 1))]:
        np.testing.assert_array_equal(ce.check(ember.tensor(v)).numpy(),
                                      ct.check(torch.tensor(v)).numpy())
    assert repr(ed.Independent(ed.Normal(ember.zeros(3), 1.0), 1)) == \
        repr(td.Independent(td.Normal(torch.zeros(3), 1.0), 1)).replace("torch.", "ember.")
    assert repr(ed.Bernoulli(0.3)) == repr(td.Bernoulli(0.3))
    assert_same_error(lambda: ed.Normal(0.0, -1.0), lambda: td.Normal(0.0, -1.0))
    assert_same_error(lambda: ed.Normal(0.0, 1.0).log_prob(1.0),
                      lambda: td.Normal(0.0, 1.0).log_prob(1.0))
    assert_same_error(lambda: ed.Normal(ember.zeros(3), 1.0).log_prob(ember.zeros(2)),
                      lambda: td.Normal(torch.zeros(3), 1.0).log_prob(torch.zeros(2)))
    assert_same_error(lambda: ed.Bernoulli(0.3).log_prob(ember.tensor(0.5)),
                      lambda: td.Bernoulli(0.3).log_prob(torch.tensor(0.5)))
    assert_same_error(lambda: ed.Bernoulli(0.3, logits=1.0),
                      lambda: td.Bernoulli(0.3, logits=1.0))
    assert_same_error(lambda: ed.Categorical(ember.tensor(1.0)),
                      lambda: td.Categorical(torch.tensor(1.0)))
    assert_same_error(lambda: ed.Uniform(1.0, 0.0), lambda: td.Uniform(1.0, 0.0))
    assert_same_error(lambda: ed.Independent(ed.Normal(0.0, 1.0), 1),
                      lambda: td.Independent(td.Normal(0.0, 1.0), 1))
    ed.Distribution.set_default_validate_args(False)
    try:
        ed.Normal(0.0, -1.0)
    finally:
        ed.Distribution.set_default_validate_args(True)


@pytest.mark.parametrize("name,args,mean,var", [
    ("Normal", (1.0, 2.0), 1.0, 4.0), ("Exponential", (2.0,), 0.5, 0.25),
    ("Laplace", (1.0, 0.5), 1.0, 0.5), ("Uniform", (-1.0, 3.0), 1.0, 16 / 12),
    ("Gamma", (3.0, 2.0), 1.5, 0.75), ("Beta", (2.0, 3.0), 0.4, 0.04),
    ("Poisson", (3.0,), 3.0, 3.0), ("Bernoulli", (0.3,), 0.3, 0.21),
    ("Geometric", (0.4,), 1.5, 3.75), ("Gumbel", (0.0, 1.0), 0.5772, 1.6449),
    ("LogNormal", (0.0, 0.5), float(np.exp(0.125)), float((np.exp(0.25) - 1) * np.exp(0.25))),
    ("HalfNormal", (1.0,), float(np.sqrt(2 / np.pi)), 1 - 2 / np.pi),
    ("StudentT", (6.0,), 0.0, 1.5)])
def test_sample_statistics(name, args, mean, var):
    ember.manual_seed(0)
    d = getattr(ed, name)(*args)
    s = d.sample((20000,)).numpy()
    assert s.shape == (20000,)
    assert abs(s.mean() - mean) < 4 * np.sqrt(var / 20000) + 1e-3
    assert abs(s.var() - var) < 0.08 * var
    assert bool(d.support.check(ember.tensor(s)).all())
    if d.has_rsample:
        de = getattr(ed, name)(*[ember.tensor(a, requires_grad=True) for a in args])
        de.rsample((3, 2)).sum().backward()
    assert tuple(d.expand((4, 2)).sample((3,)).shape) == (3, 4, 2)


def test_gamma_rsample_gradient_matches_mean():
    # E[x] = a / r, so d/da of the sample mean estimates 1 / r.
    ember.manual_seed(1)
    a = ember.tensor([0.7, 3.0], requires_grad=True)
    ed.Gamma(a, ember.tensor([2.0, 2.0])).rsample((40000,)).mean(0).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [0.5, 0.5], rtol=0.05)
