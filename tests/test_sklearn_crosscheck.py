"""fit against scikit-learn: Ridge and LogisticRegression coefficients, R², an MLP on digits.

Matching the objectives. fit minimizes, over N training rows and with λ = l2,

    (1/N)·Σ loss_i + λ/2·‖w‖²          (the bias b is not penalized)

Ridge minimizes Σ (y_i − x_i·w − b)² + α‖w‖²: multiplied by N ours is Σ … + Nλ/2·‖w‖²,
so α = Nλ/2. LogisticRegression minimizes C·Σ CE_i + ½‖W‖²: divided by C·N it is ours with
λ = 1/(C·N). Neither penalizes its intercept. Both are trained full batch, in float64, to
convergence.
"""

import time

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import r2_score

import models
import optim
from minigrad.data import load_dataset
from minigrad.train import evaluate, fit


def test_mse_with_l2_reproduces_ridge():
    data = load_dataset("diabetes", dtype=np.float64, seed=0)
    X, y = data.train
    lam = 0.05
    ridge = Ridge(alpha=len(X) * lam / 2, tol=1e-12).fit(X, y)
    model = models.LinearRegression(data.n_features, rng=0, dtype=np.float64)
    optimizer = optim.SGD(model.parameters(), lr=0.2, momentum=0.9)
    fit(model, optimizer, models.MSELoss(), data.train, 600, l2=lam, batch_size=None, progress=False)
    assert np.abs(model.weight.data - ridge.coef_).max() < 1e-10
    assert np.abs(model.bias.data - ridge.intercept_).max() < 1e-10
    predictions = X @ model.weight.data.T + model.bias.data
    assert evaluate(model, data.test)["r2"] == pytest.approx(r2_score(data.y_test, ridge.predict(data.X_test)))
    assert r2_score(y, predictions) == pytest.approx(ridge.score(X, y))


def test_cross_entropy_with_l2_reproduces_logistic_regression():
    data = load_dataset("wine", dtype=np.float64, seed=0)
    X, y = data.train
    C = 0.5
    reference = LogisticRegression(C=C, tol=1e-12, max_iter=10_000).fit(X, y)
    model = models.LogisticRegression(data.n_features, data.n_classes, rng=0, dtype=np.float64)
    optimizer = optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
    fit(model, optimizer, models.CrossEntropyLoss(), data.train, 500, l2=1 / (C * len(X)),
        batch_size=None, progress=False)
    assert np.abs(model.weight.data - reference.coef_).max() < 1e-5
    # softmax ignores a shift of all intercepts together: compare them centred
    bias, reference_bias = model.bias.data, reference.intercept_
    assert np.abs((bias - bias.mean()) - (reference_bias - reference_bias.mean())).max() < 1e-5
    assert evaluate(model, data.test)["accuracy"] == reference.score(*data.test)


def test_an_mlp_reaches_95_percent_on_digits():
    data = load_dataset("digits", seed=0)
    model = models.MLP(data.n_features, (128,), data.n_classes, rng=0)
    optimizer = optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-2)
    start = time.perf_counter()
    fit(model, optimizer, models.CrossEntropyLoss(), data.train, 15, batch_size=32, progress=False)
    accuracy = evaluate(model, data.test)["accuracy"]
    print(f"digits MLP: test accuracy {accuracy:.4f} in {time.perf_counter() - start:.2f} s")
    assert accuracy >= 0.95
