"""minigrad.files: a written file is its previous self or complete, never half-written; and every
result file of the project is written through it."""

from __future__ import annotations

import ast
import importlib.util
import os
import stat
from pathlib import Path

import numpy as np
import pytest

from minigrad.files import atomic_path, check_path, make_folder, save_figure, write_text

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture()
def failing_rename(monkeypatch):
    """os.replace fails, as a crash just before the rename would leave things."""

    def refuse(source, target):
        raise OSError("rename failed")

    monkeypatch.setattr(os, "replace", refuse)


def test_write_text_replaces_the_file_and_leaves_nothing_else(tmp_path):
    write_text(tmp_path / "a.json", "old")
    write_text(tmp_path / "a.json", "new")
    assert (tmp_path / "a.json").read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_a_failure_before_the_rename_keeps_the_previous_file_and_removes_the_temporary_one(tmp_path, failing_rename):
    (tmp_path / "a.json").write_text("old")
    with pytest.raises(OSError, match="rename failed"):
        write_text(tmp_path / "a.json", "new")
    assert (tmp_path / "a.json").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_an_error_in_the_writer_keeps_the_previous_file(tmp_path):
    (tmp_path / "raw.npz").write_text("old")
    with pytest.raises(KeyboardInterrupt):
        with atomic_path(tmp_path / "raw.npz") as temporary:
            temporary.write_text("half")
            raise KeyboardInterrupt
    assert [(p.name, p.read_text()) for p in tmp_path.iterdir()] == [("raw.npz", "old")]


@pytest.mark.skipif(os.name != "posix", reason="a folder is synced on POSIX only")
def test_the_file_is_synced_before_the_rename_and_its_folder_after(tmp_path, monkeypatch):
    calls = []  # (what, the inode of the file or folder)
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(descriptor):
        info = os.fstat(descriptor)
        calls.append(("fsync folder" if stat.S_ISDIR(info.st_mode) else "fsync file", info.st_ino))
        real_fsync(descriptor)

    def replace(source, target):
        calls.append(("replace", os.stat(source).st_ino))
        real_replace(source, target)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    write_text(tmp_path / "a.json", "new")
    written = (tmp_path / "a.json").stat().st_ino
    assert calls == [("fsync file", written), ("replace", written), ("fsync folder", tmp_path.stat().st_ino)]


def test_the_temporary_file_is_hidden_beside_the_target_with_its_suffix(tmp_path):
    with atomic_path(tmp_path / "raw.npz") as temporary:
        assert temporary.parent == tmp_path and temporary.name.startswith(".raw.")
        assert temporary.suffix == ".npz"


def test_a_writer_that_adds_a_suffix_to_the_name_is_an_error_and_leaves_no_stray_file(tmp_path):
    (tmp_path / "raw").write_text("old")
    with pytest.raises(ValueError, match=r"cannot write .*raw: the writer added '\.npz' to the name"):
        with atomic_path(tmp_path / "raw") as temporary:
            np.savez(temporary, x=np.zeros(2))
    assert [(p.name, p.read_text()) for p in tmp_path.iterdir()] == [("raw", "old")]


def test_a_target_whose_name_has_the_longest_length_allowed_is_written(tmp_path):
    name = "é" * 125 + ".json"  # 255 bytes in UTF-8
    write_text(tmp_path / name, "x")
    assert [p.name for p in tmp_path.iterdir()] == [name]


def test_an_ascii_target_name_of_the_longest_length_allowed_gets_a_temporary_name_that_fits(tmp_path):
    # (a stem of one-byte characters is shortened one byte at a time, so the hidden name's
    # leading "." must be counted too; a stem of 2-byte "é" can hide that by its parity)
    name = "a" * 250 + ".json"  # 255 bytes
    with atomic_path(tmp_path / name) as temporary:  # (shortened no more than it must be)
        assert len(os.fsencode(temporary.name)) == 255 and temporary.name.startswith(".aaa")
        temporary.write_text("x")
    assert [p.name for p in tmp_path.iterdir()] == [name]


def test_a_target_whose_suffix_alone_is_near_the_length_limit_is_written(tmp_path):
    name = "a." + "x" * 250
    write_text(tmp_path / name, "x")
    assert [p.name for p in tmp_path.iterdir()] == [name]


