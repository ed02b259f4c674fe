"""minigrad.checkpoint: round trips, no pickle, atomic writes, clear errors that change nothing,
and bit-identical resumption of a run."""

import json
import os
import re
import stat
import zipfile

import numpy as np
import pytest

import minigrad.checkpoint as checkpoint_module
import models
import optim
from minigrad import Tensor
from minigrad.checkpoint import (
    CheckpointError, generator_from_state, load_checkpoint, read_checkpoint, save_checkpoint,
)
from minigrad.data import load_dataset
from minigrad.train import fit
from optim.lr_scheduler import CosineAnnealingLR, StepLR, warmup_cosine
from tests.test_optim_base import assert_same_tree  # equal nested states, arrays to the bit


def trained(hidden=(8,), optimizer_class=optim.Adam, seed=0):
    """A small MLP with one optimizer step taken, so that the optimizer has state."""
    model = models.MLP(4, hidden, 3, rng=seed)
    optimizer = optimizer_class(model.parameters(), lr=0.01)
    scheduler = CosineAnnealingLR(optimizer, T_max=10)
    x = np.random.default_rng(seed).normal(size=(6, 4)).astype(np.float32)
    models.CrossEntropyLoss()(model(Tensor(x)), np.arange(6) % 3).backward()
    optimizer.step()
    scheduler.step()
    return model, optimizer, scheduler


def states(model, optimizer, scheduler=None):
    return model.state_dict(), optimizer.state_dict(), None if scheduler is None else scheduler.state_dict()


def test_a_checkpoint_restores_model_optimizer_scheduler_epoch_rng_and_meta(tmp_path):
    model, optimizer, scheduler = trained(seed=0)
    generator = np.random.default_rng(5)
    generator.random(3)
    meta = {"note": "after warm-up", "sizes": (1, 2), "table": {"a": [1.5, None]}, "array": np.arange(3),
            "by_index": {0: 5, 3: [2]}}  # (integer keys come back as integers)
    save_checkpoint(tmp_path / "run.npz", model, optimizer, scheduler, epoch=7,
                    rng_state=generator.bit_generator.state, **meta)
    fresh = trained(seed=1)
    saved = load_checkpoint(tmp_path / "run.npz", *fresh)
    assert_same_tree(states(*fresh), states(model, optimizer, scheduler))
    assert saved.epoch == 7
    assert generator_from_state(saved.rng_state).random() == generator.random()
    assert_same_tree(saved.meta, meta)
    assert_same_tree(read_checkpoint(tmp_path / "run.npz"), saved)


def test_the_file_is_a_plain_npz_readable_without_pickle(tmp_path):
    save_checkpoint(tmp_path / "run.npz", *trained())
    with np.load(tmp_path / "run.npz", allow_pickle=False) as archive:
        kinds = {archive[name].dtype.kind for name in archive.files}
        assert "model/0.weight" in archive.files
    assert kinds <= {"f", "U"}


def test_an_rng_state_holding_arrays_round_trips(tmp_path):
    generator = np.random.Generator(np.random.MT19937(3))
    model, optimizer, _ = trained()
    save_checkpoint(tmp_path / "run.npz", model, optimizer, rng_state=generator.bit_generator.state)
    restored = generator_from_state(read_checkpoint(tmp_path / "run.npz").rng_state)
    assert np.array_equal(restored.random(5), generator.random(5))


def test_optimizer_none_loads_only_the_model(tmp_path):
    model, optimizer, _ = trained(seed=0)
    save_checkpoint(tmp_path / "run.npz", model, optimizer)
    fresh_model, fresh_optimizer, _ = trained(seed=1)
    before = fresh_optimizer.state_dict()
    load_checkpoint(tmp_path / "run.npz", fresh_model, None)
    assert_same_tree(fresh_model.state_dict(), model.state_dict())
    assert_same_tree(fresh_optimizer.state_dict(), before)


