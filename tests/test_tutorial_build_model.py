"""PyTorch's "Build the Neural Network" tutorial, run on ember and on torch side by side.

Each code cell of the page runs in two namespaces, one where ``torch`` is ember (only the
import lines differ) and one with the real torch. Everything the page prints is captured
per cell and compared character for character, ``torch.`` read as ``ember.``. Where the page
draws random numbers (the model's initial weights, ``torch.rand`` inputs) the torch values
are copied into the ember namespace right after the cell: weights through ``state_dict``,
inputs as NumPy arrays.
"""

import contextlib
import importlib.util
import io

import pytest

import ember

torch = pytest.importorskip("torch")

IMPORTS = {
    "torch": ["import os", "import torch", "from torch import nn",
              "from torch.utils.data import DataLoader",
              "from torchvision import datasets, transforms"],
    "ember": ["import os", "import ember as torch", "from ember import nn",
              "from ember.utils.data import DataLoader",
              "from ember.vision import datasets, transforms"],
}

DEVICE_CELLS = [
    'device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() '
    'else "cpu"\nprint(f"Using {device} device")\n',
    'device = "cuda" if torch.cuda.is_available() else "cpu"\nprint(f"Using {device} device")\n',
]

MODEL_CLASS = '''
class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(28*28, 512),
            nn.ReLU(),
            nn.Linear(512, 512),
            nn.ReLU(),
            nn.Linear(512, 10),
        )

    def forward(self, x):
        x = self.flatten(x)
        logits = self.linear_relu_stack(x)
        return logits
'''


def share_weights(name):
    def sync(ember_ns, torch_ns):
        state = {k: v.detach().cpu().numpy() for k, v in torch_ns[name].state_dict().items()}
        result = ember_ns[name].load_state_dict(state)
        assert repr(result) == "<All keys matched successfully>"
    return sync


def share_tensor(name):
    def sync(ember_ns, torch_ns):
        device = ember_ns.get("device", "cpu")
        ember_ns[name] = ember.tensor(torch_ns[name].cpu().numpy()).to(device)
    return sync


# (cell source, how to make the ember namespace agree with torch's after it, if needed)
CELLS = [
    (MODEL_CLASS, None),
    ("model = NeuralNetwork().to(device)\nprint(model)\n", share_weights("model")),
    ("X = torch.rand(1, 28, 28, device=device)\n", share_tensor("X")),
    ("logits = model(X)\npred_probab = nn.Softmax(dim=1)(logits)\ny_pred = pred_probab.argmax(1)\n"
     'print(f"Predicted class: {y_pred}")\n', None),
    ("input_image = torch.rand(3,28,28)\nprint(input_image.size())\n",
     share_tensor("input_image")),
    ("flatten = nn.Flatten()\nflat_image = flatten(input_image)\nprint(flat_image.size())\n",
     None),
    ("layer1 = nn.Linear(in_features=28*28, out_features=20)\n", share_weights("layer1")),
    ("hidden1 = layer1(flat_image)\nprint(hidden1.size())\n", None),
    ('print(f"Before ReLU: {hidden1}\\n\\n")\nhidden1 = nn.ReLU()(hidden1)\n'
     'print(f"After ReLU: {hidden1}")\n', None),
    ("seq_modules = nn.Sequential(\n    flatten,\n    layer1,\n    nn.ReLU(),\n"
     "    nn.Linear(20, 10)\n)\n", share_weights("seq_modules")),
    ("input_image = torch.rand(3,28,28)\n", share_tensor("input_image")),
    ("logits = seq_modules(input_image)\n", None),
    ("softmax = nn.Softmax(dim=1)\npred_probab = softmax(logits)\n", None),
    ('print(f"Model structure: {model}\\n\\n")\n\nfor name, param in model.named_parameters():\n'
     '    print(f"Layer: {name} | Size: {param.size()} | Values : {param[:2]} \\n")\n', None),
    # Not on the page: the values the page computes but does not print.
    ("print(logits)\nprint(pred_probab)\nprint(pred_probab.argmax(1))\n", None),
]


def importable(module):
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # the parent package is missing
        return False


def import_cell(lib):
    """The page's import cell, without the lines whose package is not installed here."""
    return "\n".join(line for line in IMPORTS[lib] if importable(line.split()[1])) + "\n"


def run_cell(source, namespace):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(source, "<tutorial>", "exec"), namespace)
    return out.getvalue()


@pytest.mark.parametrize("device_cell", DEVICE_CELLS, ids=["accelerator", "cuda"])
def test_build_the_neural_network_page(device_cell):
    torch.manual_seed(0)
    ember_ns, torch_ns = {"__name__": "tutorial"}, {"__name__": "tutorial"}
    run_cell(import_cell("ember"), ember_ns)
    run_cell(import_cell("torch"), torch_ns)
    assert ember_ns["torch"] is ember and ember_ns["nn"] is ember.nn
    printed = []
    for source, sync in [(device_cell, None), *CELLS]:
        expected = run_cell(source, torch_ns)
        got = run_cell(source, ember_ns)
        assert got == expected.replace("torch.", "ember."), source
        if sync is not None:
            sync(ember_ns, torch_ns)
        printed.append(got)
    text = "".join(printed)
    # The page's landmarks, to be sure the comparison saw real output.
    for landmark in ("Using cpu device", "(flatten): Flatten(start_dim=1, end_dim=-1)",
                     "Predicted class: tensor([", "ember.Size([3, 784])",
                     "grad_fn=<AddmmBackward0>", "grad_fn=<ReluBackward0>",
                     "Layer: linear_relu_stack.0.weight | Size: ember.Size([512, 784])",
                     "grad_fn=<SliceBackward0>", "grad_fn=<SoftmaxBackward0>"):
        assert landmark in text, landmark
