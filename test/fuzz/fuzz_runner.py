"""Running one fuzz case and checking the tools' promise on it.

A `Case` is a tool, its arguments and the files it starts with, all inside a
fresh sandbox folder.  `run_case` runs it and returns an `Outcome` that says
which part of the promise broke, if any:

* exit code 0 or 1 (128 + N after signal N that the case sent);
* on failure, stderr is exactly one line `tool: error: ...`;
* no Python traceback anywhere, and no "internal error"/"out of memory" line
  (the boundary's words for a bug: counted as bugs, not hidden);
* no new files on failure, no temporaries on success, nothing in $TMPDIR;
* the files the case started with are unchanged (outputs it names excepted,
  on success);
* it ends within the time limit: `timeout` seconds of CPU, `WALL_FACTOR` times that of wall
  time (else: a hang).

Most cases run *in-process in a forked child*: the parent has imported every
tool once, so a case costs milliseconds of start-up instead of a third of a
second, and the fork keeps the promise checks honest (a hang is killed, a
crash or leaked state stays in the child).  Cases that send a signal run the
installed console scripts as real subprocesses.
"""

from __future__ import annotations

import hashlib
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

MEMORY_LIMIT = 8 << 30
"""Address-space limit of a case (bytes): an absurd allocation fails inside the case, not the machine."""
WALL_FACTOR = 5
"""A case may use `timeout` seconds of CPU (RLIMIT_CPU: the machine's load does not count) and
`WALL_FACTOR * timeout` seconds of wall time (a case blocked without using CPU): past either it is
a hang.  On a shared machine wall time alone called a 7 s-of-CPU case a hang at load 28."""


@dataclass
class Case:
    family: str
    tool: str
    argv: list[str]
    files: dict[str, bytes] = field(default_factory=dict)
    """Files the sandbox starts with (relative paths), all inputs."""
    dirs: list[str] = field(default_factory=list)
    may_write: list[str] = field(default_factory=list)
    """Files the tool may create or replace when it succeeds."""
    signal: int | None = None
    delay: float = 0.0
    """Seconds after the start at which `signal` is sent (subprocess cases)."""
    rerun: list[str] | None = None
    """After a SIGKILL: arguments of a second run of the same tool that must succeed and clean up."""
    note: str = ""

    def command(self) -> str:
        import shlex

        return " ".join(shlex.quote(a) for a in [self.tool, *self.argv])


@dataclass
class Outcome:
    case: Case
    code: int | None
    stdout: str
    stderr: str
    seconds: float
    problems: list[str] = field(default_factory=list)
    """Names of broken promises: traceback, bug, hang, leftover, changed-input, multi-line, exit-code."""
    killed_silently: bool = False
    """Ended by the case's own signal before any handler was in place, having printed nothing (a
    signal before the console script's shell launcher ran its `trap`, or a SIGTERM before the
    launcher's first line): what a shell reports for any program, and no broken promise."""

    @property
    def ok(self) -> bool:
        return not self.problems


THIRD_PARTY_TMP = frozenset({".ses"})
"""Files other libraries keep in $TMPDIR across runs, not outputs of a tool: onnxruntime writes
`$TMPDIR/.ses` (a session id it reuses) when it creates its first InferenceSession (fpga-trace)."""


def _tmp_leftovers(tmp: Path) -> bool:
    return any(p.name not in THIRD_PARTY_TMP for p in tmp.iterdir())


PROBLEMS = ("traceback", "bug", "hang", "leftover", "changed-input", "multi-line", "exit-code")


# --------------------------------------------------------------------------
# The sandbox
# --------------------------------------------------------------------------


def _snapshot(root: Path) -> dict[str, str]:
    """Relative path -> content hash (folders: 'dir') of everything under `root`."""
    result = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        if path.is_symlink() or not path.is_dir():
            try:
                result[rel] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "special"
            except OSError:
                result[rel] = "unreadable"
        else:
            result[rel] = "dir"
    return result


