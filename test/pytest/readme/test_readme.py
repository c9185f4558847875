"""The README's "Using it" block runs as it stands, line by line, in a fresh copy of the repository.

The block is the fenced `sh` block between the `readme-test: begin/end`
markers.  It runs in a temporary folder holding the repository's files (what a
fresh clone has, plus uncommitted edits) and `.venv` pointing at the
environment running the tests, as one bash script that stops at the first
failing line and names it.  Lines whose comment says *C simulation* take
minutes (g++ builds a whole network): the fast test leaves them out (it says
which), `make test-all` (FPGA_OPT_HEAVY=1) runs the whole block after
`make demo`, as the README promises.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
BEGIN, END = "<!-- readme-test: begin -->", "<!-- readme-test: end -->"
HEAVY = re.compile(r"#.*C simulation")
HEAVY_REASON = "the README's C-simulation lines take minutes; `make test-all` (FPGA_OPT_HEAVY=1) runs them"


def readme_block(text: str) -> list[str]:
    """The command lines of the marked block (the fence and blank lines dropped)."""
    if BEGIN not in text or END not in text:
        raise AssertionError(f"README.md has no {BEGIN} ... {END} block")
    block = text.split(BEGIN, 1)[1].split(END, 1)[0].strip().splitlines()
    assert block[0].strip() == "```sh" and block[-1].strip() == "```", "the marked block must be one ```sh fence"
    return [line for line in block[1:-1] if line.strip()]


def fresh_copy(target: Path) -> Path:
    """The repository's files (tracked and new, not ignored) in `target`, with `.venv` -> this environment."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO, capture_output=True, check=True
    ).stdout.split(b"\0")
    for name in filter(None, (entry.decode() for entry in listed)):
        source = REPO / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    (target / ".venv").symlink_to(Path(sys.prefix))
    return target


def run_block(lines: list[str], cwd: Path, timeout: float) -> None:
    """Run `lines` as one bash script in `cwd`; fail naming the first line that fails."""
    script = ["set -e -o pipefail"]
    for number, line in enumerate(lines, start=1):
        script += [line, f"echo '@@readme {number} done' >&2"]
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    done = subprocess.run(
        ["bash", "-c", "\n".join(script)], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env
    )
    finished = [int(n) for n in re.findall(r"@@readme (\d+) done", done.stderr)]
    if done.returncode != 0:
        failed = (max(finished) if finished else 0) + 1
        tail = "\n".join(line for line in done.stderr.splitlines() if not line.startswith("@@readme"))[-3000:]
        pytest.fail(f"README line {failed} failed (exit {done.returncode}):\n  {lines[failed - 1]}\n{tail}")
    assert finished == list(range(1, len(lines) + 1))


def test_block_is_well_formed():
    lines = readme_block((REPO / "README.md").read_text())
    assert lines[0] == ". .venv/bin/activate"
    assert any(HEAVY.search(line) for line in lines) and not all(HEAVY.search(line) for line in lines[1:])


@pytest.mark.slow
def test_readme_block_runs_without_its_c_simulations(tmp_path):
    lines = readme_block((REPO / "README.md").read_text())
    fast = [line for line in lines if not HEAVY.search(line)]
    print(f"left out ({HEAVY_REASON}):", *(line for line in lines if HEAVY.search(line)), sep="\n  ")
    work = fresh_copy(tmp_path)
    run_block(fast, work, timeout=900)
    assert (work / "build/r8.html").stat().st_size > 10_000
    assert 'class="edge weights"' in (work / "build/sq.placed.html").read_text()  # a DRAM stream drawn
    assert 'id="partition-1"' in (work / "build/sq.parts.html").read_text()
    assert (work / "build/digits.html").is_file() and (work / "build/r8.hls.xdsl.mlir").is_file()


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("FPGA_OPT_HEAVY") != "1", reason=HEAVY_REASON)
def test_readme_block_runs_whole_after_make_demo(tmp_path):
    work = fresh_copy(tmp_path)
    demo = subprocess.run(
        ["make", "-o", ".venv/.installed-stamp", "demo"], cwd=work, capture_output=True, text=True, timeout=1800
    )
    assert demo.returncode == 0, demo.stdout[-2000:] + demo.stderr[-2000:]
    run_block(readme_block((REPO / "README.md").read_text()), work, timeout=3600)
    report = json.loads((work / "build/resnet8/report.json").read_text())["design"]
    assert {c["name"]: c["status"] for c in report["checks"]} == {"equivalence": "passed", "csim": "passed"}