def test_values_that_need_pickle_are_refused_and_nothing_is_written(tmp_path):
    with pytest.raises(TypeError, match="cannot store a object"):
        save_checkpoint(tmp_path / "run.npz", *trained(), extra=object())
    assert list(tmp_path.iterdir()) == []


def test_an_array_of_python_objects_is_refused_and_nothing_is_written(tmp_path):
    # np.savez would pickle it into a file that loading (without pickle) can never read
    with pytest.raises(TypeError, match="meta/k: cannot store an array of Python objects"):
        save_checkpoint(tmp_path / "run.npz", *trained(), k=np.array([object()], dtype=object))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("marker", ["__array__", "__tuple__", "__int_keys__"])
def test_a_dict_that_would_read_back_as_another_type_is_refused_and_nothing_is_written(tmp_path, marker):
    # {"__tuple__": [1, 2]} came back as (1, 2); {"__array__": "x"} made the file unloadable
    with pytest.raises(ValueError, match=re.escape(f"meta/note/a: cannot store a dict whose only key is {marker!r}")):
        save_checkpoint(tmp_path / "run.npz", *trained(), note={"a": {marker: [1, 2]}})
    assert list(tmp_path.iterdir()) == []
    save_checkpoint(tmp_path / "run.npz", *trained(), note={marker: [1, 2], "other": 3})  # not alone: kept
    assert read_checkpoint(tmp_path / "run.npz").meta == {"note": {marker: [1, 2], "other": 3}}


def test_numpy_scalars_in_the_metadata_come_back_as_the_python_numbers_of_their_kind(tmp_path):
    # JSON has no numpy types: np.int64(3) is stored as the int 3 (not the float 3.0), np.bool_
    # as a bool, np.float32(0.5) as the float 0.5 (exact in float32)
    save_checkpoint(tmp_path / "run.npz", *trained(), count=np.int64(3), flag=np.bool_(True), rate=np.float32(0.5))
    meta = read_checkpoint(tmp_path / "run.npz").meta
    assert [(meta[k], type(meta[k])) for k in ("count", "flag", "rate")] == [(3, int), (True, bool), (0.5, float)]


@pytest.mark.skipif(os.name != "posix", reason="symbolic links")
def test_saving_through_a_symbolic_link_replaces_its_target_and_keeps_the_link(tmp_path):
    (tmp_path / "runs").mkdir()
    link = tmp_path / "latest.npz"
    link.symlink_to(tmp_path / "runs" / "run.npz")
    save_checkpoint(link, *trained(), epoch=1)
    save_checkpoint(link, *trained(), epoch=2)
    assert link.is_symlink()
    assert read_checkpoint(tmp_path / "runs" / "run.npz").epoch == 2
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["latest.npz", "run.npz", "runs"]


def test_two_arrays_with_the_same_entry_name_are_refused_and_nothing_is_written(tmp_path):
    clashing = {"a": {"b": np.zeros(2)}, "a/b": np.ones(2)}  # both would be the entry meta/a/b
    with pytest.raises(ValueError, match="two entries would both be stored as the array 'meta/a/b'"):
        save_checkpoint(tmp_path / "run.npz", *trained(), **clashing)
    assert list(tmp_path.iterdir()) == []


