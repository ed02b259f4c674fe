"""Atomic writing: a result file is either its previous self or complete, never half-written.

    from minigrad.files import atomic_path, save_figure, write_text
    write_text("out/metrics.json", json.dumps(results))
    save_figure(figure, "out/curves.png", dpi=120)
    with atomic_path("out/raw.npz") as temporary:     # any writer that takes a path
        np.savez_compressed(temporary, **arrays)

The content goes to a new temporary file in the target's folder, hidden and with the target's
suffix, so that a tool which picks the format from the suffix, as matplotlib's ``savefig`` does,
picks the target's: ``.raw.<random hex>.tmp.npz`` (the stem shortened where the name would pass
the 255 bytes most file systems allow). The writer must write exactly the path it is given:
numpy's ``savez`` adds ``.npz`` to a name without it, so for a target ``raw`` it would write a
new file beside the empty temporary one. That is noticed (the temporary file still empty and a
file named after it with something added): the stray file is removed and a ValueError says so.
Give such a target its suffix, or pass the writer an open file.

Once the writer is done, the file is flushed to disk (fsync) and only then renamed over the
target (``os.replace``, atomic on POSIX and Windows), and the folder is synced so that the
rename itself survives a crash. An error or Ctrl-C before the rename removes the temporary file
and leaves the previous target untouched.

Through a symbolic link, the file it points to is replaced (as ``open()`` would write there)
and the link stays. The file gets the permissions ``open()`` would give it: those of the file
it replaces, or for a new file 0o666 without the bits of the process's umask. What ``open()``
would refuse is refused before the writer runs (``check_target``): a folder, a read-only file,
an empty path. The folder must exist: a missing one is a FileNotFoundError naming that folder
(``make_folder`` makes it). ``writable_folder`` checks, before any work, that a folder could be
written in (or made).
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
import stat
import tempfile
from pathlib import Path
from typing import Any, Iterator

NAME_MAX = 255  # the longest file name, in bytes, most file systems allow


def check_path(path: Any, name: str) -> None:
    """TypeError naming the argument ``name`` unless ``path`` is a str or an os.PathLike (a
    number or None would otherwise fail deep inside os or pathlib)."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{name} must be a path (a str or a pathlib.Path), got {type(path).__name__}")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """A new, empty temporary file beside ``path`` to write to; renamed over ``path`` when the
    block ends without an error, removed when it raises (the error goes on), and when the writer
    wrote another file instead (a ValueError)."""
    target = check_target(path)
    temporary = _new_temporary_file(target)
    try:
        yield temporary
        _refuse_a_write_elsewhere(temporary, path)
        with open(temporary, "rb+") as file:
            os.fsync(file.fileno())
        if target.exists():  # overwriting keeps the file's permissions, as open() does
            os.chmod(temporary, stat.S_IMODE(target.stat().st_mode))
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    if os.name == "posix":  # make the rename itself durable
        folder = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


def check_target(path: str | os.PathLike[str]) -> Path:
    """The file ``path`` names (through symbolic links), once it is not what ``open(path, "w")``
    would refuse: an empty path (FileNotFoundError), a folder or a path ending in a separator
    (IsADirectoryError), an existing file the process may not write (PermissionError), a loop
    of symbolic links (OSError). Each error names ``path``. (Its folder is checked when the
    temporary file is made.)"""
    text = os.fspath(path)
    if not text:
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), text)
    try:
        os.stat(text)
    except OSError as error:  # a loop of symbolic links (a missing file is fine: it is made)
        if error.errno == errno.ELOOP:
            raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), text) from None
    target = Path(os.path.realpath(text))
    if target.is_dir() or text.endswith(tuple(sep for sep in (os.sep, os.altsep) if sep)):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), text)
    if target.exists() and not os.access(target, os.W_OK):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), text)
    return target


def _new_temporary_file(target: Path) -> Path:
    """Create the temporary file as open() creates files (0o666 less the umask, applied by the
    system: no race with other threads), under a random name that O_EXCL guarantees is new.
    An OSError names the target's folder, not the temporary file the user never asked for."""
    temporary = target.parent / _temporary_name(target)
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    except OSError as error:
        raise type(error)(error.errno, f"cannot write {target.name} in this folder: {error.strerror}",
                          str(target.parent)) from None
    os.close(descriptor)
    return temporary


