"""minigrad.train: fit's loop, History, evaluate, the L2 term, NaN detection, progress, callbacks."""

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

import models
import optim
import minigrad.functional as F
from minigrad import Tensor, is_grad_enabled
from minigrad.checkpoint import CheckpointError, read_checkpoint, save_checkpoint
from minigrad.data import load_dataset
from minigrad.files import writable_folder
from minigrad.metrics import metric_name, score
from minigrad.train import History, TrainingDivergedError, evaluate, fit, weight_norm
from optim.lr_scheduler import StepLR
from tests.test_checkpoint import rewrite_header


@pytest.fixture(scope="module")
def moons():
    return load_dataset("moons", n_samples=300, val_size=0.2, seed=0)


def make_run(data, seed=0):
    model = models.MLP(data.n_features, (16,), data.n_outputs, rng=seed)
    return model, optim.SGD(model.parameters(), lr=0.1, momentum=0.9), models.CrossEntropyLoss()


def test_fit_records_one_history_entry_per_epoch_and_learns(moons):
    model, optimizer, loss_fn = make_run(moons)
    history = fit(model, optimizer, loss_fn, moons.train, 8, val_data=moons.val, progress=False)
    assert history.epoch == list(range(1, 9)) and history.metric == "accuracy"
    for values in (history.train_loss, history.val_loss, history.val_metric, history.lr,
                   history.weight_norm, history.time):
        assert len(values) == 8 and all(math.isfinite(v) for v in values)
    assert history.train_loss[-1] < history.train_loss[0] / 2
    assert history.val_metric[-1] > 0.7  # chance is 0.5
    everything = np.concatenate([p.data.ravel() for p in model.parameters()]).astype(np.float64)
    assert history.weight_norm[-1] == weight_norm(model) == pytest.approx(np.linalg.norm(everything))
    assert history.val_loss[-1] == pytest.approx(evaluate(model, moons.val, loss_fn)["loss"])


def test_float64_data_trains_a_float32_model_in_float32(moons):
    # the same run on float32 data and on float64 data: fit and evaluate convert X to the
    # model's dtype (float64 data used to run the whole float32 model in float64)
    runs = []
    for dtype in (np.float32, np.float64):
        model, optimizer, loss_fn = make_run(moons)
        history = fit(model, optimizer, loss_fn, (moons.train[0].astype(dtype), moons.train[1]), 2,
                      val_data=(moons.val[0].astype(dtype), moons.val[1]), progress=False)
        runs.append((history.train_loss, history.val_loss, [p.data for p in model.parameters()]))
    assert runs[0][:2] == runs[1][:2]
    for p, q in zip(runs[0][2], runs[1][2]):
        assert p.dtype == q.dtype == np.float32
        np.testing.assert_array_equal(p, q)


@pytest.mark.parametrize("as_input", [lambda X: X.tolist(), lambda X: Tensor(X)], ids=["list", "tensor"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_evaluate_takes_a_list_or_a_tensor_in_the_model_dtype(moons, as_input, dtype):
    model = models.MLP(moons.n_features, (8,), moons.n_outputs, rng=0, dtype=dtype)
    X, y = moons.val
    expected = evaluate(model, (X.astype(dtype), y), models.CrossEntropyLoss())
    assert evaluate(model, (as_input(X.astype(np.float64)), y), models.CrossEntropyLoss()) == expected


def test_the_train_loss_weights_each_batch_by_its_rows(moons):
    # with lr = 0 the weights stay put, so the epoch's loss must be the loss over all its rows,
    # although the last of the batches of 7 is shorter
    X, y = moons.train
    X = X.astype(np.float64)
    assert len(X) % 7 != 0
    model = models.MLP(moons.n_features, (16,), moons.n_outputs, rng=0, dtype=np.float64)
    history = fit(model, optim.SGD(model.parameters(), lr=0.0), models.CrossEntropyLoss(), (X, y), 1,
                  batch_size=7, progress=False)
    assert history.train_loss[0] == pytest.approx(evaluate(model, (X, y), models.CrossEntropyLoss())["loss"],
                                                  rel=1e-12)


def test_history_to_dict_is_json_and_round_trips(moons):
    model, optimizer, loss_fn = make_run(moons)
    history = fit(model, optimizer, loss_fn, moons.train, 2, progress=False)
    text = json.dumps(history.to_dict())
    assert type(history).from_dict(json.loads(text)) == history
    assert history.val_loss == [] and history.val_metric == []


def test_the_same_seed_gives_bit_identical_parameters_and_another_seed_does_not(moons):
    def final_weights(seed):
        model, optimizer, loss_fn = make_run(moons)
        fit(model, optimizer, loss_fn, moons.train, 3, seed=seed, progress=False)
        return np.concatenate([p.data.ravel() for p in model.parameters()])

    assert np.array_equal(final_weights(1), final_weights(1))
    assert not np.array_equal(final_weights(1), final_weights(2))


def test_regression_reports_r2():
    data = load_dataset("regression", n_samples=200, val_size=0.2, seed=0)
    model = models.LinearRegression(data.n_features, rng=0)
    history = fit(model, optim.Adam(model.parameters(), lr=0.05), models.MSELoss(), data.train, 30,
                  val_data=data.val, progress=False)
    assert history.metric == "r2" and history.val_metric[-1] > 0.9


def test_full_batch_takes_one_step_per_epoch(moons):
    model, optimizer, loss_fn = make_run(moons)
    fit(model, optimizer, loss_fn, moons.train, 3, batch_size=None, progress=False)
    assert {state["step"] for state in optimizer.state.values()} == {3}


def test_the_scheduler_steps_once_per_epoch_and_history_has_each_epochs_rate(moons):
    model, optimizer, loss_fn = make_run(moons)
    scheduler = StepLR(optimizer, step_size=2, gamma=0.5)
    history = fit(model, optimizer, loss_fn, moons.train, 5, scheduler=scheduler, progress=False)
    assert history.lr == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025])
    assert scheduler.last_epoch == 5


def test_l2_adds_the_penalty_on_weights_but_not_biases():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(20, 3)), rng.normal(size=(20, 1))
    lr, lam = 0.1, 0.5
    plain, penalized = (models.LinearRegression(3, rng=1, dtype=np.float64) for _ in range(2))
    models.MSELoss()(plain(Tensor(X)), y).backward()
    fit(penalized, optim.SGD(penalized.parameters(), lr=lr), models.MSELoss(), (X, y), 1, l2=lam,
        batch_size=None, progress=False)
    # one step of θ ← θ − γ(∇L + λw) for the weight, θ ← θ − γ∇L for the bias
    weight, bias = plain.weight, plain.bias
    assert np.allclose(penalized.weight.data, weight.data - lr * (weight.grad + lam * weight.data), atol=1e-14)
    assert np.allclose(penalized.bias.data, bias.data - lr * bias.grad, atol=1e-14)


def test_train_loss_is_the_data_loss_without_the_l2_term(moons):
    runs = []
    for l2 in (0.0, 100.0):
        model, _, loss_fn = make_run(moons)
        zero_lr = optim.SGD(model.parameters(), lr=0.0)
        runs.append(fit(model, zero_lr, loss_fn, moons.train, 1, l2=l2, progress=False).train_loss)
    assert runs[0] == pytest.approx(runs[1])