def test_a_suffix_that_just_fits_in_the_temporary_name_is_kept(tmp_path):
    # ".<16 hex>.tmp" and the leading "." take 22 bytes: a 233-byte suffix fills the 255 alone
    suffix = "." + "x" * 232
    with atomic_path(tmp_path / f"a{suffix}") as temporary:
        assert temporary.name.endswith(".tmp" + suffix) and len(os.fsencode(temporary.name)) == 255
        temporary.write_text("x")
    assert [p.name for p in tmp_path.iterdir()] == [f"a{suffix}"]


def test_an_empty_file_is_written_and_text_is_written_in_utf_8(tmp_path):
    # (an empty temporary file is how a writer that wrote elsewhere is noticed: not an error alone)
    write_text(tmp_path / "empty.txt", "")
    write_text(tmp_path / "text.txt", "é ✓")
    assert (tmp_path / "empty.txt").read_bytes() == b""
    assert (tmp_path / "text.txt").read_bytes() == "é ✓".encode("utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.txt", "text.txt"]


def test_a_temporary_name_already_taken_is_refused_not_written_through(tmp_path, monkeypatch):
    # the temporary file is made with O_EXCL: a file (or link) planted at its name is never opened
    monkeypatch.setattr("secrets.token_hex", lambda nbytes: "0" * 2 * nbytes)
    planted = tmp_path / f".a.{'0' * 16}.tmp.json"
    planted.write_text("planted")
    with pytest.raises(FileExistsError):
        write_text(tmp_path / "a.json", "new")
    assert planted.read_text() == "planted" and not (tmp_path / "a.json").exists()


def test_a_folder_made_beside_the_temporary_file_is_removed_too(tmp_path):
    with pytest.raises(ValueError, match="the writer added '.d'"):
        with atomic_path(tmp_path / "g") as temporary:
            os.mkdir(f"{temporary}.d")
    assert list(tmp_path.iterdir()) == []


def test_a_link_made_beside_the_temporary_file_is_removed_and_the_folder_it_points_to_is_kept(tmp_path):
    kept = tmp_path / "kept"
    kept.mkdir()
    (kept / "inside.txt").write_text("mine")
    with pytest.raises(ValueError, match="cannot write .*out: the writer added '.d' to the name of the file"):
        with atomic_path(tmp_path / "out") as temporary:
            os.symlink(kept, f"{temporary}.d")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept"]
    assert (kept / "inside.txt").read_text() == "mine"


def test_write_text_returns_the_path_it_was_given_not_the_temporary_one(tmp_path):
    assert write_text(tmp_path / "a.json", "{}") == tmp_path / "a.json"


def test_check_path_accepts_a_str_or_a_path_and_names_the_argument_given_anything_else():
    check_path("a.json", "path")
    check_path(Path("a.json"), "path")
    with pytest.raises(TypeError, match=r"^checkpoint must be a path \(a str or a pathlib\.Path\), got int$"):
        check_path(3, "checkpoint")


@pytest.mark.parametrize("suffix, magic", [(".png", b"\x89PNG"), (".svg", b"<?xml")])
def test_a_figure_is_saved_in_the_format_of_the_targets_suffix(tmp_path, suffix, magic):
    figure = pytest.importorskip("matplotlib.figure").Figure()
    figure.subplots().plot([0, 1], [1, 0])
    save_figure(figure, tmp_path / f"curves{suffix}", dpi=50)
    assert (tmp_path / f"curves{suffix}").read_bytes().startswith(magic)


def test_a_figure_without_a_suffix_is_saved_at_that_path_in_matplotlibs_default_format(tmp_path):
    figure = pytest.importorskip("matplotlib.figure").Figure()
    figure.subplots().plot([0, 1], [1, 0])
    save_figure(figure, tmp_path / "curves", dpi=50)
    assert [p.name for p in tmp_path.iterdir()] == ["curves"]
    assert (tmp_path / "curves").read_bytes().startswith(b"\x89PNG")


