"""Checkpoints: a model, its optimizer and scheduler, an RNG state and metadata in one ``.npz``.

    from minigrad.checkpoint import save_checkpoint, load_checkpoint
    save_checkpoint("run.npz", model, optimizer, scheduler, epoch=5,
                    rng_state=rng.bit_generator.state, note="after warm-up")
    saved = load_checkpoint("run.npz", model, optimizer, scheduler)
    saved.epoch, saved.meta["note"], generator_from_state(saved.rng_state)

The file is a plain numpy ``.npz`` archive: every array of the states is one entry (named after
where it lives, e.g. ``model/layers.0.weight``), and everything else (numbers, strings, the
structure of the state dicts, the RNG state, the metadata) is one JSON document in the entry
``__checkpoint__``. It is read with ``allow_pickle=False``: loading a checkpoint never runs code.

Writing is atomic (``minigrad.files.atomic_path``): the archive goes to a temporary file in the
target's folder, is flushed to disk, and only then renamed over the target. A crash or Ctrl-C
mid-write leaves the previous checkpoint intact and removes the temporary file. Through a
symbolic link, the file it points to is replaced. The file gets the permissions ``open()`` would
give it: those of the file it replaces, or for a new file 0o666 without the bits of the umask.

Loading is all-or-nothing: the whole archive is read and decoded first (the zip CRCs catch a
corrupted or truncated file), then the model, optimizer and scheduler states are loaded, and if
any of them does not fit (another architecture, another optimizer) the ones already loaded get
their previous state back before the error is raised.
"""

from __future__ import annotations

import errno
import json
import os
import reprlib
import zipfile
import zlib
from pathlib import Path
from typing import Any, Callable, NamedTuple, Sequence

import numpy as np

from minigrad import Tensor
from minigrad.checks import is_int
from minigrad.files import atomic_path, check_path
from models.module import Module
from optim.lr_scheduler import LRScheduler
from optim.optimizer import Optimizer

FORMAT = "minigrad-checkpoint"
VERSION = 1
_HEADER = "__checkpoint__"
# The bit generators numpy ships; a checkpoint's RNG state must name one of them.
_BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")


class CheckpointError(ValueError):
    """A checkpoint that cannot be read, or does not fit the model, optimizer or scheduler."""


class Checkpoint(NamedTuple):
    """What ``load_checkpoint`` returns besides the states it loads."""

    epoch: int | None
    rng_state: dict[str, Any] | None
    meta: dict[str, Any]
    scheduler_class: str | None = None  # the class of the scheduler saved, if one was


def generator_from_state(state: dict[str, Any]) -> np.random.Generator:
    """A numpy Generator whose bit generator has the given ``bit_generator.state``."""
    name = state.get("bit_generator") if isinstance(state, dict) else None
    if name not in _BIT_GENERATORS:
        raise CheckpointError(f"unknown bit generator {name!r} in RNG state (known: {', '.join(_BIT_GENERATORS)})")
    bit_generator = getattr(np.random, name)()
    try:
        bit_generator.state = state
    except (TypeError, ValueError, KeyError, IndexError, OverflowError) as error:
        raise CheckpointError(f"invalid {name} RNG state: {error}") from error
    return np.random.Generator(bit_generator)


