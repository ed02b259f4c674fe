"""examples/train.py: one-line errors for bad options, --help, a run with --out, checkpoint and
--resume. Errors and --help run in a subprocess (exactly as a user would); full runs call main()
in this process, with a subprocess smoke test of the real command."""

import importlib.util
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from minigrad import Tensor, no_grad
from minigrad.checkpoint import read_checkpoint
from minigrad.data import load_dataset
from minigrad.recipes import OPTIMIZERS, SCHEDULES

SCRIPT = Path(__file__).resolve().parents[1] / "examples" / "train.py"


def run_script(*args, cwd=None):
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, cwd=cwd)


def ctrl_c():
    raise KeyboardInterrupt


@pytest.fixture(scope="module")
def train_module():
    spec = importlib.util.spec_from_file_location("train_example", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BAD_OPTIONS = [
    (["--optimizer", "adamx"], "argument --optimizer: invalid choice: 'adamx'"),
    (["--lr", "-0.001"], "argument --lr: must be > 0, got -0.001"),
    (["--lr=-1e-3"], "argument --lr: must be > 0, got -1e-3"),
    (["--lr", "fast"], "argument --lr: expected a number, got 'fast'"),
    (["--weight-decay", "-1"], "argument --weight-decay: must be >= 0"),
    (["--epochs", "0"], "argument --epochs: must be > 0"),
    (["--hidden", "64", "0"], "argument --hidden: must be > 0"),
    (["--schedule", "linear"], "argument --schedule: invalid choice"),
    (["--schedule", "warmup-cosine", "--epochs", "1"], "warmup-cosine needs --epochs 2 or more"),
    (["--dataset", "mnist"], "argument --dataset: invalid choice"),
    (["--resume"], "--resume needs --checkpoint PATH"),
    (["--overwrite"], "--overwrite needs --checkpoint PATH"),
    (["--lr", "inf"], "argument --lr: must be a finite number, got inf"),
    (["--lr", "nan"], "argument --lr: must be a finite number, got nan"),
    (["--weight-decay", "inf"], "argument --weight-decay: must be a finite number, got inf"),
    (["--l2", "1e999"], "argument --l2: must be a finite number, got 1e999"),
    (["--seed", "-1"], "argument --seed: must be an integer from 0 to 2**32 - 1 = 4294967295, got '-1'"),
    (["--seed", "4294967296"], "argument --seed: must be an integer from 0 to 2**32 - 1"),
    (["--threads", "0"], "argument --threads: must be > 0, got 0"),
    (["--out", "a_file"], "argument --out: a_file is a file, not a folder"),
    (["--out", "a_file/results"], "argument --out: cannot create the folder a_file/results (Not a directory)"),
    (["--resume", "--checkpoint", "missing.npz"], "there is no checkpoint at missing.npz"),
    (["--epochs", "2.5"], "argument --epochs: expected a whole number, got '2.5'"),
    (["--val-size", "0.5"], "argument --val-size: must be < 0.5, got 0.5"),
    (["--batch-size", "1e3"], "argument --batch-size: expected a whole number, got '1e3'"),
    (["--out", "taken"], "argument --out: cannot write taken/metrics.json (Is a directory)"),
    (["--model", "linear", "--hidden", "64"], "--hidden gives the hidden layers of an MLP; --model linear has none"),
]


def assert_one_line_error(stderr, message):
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in stderr
    assert lines[0].startswith("train.py: error: ") and message in lines[0]


@pytest.mark.parametrize("args, message", BAD_OPTIONS[:2] + BAD_OPTIONS[-1:])
def test_a_bad_option_is_a_one_line_error_without_traceback(tmp_path, args, message):
    result = run_script(*args, cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert_one_line_error(result.stderr, message)


@pytest.mark.parametrize("args, message", BAD_OPTIONS)
def test_every_bad_option_value_is_refused_by_the_parser(train_module, capsys, monkeypatch, tmp_path, args, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a_file").write_text("not a folder")
    (tmp_path / "taken" / "metrics.json").mkdir(parents=True)  # a folder where an output file goes
    with pytest.raises(SystemExit) as stop:
        train_module.parse_args(args)
    assert stop.value.code == 2
    assert_one_line_error(capsys.readouterr().err, message)


@pytest.mark.parametrize("option", ["--weight-decay", "--l2", "--val-size"])
def test_the_options_that_may_be_zero_take_0(train_module, option):
    assert getattr(train_module.parse_args([option, "0"]), option[2:].replace("-", "_")) == 0


def test_help_documents_every_option_optimizer_and_schedule():
    result = run_script("--help")
    assert result.returncode == 0
    for option in ("--dataset", "--model", "--hidden", "--optimizer", "--lr", "--weight-decay", "--l2",
                   "--schedule", "--epochs", "--batch-size", "--seed", "--checkpoint", "--resume", "--out",
                   "--no-progress"):
        assert option in result.stdout
    assert all(name in result.stdout for name in (*OPTIMIZERS, *SCHEDULES))


def test_help_explains_every_option_and_gives_each_default_once():
    lines = run_script("--help").stdout.splitlines()
    # An option's help follows it on its line after two spaces or more, or on the next, indented, line.
    bare = [line.split()[0] for line, after in zip(lines, lines[1:] + [""])
            if re.match(r"  --\w", line) and not re.search(r"\S {2,}\S", line) and not after.startswith(" " * 8)]
    text = " ".join(" ".join(lines).split())
    assert bare == [] and "(default: None)" not in text and ")(default" not in text
    assert text.count("(default: sgd 0.01") == 1


def test_the_command_trains_and_prints_a_summary(tmp_path):
    result = run_script("--dataset", "iris", "--model", "linear", "--optimizer", "sgd", "--epochs", "3",
                        "--no-progress", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "test accuracy" in result.stdout and "3 epochs in" in result.stdout
    assert result.stderr == ""


def test_out_writes_metrics_json(train_module, tmp_path, capsys):
    train_module.main(["--dataset", "wine", "--hidden", "16", "--optimizer", "adamw", "--schedule", "cosine",
                       "--epochs", "4", "--no-progress", "--out", str(tmp_path / "results")])
    metrics = json.loads((tmp_path / "results" / "metrics.json").read_text())
    assert metrics["config"]["optimizer"] == "adamw" and metrics["history"]["epoch"] == [1, 2, 3, 4]
    assert 0 <= metrics["test"]["accuracy"] <= 1
    assert "metrics.json" in capsys.readouterr().out


def test_the_test_accuracy_in_metrics_json_is_measured_on_the_test_rows(train_module, tmp_path, monkeypatch,
                                                                         capsys):
    built = []
    real_build_model = train_module.build_model
    monkeypatch.setattr(train_module, "build_model", lambda *args, **kwargs: built.append(
        real_build_model(*args, **kwargs)) or built[-1])
    train_module.main(["--quick", "--seed", "3", "--no-progress", "--out", str(tmp_path)])
    data = load_dataset("digits", val_size=0.1, seed=3)
    with no_grad():
        predicted = built[0].eval()(Tensor(data.X_test)).data.argmax(axis=1)  # evaluate's mode
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert len(built) == 1 and metrics["test"]["accuracy"] == np.mean(predicted == data.y_test)


@pytest.mark.parametrize("optimizer", ["sgd", "lion", "muon"])  # (muon: its rate, not its bias group's AdamW rate)
def test_metrics_json_records_the_learning_rate_used_when_lr_is_not_given(train_module, tmp_path, capsys,
                                                                          optimizer):
    train_module.main(["--dataset", "iris", "--hidden", "4", "--optimizer", optimizer, "--epochs", "1",
                       "--no-progress", "--out", str(tmp_path)])
    assert json.loads((tmp_path / "metrics.json").read_text())["config"]["lr"] == OPTIMIZERS[optimizer][1]


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_every_optimizer_trains_for_an_epoch(train_module, optimizer, capsys):
    train_module.main(["--dataset", "iris", "--hidden", "8", "--optimizer", optimizer, "--epochs", "1",
                       "--no-progress"])
    assert "test accuracy" in capsys.readouterr().out


def test_the_l2_option_reaches_fit(train_module, monkeypatch, capsys):
    seen = {}
    real_fit = train_module.fit
    monkeypatch.setattr(train_module, "fit",
                        lambda *args, **options: seen.update(options) or real_fit(*args, **options))
    train_module.main(["--dataset", "diabetes", "--model", "linear", "--epochs", "1", "--l2", "0.25", "--no-progress"])
    assert seen["l2"] == 0.25


def test_the_seed_gives_the_initial_weights_and_the_shuffling_and_batch_size_and_progress_reach_fit(
        train_module, monkeypatch, capsys):
    import models

    seen = {}
    real_fit = train_module.fit

    def recording_fit(model, *args, **options):
        seen.update(options, weights=[p.data.copy() for p in model.parameters()])
        return real_fit(model, *args, **options)

    monkeypatch.setattr(train_module, "fit", recording_fit)
    train_module.main(["--dataset", "iris", "--hidden", "4", "--epochs", "1", "--seed", "3", "--batch-size", "7"])
    expected = [p.data for p in models.MLP(4, (4,), 3, rng=3).parameters()]  # iris: 4 features, 3 classes
    assert all(np.array_equal(a, b) for a, b in zip(seen["weights"], expected, strict=True))
    assert (seen["seed"], seen["batch_size"], seen["progress"]) == (3, 7, True)  # (a bar on a terminal)


@pytest.mark.parametrize("schedule", SCHEDULES)
def test_every_schedule_runs(train_module, schedule, capsys):
    results = train_module.main(["--dataset", "diabetes", "--model", "linear", "--schedule", schedule,
                                 "--epochs", "3", "--l2", "1e-3", "--no-progress"])
    assert len(results["history"]["lr"]) == 3 and "test r2" in capsys.readouterr().out


def test_ctrl_c_then_resume_gives_the_same_result_as_a_run_never_interrupted(train_module, tmp_path,
                                                                           monkeypatch, capsys):
    common = ["--dataset", "moons", "--hidden", "8", "--schedule", "cosine", "--epochs", "4", "--no-progress"]
    path = str(tmp_path / "run.npz")
    straight = train_module.main(common)
    real_fit = train_module.fit

    def ctrl_c_after_epoch_two(*args, **kwargs):
        def interrupt(epoch, history):
            if epoch == 2:
                raise KeyboardInterrupt
        return real_fit(*args, **kwargs, callbacks=[interrupt])

    monkeypatch.setattr(train_module, "fit", ctrl_c_after_epoch_two)
    with pytest.raises(SystemExit) as stop:
        train_module.main([*common, "--checkpoint", path])
    assert stop.value.code == 130 and "--resume" in capsys.readouterr().err
    assert read_checkpoint(path).epoch == 2
    monkeypatch.undo()
    resumed = train_module.main([*common, "--checkpoint", path, "--resume"])
    assert resumed["history"]["train_loss"] == straight["history"]["train_loss"]
    assert resumed["test"] == straight["test"]


def test_the_interrupted_message_gives_the_whole_command_that_resumes(train_module, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    options = ["--dataset", "moons", "--hidden", "8", "4", "--epochs", "3", "--lr", "0.01", "--no-progress",
               "--checkpoint", "my run.npz", "--overwrite"]
    real_fit = train_module.fit

    def ctrl_c_after_epoch_one(*args, **kwargs):
        def interrupt(epoch, history):
            raise KeyboardInterrupt
        return real_fit(*args, **kwargs, callbacks=[interrupt])

    with monkeypatch.context() as patched, pytest.raises(SystemExit):
        patched.setattr(train_module, "fit", ctrl_c_after_epoch_one)
        train_module.main(options)
    hint = capsys.readouterr().err.strip().splitlines()[-1]
    assert hint.startswith("train.py: interrupted; continue it with: python ")
    python, script, *resume_options = shlex.split(hint.split("continue it with: ")[1])
    assert Path(script).resolve() == SCRIPT
    assert resume_options == [*options[:-1], "--resume"]
    assert train_module.main(resume_options)["history"]["epoch"] == [1, 2, 3]


@pytest.mark.parametrize("argv, resume_options", [
    (["--checkpoint", "r.npz", "--ov"], ["--checkpoint", "r.npz", "--resume"]),
    (["--out", "o", "--overwr", "--checkpoint", "r.npz"], ["--out", "o", "--checkpoint", "r.npz", "--resume"]),
    (["--checkpoint", "r.npz", "--resume", "--epochs", "9"], ["--checkpoint", "r.npz", "--resume", "--epochs", "9"]),
], ids=["shortest abbreviation", "abbreviation", "resumed run"])
def test_the_resume_command_drops_overwrite_however_abbreviated_and_says_resume_once(train_module, argv,
                                                                                      resume_options):
    assert shlex.split(train_module.resume_command(argv))[2:] == resume_options


@pytest.mark.parametrize("argv", [[], ["--quick"]], ids=["default", "quick"])
def test_changing_the_parsed_options_leaves_the_defaults_of_later_runs_alone(train_module, argv):
    train_module.parse_args(argv).hidden.append(7)
    assert train_module.parse_args(argv).hidden == [128 if not argv else 32]


@pytest.mark.parametrize("existing", [False, True], ids=["new-checkpoint", "overwrite"])
def test_ctrl_c_before_the_first_checkpoint_says_nothing_was_saved_instead_of_how_to_resume(
        train_module, tmp_path, monkeypatch, capsys, existing):
    path = tmp_path / "run.npz"
    if existing:
        path.write_text("a checkpoint of an earlier run")
    monkeypatch.setattr(train_module, "fit", lambda *args, **kwargs: ctrl_c())
    with pytest.raises(SystemExit) as stop:
        train_module.main(["--quick", "--dataset", "moons", "--checkpoint", str(path),
                           *(["--overwrite"] * existing)])
    assert stop.value.code == 130
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        "train.py: interrupted; no checkpoint was saved yet (one is written after each epoch): run the same "
        "command to start again")


@pytest.fixture()
def two_epoch_checkpoint(train_module, tmp_path, capsys):
    """A moons run of 2 epochs (adamw, lr 1e-3, constant schedule) saved at run.npz."""
    path = str(tmp_path / "run.npz")
    train_module.main(["--dataset", "moons", "--hidden", "8", "--epochs", "2", "--no-progress",
                       "--checkpoint", path])
    capsys.readouterr()
    return path


def test_resuming_with_other_options_is_refused_naming_each_difference(train_module, two_epoch_checkpoint):
    with pytest.raises(SystemExit) as stop:
        train_module.main(["--dataset", "circles", "--hidden", "16", "--optimizer", "sgd", "--lr", "0.05",
                           "--epochs", "3", "--no-progress", "--checkpoint", two_epoch_checkpoint, "--resume"])
    message = str(stop.value.code)
    assert message.startswith("train.py: error: cannot resume from")
    for difference in ("dataset='circles' (the checkpoint has 'moons')", "optimizer='sgd' (the checkpoint has 'adamw')",
                       "lr=0.05 (the checkpoint has 0.001)", "hidden=[16] (the checkpoint has [8])"):
        assert difference in message
    assert read_checkpoint(two_epoch_checkpoint).epoch == 2


def test_resuming_may_add_epochs_and_prints_the_optimizers_learning_rate(train_module, two_epoch_checkpoint, capsys):
    resumed = train_module.main(["--dataset", "moons", "--hidden", "8", "--epochs", "3", "--no-progress",
                                 "--checkpoint", two_epoch_checkpoint, "--resume"])
    assert resumed["history"]["epoch"] == [1, 2, 3]
    assert "(lr 0.001," in capsys.readouterr().out


def test_a_schedule_laid_out_over_the_epochs_refuses_other_epochs_on_resume_in_the_options_terms(
        train_module, tmp_path, capsys):
    path = str(tmp_path / "run.npz")
    common = ["--dataset", "moons", "--hidden", "8", "--schedule", "cosine", "--no-progress", "--checkpoint", path]
    train_module.main([*common, "--epochs", "2"])
    with pytest.raises(SystemExit) as stop:
        train_module.main([*common, "--epochs", "3", "--resume"])
    assert str(stop.value.code) == (
        f"train.py: error: cannot resume from {path} with --epochs 3: the run was started with --epochs 2, "
        f"over which its cosine schedule is laid out; --epochs can change on --resume only with --schedule constant")
    assert read_checkpoint(path).epoch == 2


def test_a_resume_under_another_schedule_is_refused_naming_the_schedule(train_module, tmp_path, capsys):
    path = str(tmp_path / "run.npz")
    common = ["--dataset", "moons", "--hidden", "8", "--no-progress", "--checkpoint", path]
    train_module.main([*common, "--schedule", "cosine", "--epochs", "2"])
    with pytest.raises(SystemExit) as stop:
        train_module.main([*common, "--schedule", "step", "--epochs", "3", "--resume"])
    message = str(stop.value.code)
    assert message.startswith(f"train.py: error: cannot resume from {path}")
    assert "schedule='step' (the checkpoint has 'cosine')" in message


def test_the_printed_learning_rate_is_the_one_the_optimizer_holds(train_module):
    import models
    import optim

    model = models.Linear(2, 1, rng=0)
    saved = optim.Adam(model.parameters(), lr=0.5)
    optimizer = optim.Adam(model.parameters(), lr=0.1)
    optimizer.load_state_dict(saved.state_dict())  # as a resumed run does
    assert train_module.base_lr(optimizer) == 0.5
    scheduled = optim.Adam(model.parameters(), lr=0.2)
    optim.lr_scheduler.CosineAnnealingLR(scheduled, T_max=2).step()
    assert train_module.base_lr(scheduled) == 0.2  # γ₀, not the scheduled rate of the epoch


@pytest.mark.parametrize("args, epochs, hidden", [
    ([], 2, [32]),
    (["--epochs", "3"], 3, [32]),
    (["--hidden", "8", "4"], 2, [8, 4]),
])
def test_quick_sets_epochs_and_hidden_only_where_they_are_not_given(train_module, capsys, args, epochs, hidden):
    results = train_module.main(["--dataset", "iris", "--quick", "--no-progress", *args])
    assert results["history"]["epoch"] == list(range(1, epochs + 1)) and results["config"]["hidden"] == hidden


def test_a_quick_run_resumes_to_the_epochs_given(train_module, tmp_path, capsys):
    common = ["--dataset", "iris", "--quick", "--no-progress", "--checkpoint", str(tmp_path / "run.npz")]
    first = train_module.main(common)
    resumed = train_module.main([*common, "--resume", "--epochs", "3"])
    assert resumed["history"]["epoch"] == [1, 2, 3]
    # the time reported is that of all three epochs, the two of the first run included
    assert resumed["history"]["time"][:2] == first["history"]["time"]
    assert resumed["seconds"] == sum(resumed["history"]["time"])


def test_a_new_run_refuses_to_replace_a_checkpoint_unless_told_to_overwrite(train_module, two_epoch_checkpoint,
                                                                           capsys):
    common = ["--dataset", "moons", "--hidden", "8", "--epochs", "1", "--no-progress", "--checkpoint",
              two_epoch_checkpoint]
    with pytest.raises(SystemExit) as stop:
        train_module.main(common)
    assert stop.value.code == 2
    assert_one_line_error(capsys.readouterr().err, f"--checkpoint {two_epoch_checkpoint} exists: add --resume "
                                                   "to continue that run, or --overwrite to start a new run over it")
    assert read_checkpoint(two_epoch_checkpoint).epoch == 2
    with pytest.raises(SystemExit):
        train_module.main([*common, "--overwrite", "--resume"])
    assert "give one of them" in capsys.readouterr().err
    train_module.main([*common, "--overwrite"])
    assert read_checkpoint(two_epoch_checkpoint).epoch == 1


@pytest.mark.parametrize("where, message", [
    ("missing/run.npz", "there is no folder"),
    ("folder", "it is a folder"),
    ("/proc/run.npz", "cannot write in the folder /proc"),
])
def test_a_checkpoint_that_cannot_be_written_is_refused_before_training(train_module, tmp_path, monkeypatch,
                                                                      where, message):
    if where.startswith("/proc") and not Path("/proc/self").is_dir():
        pytest.skip("needs Linux's /proc")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "folder").mkdir()
    with pytest.raises(SystemExit) as stop:
        train_module.main(["--dataset", "iris", "--hidden", "4", "--epochs", "1", "--no-progress",
                           "--checkpoint", where])
    assert str(stop.value.code).startswith(f"train.py: error: cannot save checkpoints at {where}: ")
    assert message in str(stop.value.code)


def test_a_validation_split_too_small_for_the_classes_is_refused_naming_the_smallest_that_works(train_module):
    with pytest.raises(SystemExit) as stop:
        train_module.main(["--val-size", "0.001", "--epochs", "1", "--no-progress"])
    assert str(stop.value.code) == (
        "train.py: error: argument --val-size: val_size=0.001 gives 2 validation rows of 'digits', fewer than "
        "its 10 classes (a stratified split needs one of each); use at least 0.0051")


def test_an_optimizer_that_refuses_its_settings_gives_a_one_line_error(train_module, monkeypatch):
    def refuse(*args, **kwargs):
        raise ValueError("Invalid learning rate: 1e+300 (too large)")

    monkeypatch.setattr(train_module, "build_optimizer", refuse)
    with pytest.raises(SystemExit) as stop:
        train_module.main(["--dataset", "iris", "--epochs", "1", "--no-progress"])
    assert str(stop.value.code) == "train.py: error: Invalid learning rate: 1e+300 (too large)"


# -------------------------------------------------- the other examples: --seed and --out
GRIDSEARCH = SCRIPT.parent / "sklearn_gridsearch.py"


@pytest.mark.parametrize("args, message", [
    (["--seed", "-1"], "argument --seed: must be an integer from 0 to 2**32 - 1 = 4294967295, got '-1'"),
    (["--out", "a_file"], "argument --out: a_file is a file, not a folder"),
    (["--out", "a_file/results"], "argument --out: cannot create the folder a_file/results (Not a directory)"),
    (["--out", "taken"], "argument --out: cannot write taken/results.json (Is a directory)"),
])
def test_the_grid_search_refuses_a_bad_seed_or_output_folder_before_searching(tmp_path, args, message):
    (tmp_path / "a_file").write_text("not a folder")
    (tmp_path / "taken" / "results.json").mkdir(parents=True)
    result = subprocess.run([sys.executable, str(GRIDSEARCH), "--quick", *args], capture_output=True, text=True,
                            cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1] == f"sklearn_gridsearch.py: error: {message}"
    assert "grid search" not in result.stderr  # no fold was run


@pytest.mark.parametrize("threads", [None, "2"])
def test_the_run_uses_the_blas_threads_asked_for(train_module, monkeypatch, threads):
    """--threads N (default 1) holds numpy's BLAS to N threads while the run trains, and gives
    the threads back after it."""
    from threadpoolctl import threadpool_info

    def blas_threads():
        return {info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"}

    before = blas_threads()
    if not before:
        pytest.skip("threadpoolctl finds no BLAS library in this numpy")
    monkeypatch.setattr(train_module, "run", lambda args: blas_threads())
    during = train_module.main(["--quick"] + (["--threads", threads] if threads else []))
    assert during == {int(threads or 1)}
    assert blas_threads() == before