BAD_SAVES = [  # (how save_checkpoint is called, given model, optimizer, scheduler; error; message)
    (lambda m, o, s: (o, m), TypeError, "model must be a models.Module, got Adam"),
    (lambda m, o, s: (m, None), TypeError, "optimizer must be an optim.Optimizer, got NoneType"),
    (lambda m, o, s: (m, o, "cosine"), TypeError, "scheduler must be an optim.lr_scheduler scheduler or None, got str"),
    (lambda m, o, s: (m, trained(seed=2)[1]), ValueError,
     "the optimizer holds 4 parameters that are not the model's (of shapes [(8, 4), (8,), (3, 8), (3,)])"),
    (lambda m, o, s: (m, o, trained(seed=2)[2]), ValueError, "the scheduler schedules another optimizer"),
    (lambda m, o, s: (m, o, s, "x"), ValueError, "epoch must be an integer >= 0 or None, got 'x'"),
    (lambda m, o, s: (m, o, s, -1), ValueError, "epoch must be an integer >= 0 or None, got -1"),
    (lambda m, o, s: (m, o, s, 1.5), ValueError, "epoch must be an integer >= 0 or None, got 1.5"),
    (lambda m, o, s: (m, o, s, True), ValueError, "epoch must be an integer >= 0 or None, got True"),
    (lambda m, o, s: (m, o, s, 1, {"a": 1}), ValueError,
     "rng_state must be a numpy bit_generator.state: unknown bit generator None in RNG state"),
    (lambda m, o, s: (m, o, s, 1, {"bit_generator": "PCG64", "state": 5}), ValueError,
     "rng_state must be a numpy bit_generator.state: invalid PCG64 RNG state"),
]


@pytest.mark.parametrize("arguments, error, message", BAD_SAVES)
def test_arguments_load_checkpoint_would_refuse_are_refused_and_the_previous_file_is_kept(
        tmp_path, arguments, error, message):
    # each was saved, replacing a good checkpoint with one that load_checkpoint refused
    path = tmp_path / "run.npz"
    save_checkpoint(path, *trained(), epoch=1)
    before = path.read_bytes()
    with pytest.raises(error, match=re.escape(message)):
        save_checkpoint(path, *arguments(*trained(seed=1)))
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["run.npz"]


@pytest.mark.parametrize("path", [123, None, b"run.npz"])
def test_a_path_that_is_not_a_str_or_pathlike_is_named(tmp_path, path):
    message = f"path must be a path (a str or a pathlib.Path), got {type(path).__name__}"
    with pytest.raises(TypeError, match=re.escape(message)):
        save_checkpoint(path, *trained())
    with pytest.raises(TypeError, match=re.escape(message)):
        load_checkpoint(path, *trained())
    with pytest.raises(TypeError, match=re.escape(message)):
        read_checkpoint(path)


@pytest.mark.parametrize("given, saved", [(np.int64(3), 3), (0, 0)], ids=["numpy", "zero"])
def test_a_numpy_integer_epoch_or_epoch_0_is_saved_as_an_int(tmp_path, given, saved):
    # (epoch 0: saved before any training; "an integer >= 0" includes it)
    save_checkpoint(tmp_path / "run.npz", *trained(), epoch=given)
    epoch = read_checkpoint(tmp_path / "run.npz").epoch
    assert epoch == saved and type(epoch) is int


