"""models: layers, models, losses and L2 regularization, written the way PyTorch users expect.

    import models
    model = models.MLP(2, (16, 16), 1, rng=0)
    loss = models.MSELoss()(model(x), y) + models.l2_penalty(model.parameters(), 1e-4)
"""

from models.activations import GELU, Identity, LeakyReLU, ReLU, Sigmoid, Tanh
from models.clipping import clip_grad_norm_
from models.containers import ModuleList, Sequential
from models.layers import Dropout, Linear, LinearRegression, LogisticRegression
from models.losses import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss
from models.mlp import MLP
from models.module import Module, Parameter
from models.regularization import l2_penalty, param_groups

__all__ = [
    "BCEWithLogitsLoss", "CrossEntropyLoss", "Dropout", "GELU", "Identity", "LeakyReLU",
    "Linear", "LinearRegression", "LogisticRegression", "MLP", "MSELoss", "Module", "ModuleList",
    "Parameter", "ReLU", "Sequential", "Sigmoid", "Tanh", "clip_grad_norm_", "l2_penalty", "param_groups",
]