def _prepare(case: Case, root: Path) -> tuple[Path, Path]:
    sandbox, tmp = root / "work", root / "tmp"
    sandbox.mkdir()
    tmp.mkdir()
    for rel in case.dirs:
        (sandbox / rel).mkdir(parents=True, exist_ok=True)
    for rel, data in case.files.items():
        path = sandbox / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return sandbox, tmp


# --------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------

_MAINS: dict[str, object] = {}


def preload() -> None:
    """Import every tool and pass once, so that forked cases start instantly."""
    import importlib

    from fpga_opt.passes import load_pass, pass_names
    from fpga_opt.tools.launch import TOOLS

    for tool, module in TOOLS.items():
        _MAINS[tool] = importlib.import_module(module).main
    for name in pass_names():
        load_pass(name)
    import fpga_opt.backend.hls.emit  # noqa: F401
    import fpga_opt.backend.sim  # noqa: F401
    import fpga_opt.frontend.onnx_import  # noqa: F401


def run_case(case: Case, timeout: float) -> Outcome:
    root = Path(tempfile.mkdtemp(prefix="fpga-fuzz-"))
    try:
        sandbox, tmp = _prepare(case, root)
        before = _snapshot(sandbox)
        start = time.perf_counter()
        killed = False
        if case.signal is None and case.rerun is None:
            code, out, err = _run_forked(case, sandbox, tmp, timeout)
        else:
            code, out, err, killed = _run_subprocess(case, sandbox, tmp, timeout)
        seconds = time.perf_counter() - start
        outcome = Outcome(case, code, out, err, seconds)
        outcome.killed_silently = killed and not (out + err).strip()
        _check(outcome, before, _snapshot(sandbox), tmp)
        return outcome
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _run_forked(case: Case, sandbox: Path, tmp: Path, timeout: float) -> tuple[int | None, str, str]:
    out_path, err_path = sandbox.parent / "stdout", sandbox.parent / "stderr"
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child: become the tool
        code = 70
        try:
            _become_tool(case, sandbox, tmp, out_path, err_path, timeout)
            code = _call_main(case)
        except BaseException:  # noqa: B036 - nothing may escape a forked child
            traceback.print_exc()
        finally:
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(code)
    code = _wait(pid, timeout * WALL_FACTOR)
    return (None if code == -signal.SIGXCPU else code), _read(out_path), _read(err_path)


