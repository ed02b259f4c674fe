"""Running the study: the parts in order, their pending runs in parallel, then the report.

A part is a module with ``NAME``, ``TITLE``, ``configs(settings, store)`` (the runs it needs)
and ``summarize(settings, store)`` (its numbers, from the recorded runs). A run is a config
dict whose ``"kind"`` names the function that performs it (``KINDS``); runs that several parts
need (an MLP cell of the grid is also a point of part 5) are done once.
"""

from __future__ import annotations

import contextlib
import gc
import time
from pathlib import Path
from typing import Any, Callable, Iterator

from l2study import convergence, equivalences, grid, per_parameter, plots, report, same_number, weight_norm
from l2study.runs import Config, RunStore, code_fingerprint, config_key
from l2study.settings import Settings
from l2study.training import run_mlp
from minigrad.files import make_folder

PARTS = (equivalences, convergence, per_parameter, grid, same_number, weight_norm)
PART_NAMES = tuple(part.NAME for part in PARTS)
KINDS: dict[str, Callable[[Config], dict[str, Any]]] = {
    "equivalence": equivalences.run,
    "least_squares": convergence.run,
    "per_parameter": per_parameter.run,
    "mlp": run_mlp,
}


class BackendError(RuntimeError):
    """The runs cannot go where they were sent (a Dask scheduler that cannot be reached), or came
    back made by other code than this process's."""


def execute(config: Config) -> tuple[Config, dict[str, Any], float, str]:
    """Perform one run, on one BLAS thread (so results do not depend on ``--jobs``); return it
    with its time and the fingerprint of the code that ran it (a worker's own code, read before
    the run: as close as can be to when the worker imported it)."""
    from threadpoolctl import threadpool_limits

    code = code_fingerprint()
    start = time.perf_counter()
    with threadpool_limits(limits=1):
        metrics = KINDS[config["kind"]](config)
    return config, metrics, time.perf_counter() - start, code


@contextlib.contextmanager
def backend(name: str, scheduler: str | None) -> Iterator[None]:
    """joblib's default backend (loky: local processes), or Dask's: the runs go to the
    ``distributed`` cluster at ``scheduler`` (a new local cluster if None). The workers must
    be able to import ``l2study`` (put ``examples/`` on their PYTHONPATH). A scheduler that is
    not an address, or does not answer within Dask's connection timeout
    (``distributed.comm.timeouts.connect``, 30 s unless configured), is a ``BackendError``
    naming it."""
    import joblib

    if name == "loky":
        with joblib.parallel_config(backend="loky"):
            yield
        return
    if name != "dask":
        raise ValueError(f"unknown backend {name!r}; use 'loky' or 'dask'")
    try:
        from distributed import Client
    except ImportError:
        raise SystemExit("--backend dask needs the optional extra: pip install 'dask[distributed]'") from None
    # joblib's dask backend sends the tasks to the most recently created Client.
    try:
        client = Client(scheduler)
    except (OSError, ValueError) as error:
        problem = f"cannot connect to the Dask scheduler at {scheduler}: {error}"
    else:
        with client, joblib.parallel_config(backend="dask"):
            yield
        return
    # The half-made Client is garbage in a reference cycle: collected later, at any moment, its
    # __del__ stops its event loop, which deadlocks when that moment is inside another Client's
    # start. Collected here, once the error (whose traceback holds it) is gone, it cannot.
    gc.collect()
    raise BackendError(problem)


def perform(configs: list[Config], store: RunStore, jobs: int, label: str) -> None:
    """Do the runs of ``configs`` not yet in ``store``, recording each as soon as it finishes:
    in this process if ``jobs`` is 1, else through joblib (on the current backend). A run made
    by other code than this process's (the source edited meanwhile, or a Dask worker with
    another copy) is a ``BackendError``."""
    import joblib
    from tqdm import tqdm

    todo = store.pending(configs)
    total = len({config_key(config) for config in configs})
    with tqdm(total=total, initial=total - len(todo), desc=label, unit="run", leave=False) as bar:
        if jobs == 1:
            results = map(execute, todo)
        else:
            results = joblib.Parallel(n_jobs=jobs, return_as="generator_unordered")(
                joblib.delayed(execute)(config) for config in todo)
        for config, metrics, seconds, code in results:
            if code != code_fingerprint():
                raise BackendError(f"a run was made by other code (fingerprint {code}, here {code_fingerprint()}): "
                                   f"the source changed during the study, or the workers have another copy "
                                   f"of examples/, minigrad, models or optim")
            store.append(config, metrics, seconds)
            bar.update()


def run(settings: Settings, parts: list[str], out: Path, jobs: int = -1, backend_name: str = "loky",
        scheduler: str | None = None) -> dict[str, Any]:
    """Run ``parts`` (names from ``PART_NAMES``), then write the report of every part whose runs
    are all recorded in ``out/results.jsonl``. Returns the summaries and where things went."""
    store = RunStore(out / "results.jsonl")  # (its file, and the folder, are made with the first run)
    with backend(backend_name, scheduler):
        for part in PARTS:
            if part.NAME in parts:
                perform(part.configs(settings, store), store, jobs, part.TITLE)
    needed = {part.NAME: part.configs(settings, store) for part in PARTS}
    summaries = {part.NAME: part.summarize(settings, store) for part in PARTS
                 if not store.pending(needed[part.NAME])}
    stale = {name for name, configs in needed.items() if store.made_by_other_code(configs)}
    make_folder(out)
    figures = plots.draw(summaries, out)
    report_path = report.write(out / "report.md", settings, PARTS, summaries, figures, stale)
    return {"summaries": summaries, "figures": figures, "report": report_path, "records": len(store)}