def _temporary_name(target: Path) -> str:
    """``.{stem}.{random hex}.tmp{suffix}``, the stem shortened until the name fits in NAME_MAX
    bytes, so that a target whose name is near that limit can be written too."""
    tail = f".{secrets.token_hex(8)}.tmp{target.suffix}"
    if len(os.fsencode(f".{tail}")) > NAME_MAX:  # a suffix too long to keep: the name without it
        tail = tail[:-len(target.suffix)]
    stem = target.stem
    while stem and len(os.fsencode(f".{stem}{tail}")) > NAME_MAX:
        stem = stem[:-1]
    return f".{stem}{tail}"


def _refuse_a_write_elsewhere(temporary: Path, path: str | os.PathLike[str]) -> None:
    """If the writer left ``temporary`` empty and wrote a file whose name extends it (numpy's
    savez adds '.npz'), remove that file and raise a ValueError."""
    if temporary.stat().st_size:
        return
    strays = [name for name in os.listdir(temporary.parent)
              if name.startswith(temporary.name) and name != temporary.name]
    for name in strays:
        stray = temporary.parent / name
        if stray.is_dir() and not stray.is_symlink():
            shutil.rmtree(stray)
        else:
            stray.unlink()
    if strays:
        added = strays[0][len(temporary.name):]
        raise ValueError(f"cannot write {path}: the writer added {added!r} to the name of the file it was "
                         f"given (as numpy's savez adds '.npz'): give the target that suffix, or pass the "
                         f"writer an open file")


def make_folder(folder: str | os.PathLike[str]) -> None:
    """Make ``folder`` and its missing parents, unless it exists: a command's output folder is
    checked while its options are read (``minigrad.cli.output_folder``) and made this way just
    before the command writes into it, so that a command refused on the way leaves none."""
    Path(folder).mkdir(parents=True, exist_ok=True)


def write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to ``path`` in UTF-8, atomically; return the path."""
    with atomic_path(path) as temporary:
        temporary.write_text(text, encoding="utf-8")
    return Path(path)


def save_figure(figure: Any, path: str | os.PathLike[str], **options: Any) -> Path:
    """``figure.savefig(path, **options)`` for a matplotlib Figure, atomically; return the path.
    The format is ``options["format"]`` if given, else the suffix of ``path``, else matplotlib's
    default (``savefig.format``, PNG); it is passed to savefig, so the temporary file's name never
    decides it. The file is written at ``path`` as given (savefig would add the suffix)."""
    options.setdefault("format", Path(path).suffix[1:] or figure.canvas.get_default_filetype())
    with atomic_path(path) as temporary:
        figure.savefig(temporary, **options)
    return Path(path)


def writable_folder(folder: str | os.PathLike[str], creatable: bool = False) -> Path:
    """``folder`` as a Path, once a file could be created in it, or with ``creatable``, once it
    could be made and a file created in it: its nearest existing ancestor is a folder where a
    file can be created (a symbolic link to nothing is refused: mkdir could not go through it).
    Otherwise a ValueError naming it and why. Nothing is left behind:
    check the folders a run will write to before it starts, and make them when it writes."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"{folder} is a file, not a folder")
    if not (creatable or folder.is_dir()):
        raise ValueError(f"there is no folder {folder}")
    verb = "write in" if folder.is_dir() else "create"
    existing = next(path for path in [folder, *folder.absolute().parents] if os.path.lexists(path))
    if not existing.exists():
        raise ValueError(f"cannot {verb} the folder {folder} ({existing} is a symbolic link to "
                         f"{os.readlink(existing)}, which does not exist)")
    if not existing.is_dir():
        raise ValueError(f"cannot {verb} the folder {folder} ({os.strerror(errno.ENOTDIR)})")
    try:
        tempfile.TemporaryFile(dir=existing).close()
    except OSError as error:
        raise ValueError(f"cannot {verb} the folder {folder} ({error.strerror})") from None
    return folder