# ------------------------------------------------------------------------------------ saving
def save_checkpoint(
    path: str | os.PathLike[str],
    model: Module,
    optimizer: Optimizer,
    scheduler: LRScheduler | None = None,
    epoch: int | None = None,
    rng_state: dict[str, Any] | None = None,
    **meta: Any,
) -> Path:
    """Write model, optimizer (and scheduler) states, ``epoch``, an RNG state (a numpy
    ``generator.bit_generator.state``) and the keyword arguments ``meta`` to ``path``, atomically.

    ``meta`` values may be numbers, strings, None, lists, tuples, dicts and numpy arrays. The
    file name is used as given (no ``.npz`` is appended). Returns the path. Nothing is written
    when a value cannot be stored (TypeError), when two arrays would get the same entry name
    (ValueError: e.g. ``a={"b": array}`` and a key ``"a/b"`` holding an array), or when a dict's
    only key is one the file format uses itself ("__array__", "__tuple__", "__int_keys__";
    ValueError: it would come back as something else). Nor is anything written for arguments
    that a load or a resume (``fit``) would refuse: ``model`` not a Module, ``optimizer`` not an
    Optimizer, ``scheduler`` neither a scheduler nor None (TypeError), an optimizer that
    updates parameters not of the model (the file would not hold them) or a scheduler of
    another optimizer, ``epoch`` neither an integer ≥ 0 nor None, or an ``rng_state`` that
    ``generator_from_state`` does not take (ValueError).
    """
    check_path(path, "path")
    check_run_parts(model, optimizer, scheduler)
    if not (epoch is None or is_int(epoch, 0)):
        raise ValueError(f"epoch must be an integer >= 0 or None, got {reprlib.repr(epoch)}")
    arrays: dict[str, np.ndarray] = {}
    header = {
        "format": FORMAT,
        "version": VERSION,
        "model_class": type(model).__name__,
        "optimizer_class": type(optimizer).__name__,
        "scheduler_class": None if scheduler is None else type(scheduler).__name__,
        "model": _encode(model.state_dict(), "model", arrays),
        "optimizer": _encode(optimizer.state_dict(), "optimizer", arrays),
        "scheduler": None if scheduler is None else _encode(scheduler.state_dict(), "scheduler", arrays),
        "epoch": None if epoch is None else int(epoch),
        "rng_state": _encode(rng_state, "rng_state", arrays),
        "meta": _encode(meta, "meta", arrays),
    }
    if rng_state is not None:  # (checked as load_checkpoint will read it back)
        try:
            generator_from_state(_decode(header["rng_state"], arrays))
        except CheckpointError as error:
            raise ValueError(f"rng_state must be a numpy bit_generator.state: {error}") from None
    arrays[_HEADER] = np.array(json.dumps(header))
    with atomic_path(path) as temporary, open(temporary, "wb") as file:
        np.savez(file, **arrays)
    return Path(path)


def check_run_parts(model: Any, optimizer: Any, scheduler: Any, also_trained: Sequence[Tensor] = ()) -> None:
    """Raise TypeError unless model, optimizer and scheduler (or None) are each of their kind,
    and ValueError unless they belong together: the optimizer updates the model's parameters
    (and perhaps ``also_trained``) only, and the scheduler schedules this optimizer. (An
    optimizer made for another model would train nothing of this one, without an error, and a
    checkpoint of the two would not hold what the optimizer trains.)"""
    for name, value, kind, wanted in (("model", model, Module, "a models.Module"),
                                      ("optimizer", optimizer, Optimizer, "an optim.Optimizer")):
        if not isinstance(value, kind):
            raise TypeError(f"{name} must be {wanted}, got {type(value).__name__}")
    if not (scheduler is None or isinstance(scheduler, LRScheduler)):
        raise TypeError(f"scheduler must be an optim.lr_scheduler scheduler or None, got {type(scheduler).__name__}")
    ours = {id(p) for p in [*model.parameters(), *also_trained]}
    strangers = [p for group in optimizer.param_groups for p in group["params"] if id(p) not in ours]
    if strangers:
        raise ValueError(f"the optimizer holds {len(strangers)} parameters that are not the model's (of shapes "
                         f"{reprlib.repr([s.shape for s in strangers])}): make it from model.parameters()")
    if scheduler is not None and scheduler.optimizer is not optimizer:
        raise ValueError("the scheduler schedules another optimizer than the one given: make it from this one")


# The JSON document stands in for the arrays and the two Python types JSON lacks:
#   ndarray → {"__array__": entry name}, tuple → {"__tuple__": [...]},
#   dict with int keys (optimizer state by parameter index) → {"__int_keys__": [[k, v], ...]}.
_MARKERS = ("__array__", "__tuple__", "__int_keys__")


