"""Files at the edges: outputs that are complete or absent, inputs read with one-line errors.

Every file fpga-opt writes (IR, weight sidecars, reports, emitted projects)
goes through `write_atomically`:

* a file is never half-written: its bytes go to a hidden temporary beside it,
  renamed over it when complete; a signal removes the temporary, and one left
  by SIGKILL (which no process can clean up after) is removed by the next
  write into that folder;
* inside an `output_transaction` (every console script runs in one, see
  `fpga_opt.tools.diagnostics`) files are only staged, and appear together
  when the run succeeds: a run that fails leaves nothing new behind;
* files get the user's umask (0644 under the usual 022), like any tool's
  output, not mkstemp's 0600;
* a bad output path (empty, an existing directory, under a file) is a
  one-line `FpgaOptError` naming the path the user gave, never a temporary.

A tool that must put files on disk before it finishes (`fpga-compile` runs
`make` on its project) writes into `staging_directory(out)`, which the
transaction moves into place on success and removes on failure; intermediates
it writes only to read back go to a `scratch_directory`, removed when done.

Reading: `load_arrays` opens an `.npy`/`.npz` with every way it can be broken
(object arrays, bad CRC, a zip without arrays, truncation) as one line.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from fpga_opt.dialects.errors import FpgaOptError

_PENDING: set[Path] = set()
"""Temporary files and staging folders being written; removed if the run is interrupted."""


# --------------------------------------------------------------------------
# Output paths
# --------------------------------------------------------------------------


def check_output_file(path: str | Path | None, option: str = "-o", inputs: Iterable[str | Path | None] = ()) -> Path:
    """The output file `path`, or a one-line error if no file can be written there.

    `inputs` are the run's input files that this output must not replace (a report written over
    the model it reports on is a typo, not a wish).
    """
    if path is None or str(path).strip() == "":
        raise FpgaOptError(f"{option}: the output path is empty; give a file name")
    path = Path(path)
    if path.is_dir():
        raise FpgaOptError(f"{option} {path}: is a directory; give a file name")
    _check_parents(path, option)
    for source in inputs:
        if source is not None and str(source).strip() and _same_file(path, Path(source)):
            raise FpgaOptError(f"{option} {path}: is an input of this run ({source}); give another output name")
    return path


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def check_output_dir(path: str | Path | None, option: str = "-o") -> Path:
    """The output folder `path`, or a one-line error if it cannot be one."""
    if path is None or str(path).strip() == "":
        raise FpgaOptError(f"{option}: the output folder is empty; give a folder name")
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise FpgaOptError(f"{option} {path}: exists and is not a directory")
    _check_parents(path, option)
    return path


def _check_parents(path: Path, option: str) -> None:
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise FpgaOptError(f"{option} {path}: {parent} is a file, not a directory")
            return


# --------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------


def write_atomically(path: str | Path, data: str | bytes) -> None:
    """Write a file so that it is either complete or absent (staged, inside a transaction)."""
    path = check_output_file(path, "output")
    payload = data.encode() if isinstance(data, str) else bytes(data)
    transaction = _current()
    if transaction is not None and not transaction.writes_through(path):
        transaction.stage(path, payload)
    else:
        _write_now(path, payload)


@dataclass
class OutputTransaction:
    """Files staged during a run, written when it succeeds and forgotten when it fails."""

    staged: dict[Path, bytes] = field(default_factory=dict)
    directories: dict[Path, Path] = field(default_factory=dict)
    """Staging folder -> the folder it becomes on commit."""
    created: list[Path] = field(default_factory=list)
    """Folders made to hold the staging folders: removed if the run fails."""
    replacing: set[Path] = field(default_factory=set)
    """Staging folders that replace their target whole on commit (the target's old files go)."""

    def stage(self, path: Path, data: bytes) -> None:
        self.staged[Path(os.path.abspath(path))] = data

    def writes_through(self, path: Path) -> bool:
        """Whether `path` lies in a staging or scratch folder (written at once: the tool reads it back)."""
        absolute = Path(os.path.abspath(path))
        return any(absolute.is_relative_to(folder) for folder in (*self.directories, *_SCRATCH))

    def commit(self) -> None:
        """Write every staged file and move staging folders into place; on failure undo what was new."""
        created: list[Path] = []
        retired: list[tuple[Path, Path]] = []
        try:
            for path, data in self.staged.items():
                created += _make_parents(path)
                existed = path.exists()
                _write_now(path, data)
                if not existed:
                    created.append(path)
            for folder, target in self.directories.items():
                if folder in self.replacing:
                    created += _swap_folder(folder, target, retired)
                else:
                    created += _merge_folder(folder, target)
        except BaseException:
            _remove_created(created)
            for target, old in reversed(retired):  # put the replaced folders back
                _remove(target)
                os.replace(old, target)
            raise
        finally:
            self.discard()
        for _target, old in retired:
            _remove(old)

    def discard(self) -> None:
        """Forget staged files, remove staging folders (and the folders made for them, if still empty)."""
        self.staged.clear()
        for folder in self.directories:
            _remove(folder)
        self.directories.clear()
        self.replacing.clear()
        for folder in reversed(self.created):
            try:
                folder.rmdir()
            except OSError:
                pass
        self.created.clear()


_STACK: list[OutputTransaction] = []


def _current() -> OutputTransaction | None:
    return _STACK[-1] if _STACK else None


@contextmanager
def output_transaction() -> Iterator[OutputTransaction]:
    """Stage every `write_atomically` inside; commit on success, discard on any exception."""
    transaction = OutputTransaction()
    _STACK.append(transaction)
    try:
        yield transaction
    except SystemExit as done:
        _STACK.pop()
        if done.code in (None, 0):
            transaction.commit()
        else:
            transaction.discard()
        raise
    except BaseException:
        _STACK.pop()
        transaction.discard()
        raise
    else:
        _STACK.pop()
        transaction.commit()


def staging_directory(target: str | Path, replace: bool = False) -> Path:
    """A fresh folder beside `target` whose contents become `target` when the run succeeds.

    Its files are merged into `target`, or with `replace` they replace it whole
    (a folder the tool owns, such as fpga-explore's FRONT.designs, whose old
    files would be stale).  Outside a transaction it is `target` itself.  The
    staging folder is a sibling of `target`, so relative paths between files
    keep their meaning.
    """
    target = Path(os.path.abspath(target))
    if target.exists() and not target.is_dir():
        raise FpgaOptError(f"{target}: is a file, but a folder is written there")
    transaction = _current()
    if transaction is None:
        if replace and target.is_dir():
            shutil.rmtree(target)
        target.mkdir(parents=True, exist_ok=True)
        return target
    parent = target.parent
    transaction.created += _make_parents(target)
    _sweep_stale_staging(parent, target.name)
    folder = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-{os.getpid()}-", dir=parent))
    _PENDING.add(folder)
    transaction.directories[Path(os.path.abspath(folder))] = Path(os.path.abspath(target))
    if replace:
        transaction.replacing.add(Path(os.path.abspath(folder)))
    return folder


_SCRATCH: set[Path] = set()
"""Scratch folders of this process: files written there are intermediates, written at once."""


@contextmanager
def scratch_directory(prefix: str) -> Iterator[Path]:
    """A private temporary folder for intermediates the tool writes and reads back, removed on exit.

    Inside a transaction `write_atomically` only stages a file, so a tool that
    writes a file in order to read it again (a re-quantised model, a generated
    testbench) writes it here: there it is on disk at once, and the folder is
    removed when the block ends, on success, error or signal alike.
    """
    folder = Path(os.path.abspath(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-")))
    _sweep_stale_scratch(folder.parent, prefix)
    _SCRATCH.add(folder)
    _PENDING.add(folder)
    try:
        yield folder
    finally:
        _SCRATCH.discard(folder)
        _remove(folder)


def commit_now() -> None:
    """Write what the current transaction staged so far (e.g. to keep partial outputs on request)."""
    transaction = _current()
    if transaction is not None:
        transaction.commit()


def discard_pending() -> None:
    """Remove every temporary file and staging folder still being written (after an interruption)."""
    for transaction in _STACK:
        transaction.staged.clear()
    for path in list(_PENDING):
        _remove(path)


def _write_now(path: Path, data: bytes) -> None:
    """Write `data` to `path` atomically, with the user's umask; errors name `path`, not a temporary."""
    created = _make_parents(path)
    try:
        _sweep_stale_temporaries(path.parent)
        _replace_from_temporary(path, data)
    except OSError as error:
        _remove_created(created)
        raise FpgaOptError(f"{path}: cannot write it ({error.strerror or error})") from None
    except BaseException:
        _remove_created(created)
        raise


_TEMPORARY_SUFFIX = ".fpga-opt-tmp"


def _replace_from_temporary(path: Path, data: bytes) -> None:
    """Write a hidden temporary beside `path` (named with our pid), then rename it over `path`."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".{os.getpid()}{_TEMPORARY_SUFFIX}", dir=path.parent)
    temporary = Path(name)
    _PENDING.add(temporary)
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        _write_all(fd, data)
        os.close(fd)
        fd = -1
        os.replace(temporary, path)
    finally:
        if fd >= 0:
            os.close(fd)
        temporary.unlink(missing_ok=True)
        _PENDING.discard(temporary)


def _sweep_stale_temporaries(folder: Path) -> None:
    """Remove temporaries a killed fpga-opt process left in `folder` (SIGKILL cannot be cleaned up after)."""
    try:
        entries = [e.name for e in os.scandir(folder) if e.name.startswith(".") and e.name.endswith(_TEMPORARY_SUFFIX)]
    except OSError:
        return
    for name in entries:
        pid_text = name[: -len(_TEMPORARY_SUFFIX)].rsplit(".", 1)[-1]
        if pid_text.isdigit() and not _alive(int(pid_text)):
            (folder / name).unlink(missing_ok=True)


def _sweep_stale_staging(parent: Path, name: str) -> None:
    """Remove staging folders for `name` that a killed process left in `parent`."""
    prefix = f".{name}.partial-"
    try:
        entries = [e.name for e in os.scandir(parent) if e.name.startswith(prefix) and e.is_dir()]
    except OSError:
        return
    for entry in entries:
        pid_text = entry[len(prefix) :].split("-", 1)[0]
        if pid_text.isdigit() and not _alive(int(pid_text)):
            shutil.rmtree(parent / entry, ignore_errors=True)


def _sweep_stale_scratch(parent: Path, prefix: str) -> None:
    """Remove scratch folders `prefix<pid>-*` whose process is gone (a SIGKILL left them in $TMPDIR)."""
    try:
        entries = [e.name for e in os.scandir(parent) if e.name.startswith(prefix) and e.is_dir()]
    except OSError:
        return
    for entry in entries:
        pid_text = entry[len(prefix) :].split("-", 1)[0]
        if pid_text.isdigit() and "-" in entry[len(prefix) :] and not _alive(int(pid_text)):
            shutil.rmtree(parent / entry, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _temporary_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def _umask() -> int:
    """The process's umask (reading it means setting it: put it straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _make_parents(path: Path) -> list[Path]:
    """Create the missing folders above `path`; return them, outermost first."""
    missing = []
    for parent in Path(os.path.abspath(path)).parents:
        if parent.exists():
            break
        missing.append(parent)
    missing.reverse()
    for folder in missing:
        try:
            folder.mkdir()
        except FileExistsError:
            pass
        except OSError as error:
            raise FpgaOptError(f"{path}: cannot create the folder {folder} ({error.strerror or error})") from None
    return missing


def _merge_folder(source: Path, target: Path) -> list[Path]:
    """Move every file of `source` into `target` (replacing files of the same name); return what was new."""
    created = _make_parents(target / "x")
    for root, _dirs, files in os.walk(source):
        relative = Path(root).relative_to(source)
        for name in sorted(files):
            destination = target / relative / name
            created += _make_parents(destination)
            existed = destination.exists()
            os.replace(Path(root) / name, destination)
            if not existed:
                created.append(destination)
    return created


def _swap_folder(source: Path, target: Path, retired: list[tuple[Path, Path]]) -> list[Path]:
    """Make `source` the folder `target`; an old `target` is moved aside into `retired` (undoable).

    The old folder's name starts like a staging folder's, so one a SIGKILL left behind is swept.
    """
    created = _make_parents(target)
    if target.is_dir() and not target.is_symlink():
        old = target.with_name(f".{target.name}.partial-{os.getpid()}-replaced")
        _remove(old)
        os.replace(target, old)
        retired.append((target, old))
    elif os.path.lexists(target):
        raise FpgaOptError(f"{target}: is a file, but a folder is written there")
    else:
        created.append(target)
    os.chmod(source, 0o777 & ~_umask())  # mkdtemp's 0700 -> a folder like any other the user makes
    os.replace(source, target)
    return created


def _remove_created(paths: list[Path]) -> None:
    for path in reversed(paths):
        _remove(path)


def _remove(path: Path) -> None:
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    except OSError:
        pass
    _PENDING.discard(path)


# --------------------------------------------------------------------------
# Reading arrays
# --------------------------------------------------------------------------


def load_arrays(path: str | Path, what: str = "input"):
    """An `.npy` array, or the arrays of an `.npz` as a dict; anything wrong with the file is one line."""
    import zipfile

    import numpy as np

    path = Path(path)
    if not path.exists():
        raise FpgaOptError(f"{path}: no such {what + ' ' if what else ''}file")
    if path.is_dir():
        raise FpgaOptError(f"{path}: is a directory, not a numpy .npy/.npz file")
    try:
        data = np.load(path, allow_pickle=False)
        if isinstance(data, np.ndarray):
            return _numeric(data, path, None)
        with data:
            arrays = {}
            for key in data.files:
                value = data[key]
                if not isinstance(value, np.ndarray):
                    raise FpgaOptError(f"{path}: member '{key}' is not a numpy array (a zip, not an .npz?)")
                arrays[key] = _numeric(value, path, key)
            return arrays
    except FpgaOptError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError, NotImplementedError) as error:
        reason = " ".join(str(error).split()) or type(error).__name__
        raise FpgaOptError(f"{path}: cannot read a numpy array (.npy/.npz: {reason})") from None


def _numeric(array, path: Path, key: str | None):
    if array.dtype.kind not in "biuf":
        member = f" '{key}'" if key is not None else ""
        raise FpgaOptError(f"{path}: array{member} has dtype {array.dtype}, not numbers")
    return array