class NaNAfter:
    """MSE that turns NaN at the given call (counting from 1)."""

    def __init__(self, call):
        self.call, self.calls = call, 0

    def __call__(self, prediction, target):
        self.calls += 1
        loss = models.MSELoss()(prediction, target)
        return loss * math.nan if self.calls == self.call else loss


def test_a_nan_loss_stops_training_naming_epoch_step_and_last_finite_loss():
    X, y = np.ones((10, 2)), np.ones((10, 1))
    model = models.LinearRegression(2, rng=0, dtype=np.float64)
    optimizer = optim.SGD(model.parameters(), lr=0.01)
    with pytest.raises(TrainingDivergedError, match=r"nan at epoch 2, step 3 \(last finite loss [0-9.e+-]+ "
                                                    r"at epoch 2, step 2\)"):
        fit(model, optimizer, NaNAfter(3 + 3), (X, y), 5, batch_size=4, progress=False)
    assert optimizer.state[model.weight]["step"] == 5  # the NaN step was not taken


@pytest.mark.filterwarnings("error::RuntimeWarning")  # the error says it all; numpy's warnings are not shown
def test_a_diverging_run_stops_with_finite_parameters():
    data = load_dataset("regression", n_samples=100, seed=0)
    model = models.LinearRegression(data.n_features, rng=0)
    optimizer = optim.SGD(model.parameters(), lr=50.0)
    with pytest.raises(TrainingDivergedError, match=r"the loss became (inf|nan) at epoch \d+, step \d+"):
        fit(model, optimizer, models.MSELoss(), data.train, 50, progress=False)
    assert all(np.isfinite(p.data).all() for p in model.parameters())


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_an_l2_term_that_overflows_stops_training_though_the_data_loss_is_finite():
    # inputs 0: the loss is the bias² only; the float32 weight 1e20 makes λ/2·w² = 5e39, beyond
    # float32's 3.4e38, so the objective stepped on is inf (its gradient λw would still be finite)
    X, y = np.zeros((4, 1), np.float32), np.zeros((4, 1), np.float32)
    model = models.LinearRegression(1, rng=0)
    model.weight.data[...] = 1e20
    with pytest.raises(TrainingDivergedError, match=r"the loss became inf at epoch 1, step 1 \(no finite loss "
                                                    r"before it\); training stopped before that step"):
        fit(model, optim.SGD(model.parameters(), lr=0.1), models.MSELoss(), (X, y), 1, l2=1.0, progress=False)
    np.testing.assert_array_equal(model.weight.data, [[np.float32(1e20)]])  # the step was not taken


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_parameters_that_overflow_in_the_last_step_of_an_epoch_raise(moons):
    # one full-batch step: its loss is finite, the step overflows, and no later loss would tell
    model, _, loss_fn = make_run(moons)
    optimizer = optim.SGD(model.parameters(), lr=1e39)
    with pytest.raises(TrainingDivergedError, match="a parameter became infinite or NaN in the last step of epoch 1 "
                                                    r"\(step 1\), whose loss was finite"):
        fit(model, optimizer, loss_fn, moons.train, 1, batch_size=None, val_data=moons.val, progress=False)


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_a_parameter_only_partly_infinite_after_the_last_step_of_an_epoch_raises():
    # one full-batch step of MSE on a row (1e100, 0) with target 0: the loss ŷ² (~1e198) is
    # finite; the weight's first entry gets a step of lr·2ŷ·1e100 ~ 1e110·1e199 = inf, its second
    # a step of 0 (its input is 0): the weight is infinite in one entry and finite in the other
    X, y = np.array([[1e100, 0.0]]), np.zeros((1, 1))
    model = models.LinearRegression(2, rng=0, dtype=np.float64)
    with pytest.raises(TrainingDivergedError, match=r"a parameter became infinite or NaN in the last step of "
                                                    r"epoch 1 \(step 1\)"):
        fit(model, optim.SGD(model.parameters(), lr=1e110), models.MSELoss(), (X, y), 1, batch_size=None,
            progress=False)
    assert np.isinf(model.weight.data[0, 0]) and np.isfinite(model.weight.data[0, 1])


def test_evaluate_uses_eval_mode_and_no_graph_and_restores_training_mode(moons):
    model = models.MLP(moons.n_features, (32,), 2, dropout=0.5, rng=0)
    first, second = (evaluate(model, moons.test, models.CrossEntropyLoss()) for _ in range(2))
    assert first == second  # dropout is off
    assert model.training and all(p.grad is None for p in model.parameters())
    model.eval()
    evaluate(model, moons.test)
    assert not model.training


class Recording:
    """Cross-entropy that records, at each call, whether autograd records and whether each
    Dropout of ``model`` is in training mode."""

    def __init__(self, model):
        self.dropouts = [m for m in model.modules() if isinstance(m, models.Dropout)]
        self.calls = []

    def __call__(self, logits, y):
        self.calls.append((is_grad_enabled(), [d.training for d in self.dropouts]))
        return F.cross_entropy(logits, y)


def test_evaluate_and_fits_validation_run_under_no_grad_and_its_steps_in_training_mode(moons):
    """evaluate (and fit's evaluation of val_data) computes without recording a graph; fit's
    steps record it with every Dropout in training mode, even for a model handed over in eval
    mode."""
    model = models.MLP(moons.n_features, (8,), 2, dropout=0.5, rng=0)
    loss_fn = Recording(model)
    evaluate(model, moons.val, loss_fn)
    assert loss_fn.calls == [(False, [False])]
    model.eval()
    loss_fn.calls.clear()
    fit(model, optim.SGD(model.parameters(), lr=0.1), loss_fn, (moons.X_train[:10], moons.y_train[:10]), 2,
        val_data=moons.val, batch_size=None, progress=False)
    # epoch 1: a step, then the validation; epoch 2 the same
    assert loss_fn.calls == [(True, [True]), (False, [False])] * 2
    assert model.training


def test_score_is_accuracy_for_labels_and_r2_for_targets():
    logits = np.array([[2.0, 1.0], [0.0, 3.0], [1.0, 0.0], [0.0, 1.0]])
    assert score(logits, np.array([0, 1, 1, 1])) == 0.75
    assert score(np.array([[0.3], [-2.0]]), np.array([1, 0])) == 1.0  # one logit: > 0 is class 1
    y = np.array([[1.0], [2.0], [3.0]])
    assert score(y, y) == 1.0 and score(np.full_like(y, 2.0), y) == 0.0


