"""The resumable store of finished runs: one JSON line per run in ``results.jsonl``.

Each line is ``{"config": {...}, "metrics": {...}, "seconds": s, "code": fingerprint}``; the
run's identity is its config (canonical JSON, sorted keys), so asking twice for the same config
finds the same record, whichever part asked. A record is appended, flushed and fsync'ed the
moment its run finishes, so an interrupted study loses at most the runs in flight.

``code`` is the fingerprint of the code that made the run (``code_fingerprint``: a hash of the
Python files of l2study, minigrad, models and optim, but the report and the plots). Only records of the current code are
read back: a record made by other code (or by code before fingerprints) is left in the file but
not reused, so its run is done again when asked for, and a report never mixes old numbers with
new ones. Opening a store with such records says, in one warning, how many runs they leave to
redo.

A line counts only if it is complete: it ends with a newline and parses. An incomplete *last*
line (the process died while writing it) is cut off the file on opening, with a warning, and
its run is simply not recorded, so it is done again. A damaged line anywhere else is not
something an interruption produces; the store refuses to guess and raises a ``StoreError``.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import warnings
from pathlib import Path
from typing import Any, Iterable

import minigrad
import models
import optim
from minigrad.files import make_folder

Config = dict[str, Any]


class StoreError(ValueError):
    """The results file has a damaged line that an interrupted write cannot explain."""


def config_key(config: Config) -> str:
    """The identity of a run: its config as canonical JSON."""
    return json.dumps(config, sort_keys=True, separators=(",", ":"))


# Files that only present finished runs: changing their wording does not make old runs stale.
PRESENTATION = frozenset({"l2study/report.py", "l2study/plots.py"})


def fingerprint(folders: Iterable[Path]) -> str:
    """A hash of the Python files under ``folders`` but those in ``PRESENTATION``: each file's
    path (from its folder's parent) and a hash of its bytes, in path order."""
    digest = hashlib.sha256()
    for folder in folders:
        for path in sorted(folder.rglob("*.py")):
            name = path.relative_to(folder.parent).as_posix()
            if name in PRESENTATION:
                continue
            digest.update(f"{name}\0{hashlib.sha256(path.read_bytes()).hexdigest()}\n".encode())
    return digest.hexdigest()[:16]


def source_folders() -> list[Path]:
    """The packages whose code makes the runs: l2study, minigrad, models and optim."""
    return [Path(__file__).parent] + [Path(package.__file__).parent for package in (minigrad, models, optim)]


@functools.cache
def code_fingerprint() -> str:
    """The fingerprint of this process's code (computed once per process)."""
    return fingerprint(source_folders())


class RunStore:
    """Finished runs by config, backed by an append-only JSON-lines file."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._records: dict[str, dict[str, Any]] = {}
        self._other: set[str] = set()  # the configs of records made by other code
        if self.path.exists():
            self._load()

    def _load(self) -> None:
        raw = self.path.read_bytes()
        *complete, tail = raw.split(b"\n")  # ``tail``: whatever follows the last newline
        records = [_parse(line) for line in complete]
        damaged = [number for number, record in enumerate(records, start=1) if record is None]
        if damaged and damaged[0] < len(records):
            raise StoreError(f"{self.path}, line {damaged[0]}: not a run record; fix or remove "
                             f"that line")
        cut = len(tail)
        if damaged:
            records.pop()
            cut += len(complete[-1]) + 1
        if cut:
            warnings.warn(f"{self.path}: the last line was incomplete (an interrupted write); "
                          f"it was removed and its run will be done again", stacklevel=3)
            os.truncate(self.path, len(raw) - cut)
        self._keep_current(records)

    def _keep_current(self, records: list[dict[str, Any]]) -> None:
        """Keep the records of the current code; warn about the runs only other code made."""
        code = code_fingerprint()
        for record in records:
            key = config_key(record["config"])
            if record.get("code") == code:
                self._records[key] = record
            else:
                self._other.add(key)
        stale = len(self._other - self._records.keys())
        if stale:
            warnings.warn(f"{self.path}: {stale} recorded runs were made by other code (another "
                          f"fingerprint of l2study, minigrad, models and optim); they are not reused: "
                          f"the parts run now redo theirs, and the report shows the other parts as "
                          f"not run until they are run again", stacklevel=4)

    def __len__(self) -> int:
        return len(self._records)

    def metrics(self, config: Config) -> dict[str, Any]:
        """The metrics recorded for ``config`` (KeyError if it has not run)."""
        return self._records[config_key(config)]["metrics"]

    def pending(self, configs: Iterable[Config]) -> list[Config]:
        """The configs not yet recorded, each once, in their given order."""
        todo: dict[str, Config] = {}
        for config in configs:
            key = config_key(config)
            if key not in self._records:
                todo.setdefault(key, config)
        return list(todo.values())

    def made_by_other_code(self, configs: Iterable[Config]) -> bool:
        """Whether some of the configs not yet recorded have a record made by other code."""
        return any(config_key(config) in self._other for config in self.pending(configs))

    def append(self, config: Config, metrics: dict[str, Any], seconds: float) -> None:
        """Record a finished run of the current code: one line, written, flushed and fsync'ed at once."""
        record = {"config": config, "metrics": metrics, "seconds": seconds, "code": code_fingerprint()}
        line = json.dumps(record, sort_keys=True, allow_nan=True) + "\n"
        make_folder(self.path.parent)
        with open(self.path, "a", encoding="utf-8") as file:
            file.write(line)
            file.flush()
            os.fsync(file.fileno())
        self._records[config_key(config)] = record


def _parse(line: bytes) -> dict[str, Any] | None:
    """The record on ``line``, or None if the line is not a whole record."""
    try:
        record = json.loads(line)
    except ValueError:
        return None
    if not isinstance(record, dict) or not {"config", "metrics"} <= record.keys():
        return None
    return record
