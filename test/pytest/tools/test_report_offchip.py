"""The report of designs larger than the chip: weights streamed from DRAM or generated, and partitions.

The model is SqueezeNet 1.1 as torch's exporter wrote it and onnxruntime's
quantiser quantised it (examples/zoo/models, committed: nothing is built or
downloaded here).  Two designs: place-weights with two layers streamed from
DRAM and one generated (OVSF), drawn by fpga-report; and fpga-compile
`--weights partition` on a KV260 cut down to 10 RAMB18s (examples/boards/kv260_cut.toml: two partitions),
whose output folder holds report.json and report.html.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from browser import chromium, dump_dom, screenshot
from test_report_html import NO_BROWSER, REPO, node, read_page, tool

MODEL = REPO / "examples/zoo/models/squeezenet1_1.qdq_tensor.onnx"
BOARD = REPO / "examples/boards/kv260_cut.toml"  # 10 RAMB18s, no URAM, 30k LUTs: two partitions
STREAMED = ("features.features.12.e3.e3.0.Conv", "classifier.classifier.1.Conv")
GENERATED = "features.features.3.e3.e3.0.Conv"


@pytest.fixture(scope="module")
def placed(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("placed")
    layers = ",".join([*(f"{name}:dram" for name in STREAMED), f"{GENERATED}:generated"])
    pipeline = f'dataflow-canonicalize,merge-loops,place-weights{{board=kv260 layers="{layers}"}},estimate-resources'
    tool("fpga-opt", str(MODEL), "-p", pipeline, "-o", "sq.placed.mlir", cwd=work)  # imported on the fly
    done = tool("fpga-report", "sq.placed.mlir", "--html", "sq.html", "--json", "sq.json", "-q", cwd=work)
    (work / "stdout.txt").write_text(done.stdout)
    return work


@pytest.fixture(scope="module")
def partitioned(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("partitioned")
    args = ["--board", str(BOARD), "--weights", "partition", "--no-csim", "--frames", "1", "-o", "out", "-q"]
    tool("fpga-compile", str(MODEL), *args, cwd=work)
    done = tool("fpga-report", "out/squeezenet1_1.qdq_tensor.opt.mlir", "--json", "sq.json", "--sim-frames", "0",
                cwd=work)  # fmt: skip
    (work / "stdout.txt").write_text(done.stdout)
    return work


def test_streams_and_generator_are_drawn_into_their_layers(placed):
    page = read_page(placed / "sq.html")
    streams = [n for n in page.nodes if "g-weight_stream" in n["classes"]]
    generators = [n for n in page.nodes if "g-generator" in n["classes"]]
    assert len(streams) == 2 and len(generators) == 1
    text = (placed / "sq.html").read_text()
    assert text.count('class="edge weights"') == 3  # one edge from each provider into the layer it feeds
    for name in STREAMED:  # the box says it short, the tooltip in full
        assert "\u00b7 w: DRAM" in " ".join(node(page, name)["text"])
        assert "weights: DRAM" in " ".join(node(page, name)["text"])
    assert "\u00b7 w: gen." in " ".join(node(page, GENERATED)["text"])
    assert "weights: generated" in " ".join(node(page, GENERATED)["text"])
    assert all("w: " not in " ".join(node(page, e)["text"]) for e in ("features.features.0.Conv",))
    assert "OVSF \u03c1=0.25, coefficients on chip" in " ".join(generators[0]["text"])
    report = json.loads((placed / "sq.json").read_text())
    weights = {e["layer"]: e.get("weights") for e in report["layers"]}
    assert [weights[n] for n in (*STREAMED, GENERATED)] == ["dram", "dram", "generated"]
    for stream in streams:  # the bytes a stream moves, as the IR's reads x weights
        kb = re.search(r"DRAM ([\d.]+) KB/frame \((\d+) reads\)", " ".join(stream["text"]))
        assert kb and float(kb.group(1)) > 0


def test_dram_section_matches_the_ir(placed):
    report = json.loads((placed / "sq.json").read_text())
    offchip = report["offchip"]
    ir = (placed / "sq.placed.mlir").read_text()
    recorded = int(re.search(r"dataflow.dram = \{bytes_per_frame = (\d+)", ir).group(1))
    assert offchip["dram_bytes_per_frame"] == recorded
    assert offchip["placements"] == {"dram": 2, "generated": 1, "onchip": 15}
    assert sum(offchip["dram_bytes"].values()) == recorded
    assert 0 < offchip["dram_gbps_needed"] < offchip["dram_gbps_available"]
    text = (placed / "sq.html").read_text()
    assert f"{recorded:,} bytes per frame" in text and 'data-dram="design"' in text
    assert f"DRAM {recorded:,} bytes/frame" in (placed / "stdout.txt").read_text()


def test_partitioned_page_draws_each_partition_and_the_schedule(partitioned):
    out = partitioned / "out"
    report = json.loads((partitioned / "sq.json").read_text())
    schedule, parts = report["schedule"], report["partitions"]
    assert schedule["partitions"] == len(parts) == 2
    page = read_page(out / "report.html")
    text = (out / "report.html").read_text()
    assert [f'id="partition-{i}"' in text for i in range(3)] == [True, True, False]
    drawn = [n["layer"] for n in page.nodes if {"g-input", "g-output"}.isdisjoint(n["classes"])]
    assert drawn == [e["layer"] for e in report["layers"]]  # every op once, partition by partition
    assert [e["partition"] for e in report["layers"]] == sorted(e["partition"] for e in report["layers"])
    assert f"{schedule['fps']:,.0f}" in text and f"batch {schedule['batch']}" in text
    for part in parts:  # each partition's own DRAM bar and figures
        assert f'data-dram="p{part["index"]}"' in text
        assert part["dram_bytes_per_frame"] > 0 and part["dram_bytes"]["weights"] == 0  # all weights on chip
    for key in ("dsp", "bram18", "lut"):  # partitions run one at a time: the largest, not the sum
        assert report["totals"][key] == max(p["totals"][key] for p in parts)
    assert report["utilisation"]["bram18"] <= 1.0
    assert "largest partition" in (partitioned / "stdout.txt").read_text()


def test_partitioned_compile_reports_a_skipped_csim_as_skipped(partitioned):
    design = json.loads((partitioned / "out/report.json").read_text())["design"]
    checks = {c["name"]: c for c in design["checks"]}
    assert checks["csim"] == {"name": "csim", "status": "skipped", "reason": "--no-csim"}
    assert design["csim_passed"] is None and checks["equivalence"]["status"] == "passed"
    assert "<td>csim</td><td class=''>skipped</td><td>--no-csim</td>" in (partitioned / "out/report.html").read_text()


def test_offchip_pages_need_nothing_from_outside(placed, partitioned):
    for path in (placed / "sq.html", partitioned / "out/report.html"):
        page = read_page(path)
        assert page.tags.isdisjoint({"script", "link", "img", "iframe", "object", "embed"})
        assert all(ref.startswith("#") for ref in page.references), page.references


@pytest.mark.slow
@pytest.mark.skipif(chromium() is None, reason=NO_BROWSER)
@pytest.mark.parametrize("design,page", [("placed", "sq.html"), ("partitioned", "out/report.html")])
def test_offchip_page_renders_in_chromium(design, page, request, tmp_path):
    path = request.getfixturevalue(design) / page
    dom, console = dump_dom(path)
    assert console == []
    assert dom.count('class="g-node') == len(read_page(path).nodes) > 5
    png = tmp_path / f"{design}.png"
    screenshot(path, png)
    from PIL import Image

    image = Image.open(png).convert("RGB")
    colours = {colour for _, colour in image.getcolors(maxcolors=1 << 24)}
    assert (0x5B, 0x7B, 0xA6) in colours  # layer outlines are on screen
    assert (0x4F, 0x9A, 0x6B) in colours  # and a DRAM / utilisation bar
    if design == "placed":
        assert (0x5F, 0x8A, 0x1F) in colours  # the weights generator's outline (near the top)
    saved = os.environ.get("FPGA_OPT_SCREENSHOTS")
    if saved:
        Path(saved).mkdir(parents=True, exist_ok=True)
        image.save(Path(saved) / f"report_{design}.png", optimize=True)