def check_storable(value: Any, where: str) -> None:
    """Raise TypeError or ValueError, naming ``where``, unless ``save_checkpoint`` can store
    ``value`` (numbers, strings, None, numpy scalars and arrays of numbers, lists, tuples, dicts
    with string or integer keys), and with no NaN in it (a NaN setting never equals itself, so a
    run saved with one could not be resumed)."""
    encoded = _encode(value, where, {})
    try:
        json.dumps(encoded, allow_nan=False)
    except ValueError:
        raise ValueError(f"{where} holds a NaN or infinite number: {reprlib.repr(value)}") from None


def _encode(value: Any, where: str, arrays: dict[str, np.ndarray]) -> Any:
    """``value`` as JSON-ready data, its arrays moved into ``arrays`` under names from ``where``."""
    if isinstance(value, np.ndarray):
        if value.dtype.hasobject:  # such an array could only be stored with pickle
            raise TypeError(f"{where}: cannot store an array of Python objects in a checkpoint")
        if where in arrays:
            raise ValueError(
                f"two entries would both be stored as the array {where!r} (a key with '/' in it "
                f"names the same place as nested keys); rename one of them"
            )
        arrays[where] = value
        return {"__array__": where}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        items = [_encode(v, f"{where}/{i}", arrays) for i, v in enumerate(value)]
        return {"__tuple__": items} if isinstance(value, tuple) else items
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            if len(value) == 1 and next(iter(value)) in _MARKERS:
                raise ValueError(
                    f"{where}: cannot store a dict whose only key is {next(iter(value))!r}: the "
                    f"checkpoint writes its arrays, tuples and integer-keyed dicts in that form"
                )
            return {k: _encode(v, f"{where}/{k}", arrays) for k, v in value.items()}
        if all(isinstance(k, (int, np.integer)) and not isinstance(k, bool) for k in value):
            return {"__int_keys__": [[int(k), _encode(v, f"{where}/{k}", arrays)] for k, v in value.items()]}
        raise TypeError(f"{where}: dict keys must be all strings or all integers")
    raise TypeError(f"{where}: cannot store a {type(value).__name__} in a checkpoint")


def _decode(value: Any, arrays: dict[str, np.ndarray]) -> Any:
    """The inverse of ``_encode``."""
    if isinstance(value, list):
        return [_decode(v, arrays) for v in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"__array__"}:
        if value["__array__"] not in arrays:
            raise CheckpointError(f"the array {value['__array__']!r} is missing from the archive")
        return arrays[value["__array__"]]
    if set(value) == {"__tuple__"}:
        return tuple(_decode(v, arrays) for v in value["__tuple__"])
    if set(value) == {"__int_keys__"}:
        return {int(k): _decode(v, arrays) for k, v in value["__int_keys__"]}
    return {k: _decode(v, arrays) for k, v in value.items()}


# ----------------------------------------------------------------------------------- loading
def load_checkpoint(
    path: str | os.PathLike[str],
    model: Module,
    optimizer: Optimizer | None,
    scheduler: LRScheduler | None = None,
    check: Callable[[Checkpoint], None] | None = None,
) -> Checkpoint:
    """Load a checkpoint written by ``save_checkpoint`` into ``model``, ``optimizer`` and
    ``scheduler``, and return its epoch, RNG state and metadata.

    Pass ``optimizer=None`` to load only the model (for evaluation); a scheduler is loaded only
    when given, and the checkpoint must then hold one. Raises ``CheckpointError`` (and changes
    nothing) when the file is truncated, corrupted or not a checkpoint, or when a state does not
    fit; ``FileNotFoundError`` when there is no file. ``check``, when given, is called with the
    epoch, RNG state and metadata before anything is loaded, and may raise to refuse the file
    (``fit(resume=True)`` checks so that the run it continues is the same; the file is read once);
    anything else that is not None is refused (TypeError) before the file is read.
    """
    check_path(path, "path")
    if not (check is None or callable(check)):
        raise TypeError(f"check must be a function of the Checkpoint read, or None, got {reprlib.repr(check)}")
    path = Path(path)
    parts, saved = _read_and_decode(path)
    if check is not None:
        check(saved)
    if scheduler is not None and parts["scheduler"][0] is None:
        raise CheckpointError(f"{path} holds no scheduler state, but a scheduler was given")
    wanted = {"model": model, "optimizer": optimizer, "scheduler": scheduler}
    targets = [(target, part, *parts[part]) for part, target in wanted.items() if target is not None]
    for target, part, _, saved_class in targets:
        if type(target).__name__ != saved_class:
            raise CheckpointError(
                f"{path} holds the {part} state of a {saved_class}, not of a {type(target).__name__}"
            )
    _load_all_or_nothing(path, [(target, state) for target, _, state, _ in targets])
    return saved