def test_a_figure_without_a_suffix_takes_the_format_matplotlib_is_set_to(tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    figure = pytest.importorskip("matplotlib.figure").Figure()
    figure.subplots().plot([0, 1], [1, 0])
    with matplotlib.rc_context({"savefig.format": "svg"}):
        save_figure(figure, tmp_path / "curves")
    assert (tmp_path / "curves").read_bytes().startswith(b"<?xml")


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
@pytest.mark.parametrize("umask", [0o000, 0o002, 0o077])
def test_a_new_file_gets_the_same_mode_as_one_open_makes_under_any_umask(tmp_path, umask):
    previous = os.umask(umask)
    try:
        write_text(tmp_path / "new.txt", "x")
        with open(tmp_path / "plain.txt", "w"):
            pass
    finally:
        os.umask(previous)
    # (compared with open()'s file, not with 0o666 & ~umask: a folder's default ACL may differ)
    assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == stat.S_IMODE((tmp_path / "plain.txt").stat().st_mode)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_a_new_file_gets_the_mode_open_would_give_and_a_replaced_one_keeps_its_mode(tmp_path):
    previous = os.umask(0o027)
    try:
        write_text(tmp_path / "new.txt", "x")
        (tmp_path / "kept.txt").write_text("x")
        (tmp_path / "kept.txt").chmod(0o604)
        write_text(tmp_path / "kept.txt", "y")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == 0o640
    assert stat.S_IMODE((tmp_path / "kept.txt").stat().st_mode) == 0o604


@pytest.mark.parametrize("through_a_link", [False, True], ids=["folder", "linked-folder"])
def test_a_missing_folder_is_named_in_the_error_by_its_real_path(tmp_path, through_a_link):
    if through_a_link:
        (tmp_path / "link").symlink_to(tmp_path)
    folder = tmp_path / "link" if through_a_link else tmp_path
    with pytest.raises(FileNotFoundError) as error:
        write_text(folder / "missing" / "a.json", "x")
    assert error.value.filename == os.path.realpath(folder / "missing") and ".tmp" not in str(error.value)


@pytest.mark.parametrize("target, error", [
    ("a_folder", IsADirectoryError),
    ("not_yet/", IsADirectoryError),  # (it would write a file named not_yet)
    ("", FileNotFoundError),
], ids=["a folder", "a trailing slash", "empty"])
def test_what_open_would_refuse_is_refused_naming_the_target_and_nothing_is_written(tmp_path, monkeypatch,
                                                                                   target, error):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a_folder").mkdir()
    with pytest.raises(error) as raised:
        write_text(target, "x")
    assert raised.value.filename == target
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_folder"] and not any((tmp_path / "a_folder").iterdir())


def test_a_loop_of_symbolic_links_is_refused_as_open_refuses_it_and_kept(tmp_path):
    (tmp_path / "loop").symlink_to("loop")
    with pytest.raises(OSError, match="Too many levels of symbolic links") as raised:
        write_text(tmp_path / "loop", "x")
    assert raised.value.filename == str(tmp_path / "loop") and (tmp_path / "loop").is_symlink()


def test_a_file_the_process_may_not_write_is_refused_as_open_refuses_it(tmp_path, monkeypatch):
    target = tmp_path / "kept.txt"
    target.write_text("before")
    target.chmod(0o444)
    # (root may write a read-only file, as open() may; what the test needs is that it may not)
    monkeypatch.setattr(os, "access", lambda path, mode: Path(path) != target)
    with pytest.raises(PermissionError):
        write_text(target, "after")
    assert target.read_text() == "before" and os.listdir(tmp_path) == ["kept.txt"]


def test_make_folder_makes_a_folder_with_its_missing_parents_and_keeps_an_existing_one(tmp_path):
    make_folder(tmp_path / "a" / "b")
    (tmp_path / "a" / "b" / "kept.txt").write_text("x")
    make_folder(tmp_path / "a" / "b")
    assert [p.name for p in (tmp_path / "a" / "b").iterdir()] == ["kept.txt"]


def test_the_training_command_writes_metrics_json_atomically(tmp_path, failing_rename):
    spec = importlib.util.spec_from_file_location("train_example", ROOT / "examples" / "train.py")
    train = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(train)
    (tmp_path / "metrics.json").write_text("old")
    with pytest.raises(OSError, match="rename failed"):
        train.main(["--dataset", "iris", "--hidden", "4", "--epochs", "1", "--no-progress", "--out", str(tmp_path)])
    assert [(p.name, p.read_text()) for p in tmp_path.iterdir()] == [("metrics.json", "old")]


# The calls that write a file, and where each finds the file it writes: ``path.write_text(...)``
# and ``path.write_bytes(...)`` write their receiver (``write_text(path, text)`` of minigrad.files,
# a function, is the safe way); ``open(path, mode)`` its first argument and ``path.open(mode)`` its
# receiver, when the mode writes; ``savefig(path)`` (a figure's or pyplot's) and numpy's savers
# their first argument. (``json.dump`` needs a file opened for writing, which the open check catches.)
RECEIVER_WRITERS = {"write_text", "write_bytes"}
NUMPY_WRITERS = {"save", "savetxt", "savez", "savez_compressed"}
INSIDE_ATOMIC_PATH = {"temporary", "file"}  # the names writers give the temporary file of atomic_path
# The study's results.jsonl is appended one run at a time on purpose (a resumable store).
APPEND_ONLY = {"examples/l2study/runs.py"}


def _written_file(call: ast.Call) -> tuple[str, ast.expr | None] | None:
    """For a call that writes a file: its name and the expression naming that file."""
    receiver = call.func.value if isinstance(call.func, ast.Attribute) else None
    name = call.func.attr if receiver is not None else getattr(call.func, "id", "")
    first = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg in ("file", "fname")), None)
    if name in RECEIVER_WRITERS and receiver is not None:
        return name, receiver
    if name == "savefig" or (name in NUMPY_WRITERS and isinstance(receiver, ast.Name)
                             and receiver.id in ("np", "numpy")):
        return name, first
    if name == "open":
        modes = (call.args[:1] if receiver is not None else call.args[1:2]) + [
            k.value for k in call.keywords if k.arg == "mode"]
        if any(isinstance(m, ast.Constant) and set(str(m.value)) & set("wax+") for m in modes):
            return name, receiver if receiver is not None else first
    return None