@pytest.mark.parametrize("outputs, targets, metric, message", [
    (np.eye(3), np.array([1, 2, 3]), None, "class labels 0 to 2 for 3 output columns; got labels from 1 to 3"),
    (np.eye(3), np.array([0, -1, 2]), None, "got labels from -1 to 2"),
    (np.eye(3), np.array([0.0, 0.5, 2.0]), "accuracy", "got labels from 0.0 to 2.0"),
    (np.eye(3), np.array([0.0, np.nan, 2.0]), "accuracy",
     "score's targets holds NaN or infinite values, first in row 1"),
    (np.array([[1.0], [1.0], [-1.0]]), np.array([2, 1, 0]), None, "targets in [0, 1]; got targets from 0 to 2"),
    (np.zeros((0, 3)), np.zeros(0, dtype=int), None, "accuracy needs at least one row"),
    (np.zeros((0, 1)), np.zeros((0, 1)), None, "r2 needs at least one row"),
    (np.zeros((0, 3)), np.array([1]), None, "accuracy needs at least one row, got outputs of shape (0, 3)"),
    (np.zeros((2, 1)), np.zeros((0, 1)), None, "r2 needs at least one row, got outputs of shape (2, 1) and targets"),
    (np.float64(1), np.float64(1), None, "r2 needs at least one row, got outputs of shape () and targets of shape () "
                                         "(a single value has no rows: pass [value])"),
    (np.array([0.5]), 1, None, "accuracy needs at least one row, got outputs of shape (1,) and targets of shape ()"),
])
def test_score_refuses_labels_the_outputs_cannot_give_and_empty_data(outputs, targets, metric, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        score(outputs, targets, metric)


@pytest.mark.parametrize("loss_fn", [None, models.CrossEntropyLoss()])
def test_evaluate_refuses_empty_data_by_name(moons, loss_fn):
    model = models.MLP(moons.n_features, (4,), 2, rng=0)
    with pytest.raises(ValueError, match="evaluate needs at least one row in data, got none"):
        evaluate(model, (moons.X_val[:0], moons.y_val[:0]), loss_fn)


@pytest.mark.parametrize("data, error, message", [
    (lambda X, y: X, TypeError, "data must be a pair (X, y)"),  # (X alone would unpack its rows)
    (lambda X, y: (X[:5], y[:4]), ValueError, "data has 5 rows in X but 4 targets in y"),
    (lambda X, y: (X[0, 0], y[0]), ValueError, "data needs arrays of rows"),
])
def test_evaluate_names_data_that_is_not_rows_of_x_with_a_target_each(moons, data, error, message):
    model = models.MLP(moons.n_features, (4,), 2, rng=0)
    for loss_fn in (None, models.CrossEntropyLoss()):
        with pytest.raises(error, match=re.escape(message)):
            evaluate(model, data(*moons.val), loss_fn)


def test_evaluate_without_a_loss_refuses_labels_counted_from_one(moons):
    model = models.MLP(moons.n_features, (4,), 2, rng=0)
    with pytest.raises(ValueError, match="class labels 0 to 1 for 2 output columns"):
        evaluate(model, (moons.X_val, moons.y_val + 1))


def test_callbacks_see_every_epoch_and_returning_true_stops(moons):
    model, optimizer, loss_fn = make_run(moons)
    seen = []

    def stop_at_three(epoch, history):
        seen.append((epoch, len(history.epoch)))
        return epoch == 3

    history = fit(model, optimizer, loss_fn, moons.train, 10, callbacks=[stop_at_three], progress=False)
    assert seen == [(1, 1), (2, 2), (3, 3)] and history.epoch == [1, 2, 3]


def test_every_callback_sees_the_epoch_at_which_an_earlier_one_stops_the_run(moons):
    model, optimizer, loss_fn = make_run(moons)
    seen = []
    callbacks = [lambda epoch, history: epoch == 2, lambda epoch, history: seen.append(epoch)]
    history = fit(model, optimizer, loss_fn, moons.train, 5, callbacks=callbacks, progress=False)
    assert seen == [1, 2] and history.epoch == [1, 2]


def test_only_a_callback_returning_true_stops_the_run(moons):
    # "one that returns True stops the run": a truthy 1, dict or string does not, numpy's True does
    model, optimizer, loss_fn = make_run(moons)
    callbacks = [lambda epoch, history: 1, lambda epoch, history: {"stop": True}, lambda epoch, history: "yes"]
    history = fit(model, optimizer, loss_fn, moons.train, 3, callbacks=callbacks, progress=False)
    assert history.epoch == [1, 2, 3]
    model, optimizer, loss_fn = make_run(moons)
    at_two = [lambda epoch, history: np.float64(epoch) >= 2]  # (a comparison of numpy numbers: np.True_)
    assert fit(model, optimizer, loss_fn, moons.train, 3, callbacks=at_two, progress=False).epoch == [1, 2]


@pytest.mark.parametrize("progress, shown", [(False, False), (True, False), ("always", True)])
def test_the_progress_bar_shows_on_a_terminal_or_when_asked(moons, capsys, progress, shown):
    model, optimizer, loss_fn = make_run(moons)
    fit(model, optimizer, loss_fn, moons.train, 2, val_data=moons.val, progress=progress)
    err = capsys.readouterr().err  # pytest's stderr is not a terminal
    assert ("2/2" in err and "val_accuracy" in err) == shown
    assert shown or err == ""


@pytest.mark.parametrize("kwargs, message", [
    ({"epochs": -1}, "epochs"), ({"epochs": 0}, "epochs must be a positive integer"), ({"l2": -0.1}, "l2"),
    ({"l2": math.nan}, "l2"),
    ({"l2": None}, "l2 must be a finite number >= 0, got None"), ({"l2": "0.1"}, "l2 must be a finite"),
    ({"l2": math.inf}, "l2 must be a finite"),
    ({"resume": True}, "resume=True needs the checkpoint"),
])
def test_bad_arguments_are_refused(moons, kwargs, message):
    model, optimizer, loss_fn = make_run(moons)
    arguments = {"epochs": 1, **kwargs}
    with pytest.raises(ValueError, match=message):
        fit(model, optimizer, loss_fn, moons.train, progress=False, **arguments)


@pytest.mark.parametrize("outputs, targets, error, message", [
    (np.zeros((4, 1)), [[1.0], [2.0], [np.nan], [4.0]], ValueError,
     "score's targets holds NaN or infinite values, first in row 2"),  # (R² took it as 0.0)
    (None, None, TypeError, "cannot make score's outputs from NoneType"),
    (np.zeros((2, 2)), ["a", "b"], TypeError, "cannot make score's targets from list"),
])
def test_score_names_outputs_or_targets_that_are_not_finite_numbers(outputs, targets, error, message):
    with pytest.raises(error, match=re.escape(message)) as caught:
        score(outputs, targets)
    assert "computes in" not in str(caught.value)  # (float64 targets: no note on float32's range)


@pytest.mark.parametrize("outputs, targets", [
    (np.array([[0.0, 1.0], [np.nan, 0.0]]), [1, 0]),  # (the arg-max took the NaN as a class)
    (np.array([[1.0], [np.inf]]), [[1.0], [2.0]]),
])
def test_outputs_that_are_not_finite_score_nan(outputs, targets):
    # a diverged model has no accuracy or R²; its evaluation still reports, as NaN
    assert math.isnan(score(outputs, targets))


@pytest.mark.filterwarnings("error::RuntimeWarning")  # (no "divide by zero" from the undefined 1 − 0/0)
def test_r2_of_constant_targets_is_finite_as_in_scikit_learn():
    constant = np.full((4, 1), 2.0)
    assert score(constant, constant) == 1.0
    assert score(constant + 1, constant) == 0.0


# ------------------------------------------------ shapes of R², and the metric of each loss
R2_OUTPUTS = np.array([[2.5], [0.0], [2.0], [8.0]])
R2_TARGETS = np.array([3.0, -0.5, 2.0, 7.0])


def test_r2_of_one_dimensional_targets_against_one_column_outputs_matches_scikit_learn():
    from sklearn.metrics import r2_score

    expected = r2_score(R2_TARGETS, R2_OUTPUTS.ravel())  # 0.9486..., as in sklearn's docs
    assert score(R2_OUTPUTS, R2_TARGETS) == pytest.approx(expected, rel=1e-12)
    assert score(R2_OUTPUTS, R2_TARGETS.reshape(-1, 1)) == pytest.approx(expected, rel=1e-12)
    assert score(R2_OUTPUTS.ravel(), R2_TARGETS) == pytest.approx(expected, rel=1e-12)


def test_r2_of_several_columns_is_their_mean_as_in_scikit_learn():
    """R² of several columns is the plain mean of the columns' R² (not, e.g., their median)."""
    from sklearn.metrics import r2_score

    targets = np.array([[0.5, 1.0, 1.0], [-1.0, 1.0, 2.0], [7.0, -6.0, 3.0]])
    outputs = np.array([[0.0, 2.0, 3.0], [-1.0, 2.0, 2.0], [8.0, -5.0, 3.0]])
    # the third column: Σ(y − ŷ)² = 4, Σ(y − ȳ)² = 2, so R² = −1, far from the other two
    assert r2_score(targets[:, 2], outputs[:, 2]) == -1.0
    assert score(outputs, targets) == pytest.approx(r2_score(targets, outputs), rel=1e-12)


def test_accuracy_of_several_independent_logits_counts_each_entry():
    """Outputs (N, K) against 0/1 targets (N, K): logit > 0 against target > 0.5 entry by entry
    (multi-label), not the arg-max of each row."""
    logits = np.array([[1.0, -1.0], [2.0, 3.0], [-0.5, -2.0]])
    targets = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    # predictions 1 0 / 1 1 / 0 0: wrong at (1, 0) and (2, 0), so 4 of the 6 entries are right
    assert score(logits, targets, "accuracy") == pytest.approx(4 / 6)
    assert score(logits, targets.astype(np.int64)) == pytest.approx(4 / 6)


@pytest.mark.parametrize("outputs, targets", [
    (np.zeros((4, 2)), np.zeros(4)), (np.zeros((4, 1)), np.zeros(5)), (np.zeros((4, 1)), np.zeros((4, 2))),
])
def test_r2_of_outputs_and_targets_of_different_shapes_is_refused(outputs, targets):
    with pytest.raises(ValueError, match=rf"outputs of shape \({outputs.shape[0]}, \d\) and targets of shape"):
        score(outputs, targets)


def test_evaluate_gives_the_r2_of_scikit_learn_for_one_dimensional_targets():
    from sklearn.metrics import r2_score

    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + rng.normal(size=30)
    model = models.LinearRegression(3, rng=0, dtype=np.float64)
    predictions = X @ model.weight.data.T + model.bias.data
    assert evaluate(model, (X, y))["r2"] == pytest.approx(r2_score(y, predictions.ravel()), rel=1e-12)


def binary_logit_model():
    """logit = x₀: a Linear(2, 1) with weight (1, 0) and bias 0."""
    model = models.Linear(2, 1, rng=0, dtype=np.float64)
    model.weight.data[...] = [[1.0, 0.0]]
    model.bias.data[...] = 0.0
    return model


def test_bce_with_float_targets_reports_binary_accuracy():
    X = np.array([[0.5, 9.0], [-1.0, 9.0], [2.0, 9.0], [-0.2, 9.0], [0.3, 9.0]])
    y = np.array([[1.0], [1.0], [0.0], [0.0], [1.0]])
    # logits 0.5, -1, 2, -0.2, 0.3 predict 1, 0, 1, 0, 1: rows 0, 3 and 4 are right, 3 of 5
    result = evaluate(binary_logit_model(), (X, y), models.BCEWithLogitsLoss())
    assert set(result) == {"loss", "accuracy"} and result["accuracy"] == 0.6
    assert score(X[:, :1], y, "accuracy") == 0.6
    # soft targets are read as class 1 above 0.5: labels 1, 0, 0, 0, 1, so only row 2 is wrong
    soft = np.array([[0.7], [0.2], [0.3], [0.5], [0.9]])
    assert score(X[:, :1], soft, "accuracy") == 0.8


def test_a_logit_of_exactly_zero_predicts_class_0():
    # class 1 is "logit > 0", as the docstring says: σ(0) = 0.5 is not above one half
    zero = np.zeros((3, 1))
    assert score(zero, np.array([[0.0], [0.0], [1.0]]), "accuracy") == pytest.approx(2 / 3)
    assert score(zero, np.array([0, 0, 1])) == pytest.approx(2 / 3)


def test_fit_with_bce_records_the_binary_accuracy(moons):
    targets = [y.astype(np.float32).reshape(-1, 1) for y in (moons.y_train, moons.y_val)]
    model = models.MLP(moons.n_features, (16,), 1, rng=0)
    history = fit(model, optim.Adam(model.parameters(), lr=0.01), models.BCEWithLogitsLoss(),
                  (moons.X_train, targets[0]), 5, val_data=(moons.X_val, targets[1]), progress=False)
    logits = model(Tensor(moons.X_val)).data.ravel()
    assert history.metric == "accuracy"
    assert history.val_metric[-1] == np.mean((logits > 0) == (moons.y_val == 1)) > 0.7


def test_boolean_targets_are_class_labels_and_get_the_accuracy():
    labels = np.array([True, False, True])
    assert metric_name(labels) == "accuracy"
    # one logit per row, > 0 for class 1: 0.3 and -2 are right, -0.1 is wrong
    assert score(np.array([[0.3], [-2.0], [-0.1]]), labels) == pytest.approx(2 / 3)


def test_cross_entropy_reports_accuracy_and_other_losses_follow_the_targets():
    floats = np.zeros(3)
    assert metric_name(floats, models.CrossEntropyLoss()) == "accuracy"
    assert metric_name(floats, models.BCEWithLogitsLoss()) == "accuracy"
    assert metric_name(floats, models.MSELoss()) == metric_name(floats) == "r2"
    assert metric_name(np.zeros(3, dtype=np.int64)) == "accuracy"
    assert metric_name(np.zeros(3, dtype=np.int64), models.MSELoss()) == "r2"  # a regression on counts


def test_warmup_cosine_over_one_epoch_is_refused_by_name():
    from minigrad.recipes import build_scheduler

    model = models.Linear(2, 1, rng=0)
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match=r"warmup-cosine needs epochs >= 2.*got epochs=1"):
        build_scheduler("warmup-cosine", optimizer, 1)
    assert "initial_lr" not in optimizer.param_groups[0]  # refused before touching the optimizer


