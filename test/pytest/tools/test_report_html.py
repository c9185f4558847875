"""`fpga-report --html`: one self-contained page that draws the design, checked statically and in headless Chromium.

Designs: ResNet-8 through fpga-compile's default pipeline, the digits
early-exit network profiled by fpga-profile-exits and split, and a hand-made
two-layer design.  Set FPGA_OPT_SCREENSHOTS=docs/images to refresh the
screenshots the docs show.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from browser import chromium, dump_dom, screenshot

REPO = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
NO_BROWSER = "no chromium on PATH (the Makefile installs Debian's chromium as root: apt-get install chromium)"


def tool(name: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    done = subprocess.run([str(BIN / name), *args], cwd=cwd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{name} {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def resnet8(tmp_path_factory) -> Path:
    """ResNet-8 (int8, the corpus) optimised for a KV260 as fpga-compile does it, reported as HTML."""
    work = tmp_path_factory.mktemp("resnet8")
    tool("fpga-translate", "--import-onnx", str(REPO / "examples/models/resnet8_int8.onnx"), "-o", "r8.mlir", cwd=work)
    pipeline = (
        "dataflow-canonicalize,select-folding{board=kv260},merge-loops,minimize-residual-buffers,"
        "size-fifos{refold=true},estimate-resources{board=kv260}"
    )
    tool("fpga-opt", "r8.mlir", "-p", pipeline, "-o", "r8.opt.mlir", cwd=work)
    tool("fpga-report", "r8.opt.mlir", "--html", "r8.html", "--json", "r8.json", cwd=work)
    return work


@pytest.fixture(scope="module")
def early_exit(tmp_path_factory) -> Path:
    """The digits early-exit network, profiled on its test set, split and folded for a Pynq-Z2."""
    work = tmp_path_factory.mktemp("early_exit")
    model = REPO / "examples/early_exit/digits_blenet_int8.onnx"
    tool("fpga-translate", "--import-onnx", str(model), "-o", "digits.mlir", cwd=work)
    data = str(REPO / "examples/early_exit/digits_test.npz")
    tool(
        "fpga-profile-exits", "digits.mlir", "--data", data, "--labels-key", "y", "--thresholds", "0.9",
        "--write-ir", "digits.profiled.mlir", cwd=work,
    )  # fmt: skip
    pipeline = "split-exit-branches,select-folding{board=pynqz2},estimate-resources{board=pynqz2}"
    tool("fpga-opt", "digits.profiled.mlir", "-p", pipeline, "-o", "digits.folded.mlir", cwd=work)
    tool("fpga-report", "digits.folded.mlir", "--html", "digits.html", cwd=work)
    return work


class _Page(HTMLParser):
    """What the tests read from a page: graph nodes with their classes and text, references to other files."""

    def __init__(self) -> None:
        super().__init__()
        self.nodes: list[dict] = []
        self.references: list[str] = []
        self.tags: set[str] = set()
        self._node: dict | None = None
        self._depth = 0

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.add(tag)
        for key in ("src", "href", "xlink:href", "action", "data"):
            if key in attributes:
                self.references.append(attributes[key] or "")
        if tag == "g" and "g-node" in (attributes.get("class") or ""):
            self._node = {"classes": attributes["class"].split(), "layer": attributes.get("data-layer"), "text": []}
            self.nodes.append(self._node)
            self._depth = 0
        elif self._node is not None and tag == "g":
            self._depth += 1

    def handle_endtag(self, tag):
        if tag == "g" and self._node is not None:
            if self._depth == 0:
                self._node = None
            else:
                self._depth -= 1

    def handle_data(self, data):
        if self._node is not None:
            self._node["text"].append(data)


def read_page(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text())
    return page


def node(page: _Page, layer: str) -> dict:
    return next(n for n in page.nodes if n["layer"] == layer)


def test_resnet8_page_draws_every_op_bottleneck_and_buffers(resnet8):
    page = read_page(resnet8 / "r8.html")
    report = json.loads((resnet8 / "r8.json").read_text())
    layers = [entry["layer"] for entry in report["layers"]]
    drawn = [n["layer"] for n in page.nodes if {"g-input", "g-output"}.isdisjoint(n["classes"])]
    assert drawn == layers  # every costed op, in program order, once
    bottleneck = [n["layer"] for n in page.nodes if "g-bottleneck" in n["classes"]]
    assert bottleneck == [report["bottleneck"]]
    assert "100% of interval" in " ".join(node(page, report["bottleneck"])["text"])
    skips = [n for n in page.nodes if "g-skip" in n["classes"]]
    assert len(skips) == 3  # one skip buffer per residual block, after minimize-residual-buffers
    opt = (resnet8 / "r8.opt.mlir").read_text()
    for skip in skips:
        depth = re.search(r"skip buffer, depth ([\d,]+)", " ".join(skip["text"])).group(1).replace(",", "")
        assert f'depth = {depth} : i64, layer = "{skip["layer"]}"' in opt
    text = (resnet8 / "r8.html").read_text()
    assert 'data-resource="dsp"' in text and f"{report['totals']['dsp']:,} / 1,248" in text
    assert "Simulated vs predicted" in text and "cycles per frame" in text
    assert f"{report['power']['total_w']:.3f} W" in text and "energy per inference" in text  # as the text report


def test_page_needs_nothing_from_outside(resnet8, early_exit):
    for path in (resnet8 / "r8.html", early_exit / "digits.html"):
        page = read_page(path)
        assert page.tags.isdisjoint({"script", "link", "img", "iframe", "object", "embed"})
        assert all(ref.startswith("#") for ref in page.references), page.references
        text = path.read_text()
        assert text.count("http") == text.count('xmlns="http://www.w3.org/2000/svg"')
        assert "@import" not in text and "url(http" not in text


def test_early_exit_page_shows_exit_rates_and_reach(early_exit):
    page = read_page(early_exit / "digits.html")
    folded = (early_exit / "digits.folded.mlir").read_text()
    rates = folded.split("dataflow.exit_probabilities = [")[1].split("]")[0]
    leave = float(rates.split(":")[0])
    decision = next(n for n in page.nodes if "g-decision" in n["classes"])
    assert f"{100 * leave:.1f}% leave" in " ".join(decision["text"])
    merge = next(n for n in page.nodes if "g-merge" in n["classes"])
    assert f"final exit: {100 * (1 - leave):.1f}%" in " ".join(merge["text"])
    exit_buffer = next(n for n in page.nodes if "g-exit_buffer" in n["classes"])
    assert "depth" in " ".join(exit_buffer["text"])
    # a layer after the exit sees only the samples that continue
    later = node(page, "conv2.conv_Conv")
    assert f"reach {100 * (1 - leave):.1f}%" in " ".join(later["text"])


def test_same_design_same_bytes(resnet8, tmp_path):
    tool("fpga-report", str(resnet8 / "r8.opt.mlir"), "--html", str(tmp_path / "again.html"), cwd=tmp_path)
    assert (tmp_path / "again.html").read_bytes() == (resnet8 / "r8.html").read_bytes()


@pytest.mark.slow
@pytest.mark.skipif(chromium() is None, reason=NO_BROWSER)
@pytest.mark.parametrize("design,page", [("resnet8", "r8.html"), ("early_exit", "digits.html")])
def test_page_renders_in_chromium(design, page, request, tmp_path):
    folder = request.getfixturevalue(design)
    path = folder / page
    dom, console = dump_dom(path)
    assert console == []  # no error, warning or message of any kind
    assert dom.count('class="g-node') == len(read_page(path).nodes) > 5
    png = tmp_path / f"{design}.png"
    screenshot(path, png)
    from PIL import Image

    image = Image.open(png).convert("RGB")
    colours = {colour for _, colour in image.getcolors(maxcolors=1 << 24)}
    assert (0xC6, 0x28, 0x28) in colours  # the bottleneck's red outline is on screen
    assert (0x5B, 0x7B, 0xA6) in colours  # and the outline of ordinary layers
    saved = os.environ.get("FPGA_OPT_SCREENSHOTS")
    if saved:
        Path(saved).mkdir(parents=True, exist_ok=True)
        image.save(Path(saved) / f"report_{design}.png", optimize=True)