def _unsafe_writes(source: str) -> list[str]:
    """The calls in ``source`` that write a file in place ("LINE NAME"): those whose file is not
    the temporary file of ``atomic_path``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        written = _written_file(node) if isinstance(node, ast.Call) else None
        if written and not (isinstance(written[1], ast.Name) and written[1].id in INSIDE_ATOMIC_PATH):
            found.append(f"{node.lineno} {written[0]}")
    return sorted(found, key=lambda write: int(write.split()[0]))


def test_every_result_file_is_written_through_minigrad_files():
    sources = [p for folder in ("minigrad", "models", "optim", "examples") for p in (ROOT / folder).rglob("*.py")
               if p.relative_to(ROOT).as_posix() not in APPEND_ONLY | {"minigrad/files.py"}]
    writes = [f"{path.relative_to(ROOT)}:{write}" for path in sources for write in _unsafe_writes(path.read_text())]
    assert writes == []


PLANTED = """
def unsafe(path, figure, arrays):
    path.write_text("x")
    path.write_bytes(b"x")
    open(path, "w")
    open(path, mode="a")
    Path(path).open("w")
    path.open(mode="x")
    np.save(path, arrays)
    np.savetxt(fname=path, X=arrays)
    np.savez(path, **arrays)
    numpy.savez_compressed(path, **arrays)
    figure.savefig(path)

def safe(path, figure, arrays):
    with atomic_path(path) as temporary, open(temporary, "wb") as file:
        np.savez(file, **arrays)
    temporary.write_text("x")
    figure.savefig(temporary)
    open(path).read()
    path.open("r")
    np.load(path)
    write_text(path, "x")
    plots.save(claim, plt, out)
"""


def test_the_scan_finds_each_kind_of_write_outside_atomic_path_and_nothing_else():
    assert _unsafe_writes(PLANTED) == ["3 write_text", "4 write_bytes", "5 open", "6 open", "7 open", "8 open",
                                       "9 save", "10 savetxt", "11 savez", "12 savez_compressed", "13 savefig"]