@pytest.mark.parametrize("epochs, decays", [(9, [3, 6]), (10, [4, 7]), (11, [4, 8]), (4, [2, 3]), (2, [1])])
def test_the_step_schedule_has_three_phases_of_a_third_each(epochs, decays):
    # "×0.1 after each third of the run": the rate drops at the first epoch of the second and
    # of the last third, never a third time (with step_size = epochs // 3 a run of 10 epochs
    # dropped at 3, 6 and 9; with ⌈epochs/3⌉ a run of 4 dropped once)
    from minigrad.recipes import build_scheduler

    optimizer = optim.SGD(models.Linear(2, 1, rng=0).parameters(), lr=1.0)
    scheduler = build_scheduler("step", optimizer, epochs)
    rates = []
    for _ in range(epochs):
        rates.append(optimizer.param_groups[0]["lr"])
        scheduler.step()
    assert [e for e in range(1, epochs) if rates[e] < rates[e - 1]] == decays


def test_fit_takes_a_numpy_integer_number_of_epochs(moons):
    model, optimizer, loss_fn = make_run(moons)
    history = fit(model, optimizer, loss_fn, moons.train, np.int64(2), progress=False)
    assert history.epoch == [1, 2]


# ------------------------------------------------------------------------------ checkpoints
def checkpointed_run(data, path, **saved_changes):
    """A model and optimizer fresh from ``make_run``, after a 2-epoch run saved at ``path`` and
    saved again with ``saved_changes`` applied to the checkpoint's epoch and metadata."""
    model, optimizer, loss_fn = make_run(data)
    fit(model, optimizer, loss_fn, data.train, 2, progress=False, checkpoint=path)
    saved = read_checkpoint(path)
    meta = {**saved.meta, **{k: v for k, v in saved_changes.items() if k != "epoch"}}
    save_checkpoint(path, model, optimizer, rng_state=saved.rng_state, epoch=saved.epoch, **meta)
    if "epoch" in saved_changes:  # (save_checkpoint refuses a damaged one: written in directly)
        rewrite_header(path, epoch=saved_changes["epoch"])
    return make_run(data)