# --------------------------------------------------------------------------------- atomicity
def crash_while_writing(monkeypatch, exception):
    """Make np.savez write half an archive and then fail, as a crash or Ctrl-C would."""
    real_savez = np.savez

    def half_then_crash(file, **arrays):
        real_savez(file, **arrays)
        file.truncate(file.tell() // 2)
        raise exception

    monkeypatch.setattr(checkpoint_module.np, "savez", half_then_crash)


@pytest.mark.parametrize("exception", [OSError("disk full"), KeyboardInterrupt()])
def test_a_crash_mid_write_keeps_the_previous_checkpoint_and_leaves_no_temporary_file(
        tmp_path, monkeypatch, exception):
    model, optimizer, scheduler = trained(seed=0)
    save_checkpoint(tmp_path / "run.npz", model, optimizer, scheduler, epoch=1)
    expected = states(model, optimizer, scheduler)
    crash_while_writing(monkeypatch, exception)
    with pytest.raises(type(exception)):
        save_checkpoint(tmp_path / "run.npz", *trained(seed=1), epoch=2)
    monkeypatch.undo()
    assert [p.name for p in tmp_path.iterdir()] == ["run.npz"]
    fresh = trained(seed=2)
    assert load_checkpoint(tmp_path / "run.npz", *fresh).epoch == 1
    assert_same_tree(states(*fresh), expected)


@pytest.fixture()
def umask_027():
    """The process's umask set to 0o027 for the test, then put back."""
    previous = os.umask(0o027)
    yield
    os.umask(previous)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_a_new_checkpoint_gets_the_mode_open_would_give_under_the_umask(tmp_path, umask_027):
    save_checkpoint(tmp_path / "run.npz", *trained())
    with open(tmp_path / "plain", "w"):
        pass
    assert stat.S_IMODE((tmp_path / "run.npz").stat().st_mode) == 0o640  # 0o666 without 0o027
    assert stat.S_IMODE((tmp_path / "plain").stat().st_mode) == 0o640


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_overwriting_a_checkpoint_keeps_its_mode(tmp_path, umask_027):
    path = tmp_path / "run.npz"
    save_checkpoint(path, *trained())
    path.chmod(0o604)
    save_checkpoint(path, *trained(seed=1))
    assert stat.S_IMODE(path.stat().st_mode) == 0o604


def test_a_failed_rename_leaves_no_temporary_file(tmp_path, monkeypatch):
    def failing_replace(source, target):
        raise PermissionError("target busy")

    monkeypatch.setattr(checkpoint_module.os, "replace", failing_replace)
    with pytest.raises(PermissionError):
        save_checkpoint(tmp_path / "run.npz", *trained())
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------- bad files change nothing
def damage_truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def damage_flip_a_byte(path):
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("model/0.weight.npy")
    data[info.header_offset + 200] ^= 0xFF  # inside the array's bytes
    path.write_bytes(bytes(data))


def damage_replace_with_text(path):
    path.write_text("not a checkpoint")


def damage_empty(path):
    path.write_bytes(b"")


def rewrite_header(path, without=(), **entries):
    """Write the archive at ``path`` again with ``entries`` set in its JSON header (and the
    keys ``without`` taken out of it)."""
    with np.load(path) as archive:
        arrays = {name: archive[name] for name in archive.files}
    header = json.loads(str(arrays["__checkpoint__"]))
    header.update(entries)
    for key in without:
        del header[key]
    arrays["__checkpoint__"] = np.array(json.dumps(header))
    with open(path, "wb") as file:
        np.savez(file, **arrays)


def damage_the_optimizer_entry(path):
    """A readable archive whose header holds a string where the optimizer state belongs: the
    model state loads first and must be given back."""
    rewrite_header(path, optimizer="not a state")


@pytest.mark.parametrize("damage", [damage_truncate, damage_flip_a_byte, damage_replace_with_text, damage_empty,
                                    damage_the_optimizer_entry])
def test_a_damaged_file_raises_a_clear_error_and_changes_nothing(tmp_path, damage):
    path = tmp_path / "run.npz"
    save_checkpoint(path, *trained(seed=0), epoch=3)
    damage(path)
    target = trained(seed=1)
    before = states(*target)
    with pytest.raises(CheckpointError, match="run.npz"):
        load_checkpoint(path, *target)
    assert_same_tree(states(*target), before)


@pytest.mark.parametrize("version", [None, 0, checkpoint_module.VERSION + 1])
def test_a_checkpoint_of_another_format_version_is_refused_naming_it_and_changes_nothing(tmp_path, version):
    path = tmp_path / "run.npz"
    save_checkpoint(path, *trained(seed=0))
    rewrite_header(path, version=version)
    target = trained(seed=1)
    before = states(*target)
    with pytest.raises(CheckpointError,
                       match=f"run.npz has checkpoint format version {version}, expected {checkpoint_module.VERSION}"):
        load_checkpoint(path, *target)
    assert_same_tree(states(*target), before)


@pytest.mark.parametrize("epoch", [-5, "2", 1.5, True])
def test_a_checkpoint_whose_epoch_save_checkpoint_would_not_write_is_refused_and_changes_nothing(tmp_path, epoch):
    path = tmp_path / "run.npz"
    save_checkpoint(path, *trained(seed=0), epoch=3)
    rewrite_header(path, epoch=epoch)
    target = trained(seed=1)
    before = states(*target)
    with pytest.raises(CheckpointError, match=re.escape(f"{path} is not a valid minigrad checkpoint: its epoch is "
                                                        f"{epoch!r}")):
        load_checkpoint(path, *target)
    assert_same_tree(states(*target), before)
    with pytest.raises(CheckpointError, match="its epoch is"):
        read_checkpoint(path)


def test_a_corrupt_rng_state_is_refused_before_anything_is_loaded(tmp_path):
    path = tmp_path / "run.npz"
    save_checkpoint(path, *trained(seed=0))  # (save_checkpoint refuses to write such a state itself)
    rewrite_header(path, rng_state={**np.random.default_rng(0).bit_generator.state, "state": "garbage"})
    target = trained(seed=1)
    before = states(*target)
    with pytest.raises(CheckpointError, match=re.escape(f"{path}: invalid PCG64 RNG state")):
        load_checkpoint(path, *target)
    assert_same_tree(states(*target), before)


@pytest.mark.parametrize("damage", [
    lambda state: state["state"].update(state=-5),  # numpy: OverflowError
    lambda state: state["state"].update(inc=2**200),  # numpy: OverflowError
    lambda state: state.update(state={"key": list(range(10)), "pos": 0}, bit_generator="MT19937"),  # IndexError
])
def test_an_rng_state_numpy_cannot_take_is_a_checkpoint_error_naming_the_file(tmp_path, damage):
    path = tmp_path / "run.npz"
    rng_state = np.random.default_rng(0).bit_generator.state
    damage(rng_state)
    save_checkpoint(path, *trained(seed=0))  # (save_checkpoint refuses to write such a state itself)
    rewrite_header(path, rng_state=rng_state)
    with pytest.raises(CheckpointError, match=re.escape(f"{path}: invalid {rng_state['bit_generator']} RNG state")):
        read_checkpoint(path)


def test_an_npz_that_is_not_a_checkpoint_is_named_as_such(tmp_path):
    np.savez(tmp_path / "other.npz", weights=np.ones(3))
    with pytest.raises(CheckpointError, match="not a minigrad checkpoint"):
        load_checkpoint(tmp_path / "other.npz", *trained())


def test_an_npz_with_pickled_objects_is_refused_without_unpickling(tmp_path):
    np.savez(tmp_path / "evil.npz", __checkpoint__=np.array([{"format": "minigrad-checkpoint"}], dtype=object))
    with pytest.raises(CheckpointError, match="cannot read checkpoint"):
        load_checkpoint(tmp_path / "evil.npz", *trained())


@pytest.mark.parametrize("read", [lambda path: load_checkpoint(path, *trained()), read_checkpoint])
def test_a_missing_file_is_a_file_not_found_error_naming_it_raised_before_numpy_is_called(
        tmp_path, monkeypatch, read):
    monkeypatch.setattr(checkpoint_module.np, "load", None)  # (numpy's own error named no checkpoint)
    path = tmp_path / "nothing.npz"
    with pytest.raises(FileNotFoundError, match=re.escape(f"No checkpoint file: '{path}'")) as error:
        read(path)
    assert error.value.filename == str(path)


def test_a_folder_is_named_as_one(tmp_path):
    # it was called "not an .npz (zip) archive, truncated or corrupted?"
    with pytest.raises(CheckpointError, match=re.escape(f"cannot read checkpoint {tmp_path}: it is a folder")):
        load_checkpoint(tmp_path, *trained())


def test_a_check_that_is_not_a_function_is_refused_by_name_before_the_file_is_read(tmp_path, monkeypatch):
    # it was "'int' object is not callable", once the file was read
    save_checkpoint(tmp_path / "run.npz", *trained())
    monkeypatch.setattr(checkpoint_module, "_read", None)
    with pytest.raises(TypeError, match=re.escape("check must be a function of the Checkpoint read, or None, got 5")):
        load_checkpoint(tmp_path / "run.npz", *trained(), check=5)


def mismatched_architecture(tmp_path):
    save_checkpoint(tmp_path / "run.npz", *trained(hidden=(8,)))
    return trained(hidden=(16,), seed=1), "size mismatch for 0.weight"


def mismatched_optimizer(tmp_path):
    save_checkpoint(tmp_path / "run.npz", *trained(optimizer_class=optim.Adam))
    return trained(optimizer_class=optim.SGD, seed=1), "optimizer state of a Adam, not of a SGD"


def mismatched_parameter_groups(tmp_path):
    """The model fits and would load first; the optimizer (two groups here) does not."""
    save_checkpoint(tmp_path / "run.npz", *trained())
    model = models.MLP(4, (8,), 3, rng=1)
    optimizer = optim.Adam(models.param_groups(model, 0.1), lr=0.01)
    return (model, optimizer, CosineAnnealingLR(optimizer, T_max=10)), "1 parameter groups"


def mismatched_scheduler(tmp_path):
    save_checkpoint(tmp_path / "run.npz", *trained())
    model, optimizer, _ = trained(seed=1)
    return (model, optimizer, StepLR(optimizer, 3)), "scheduler state of a CosineAnnealingLR"


def missing_scheduler(tmp_path):
    model, optimizer, _ = trained()
    save_checkpoint(tmp_path / "run.npz", model, optimizer)
    return trained(seed=1), "holds no scheduler state"


@pytest.mark.parametrize("mismatch", [mismatched_architecture, mismatched_optimizer, mismatched_parameter_groups,
                                      mismatched_scheduler, missing_scheduler])
def test_a_checkpoint_that_does_not_fit_raises_and_changes_nothing(tmp_path, mismatch):
    target, message = mismatch(tmp_path)
    before = states(*target)
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(tmp_path / "run.npz", *target)
    assert_same_tree(states(*target), before)


def test_a_scheduler_replaced_since_raises_a_checkpoint_error_and_changes_nothing(tmp_path):
    model, optimizer, scheduler = trained()
    save_checkpoint(tmp_path / "run.npz", model, optimizer, scheduler)
    StepLR(optimizer, 3)  # now drives the optimizer in place of the saved-with scheduler
    before = states(model, optimizer)
    with pytest.raises(CheckpointError, match="no longer drives its optimizer"):
        load_checkpoint(tmp_path / "run.npz", model, optimizer, scheduler)
    assert_same_tree(states(model, optimizer), before)


def test_an_unknown_bit_generator_is_refused():
    with pytest.raises(CheckpointError, match="unknown bit generator 'Evil'"):
        generator_from_state({"bit_generator": "Evil", "state": {}})


# ------------------------------------------------------------------------------- resumption
@pytest.fixture(scope="module")
def moons():
    return load_dataset("moons", n_samples=200, seed=0)


def sgd_momentum(model):
    return optim.SGD(model.parameters(), lr=0.05, momentum=0.9), None


def adamw_cosine(model):
    optimizer = optim.AdamW(model.parameters(), lr=0.01, weight_decay=0.05)
    return optimizer, CosineAnnealingLR(optimizer, T_max=6)


def adam_warmup_cosine(model):
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    return optimizer, warmup_cosine(optimizer, 2, 6)


class Interrupt(Exception):
    """Stands for Ctrl-C after an epoch's checkpoint was written."""


@pytest.mark.parametrize("recipe", [sgd_momentum, adamw_cosine, adam_warmup_cosine])
def test_a_resumed_run_ends_bit_identical_to_an_uninterrupted_one(tmp_path, moons, recipe):
    def run(epochs, model_seed, **options):
        model = models.MLP(2, (16,), 2, rng=model_seed)
        optimizer, scheduler = recipe(model)
        history = fit(model, optimizer, models.CrossEntropyLoss(), moons.train, epochs, scheduler=scheduler,
                      batch_size=16, seed=4, l2=1e-3, progress=False, **options)
        return model, history

    uninterrupted, full_history = run(6, model_seed=0)

    def interrupt_after_three(epoch, history):
        if epoch == 3:
            raise Interrupt

    path = tmp_path / "run.npz"
    with pytest.raises(Interrupt):
        run(6, model_seed=0, checkpoint=path, callbacks=[interrupt_after_three])
    assert read_checkpoint(path).epoch == 3
    resumed, history = run(6, model_seed=99, checkpoint=path, resume=True)
    for a, b in zip(uninterrupted.parameters(), resumed.parameters()):
        assert np.array_equal(a.data, b.data)
    assert history.epoch == list(range(1, 7)) and history.train_loss == full_history.train_loss


def test_resuming_with_other_settings_is_refused_before_anything_is_loaded(tmp_path, moons):
    model = models.MLP(2, (16,), 2, rng=0)
    optimizer = optim.SGD(model.parameters(), lr=0.05)
    fit(model, optimizer, models.CrossEntropyLoss(), moons.train, 2, batch_size=16, progress=False,
        checkpoint=tmp_path / "run.npz")
    fresh = models.MLP(2, (16,), 2, rng=1)
    before = fresh.state_dict()
    with pytest.raises(ValueError, match=r"batch_size=32 \(the checkpoint has 16\), epochs=1"):
        fit(fresh, optim.SGD(fresh.parameters(), lr=0.05), models.CrossEntropyLoss(), moons.train, 1,
            batch_size=32, progress=False, checkpoint=tmp_path / "run.npz", resume=True)
    assert_same_tree(fresh.state_dict(), before)


def test_resuming_with_another_config_is_refused_naming_the_differences(tmp_path, moons):
    def run(epochs, config, resume=False):
        model = models.MLP(2, (16,), 2, rng=0)
        return fit(model, optim.SGD(model.parameters(), lr=0.05), models.CrossEntropyLoss(), moons.train, epochs,
                   progress=False, checkpoint=tmp_path / "run.npz", resume=resume, config=config)

    run(1, {"dataset": "moons", "hidden": [16]})
    with pytest.raises(ValueError, match=r"dataset='circles' \(the checkpoint has 'moons'\), "
                                         r"hidden=None \(the checkpoint has \[16\]\)"):
        run(2, {"dataset": "circles"}, resume=True)
    assert run(2, {"dataset": "moons", "hidden": [16]}, resume=True).epoch == [1, 2]


def test_a_checkpoint_written_without_a_config_still_resumes(tmp_path, moons):
    # (as written before fit saved configurations: the settings fit checks itself still count)
    def run(epochs, resume=False, config=None):
        model = models.MLP(2, (16,), 2, rng=0)
        return fit(model, optim.SGD(model.parameters(), lr=0.05), models.CrossEntropyLoss(), moons.train, epochs,
                   progress=False, checkpoint=tmp_path / "run.npz", resume=resume, config=config)

    run(1)
    saved = read_checkpoint(tmp_path / "run.npz")
    model = models.MLP(2, (16,), 2, rng=0)
    optimizer = optim.SGD(model.parameters(), lr=0.05)
    load_checkpoint(tmp_path / "run.npz", model, optimizer)
    meta = {k: v for k, v in saved.meta.items() if k != "config"}
    save_checkpoint(tmp_path / "run.npz", model, optimizer, epoch=saved.epoch, rng_state=saved.rng_state, **meta)
    assert run(2, resume=True, config={"dataset": "moons"}).epoch == [1, 2]


def test_a_missing_folder_is_named_in_the_error_not_the_temporary_file(tmp_path):
    with pytest.raises(FileNotFoundError) as error:
        save_checkpoint(tmp_path / "missing" / "run.npz", *trained())
    assert error.value.filename == os.path.realpath(tmp_path / "missing") and ".tmp" not in str(error.value)


def test_load_checkpoint_calls_check_with_what_it_read_before_loading_anything(tmp_path):
    path = tmp_path / "run.npz"
    save_checkpoint(path, *trained(seed=0), epoch=3, note="first")
    target = trained(seed=1)
    before = states(*target)
    seen = []

    def refuse(saved):
        seen.append((saved.epoch, saved.meta))
        raise ValueError("not this one")

    with pytest.raises(ValueError, match="not this one"):
        load_checkpoint(path, *target, check=refuse)
    assert seen == [(3, {"note": "first"})]
    assert_same_tree(states(*target), before)
    assert load_checkpoint(path, *target, check=lambda saved: None).epoch == 3


def test_a_resume_reads_the_checkpoint_once_so_what_is_checked_is_what_is_loaded(tmp_path, moons, monkeypatch):
    def run(epochs, resume=False):
        model = models.MLP(2, (16,), 2, rng=0)
        return fit(model, optim.SGD(model.parameters(), lr=0.05), models.CrossEntropyLoss(), moons.train, epochs,
                   progress=False, checkpoint=tmp_path / "run.npz", resume=resume)

    run(1)
    reads = []
    read = checkpoint_module._read
    monkeypatch.setattr(checkpoint_module, "_read", lambda path: reads.append(path) or read(path))
    assert run(2, resume=True).epoch == [1, 2]
    assert reads == [tmp_path / "run.npz"]


def test_a_dict_with_bool_keys_is_refused_and_nothing_is_written(tmp_path):
    # True is an int to Python, but {True: 1} would come back as {1: 1}
    with pytest.raises(TypeError, match="meta/flags: dict keys must be all strings or all integers"):
        save_checkpoint(tmp_path / "run.npz", *trained(), flags={True: 1})
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("damage, message", [
    (lambda path: rewrite_header(path, meta={"x": {"__array__": "meta/gone"}}),
     "the array 'meta/gone' is missing from the archive"),
    (lambda path: rewrite_header(path, format="another-tool"), "is an .npz archive but not a minigrad checkpoint"),
    (lambda path: rewrite_header(path, without=["meta"]), r"is not a valid minigrad checkpoint: KeyError\('meta'\)"),
    (damage_replace_with_text, r"not an .npz \(zip\) archive"),
], ids=["missing-array", "other-format", "missing-header-key", "not-a-zip"])
def test_a_damaged_file_is_refused_saying_what_is_wrong_and_changes_nothing(tmp_path, damage, message):
    path = tmp_path / "run.npz"
    save_checkpoint(path, *trained(seed=0), epoch=3)
    damage(path)
    target = trained(seed=1)
    before = states(*target)
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(path, *target)
    assert_same_tree(states(*target), before)


class MakesAFolderWhenUnpickled:
    """An object whose unpickling runs code: it makes the folder ``path``."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return os.mkdir, (self.path,)


def test_loading_never_unpickles_an_entry_of_the_archive(tmp_path):
    path, ran = tmp_path / "run.npz", tmp_path / "code_ran"
    save_checkpoint(path, *trained(seed=0))
    with np.load(path) as archive:
        arrays = {name: archive[name] for name in archive.files}
    arrays["meta/evil"] = np.array([MakesAFolderWhenUnpickled(ran)], dtype=object)
    with open(path, "wb") as file:
        np.savez(file, **arrays)
    with pytest.raises(CheckpointError, match="cannot read checkpoint"):
        load_checkpoint(path, *trained(seed=1))
    assert not ran.exists()
