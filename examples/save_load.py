"""PyTorch's "Save and Load the Model" tutorial, run on ember: only the imports differ.

    python examples/save_load.py

The tutorial saves a torchvision VGG16; torchvision's pretrained weights cannot be fetched
here, so the model is the seed network of "Build the Neural Network" instead. Every save and
load call is the tutorial's.
"""

import ember as torch
from ember import nn


class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(28 * 28, 512),
            nn.ReLU(),
            nn.Linear(512, 512),
            nn.ReLU(),
            nn.Linear(512, 10),
        )

    def forward(self, x):
        x = self.flatten(x)
        logits = self.linear_relu_stack(x)
        return logits


# Saving and Loading Model Weights
model = NeuralNetwork()
torch.save(model.state_dict(), "model_weights.pth")

model = NeuralNetwork()  # we do not specify ``weights``, i.e. create untrained model
model.load_state_dict(torch.load("model_weights.pth", weights_only=True))
print(model.eval())

# Saving and Loading Models with Shapes
torch.save(model, "model.pth")
model = torch.load("model.pth", weights_only=False)
print(model)