@pytest.mark.parametrize("changes, message", [
    ({"epoch": None}, "its epoch is None, not a number of epochs"),
    ({"epoch": 3}, "it is at epoch 3 but its history has 2 epochs"),
    ({"history": {"epoch": [1, 2], "note": []}}, "unknown History entry 'note'"),
    ({"history": {"epoch": [1, 2], "train_loss": 0.5}}, "History entry 'train_loss' must be a list, got 0.5"),
    ({"history": [1, 2]}, "a History is a dict of lists, got a list"),
    ({"history": {"epoch": [1, 2], "train_loss": [0.5]}}, "History entry 'train_loss' has 1 values for 2 epochs"),
    ({"history": {"epoch": [1, 2], "train_loss": [0.2, 0.1], "lr": ["x", 0.1]}},
     "History entry 'lr' must hold numbers, got ['x', 0.1]"),
    ({"history": {"epoch": [2, 1]}}, "History entry 'epoch' must count the epochs 1, 2, …, got [2, 1]"),
    ({"history": {"epoch": [1.0, 2.0]}}, "History entry 'epoch' must count the epochs 1, 2, …, got [1.0, 2.0]"),
    ({"history": {"metric": "loss", "epoch": [1, 2]}}, "History entry 'metric' must be 'accuracy' or 'r2', got 'loss'"),
])
def test_resuming_from_a_damaged_checkpoint_raises_checkpoint_error_and_changes_nothing(moons, tmp_path,
                                                                                      changes, message):
    path = tmp_path / "run.npz"
    model, optimizer, loss_fn = checkpointed_run(moons, path, **changes)
    before = [p.data.copy() for p in model.parameters()]
    with pytest.raises(CheckpointError, match=f"cannot resume from {path}: {re.escape(message)}"):
        fit(model, optimizer, loss_fn, moons.train, 4, progress=False, checkpoint=path, resume=True)
    assert all(np.array_equal(p.data, b) for p, b in zip(model.parameters(), before))


def test_history_from_dict_names_an_unknown_entry():
    with pytest.raises(ValueError, match=r"unknown History entry 'loss' \(known: metric, epoch, train_loss"):
        History.from_dict({"loss": [1.0]})


# the History of two epochs of a run without validation data
TWO_EPOCHS = {"epoch": [1, 2], "train_loss": [0.5, 0.25], "lr": [0.1, 0.1], "weight_norm": [1.0, 2.0],
              "time": [0.0, 0.0], "val_loss": [], "val_metric": []}


def test_history_from_dict_refuses_an_empty_train_loss_but_not_empty_validation_lists():
    # only val_loss and val_metric may be empty (a run without validation data)
    assert History.from_dict(TWO_EPOCHS).val_loss == []
    for key in ("train_loss", "lr", "weight_norm", "time"):
        with pytest.raises(ValueError, match=f"History entry '{key}' has 0 values for 2 epochs"):
            History.from_dict({**TWO_EPOCHS, key: []})


@pytest.mark.parametrize("key", ["val_loss", "val_metric"])
def test_history_from_dict_refuses_validation_values_for_some_epochs_but_not_all(key):
    # empty (no validation data) or one value per epoch: nothing in between
    with pytest.raises(ValueError, match=f"History entry '{key}' has 1 values for 2 epochs"):
        History.from_dict({**TWO_EPOCHS, key: [0.5]})


@pytest.mark.parametrize("where, message", [
    ("missing/run.npz", "there is no folder"),
    ("file/run.npz", "is a file, not a folder"),
    ("folder", "it is a folder"),
])
def test_a_checkpoint_path_that_cannot_be_written_is_refused_before_the_first_epoch(moons, tmp_path, where,
                                                                                  message):
    (tmp_path / "file").write_text("a file")
    (tmp_path / "folder").mkdir()
    model, optimizer, loss_fn = make_run(moons)
    epochs = []
    with pytest.raises(ValueError, match=f"cannot save checkpoints at .*{message}"):
        fit(model, optimizer, loss_fn, moons.train, 2, progress=False, checkpoint=tmp_path / where,
            callbacks=[lambda epoch, history: epochs.append(epoch)])
    assert epochs == []


@pytest.mark.parametrize("where, message", [
    ("missing/run.npz", "there is no folder"),
    ("file/run.npz", "is a file, not a folder"),
])
def test_a_checkpoint_path_linked_to_where_it_cannot_be_written_is_refused_before_the_first_epoch(
        moons, tmp_path, where, message):
    # save_checkpoint writes through the link into its target, so the target's folder counts
    (tmp_path / "file").write_text("a file")
    (tmp_path / "run.npz").symlink_to(tmp_path / where)
    model, optimizer, loss_fn = make_run(moons)
    epochs = []
    with pytest.raises(ValueError, match=f"cannot save checkpoints at .*{message}"):
        fit(model, optimizer, loss_fn, moons.train, 2, progress=False, checkpoint=tmp_path / "run.npz",
            callbacks=[lambda epoch, history: epochs.append(epoch)])
    assert epochs == []


@pytest.mark.parametrize("where, message", [("", "the path is empty"), ("folder/", "it is a folder")])
def test_an_empty_checkpoint_path_or_one_ending_in_a_slash_is_refused_before_the_first_epoch(
        moons, tmp_path, monkeypatch, where, message):
    monkeypatch.chdir(tmp_path)  # ("folder/" does not exist: the slash alone says it is one)
    model, optimizer, loss_fn = make_run(moons)
    with pytest.raises(ValueError, match=f"cannot save checkpoints at {where}: {message}"):
        fit(model, optimizer, loss_fn, moons.train, 1, progress=False, checkpoint=where)
    assert list(tmp_path.iterdir()) == []


def test_a_new_run_does_not_replace_a_checkpoint_unless_told_to_overwrite(moons, tmp_path):
    path = tmp_path / "run.npz"
    model, optimizer, loss_fn = make_run(moons)
    fit(model, optimizer, loss_fn, moons.train, 2, progress=False, checkpoint=path)
    saved = path.read_bytes()
    model, optimizer, loss_fn = make_run(moons)
    with pytest.raises(ValueError, match=re.escape(f"the checkpoint {path} exists: pass resume=True to "
                                                   "continue that run, or overwrite=True")):
        fit(model, optimizer, loss_fn, moons.train, 1, progress=False, checkpoint=path)
    assert path.read_bytes() == saved
    fit(model, optimizer, loss_fn, moons.train, 1, progress=False, checkpoint=path, overwrite=True)
    assert read_checkpoint(path).epoch == 1