def _limit_resources(timeout: float) -> None:
    """The case's limits: memory, and CPU seconds (the kernel sends SIGXCPU past them: a hang)."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    seconds = max(1, int(timeout))
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 5))


def _become_tool(case: Case, sandbox: Path, tmp: Path, out_path: Path, err_path: Path, timeout: float) -> None:
    os.chdir(sandbox)
    os.environ["TMPDIR"] = str(tmp)
    tempfile.tempdir = str(tmp)
    _limit_resources(timeout)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    for fd, path in ((1, out_path), (2, err_path)):
        target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(target, fd)
        os.close(target)
    _standard_streams()
    sys.argv = [case.tool, *case.argv]


def _standard_streams() -> None:
    """Python's standard streams on the child's fds 0, 1 and 2, as a freshly started tool has them.

    The child inherits the parent's `sys.stdout`/`sys.stderr` objects, and under pytest those are
    its capture files, not fds 1 and 2: every line a tool printed went to pytest's capture and the
    case's own stderr stayed empty (an exit 1 with "nothing" said).  Rebinding them here makes the
    forked child see what a user's process sees.
    """
    sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115 - the process's own stream
    sys.stdout = open(1, "w", encoding="utf-8", errors="strict", closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", buffering=1, encoding="utf-8", errors="backslashreplace", closefd=False)  # noqa: SIM115
    sys.__stdin__, sys.__stdout__, sys.__stderr__ = sys.stdin, sys.stdout, sys.stderr
    import logging

    # pytest's log capture handlers live in the parent: a record logged in the child goes where it
    # would for a user (Python's last-resort handler, on this stderr).
    logging.root.handlers = [h for h in logging.root.handlers if type(h).__module__.split(".")[0] != "_pytest"]


def _call_main(case: Case) -> int:
    try:
        _MAINS[case.tool](list(case.argv))  # type: ignore[operator]
    except SystemExit as done:
        if done.code is None:
            return 0
        return done.code if isinstance(done.code, int) else 1
    return 0


def _wait(pid: int, timeout: float) -> int | None:
    deadline = time.monotonic() + timeout
    delay = 0.002
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return None
        time.sleep(delay)
        delay = min(delay * 2, 0.05)


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _script(tool: str) -> str:
    return str(Path(sys.executable).parent / tool)


def _run_subprocess(case: Case, sandbox: Path, tmp: Path, timeout: float) -> tuple[int | None, str, str, bool]:
    """Exit code (None: a hang), stdout, stderr, and whether the process was killed by a signal."""
    env = dict(os.environ, TMPDIR=str(tmp))
    env.pop("FPGA_OPT_DEBUG", None)

    def limit() -> None:
        _limit_resources(timeout)

    process = subprocess.Popen(
        [_script(case.tool), *case.argv],
        cwd=sandbox,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=limit,
        start_new_session=True,  # its own process group: a timeout kills the workers too, which hold its pipes
    )
    if case.signal is not None or case.rerun is not None:
        try:
            process.wait(timeout=case.delay)
        except subprocess.TimeoutExpired:
            process.send_signal(case.signal if case.signal is not None else signal.SIGKILL)
    try:
        out, err = process.communicate(timeout=timeout * WALL_FACTOR)
        code: int | None = process.returncode
    except subprocess.TimeoutExpired:
        _kill_group(process.pid)
        out, err = process.communicate()
        code = None
    if code == -signal.SIGXCPU:
        code = None  # past its CPU time: a hang
    killed = code is not None and code < 0
    if killed:
        code = 128 - code  # killed by the signal itself, reported as a shell does
    if case.rerun is not None and code != 0:
        # A SIGKILL cannot be cleaned up after; the promise is that the next run cleans up.
        again = subprocess.run(
            [_script(case.tool), *case.rerun],
            cwd=sandbox,
            env=env,
            capture_output=True,
            timeout=timeout * WALL_FACTOR,
            preexec_fn=limit,
        )
        if again.returncode != 0:
            out, err = again.stdout, again.stderr
            return again.returncode, out.decode(errors="replace"), err.decode(errors="replace"), again.returncode < 0
        code, killed = 0, False
    return code, out.decode(errors="replace"), err.decode(errors="replace"), killed


def _read(path: Path) -> str:
    try:
        return path.read_bytes().decode(errors="replace")
    except OSError:
        return ""


# --------------------------------------------------------------------------
# The promise
# --------------------------------------------------------------------------


def _check(o: Outcome, before: dict[str, str], after: dict[str, str], tmp: Path) -> None:
    case = o.case
    if o.code is None:
        o.problems.append("hang")
        return
    allowed = {0, 1}
    if case.signal is not None:
        allowed.add(128 + case.signal)
    if o.code not in allowed:
        o.problems.append("exit-code")
    text = o.stdout + o.stderr
    if "Traceback (most recent call last)" in text:
        o.problems.append("traceback")
    if "internal error (" in o.stderr or "out of memory (" in o.stderr:
        o.problems.append("bug")
    if o.code != 0 and not o.killed_silently:
        lines = [line for line in o.stderr.splitlines() if line.strip()]
        if len(lines) != 1 or not lines[0].startswith(f"{case.tool}: error: "):
            o.problems.append("multi-line")
    may_write = {os.path.normpath(p) for p in case.may_write} if o.code == 0 else set()
    new = [p for p in after if p not in before and not _inside(p, may_write)]
    temporaries = [p for p in after if ".fpga-opt-tmp" in p or ".partial-" in p]
    if new or temporaries or _tmp_leftovers(tmp):
        o.problems.append("leftover")
    changed = [p for p, h in before.items() if p not in may_write and after.get(p) != h and h != "dir"]
    if changed:
        o.problems.append("changed-input")


def _inside(path: str, roots: set[str]) -> bool:
    """Whether `path` is one of `roots` or under one (`.` holds everything)."""
    return any(r == "." or path == r or path.startswith(r.rstrip("/") + "/") for r in roots)