def read_checkpoint(path: str | os.PathLike[str]) -> Checkpoint:
    """The epoch, RNG state and metadata of a checkpoint, without loading any state."""
    check_path(path, "path")
    return _read_and_decode(Path(path))[1]


def _read_and_decode(path: Path) -> tuple[dict[str, tuple[Any, str | None]], Checkpoint]:
    """{part: (state dict or None, class name)} for model, optimizer and scheduler, and the rest;
    the RNG state is checked by building a generator from it."""
    arrays, header = _read(path)
    try:
        parts = {
            part: (_decode(header[part], arrays), header[f"{part}_class"])
            for part in ("model", "optimizer", "scheduler")
        }
        saved = Checkpoint(header["epoch"], _decode(header["rng_state"], arrays), _decode(header["meta"], arrays),
                           header["scheduler_class"])
    except (KeyError, TypeError, ValueError) as error:
        raise CheckpointError(f"{path} is not a valid minigrad checkpoint: {error!r}") from error
    if not (saved.epoch is None or is_int(saved.epoch, 0)):  # (save_checkpoint writes no other)
        raise CheckpointError(f"{path} is not a valid minigrad checkpoint: its epoch is {saved.epoch!r}")
    if saved.rng_state is not None:
        try:
            generator_from_state(saved.rng_state)
        except CheckpointError as error:
            raise CheckpointError(f"{path}: {error}") from None
    return parts, saved


def _read(path: Path) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Every array of the archive (read in full, so that a bad CRC shows now) and the header."""
    if not path.exists():
        raise FileNotFoundError(errno.ENOENT, "No checkpoint file", str(path))
    if path.is_dir():
        raise CheckpointError(f"cannot read checkpoint {path}: it is a folder, not a checkpoint file")
    if not zipfile.is_zipfile(path):
        raise CheckpointError(f"cannot read checkpoint {path}: not an .npz (zip) archive, truncated or corrupted?")
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
        header = json.loads(str(arrays.pop(_HEADER))) if _HEADER in arrays else None
    except FileNotFoundError:
        raise
    except (OSError, EOFError, ValueError, zipfile.BadZipFile, zlib.error) as error:
        raise CheckpointError(f"cannot read checkpoint {path} (truncated or corrupted?): {error}") from error
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise CheckpointError(f"{path} is an .npz archive but not a minigrad checkpoint")
    if header.get("version") != VERSION:
        raise CheckpointError(f"{path} has checkpoint format version {header.get('version')}, expected {VERSION}")
    return arrays, header


def _load_all_or_nothing(path: Path, targets: list[tuple[Any, dict[str, Any]]]) -> None:
    """Load each state into its target; if one fails (which changes nothing in it), give the
    targets loaded before it their previous state back."""
    previous = [target.state_dict() for target, _ in targets]
    for i, (target, state) in enumerate(targets):
        try:
            target.load_state_dict(state)
        except (AttributeError, KeyError, TypeError, ValueError, RuntimeError) as error:
            for (loaded, _), before in zip(targets[:i], previous):
                loaded.load_state_dict(before)
            raise CheckpointError(
                f"{path} does not fit this {type(target).__name__}; nothing was changed. {error}"
            ) from error