def test_a_symbolic_link_to_nothing_at_the_checkpoint_path_is_not_replaced_unless_told_to(moons, tmp_path):
    # (a dangling link exists as a path: writing the checkpoint would replace it)
    path = tmp_path / "run.npz"
    path.symlink_to(tmp_path / "missing.npz")
    model, optimizer, loss_fn = make_run(moons)
    with pytest.raises(ValueError, match=re.escape(f"the checkpoint {path} exists")):
        fit(model, optimizer, loss_fn, moons.train, 1, progress=False, checkpoint=path)
    assert path.is_symlink() and not path.exists()


@pytest.mark.parametrize("change, error, message", [
    (lambda run: {**run, "model": None}, TypeError, "model must be a models.Module, got NoneType"),
    (lambda run: {**run, "optimizer": "adam"}, TypeError, "optimizer must be an optim.Optimizer, got str"),
    (lambda run: {**run, "loss_fn": None}, TypeError, "loss_fn must be a function or loss module"),
    (lambda run: {**run, "loss_fn": models.CrossEntropyLoss}, TypeError,
     "loss_fn must be a function or loss module of (outputs, y), got the class CrossEntropyLoss: pass an "
     "instance, such as CrossEntropyLoss()"),
    (lambda run: {**run, "scheduler": "cosine"}, TypeError, "scheduler must be an optim.lr_scheduler scheduler"),
    (lambda run: {**run, "scheduler": StepLR(make_run(run["data"])[1], 1)}, ValueError,
     "the scheduler schedules another optimizer"),
    (lambda run: {**run, "callbacks": lambda epoch, history: None}, TypeError,
     "callbacks must be a list of functions, got function (for one function f, pass [f])"),
    (lambda run: {**run, "callbacks": 5}, TypeError, "callbacks must be a list of functions, got int"),
    (lambda run: {**run, "callbacks": [None]}, TypeError, "callbacks must be functions of (epoch, history)"),
    (lambda run: {**run, "config": [1, 2]}, TypeError, "config must be a dict of settings, got list"),
    (lambda run: {**run, "config": {"model": object()}}, TypeError,
     "config/model: cannot store a object in a checkpoint"),
    (lambda run: {**run, "config": {1: "a", "b": 2}}, TypeError,
     "config: dict keys must be all strings or all integers"),
    (lambda run: {**run, "config": {"lr": math.nan}}, ValueError, "config holds a NaN or infinite number"),
    (lambda run: {**run, "resume": True, "overwrite": True, "checkpoint": "run.npz"}, ValueError,
     "give resume=True (continue the run in the checkpoint) or overwrite=True (replace it), not both"),
    (lambda run: {**run, "checkpoint": 123}, TypeError, "checkpoint must be a path (a str or a pathlib.Path), got int"),
    (lambda run: {**run, "resume": "yes"}, TypeError, "Invalid resume: 'yes' (expected True or False)"),
    (lambda run: {**run, "overwrite": 1}, TypeError, "Invalid overwrite: 1 (expected True or False)"),
    (lambda run: {**run, "progress": "yes"}, ValueError, "progress must be True, False or 'always', got 'yes'"),
    (lambda run: {**run, "progress": 1}, ValueError, "progress must be True, False or 'always', got 1"),
], ids=["model", "optimizer", "loss", "loss class", "scheduler", "other scheduler", "one callback", "callbacks int",
        "callback", "config", "config object", "config keys", "config NaN", "resume and overwrite", "checkpoint int",
        "resume", "overwrite", "progress", "progress 1"])
def test_parts_of_the_wrong_kind_are_refused_by_name_before_the_first_epoch(moons, change, error, message):
    model, optimizer, loss_fn = make_run(moons)
    run = change({"data": moons, "model": model, "optimizer": optimizer, "loss_fn": loss_fn})
    del run["data"]
    before = [p.data.copy() for p in model.parameters()]
    with pytest.raises(error, match=re.escape(message)):
        fit(train_data=moons.train, epochs=1, **run)
    for p, b in zip(model.parameters(), before, strict=True):
        np.testing.assert_array_equal(p.data, b)


class TemperedCrossEntropy(models.Module):
    """Cross-entropy of logits / T with a learnable temperature T: a loss with a parameter."""

    def __init__(self):
        super().__init__()
        self.temperature = models.Parameter(np.ones(1, np.float32))

    def forward(self, logits, y):
        return F.cross_entropy(logits / self.temperature, y)


def test_an_optimizer_may_train_the_loss_modules_parameters_too(moons):
    model, _, _ = make_run(moons)
    loss_fn = TemperedCrossEntropy()
    optimizer = optim.SGD([*model.parameters(), *loss_fn.parameters()], lr=0.1)
    fit(model, optimizer, loss_fn, moons.train, 1, progress=False)
    assert loss_fn.temperature.data[0] != 1.0  # trained


def test_a_checkpointed_run_cannot_train_the_loss_modules_parameters_the_checkpoint_would_lose(moons, tmp_path):
    model, _, _ = make_run(moons)
    loss_fn = TemperedCrossEntropy()
    optimizer = optim.SGD([*model.parameters(), *loss_fn.parameters()], lr=0.1)
    with pytest.raises(ValueError, match=re.escape("the optimizer trains parameters of the loss module, which a "
                                                   "checkpoint does not hold (it holds the model's)")):
        fit(model, optimizer, loss_fn, moons.train, 1, progress=False, checkpoint=tmp_path / "run.npz")
    assert list(tmp_path.iterdir()) == [] and loss_fn.temperature.data[0] == 1.0
    # a loss module with parameters the optimizer does not train is fine
    fit(model, optim.SGD(model.parameters(), lr=0.1), loss_fn, moons.train, 1, progress=False,
        checkpoint=tmp_path / "run.npz")


