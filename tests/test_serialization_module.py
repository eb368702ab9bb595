"""PyTorch's "Save and Load the Model" tutorial on ember, and models moving between the two
libraries through checkpoints."""

from __future__ import annotations

import io
from pickle import UnpicklingError

import numpy as np
import pytest

import ember
from ember.serialization import load, load_file, save, save_file

nn = pytest.importorskip("ember.nn")
if not hasattr(nn, "Module"):
    pytest.skip("ember.nn has no Module yet", allow_module_level=True)
torch = pytest.importorskip("torch")


class EmberNet(nn.Module):
    """The tutorials' NeuralNetwork."""

    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(28 * 28, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
            nn.Linear(512, 10))

    def forward(self, x):
        return self.linear_relu_stack(self.flatten(x))


class TorchNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = torch.nn.Flatten()
        self.linear_relu_stack = torch.nn.Sequential(
            torch.nn.Linear(28 * 28, 512), torch.nn.ReLU(), torch.nn.Linear(512, 512),
            torch.nn.ReLU(), torch.nn.Linear(512, 10))

    def forward(self, x):
        return self.linear_relu_stack(self.flatten(x))


def batch(seed: int = 0):
    r = np.random.default_rng(seed)
    return r.standard_normal((16, 1, 28, 28)).astype(np.float32), r.integers(0, 10, 16)


def ember_logits(model, x: np.ndarray) -> np.ndarray:
    model.eval()
    with ember.no_grad():
        return model(ember.tensor(x)).numpy()


def torch_logits(model, x: np.ndarray) -> np.ndarray:
    model.eval()
    with torch.no_grad():
        return model(torch.tensor(x)).numpy()


def test_tutorial_state_dict_round_trip(tmp_path):
    x, _ = batch()
    model = EmberNet()
    ember.save(model.state_dict(), tmp_path / "model_weights.pth")
    model2 = EmberNet()
    model2.load_state_dict(ember.load(tmp_path / "model_weights.pth", weights_only=True))
    model2.eval()
    np.testing.assert_array_equal(ember_logits(model2, x), ember_logits(model, x))


def test_trained_in_torch_evaluated_in_ember(tmp_path):
    x, y = batch()
    torch.manual_seed(0)
    net = TorchNet()
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    for _ in range(5):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(net(torch.tensor(x)), torch.tensor(y)).backward()
        opt.step()
    torch.save(net.state_dict(), tmp_path / "model_weights.pth")
    model = EmberNet()
    model.load_state_dict(load(tmp_path / "model_weights.pth", weights_only=True))
    np.testing.assert_allclose(ember_logits(model, x), torch_logits(net, x), rtol=1e-5,
                               atol=1e-5)


def test_trained_in_ember_evaluated_in_torch(tmp_path):
    x, y = batch(1)
    ember.manual_seed(0)
    model = EmberNet()
    opt = ember.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(5):
        opt.zero_grad()
        loss_fn(model(ember.tensor(x)), ember.tensor(y)).backward()
        opt.step()
    save(model.state_dict(), tmp_path / "model_weights.pth")
    net = TorchNet()
    net.load_state_dict(torch.load(tmp_path / "model_weights.pth", weights_only=True))
    np.testing.assert_allclose(torch_logits(net, x), ember_logits(model, x), rtol=1e-5,
                               atol=1e-5)


def test_state_dict_metadata_reaches_torch():
    model = EmberNet()
    buf = io.BytesIO()
    save(model.state_dict(), buf)
    buf.seek(0)
    theirs = torch.load(buf, weights_only=True)
    assert theirs._metadata == model.state_dict()._metadata
    assert list(theirs) == list(TorchNet().state_dict())


def test_whole_model_needs_trusted_loading(tmp_path):
    x, _ = batch()
    model = EmberNet()
    ember.save(model, tmp_path / "model.pth")
    with pytest.raises(UnpicklingError, match="EmberNet"):
        ember.load(tmp_path / "model.pth")  # weights_only=True is the default
    again = ember.load(tmp_path / "model.pth", weights_only=False)
    assert type(again) is EmberNet
    assert all(type(p) is nn.Parameter for p in again.parameters())
    np.testing.assert_array_equal(ember_logits(again, x), ember_logits(model, x))


def test_whole_torch_model_loads_into_ember_when_trusted(tmp_path):
    x, _ = batch()
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(28 * 28, 10), torch.nn.ReLU())
    torch.save(net, tmp_path / "model.pth")
    with pytest.raises(UnpicklingError, match="torch.nn.modules.container.Sequential"):
        load(tmp_path / "model.pth")
    model = load(tmp_path / "model.pth", weights_only=False)
    assert type(model) is nn.Sequential and type(model[1]) is nn.Linear
    np.testing.assert_allclose(ember_logits(model, x), torch_logits(net, x), rtol=1e-5,
                               atol=1e-6)


def test_optimizer_state_round_trip(tmp_path):
    x, y = batch()
    model = EmberNet()
    opt = ember.optim.Adam(model.parameters(), lr=1e-3)
    nn.CrossEntropyLoss()(model(ember.tensor(x)), ember.tensor(y)).backward()
    opt.step()
    save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 1},
         tmp_path / "ckpt.pt")
    ckpt = load(tmp_path / "ckpt.pt")
    model2 = EmberNet()
    model2.load_state_dict(ckpt["model"])
    opt2 = ember.optim.Adam(model2.parameters(), lr=1e-3)
    opt2.load_state_dict(ckpt["optimizer"])
    for s1, s2 in zip(opt.state_dict()["state"].values(), opt2.state_dict()["state"].values()):
        for k in s1:
            np.testing.assert_array_equal(np.asarray(s1[k]), np.asarray(s2[k]))
    theirs = torch.load(tmp_path / "ckpt.pt", weights_only=True)
    assert theirs["optimizer"]["param_groups"][0]["lr"] == 1e-3


def test_safetensors_state_dict_round_trip(tmp_path):
    x, _ = batch()
    model = EmberNet()
    save_file(model.state_dict(), tmp_path / "model.safetensors")
    model2 = EmberNet()
    model2.load_state_dict(load_file(tmp_path / "model.safetensors"))
    np.testing.assert_array_equal(ember_logits(model2, x), ember_logits(model, x))