class Penalized(models.Module):
    """A loss module holding the model itself: cross-entropy plus an L2 penalty on the model."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, logits, y):
        return F.cross_entropy(logits, y) + models.l2_penalty(self.model.parameters(), 1e-3)


def test_a_checkpointed_run_may_use_a_loss_module_that_holds_the_models_own_parameters(moons, tmp_path):
    model, optimizer, _ = make_run(moons)
    history = fit(model, optimizer, Penalized(model), moons.train, 1, progress=False, checkpoint=tmp_path / "run.npz")
    assert history.epoch == [1] and (tmp_path / "run.npz").exists()


@pytest.mark.parametrize("loss_fn, error, message", [
    ("ce", TypeError, "loss_fn must be a function or loss module of (outputs, y), got str"),
    (models.MSELoss, TypeError, "got the class MSELoss: pass an instance, such as MSELoss()"),
    (lambda outputs, y: models.CrossEntropyLoss(reduction="none")(outputs, y), ValueError,
     "loss_fn must return the mean loss over the data, as a number or a one-element Tensor; got a Tensor of "
     "shape (60,) and dtype float32"),
    (lambda outputs, y: np.zeros(2), ValueError, "got an array of shape (2,) and dtype float64"),
    (lambda outputs, y: "0.5", ValueError, "as a number or a one-element Tensor; got str"),
])
def test_evaluate_checks_its_loss_fn_as_fit_does(moons, loss_fn, error, message):
    model, _, _ = make_run(moons)
    with pytest.raises(error, match=re.escape(message)):
        evaluate(model, moons.val, loss_fn)


@pytest.mark.parametrize("value", [2.0, np.float32(2.0), np.array([2.0]), np.float64(2.0), np.int64(2),
                                   np.array([[2]])])
def test_evaluate_takes_a_loss_given_as_a_number_as_no_backward_follows(moons, value):
    # (a one-element integer array too: a loss function may count its errors)
    model, _, _ = make_run(moons)
    assert evaluate(model, moons.val, lambda outputs, y: value)["loss"] == 2.0


def test_evaluate_takes_a_model_without_parameters_and_its_data_as_it_comes():
    # the identity as the model: outputs are X itself, in float64 as given;
    # MSE = (0 + 0 + 0 + 2²) / 4 = 1, R² = 1 - 4 / Σ(y - 2)² = 1 - 4/14 = 5/7
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    y = np.array([[0.0], [1.0], [2.0], [5.0]])
    result = evaluate(models.Identity(), (X, y), models.MSELoss())
    assert result == {"loss": pytest.approx(1.0, rel=1e-15), "r2": pytest.approx(5 / 7, rel=1e-15)}


def test_config_may_hold_numpy_numbers_and_arrays_as_checkpoints_store_them(moons, tmp_path):
    model, optimizer, loss_fn = make_run(moons)
    config = {"hidden": np.int64(16), "lr": np.float32(0.1), "sizes": np.array([16])}
    fit(model, optimizer, loss_fn, moons.train, 1, progress=False, config=config, checkpoint=tmp_path / "run.npz")
    assert read_checkpoint(tmp_path / "run.npz").meta["config"]["hidden"] == 16


def test_the_checkpoint_keeps_the_config_fit_was_given_though_the_callers_dict_changes(moons, tmp_path):
    model, optimizer, loss_fn = make_run(moons)
    config = {"hidden": 16}

    def change_config(epoch, history):
        config["hidden"] = 99

    fit(model, optimizer, loss_fn, moons.train, 2, progress=False, config=config, callbacks=[change_config],
        checkpoint=tmp_path / "run.npz")
    assert read_checkpoint(tmp_path / "run.npz").meta["config"] == {"hidden": 16}


def test_history_records_the_learning_rate_of_the_first_parameter_group(moons):
    model, _, loss_fn = make_run(moons)
    first, *rest = model.parameters()
    optimizer = optim.SGD([{"params": [first], "lr": 0.1}, {"params": rest, "lr": 0.01}], lr=0.5)
    assert fit(model, optimizer, loss_fn, moons.train, 2, progress=False).lr == [0.1, 0.1]


def test_numpy_true_as_progress_shows_the_bar_only_on_a_terminal_as_true_does(moons, capsys):
    model, optimizer, loss_fn = make_run(moons)
    fit(model, optimizer, loss_fn, moons.train, 1, progress=np.True_)
    assert capsys.readouterr().err == ""  # (pytest's stderr is not a terminal)


def test_an_optimizer_made_for_another_model_is_refused_as_it_would_train_nothing(moons):
    model, _, loss_fn = make_run(moons)
    _, optimizer, _ = make_run(moons)
    with pytest.raises(ValueError, match=re.escape("the optimizer holds 4 parameters that are not the model's")):
        fit(model, optimizer, loss_fn, moons.train, 1, progress=False)
    # one stranger among the model's own parameters is refused too
    extra = models.Parameter(np.ones(3, np.float32))
    with pytest.raises(ValueError, match=re.escape("the optimizer holds 1 parameters that are not the model's (of "
                                                   "shapes [(3,)])")):
        fit(model, optim.SGD([*model.parameters(), extra], lr=0.1), loss_fn, moons.train, 1, progress=False)


@pytest.mark.parametrize("loss_fn, got", [
    (lambda outputs, y: 0.5, "float"),
    (lambda outputs, y: models.CrossEntropyLoss(reduction="none")(outputs, y), "a Tensor of shape (32,)"),
    (lambda outputs, y: outputs[:0, 0], "a Tensor of shape (0,)"),
])
def test_a_loss_that_is_not_a_one_element_tensor_is_named(moons, loss_fn, got):
    model, optimizer, _ = make_run(moons)
    with pytest.raises(ValueError, match=re.escape(f"loss_fn must return a one-element Tensor (the batch's mean "
                                                   f"loss), got {got}")):
        fit(model, optimizer, loss_fn, moons.train, 1, progress=False)


@pytest.mark.parametrize("spoil, message", [
    (lambda X, y: (X, y), "train_data's X holds NaN or infinite values, first in row 3"),
    (lambda X, y: (X * 1e39, y), "train_data's X holds NaN or infinite values, first in row 0; the model "
                                 "computes in float32, where a number beyond ±3.4e+38 is infinite"),
])
def test_training_data_with_nan_or_infinite_values_is_named_not_taken_for_a_divergence(moons, spoil, message):
    X, y = moons.train
    X = X.astype(np.float64)  # (float64 data, cast to the float32 model's dtype)
    X[3, 1] = np.nan
    model, optimizer, loss_fn = make_run(moons)
    with pytest.raises(ValueError, match=re.escape(message)):
        fit(model, optimizer, loss_fn, spoil(X, y), 1, progress=False)


def test_validation_targets_with_nan_are_named(moons):
    model, optimizer, _ = make_run(moons)
    X, y = moons.val
    targets = y.astype(np.float64)
    targets[5] = np.nan
    with pytest.raises(ValueError, match=re.escape("val_data's y holds NaN or infinite values, first in row 5")):
        fit(model, optimizer, models.MSELoss(), (moons.X_train, moons.y_train.astype(np.float64)), 1,
            val_data=(X, targets), progress=False)


def test_writable_folder_accepts_a_folder_it_could_make_without_making_it_and_refuses_one_it_cannot_write_in(
        tmp_path):
    assert writable_folder(tmp_path / "a" / "b", creatable=True) == tmp_path / "a" / "b"
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError, match="there is no folder"):
        writable_folder(tmp_path / "c")
    (tmp_path / "file").write_text("")
    with pytest.raises(ValueError, match="cannot create the folder .*file/d"):
        writable_folder(tmp_path / "file" / "d", creatable=True)
    if Path("/proc/self").is_dir():  # a folder no one can create files in, even root
        with pytest.raises(ValueError, match="cannot write in the folder /proc"):
            writable_folder("/proc")


def test_resuming_without_the_scheduler_the_run_had_is_refused(moons, tmp_path):
    checkpoint = tmp_path / "run.npz"
    model, optimizer, loss_fn = make_run(moons)
    fit(model, optimizer, loss_fn, moons.train, 2, scheduler=StepLR(optimizer, 1, 0.5),
        checkpoint=checkpoint, progress=False)
    model, optimizer, loss_fn = make_run(moons)
    with pytest.raises(ValueError, match=r"scheduler=None \(the checkpoint has StepLR\)"):
        fit(model, optimizer, loss_fn, moons.train, 4, checkpoint=checkpoint, resume=True, progress=False)


def test_resuming_a_finished_run_with_the_same_epochs_returns_its_history_and_trains_no_more(moons, tmp_path):
    checkpoint = tmp_path / "run.npz"
    model, optimizer, loss_fn = make_run(moons)
    finished = fit(model, optimizer, loss_fn, moons.train, 2, checkpoint=checkpoint, progress=False)
    fresh, optimizer, loss_fn = make_run(moons, seed=1)
    resumed = fit(fresh, optimizer, loss_fn, moons.train, 2, checkpoint=checkpoint, resume=True, progress=False)
    assert resumed == finished
    for p, q in zip(model.parameters(), fresh.parameters()):
        np.testing.assert_array_equal(p.data, q.data)


def test_resuming_on_other_training_rows_is_refused_and_on_the_same_rows_in_other_forms_is_not(moons, tmp_path):
    checkpoint = tmp_path / "run.npz"
    model, optimizer, loss_fn = make_run(moons)
    fit(model, optimizer, loss_fn, moons.train, 1, seed=0, checkpoint=checkpoint, progress=False)
    X, y = moons.train
    model, optimizer, loss_fn = make_run(moons)
    before = [p.data.copy() for p in model.parameters()]
    # other rows; the same X with other labels; the same labels as a column (the shapes count)
    for other_rows in [(X[1:], y[1:]), (X, 1 - y), (X, y.reshape(-1, 1))]:
        with pytest.raises(ValueError, match=r"cannot resume from .* with train_data='sha256:[0-9a-f]{16}' \(the "
                                             r"checkpoint has 'sha256:[0-9a-f]{16}'\)"):
            fit(model, optimizer, loss_fn, other_rows, 2, seed=0, checkpoint=checkpoint, resume=True,
                progress=False)
    for p, b in zip(model.parameters(), before, strict=True):
        np.testing.assert_array_equal(p.data, b)
    same_rows = (X.astype(np.float64).tolist(), y.astype(np.int32))  # (cast to the model's dtype, int64)
    history = fit(model, optimizer, loss_fn, same_rows, 2, seed=0, checkpoint=checkpoint, resume=True,
                  progress=False)
    assert history.epoch == [1, 2]


def test_binary_labels_given_as_bools_then_as_integers_are_the_same_rows_on_resume(tmp_path):
    # (the fingerprint hashes integer and boolean labels alike, as int64)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3)).astype(np.float32)
    y = X[:, :1] > 0
    checkpoint = tmp_path / "run.npz"
    runs = [(model := models.MLP(3, (4,), 1, rng=0), optim.SGD(model.parameters(), lr=0.1)) for _ in range(2)]
    fit(*runs[0], models.BCEWithLogitsLoss(), (X, y), 1, checkpoint=checkpoint, progress=False)
    history = fit(*runs[1], models.BCEWithLogitsLoss(), (X, y.astype(np.int64)), 2, checkpoint=checkpoint,
                  resume=True, progress=False)
    assert history.epoch == [1, 2]


def test_a_checkpoint_saved_before_the_rows_fingerprint_still_resumes(moons, tmp_path):
    checkpoint = tmp_path / "run.npz"
    model, optimizer, loss_fn = make_run(moons)
    fit(model, optimizer, loss_fn, moons.train, 1, seed=0, checkpoint=checkpoint, progress=False)
    saved = read_checkpoint(checkpoint)
    meta = {k: v for k, v in saved.meta.items() if k != "train_data"}
    save_checkpoint(checkpoint, model, optimizer, epoch=saved.epoch, rng_state=saved.rng_state, **meta)
    model, optimizer, loss_fn = make_run(moons)
    assert fit(model, optimizer, loss_fn, moons.train, 2, seed=0, checkpoint=checkpoint, resume=True,
               progress=False).epoch == [1, 2]


def test_resuming_with_another_seed_is_refused_naming_the_seed(moons, tmp_path):
    checkpoint = tmp_path / "run.npz"
    model, optimizer, loss_fn = make_run(moons)
    fit(model, optimizer, loss_fn, moons.train, 1, seed=0, checkpoint=checkpoint, progress=False)
    model, optimizer, loss_fn = make_run(moons)
    with pytest.raises(ValueError, match=r"seed=1 \(the checkpoint has 0\)"):
        fit(model, optimizer, loss_fn, moons.train, 2, seed=1, checkpoint=checkpoint, resume=True, progress=False)


def test_fit_needs_a_training_row(moons):
    model, optimizer, loss_fn = make_run(moons)
    X, y = moons.train
    with pytest.raises(ValueError, match="at least one row in train_data"):
        fit(model, optimizer, loss_fn, (X[:0], y[:0]), 2, progress=False)


@pytest.mark.parametrize("val_data, error, message", [
    (lambda X, y: (X[:0], y[:0]), ValueError, "fit needs at least one row in val_data, got none"),
    (lambda X, y: (X[:5], y[:4]), ValueError, "val_data has 5 rows in X but 4 targets in y"),
    (lambda X, y: (X, y, y), TypeError, "val_data must be a pair (X, y)"),
    (lambda X, y: (X[:3], ["a", "b", "c"]), TypeError, "cannot make the targets y of val_data from list"),
    (lambda X, y: (X[0, 0], y[0]), ValueError, "val_data needs arrays of rows, got X of shape () and y of shape ()"),
])
def test_bad_validation_data_is_refused_before_the_first_epoch(moons, val_data, error, message):
    model, optimizer, loss_fn = make_run(moons)
    epochs = []
    with pytest.raises(error, match=re.escape(message)):
        fit(model, optimizer, loss_fn, moons.train, 2, val_data=val_data(*moons.val), progress=False,
            callbacks=[lambda epoch, history: epochs.append(epoch)])
    assert epochs == []


def test_fit_takes_targets_as_a_list(moons):
    X, y = moons.train
    runs = []
    for targets in (y, y.tolist()):
        model, optimizer, loss_fn = make_run(moons)
        fit(model, optimizer, loss_fn, (X, targets), 2, val_data=(moons.X_val, list(moons.y_val)), progress=False)
        runs.append([p.data for p in model.parameters()])
    for run in runs[1:]:
        for a, b in zip(runs[0], run):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("seed", [-1, 1.5, "0", True, 2**64])
def test_fit_names_a_bad_seed(moons, seed):
    model, optimizer, loss_fn = make_run(moons)
    with pytest.raises(ValueError, match=re.escape("seed must be") + ".*" + re.escape(f"got {seed!r}")):
        fit(model, optimizer, loss_fn, moons.train, 1, seed=seed, progress=False)


def test_evaluate_gives_each_module_its_own_mode_back(moons):
    model = models.MLP(moons.n_features, (16,), moons.n_outputs, dropout=0.5, rng=0)
    model.train()
    dropout = [m for m in model.modules() if isinstance(m, models.Dropout)][0]
    dropout.eval()  # left in eval mode on purpose
    evaluate(model, moons.val)
    assert model.training and not dropout.training


def test_fit_shuffles_each_epoch_anew_and_the_same_seed_the_same_way():
    X = np.linspace(-1.0, 1.0, 40)[:, None]
    y = np.arange(40.0)[:, None]  # each target names its row

    def orders(seed: int) -> list[list[float]]:
        seen = []

        def loss_fn(prediction, target):
            if is_grad_enabled():  # (a training step, not an evaluation)
                seen.append(np.asarray(target).ravel().tolist())
            return F.mse_loss(prediction, target)

        model = models.Linear(1, 1, rng=0)
        fit(model, optim.SGD(model.parameters(), lr=1e-3), loss_fn, (X, y), 3, batch_size=40, seed=seed,
            progress=False)
        return seen

    first, again, other = orders(0), orders(0), orders(1)
    assert len(first) == 3 and all(sorted(order) == list(range(40)) for order in first)
    assert first[0] != first[1] != first[2] != first[0]
    assert first == again and first != other
