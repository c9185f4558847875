"""The fuzz families: hypothesis strategies that draw hostile `Case`s from the example corpus.

| family   | what it generates |
|----------|-------------------|
| onnx     | corpus ONNX models mutated as bytes and as protobuf (raw_data, data_type, dims, attribute types, opsets, names, external data) |
| ir       | imported corpus IR mutated as text (numbers, integer widths, lines, truncation, non-UTF-8 bytes, the sidecar) |
| options  | each tool's flags with bad values, unknown flags, and pass pipelines from a grammar (real and fake passes and options) |
| paths    | input and output paths: empty, a folder, under a file, missing, too long, a folder where a file goes |
| boards   | TOML board files with absurd, missing, mistyped and unknown keys |
| fit      | designs that cannot fit: tiny boards, tiny max-util, unreachable frame rates |
| sim      | fpga-sim and fpga-profile-exits inputs: wrong shapes, dtypes, keys, NaN, broken .npz files, flags |
| explore  | fpga-explore: bad options and bounds, mutated models, broken model builders, board files, labelled data, unwritable outputs |
| trace    | fpga-trace: mutated models, broken inputs, bad options, unwritable --json |
| signals  | real console-script processes interrupted by SIGINT/SIGTERM at a random moment, or SIGKILLed and re-run |

The corpus is `examples/models` (the small models), `examples/ir` and
`examples/early_exit`; IR and sidecars are imported once per fuzz run.
"""

from __future__ import annotations

import io
import random
import re
import signal
import zipfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import onnx
from fuzz_runner import Case
from hypothesis import strategies as st

REPO = Path(__file__).resolve().parents[2]
MODELS = REPO / "examples" / "models"
SMALL_MODELS = ("lenet5", "lenet5_int8", "blenet", "blenet_int8", "mobilenet_block", "mobilenet_block_int8")
LARGER_MODELS = ("resnet8_int8", "resnet8")
TOOLS = ("fpga-opt", "fpga-translate", "fpga-sim", "fpga-report", "fpga-compile", "fpga-profile-exits")

EXTREME_INTS = (0, -1, 1, 2, 7, 255, 2**15, 2**31, 2**31 - 1, 2**40, 2**63 - 1, 2**64, -(2**63), 10**14, 10**30)
EXTREME_FLOATS = ("0", "-0.0", "1e-300", "1e308", "1e400", "nan", "inf", "-inf", "0.5", "-3.5", "2.5e9")
NASTY_STRINGS = ("", " ", "x", "é", "a b", '"', "'", "{", "}", ",", "=", "\\", "-", "--", "\x00", "a" * 300)


@dataclass(frozen=True)
class Imported:
    """An imported corpus model: IR text and its sidecar."""

    name: str
    ir: str
    sidecar: bytes


@cache
def corpus_onnx(name: str) -> bytes:
    return (MODELS / f"{name}.onnx").read_bytes()


@cache
def imported(name: str) -> Imported:
    """`name`.onnx imported (sidecar `m.weights.npz`, referenced from `m.mlir`)."""
    from fpga_opt.dialects.weights import save_weights
    from fpga_opt.frontend.onnx_import import attach_sidecar, import_onnx, module_text

    model = import_onnx(MODELS / f"{name}.onnx")
    attach_sidecar(model.module, "m.weights.npz", ".")
    buffer = _npz_bytes(model.weights, save_weights)
    return Imported(name, module_text(model.module), buffer)


def _npz_bytes(tensors, save_weights) -> bytes:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "w.npz"
        save_weights(path, tensors)
        return path.read_bytes()


def warm_corpus() -> None:
    """Import the corpus once, before any case is forked (children inherit the cache)."""
    for name in SMALL_MODELS + LARGER_MODELS:
        corpus_onnx(name)
        imported(name)


def _model_case(name: str) -> dict[str, bytes]:
    m = imported(name)
    return {"m.mlir": m.ir.encode(), "m.weights.npz": m.sidecar}


small_model = st.sampled_from(SMALL_MODELS)
any_model = st.sampled_from(SMALL_MODELS + LARGER_MODELS)
int_text = st.one_of(st.sampled_from([str(v) for v in EXTREME_INTS]), st.integers(-5, 50).map(str))
float_text = st.one_of(st.sampled_from(EXTREME_FLOATS), st.floats(allow_nan=False, width=32).map(lambda v: f"{v:g}"))
nasty_text = st.one_of(st.sampled_from(NASTY_STRINGS), st.text(max_size=12))


# --------------------------------------------------------------------------
# onnx: mutated models
# --------------------------------------------------------------------------


def _mutate_bytes(draw, data: bytes) -> bytes:
    kind = draw(st.sampled_from(["flip", "truncate", "insert", "zero"]))
    buf = bytearray(data)
    pos = draw(st.integers(0, max(0, len(buf) - 1)))
    if kind == "flip":
        for _ in range(draw(st.integers(1, 8))):
            i = draw(st.integers(0, len(buf) - 1))
            buf[i] ^= draw(st.integers(1, 255))
    elif kind == "truncate":
        del buf[pos:]
    elif kind == "insert":
        buf[pos:pos] = draw(st.binary(min_size=1, max_size=16))
    else:
        buf[pos : pos + draw(st.integers(1, 64))] = bytes(min(64, len(buf) - pos))
    return bytes(buf)


def _mutate_proto(draw, model: onnx.ModelProto) -> str:
    """Change one thing in the protobuf; return what, for the case's note."""
    graph = model.graph
    kind = draw(
        st.sampled_from(
            [
                "raw_data",
                "data_type",
                "dims",
                "attr_type",
                "attr_value",
                "drop_node",
                "dangling",
                "opset",
                "op_type",
                "input_dims",
                "duplicate_output",
                "external",
                "elem_type",
            ]
        )
    )
    inits = [t for t in graph.initializer]
    nodes = list(graph.node)
    if kind == "raw_data" and inits:
        t = draw(st.sampled_from(inits))
        t.raw_data = t.raw_data[: draw(st.integers(0, max(0, len(t.raw_data) - 1)))] if t.raw_data else b"\x01\x02\x03"
    elif kind == "data_type" and inits:
        draw(st.sampled_from(inits)).data_type = draw(st.sampled_from([0, 8, 9, 13, 14, 16, 17, 21, 22, 40, 77, -1]))
    elif kind == "dims" and inits:
        t = draw(st.sampled_from(inits))
        choice = draw(st.sampled_from(["huge", "neg", "zero", "extra", "drop"]))
        if choice == "huge" and t.dims:
            t.dims[0] = 2**40
        elif choice == "neg" and t.dims:
            t.dims[0] = -3
        elif choice == "zero" and t.dims:
            t.dims[0] = 0
        elif choice == "extra":
            t.dims.append(draw(st.sampled_from([1, 2, 7])))
        elif t.dims:
            del t.dims[-1]
    elif kind in ("attr_type", "attr_value") and any(n.attribute for n in nodes):
        node = draw(st.sampled_from([n for n in nodes if n.attribute]))
        attr = draw(st.sampled_from(list(node.attribute)))
        if kind == "attr_type":
            new = draw(st.sampled_from(["ints", "int", "string", "float", "floats", "tensor"]))
            value = {
                "ints": [1, 2],
                "int": 1,
                "string": b"1",
                "float": 1.0,
                "floats": [1.0],
                "tensor": onnx.helper.make_tensor("t", 1, [1], [1.0]),
            }[new]
            replacement = onnx.helper.make_attribute(attr.name, value)
            attr.CopyFrom(replacement)
        else:
            big = draw(st.sampled_from(EXTREME_INTS))
            if attr.type == onnx.AttributeProto.INT:
                attr.i = max(min(big, 2**63 - 1), -(2**63))
            elif attr.type == onnx.AttributeProto.INTS and len(attr.ints):
                attr.ints[draw(st.integers(0, len(attr.ints) - 1))] = max(min(big, 2**63 - 1), -(2**63))
            elif attr.type == onnx.AttributeProto.FLOAT:
                attr.f = float(draw(st.sampled_from(EXTREME_FLOATS)))
    elif kind == "drop_node" and nodes:
        graph.node.remove(draw(st.sampled_from(nodes)))
    elif kind == "dangling" and nodes:
        node = draw(st.sampled_from([n for n in nodes if n.input] or nodes))
        if node.input:
            node.input[draw(st.integers(0, len(node.input) - 1))] = draw(
                st.sampled_from(["", "nowhere", node.output[0]])
            )
    elif kind == "opset":
        for op in model.opset_import:
            if op.domain in ("", "ai.onnx"):
                op.version = draw(st.sampled_from([0, 1, 7, 10, 19, 22, 99, 2**40]))
    elif kind == "op_type" and nodes:
        draw(st.sampled_from(nodes)).op_type = draw(
            st.sampled_from(["Conv", "Relu", "Gemm", "MaxPool", "Add", "Flatten", "Softmax", "LSTM", "Foo", ""])
        )
    elif kind == "input_dims" and graph.input:
        value = graph.input[0]
        dims = value.type.tensor_type.shape.dim
        if len(dims):
            dim = dims[draw(st.integers(0, len(dims) - 1))]
            choice = draw(st.sampled_from(["zero", "neg", "huge", "param"]))
            if choice == "param":
                dim.dim_param = "N"
            else:
                dim.dim_value = {"zero": 0, "neg": -2, "huge": 2**31}[choice]
    elif kind == "duplicate_output" and graph.output:
        graph.output.append(graph.output[0])
    elif kind == "external" and inits:
        t = draw(st.sampled_from(inits))
        t.ClearField("raw_data")
        t.data_location = onnx.TensorProto.EXTERNAL
        del t.external_data[:]
        entry = t.external_data.add()
        entry.key, entry.value = (
            "location",
            draw(st.sampled_from(["missing.bin", "../x.bin", "/etc/hostname", "", "m.onnx"])),
        )
        if draw(st.booleans()):
            more = t.external_data.add()
            more.key, more.value = "offset", draw(st.sampled_from(["0", "-5", "x", "99999999999"]))
    elif kind == "elem_type" and graph.input:
        graph.input[0].type.tensor_type.elem_type = draw(st.sampled_from([0, 2, 7, 8, 9, 16, 99]))
    return kind


@st.composite
def onnx_cases(draw) -> Case:
    name = draw(st.sampled_from(SMALL_MODELS + ("resnet8_int8",)))
    data = corpus_onnx(name)
    if draw(st.integers(0, 3)) == 0:
        data, note = _mutate_bytes(draw, data), "bytes"
    else:
        model = onnx.ModelProto()
        model.ParseFromString(data)
        note = _mutate_proto(draw, model)
        data = model.SerializeToString()
    extra = []
    if draw(st.integers(0, 4)) == 0:
        extra = [
            "--input-shape",
            draw(st.sampled_from(["input:1x1x28x28", "nope:1x3x8x8", "input:0x1", "x", ":", "input:1x-1"])),
        ]
    if draw(st.booleans()):
        case = Case(
            "onnx",
            "fpga-translate",
            ["--import-onnx", "m.onnx", "-o", "out.mlir", *extra],
            may_write=["out.mlir", "out.weights.npz"],
        )
    else:
        case = Case(
            "onnx",
            "fpga-opt",
            ["m.onnx", "-p", "dataflow-canonicalize", "-o", "out.mlir", *extra],
            may_write=["out.mlir", "out.weights.npz"],
        )
    case.files = {"m.onnx": data}
    case.note = f"{name}: {note}"
    return case


# --------------------------------------------------------------------------
# ir: mutated IR text
# --------------------------------------------------------------------------

_NUMBER = re.compile(r"(?<![A-Za-z_%#.])-?\d+")
_INT_TYPE = re.compile(r"\bi(\d+)\b")


def _mutate_ir(draw, text: str) -> tuple[bytes, str]:
    kind = draw(
        st.sampled_from(
            [
                "number",
                "width",
                "drop_line",
                "dup_line",
                "swap_lines",
                "truncate",
                "bytes",
                "weights_ref",
                "dims",
                "word",
            ]
        )
    )
    lines = text.splitlines(keepends=True)
    if kind == "number":
        spots = list(_NUMBER.finditer(text))
        if spots:
            m = draw(st.sampled_from(spots))
            text = text[: m.start()] + str(draw(st.sampled_from(EXTREME_INTS))) + text[m.end() :]
    elif kind == "width":
        spots = list(_INT_TYPE.finditer(text))
        if spots:
            m = draw(st.sampled_from(spots))
            width = draw(st.sampled_from([0, 1, 3, 7, 33, 64, 65, 128, 4096, 2**20, 2**40]))
            text = text[: m.start()] + f"i{width}" + text[m.end() :]
    elif kind in ("drop_line", "dup_line", "swap_lines") and len(lines) > 2:
        i = draw(st.integers(0, len(lines) - 1))
        j = draw(st.integers(0, len(lines) - 1))
        if kind == "drop_line":
            del lines[i]
        elif kind == "dup_line":
            lines.insert(i, lines[j])
        else:
            lines[i], lines[j] = lines[j], lines[i]
        text = "".join(lines)
    elif kind == "truncate":
        text = text[: draw(st.integers(0, max(0, len(text) - 1)))]
    elif kind == "bytes":
        raw = bytearray(text.encode())
        pos = draw(st.integers(0, max(0, len(raw) - 1)))
        raw[pos:pos] = draw(st.sampled_from([b"\xff", b"\xc3", b"\x00", b"\xed\xa0\x80", b"\xfe\xff"]))
        return bytes(raw), kind
    elif kind == "weights_ref":
        text = text.replace(
            '"m.weights.npz"', '"' + draw(st.sampled_from(["missing.npz", ".", "m.mlir", "", "../m.npz"])) + '"'
        )
    elif kind == "dims":
        text = re.sub(r"stream<(\d+)x(\d+)x(\d+)", lambda m: f"stream<{m.group(1)}x100000x{m.group(3)}", text, count=1)
    else:
        words = sorted(set(re.findall(r"\b[a-z_]+\b", text)))
        if words:
            old = draw(st.sampled_from(words))
            text = re.sub(
                rf"\b{old}\b", draw(st.sampled_from(["x", "relu", "max", "i8", "f32", "half_even"])), text, count=1
            )
    return text.encode(), kind


@st.composite
def ir_cases(draw) -> Case:
    name = draw(small_model)
    files = _model_case(name)
    files["m.mlir"], note = _mutate_ir(draw, imported(name).ir)
    tool = draw(st.sampled_from(["fpga-opt", "fpga-report", "fpga-sim", "fpga-translate", "fpga-opt"]))
    if tool == "fpga-opt":
        pipeline = draw(
            st.sampled_from(
                [
                    "dataflow-canonicalize",
                    "estimate-resources",
                    "merge-loops",
                    "select-folding{board=pynqz2}",
                    "lower-dataflow-to-hls",
                ]
            )
        )
        argv, may = ["m.mlir", "-p", pipeline, "-o", "out.mlir"], ["out.mlir"]
    elif tool == "fpga-report":
        argv, may = ["m.mlir", "--json", "r.json"], ["r.json"]
    elif tool == "fpga-sim":
        argv, may = ["m.mlir", "-q", "--frames", "2", "--report-json", "r.json"], ["r.json"]
    else:
        argv, may = ["--emit-hls", "m.mlir", "-o", "hls"], ["hls"]
    return Case("ir", tool, argv, files, may_write=may, note=f"{name}: {note}")


# --------------------------------------------------------------------------
# options: flags and pass pipelines
# --------------------------------------------------------------------------

FLAGS = {
    "fpga-opt": [
        "-p",
        "--pass-pipeline",
        "-o",
        "--input-shape",
        "-f",
        "--split-input-file",
        "--verify-diagnostics",
        "--print-op-generic",
        "--list-passes",
        "--no-implicit-module",
        "-t",
    ],
    "fpga-sim": [
        "--frames",
        "-n",
        "--clock-mhz",
        "--layout",
        "--output-layout",
        "--fifo-depth",
        "--resolution",
        "--exit-pattern",
        "--func",
        "-i",
        "--report-json",
        "-o",
        "--dequantize",
        "--no-frame-overlap",
    ],
    "fpga-report": ["--json", "--board", "--clock-mhz", "--plot", "--html", "--sim-frames"],
    "fpga-trace": ["--input", "-n", "--samples", "--seed", "--json", "--check", "--input-shape"],
    "fpga-compile": ["--frames", "--seed", "--board", "--pipeline", "--jobs", "--opt", "--input-shape"],
    "fpga-translate": ["--import-onnx", "--emit-hls", "-o", "--input-shape"],
    "fpga-profile-exits": [
        "--thresholds",
        "--choose",
        "--labels-key",
        "--inputs-key",
        "--func",
        "--json",
        "--write-ir",
    ],
}


@cache
def pass_options() -> dict[str, list[tuple[str, str]]]:
    from fpga_opt.passes import describe_options, load_pass, pass_names

    return {name: [(opt, kind) for opt, kind, _, _ in describe_options(load_pass(name))] for name in pass_names()}


@st.composite
def option_value(draw, kind: str) -> str:
    if "bool" in kind:
        return draw(st.sampled_from(["true", "false", "1", "yes", "maybe", ""]))
    if "tuple" in kind:
        return ",".join(draw(st.lists(float_text, min_size=0, max_size=4)))
    if "int" in kind or "float" in kind:
        return draw(st.one_of(int_text, float_text))
    return draw(
        st.one_of(
            st.sampled_from(
                [
                    "kv260",
                    "pynqz2",
                    "nope",
                    "b.toml",
                    "dir/x.toml",
                    '"kv260"',
                    "throughput",
                    "resources",
                    "anneal",
                    "row",
                    "exact",
                    "never",
                    "frame",
                    "none",
                ]
            ),
            nasty_text,
        )
    )


@st.composite
def pipeline_text(draw) -> str:
    options = pass_options()
    names = sorted(options)
    parts = []
    for _ in range(draw(st.integers(1, 3))):
        name = draw(st.one_of(st.sampled_from(names), st.sampled_from(["nope", "", "{}", "dataflow-canonicalize("])))
        opts = options.get(name, [])
        entries = []
        for _ in range(draw(st.integers(0, 2))):
            if opts and draw(st.integers(0, 4)):
                opt, kind = draw(st.sampled_from(opts))
            else:
                opt, kind = draw(st.sampled_from(["x", "a", "frames", "board"])), "str"
            sep = draw(st.sampled_from(["=", "=", "=", "", "=="]))
            entries.append(f"{opt}{sep}{draw(option_value(kind))}")
        brace = draw(st.sampled_from(["{}", "{}", "{", "}", "{}}"]))
        joiner = draw(st.sampled_from([" ", " ", ",", "  "]))
        parts.append(name + (brace[0] + joiner.join(entries) + brace[1:] if entries or draw(st.booleans()) else ""))
    text = draw(st.sampled_from([",", ",", ", ", ",,"])).join(parts)
    if draw(st.integers(0, 3)) == 0:
        text = draw(st.sampled_from(["builtin.module({})", "any({})", "builtin.module({}", "func.func({})"])).format(
            text
        )
    return text


@st.composite
def options_cases(draw) -> Case:
    files = _model_case("lenet5_int8")
    tool = draw(st.sampled_from(TOOLS + ("fpga-opt", "fpga-opt", "fpga-trace")))
    if tool == "fpga-opt" and draw(st.booleans()):
        flag = draw(st.sampled_from(["-p", "--pass-pipeline"]))
        return Case(
            "options", tool, ["m.mlir", flag, draw(pipeline_text()), "-o", "out.mlir"], files, may_write=["out.mlir"]
        )
    if tool == "fpga-compile" and draw(st.booleans()):
        return Case(
            "options",
            tool,
            ["m.mlir", "-o", "c", "--no-csim", "--pipeline", draw(pipeline_text())],
            files,
            may_write=["c"],
        )
    base = {
        "fpga-opt": ["m.mlir", "-o", "out.mlir"],
        "fpga-sim": ["m.mlir", "-q"],
        "fpga-report": ["m.mlir"],
        "fpga-compile": ["m.mlir", "-o", "c", "--no-csim"],
        "fpga-translate": [],
        "fpga-profile-exits": ["m.mlir", "--data", "d.npz"],
        "fpga-trace": ["m.onnx", "-q", "-n", "1"],
    }[tool]
    if tool == "fpga-trace":
        files["m.onnx"] = corpus_onnx("lenet5_int8")
    argv = list(base)
    for _ in range(draw(st.integers(1, 3))):
        flag = draw(st.one_of(st.sampled_from(FLAGS[tool]), st.sampled_from(["--nope", "-Z", "--", "-"])))
        argv.append(flag)
        if draw(st.integers(0, 5)):
            argv.append(draw(st.one_of(int_text, float_text, nasty_text, st.just("m.mlir"))))
    may = ["out.mlir", "c", "hls", "r.json", "o.npz", "report.html"] + [a for a in argv if not a.startswith("-")][1:]
    may = [m for m in may if m and m not in files]
    # A file the user names as an output may be replaced, unless it is one of this run's inputs
    # (fpga-trace --json m.mlir replaces m.mlir, which fpga-trace does not read).
    inputs = {"fpga-trace": {"m.onnx"}, "fpga-profile-exits": {"m.mlir", "m.weights.npz", "d.npz"}}.get(
        tool, {"m.mlir", "m.weights.npz"}
    )
    may += [v for f, v in zip(argv, argv[1:], strict=False) if f in OUTPUT_FLAGS and v in files and v not in inputs]
    return Case("options", tool, argv, files, may_write=may)


OUTPUT_FLAGS = {"-o", "--json", "--report-json", "--write-ir", "--html", "--plot", "--output"}
"""Flags whose value is a file the tool writes."""


# --------------------------------------------------------------------------
# paths
# --------------------------------------------------------------------------

BAD_OUTPUTS = [
    "",
    " ",
    ".",
    "adir",
    "adir/",
    "afile/x.mlir",
    "new/deep/x.mlir",
    "m.mlir",
    "x" * 300,
    "line\nbreak.mlir",
    "-",
    "adir/../out.mlir",
]
BAD_INPUTS = ["missing.mlir", "adir", "empty.mlir", "", "afile/x", "m.weights.npz", "m.onnx.mlir"]


@st.composite
def paths_cases(draw) -> Case:
    files = _model_case("lenet5_int8")
    files["afile"] = b"plain file"
    files["empty.mlir"] = b""
    files["m.onnx"] = corpus_onnx("lenet5_int8")
    out = draw(st.sampled_from(BAD_OUTPUTS))
    inp = draw(st.sampled_from(BAD_INPUTS + ["m.mlir", "m.mlir", "m.onnx"]))
    tool = draw(st.sampled_from(TOOLS))
    argv = {
        "fpga-opt": [inp, "-o", out],
        "fpga-translate": draw(st.sampled_from([["--import-onnx", inp, "-o", out], ["--emit-hls", inp, "-o", out]])),
        "fpga-sim": [inp, "-q", draw(st.sampled_from(["--report-json", "--output", "-i"])), out],
        "fpga-report": [inp, draw(st.sampled_from(["--json", "--plot"])), out],
        "fpga-compile": [inp, "-o", out, "--no-csim", "--frames", "1"],
        "fpga-profile-exits": [
            inp,
            "--data",
            draw(st.sampled_from(["missing.npz", "adir", "afile", "m.weights.npz"])),
            "--json",
            out,
        ],
    }[tool]
    stem = Path(out).stem if out.strip() else "x"
    may = [out, out.rstrip("/"), f"{Path(out).parent / stem}.weights.npz", "new", "m.weights.npz"]
    return Case(
        "paths",
        tool,
        argv,
        files,
        dirs=["adir"],
        may_write=[m for m in may if m.strip()],
        note=f"in={inp!r} out={out!r}",
    )


# --------------------------------------------------------------------------
# boards
# --------------------------------------------------------------------------

BOARD_KEYS = (
    "name",
    "part",
    "family",
    "dsp",
    "bram18",
    "uram",
    "lut",
    "ff",
    "clock_mhz",
    "bandwidth_gbps",
    "base",
    "dsp_type",
)
VALID_BOARD = {
    "name": '"b"',
    "part": '"xczu7ev"',
    "family": '"zynq-ultrascale+"',
    "dsp": "1728",
    "bram18": "624",
    "uram": "96",
    "lut": "230400",
    "ff": "460800",
    "clock_mhz": "250.0",
    "bandwidth_gbps": "19.2",
}
TOML_VALUES = (
    "1e308",
    "1e-300",
    "-1",
    "0",
    "nan",
    "inf",
    "-inf",
    "1.5",
    "9223372036854775807",
    "true",
    '"x"',
    '""',
    "[1, 2]",
    "{a = 1}",
    '"kv260"',
    '"zynq-7000"',
    '"DSP48E1"',
    "250000000",
    "0.0001",
    "1_000_000_000",
)


@st.composite
def board_file(draw) -> bytes:
    if draw(st.integers(0, 9)) == 0:
        return draw(st.sampled_from([b"\xff\xfe", b"name = ", b"[[[", b"", b'base = "kv260"\nbase = 1\n']))
    entries = dict(VALID_BOARD)
    if draw(st.integers(0, 3)) == 0:
        entries = {"base": '"' + draw(st.sampled_from(["kv260", "pynqz2", "nope", ""])) + '"'}
    for _ in range(draw(st.integers(1, 4))):
        key = draw(st.one_of(st.sampled_from(BOARD_KEYS), st.sampled_from(["bram", "clock", "x"])))
        if draw(st.integers(0, 5)) == 0:
            entries.pop(key, None)
        else:
            entries[key] = draw(st.sampled_from(TOML_VALUES))
    return "".join(f"{k} = {v}\n" for k, v in entries.items()).encode()


@st.composite
def boards_cases(draw) -> Case:
    files = _model_case(draw(st.sampled_from(["lenet5_int8", "mobilenet_block_int8"])))
    files["b.toml"] = draw(board_file())
    tool = draw(st.sampled_from(["fpga-opt", "fpga-opt", "fpga-report", "fpga-compile"]))
    if tool == "fpga-opt":
        pass_name = draw(
            st.sampled_from(["estimate-resources", "select-folding", "lower-dataflow-to-hls", "size-fifos"])
        )
        option = draw(st.sampled_from(["board-file=b.toml", 'board-file="b.toml"', "board=b.toml"]))
        argv, may = ["m.mlir", "-p", f"{pass_name}{{{option}}}", "-o", "out.mlir"], ["out.mlir"]
    elif tool == "fpga-report":
        argv, may = ["m.mlir", "--board", "b.toml"], []
    else:
        argv, may = ["m.mlir", "--board", "b.toml", "-o", "c", "--no-csim", "--frames", "1"], ["c"]
    return Case("boards", tool, argv, files, may_write=may, note=files["b.toml"].decode(errors="replace")[:200])


# --------------------------------------------------------------------------
# fit: designs that cannot fit
# --------------------------------------------------------------------------

TINY_BOARD = 'base = "pynqz2"\ndsp = {dsp}\nbram18 = {bram}\nlut = {lut}\nff = {ff}\n'


@st.composite
def fit_cases(draw) -> Case:
    name = draw(st.sampled_from(["lenet5_int8", "mobilenet_block_int8", "resnet8_int8", "blenet_int8"]))
    files = _model_case(name)
    files["tiny.toml"] = TINY_BOARD.format(
        dsp=draw(st.sampled_from([0, 1, 4, 32])),
        bram=draw(st.sampled_from([0, 1, 4])),
        lut=draw(st.sampled_from([1, 100, 2000])),
        ff=draw(st.sampled_from([1, 100, 4000])),
    ).encode()
    board = draw(st.sampled_from(["board-file=tiny.toml", "board=pynqz2", "board=ultra96v2"]))
    pipeline = draw(
        st.sampled_from(
            [
                f"select-folding{{{board} max-util=" + draw(st.sampled_from(["0.01", "0.001", "0.1", "1"])) + "}",
                f"select-folding{{{board} objective=resources target-fps="
                + draw(st.sampled_from(["1e9", "1e6", "30"]))
                + "}",
                f"select-folding{{{board}}},size-fifos{{max-util=0.05 shrink=always rounds=1}}",
                f"merge-loops{{{board} max-util=0.01}}",
                f"estimate-resources{{{board}}},lower-dataflow-to-hls{{{board}}}",
            ]
        )
    )
    if draw(st.integers(0, 4)) == 0:
        board_arg = "tiny.toml" if "tiny" in board else board.split("=")[1]
        return Case(
            "fit",
            "fpga-compile",
            ["m.mlir", "-o", "c", "--no-csim", "--frames", "1", "--board", board_arg],
            files,
            may_write=["c"],
            note=name,
        )
    return Case(
        "fit",
        "fpga-opt",
        ["m.mlir", "-p", pipeline, "-o", "out.mlir"],
        files,
        may_write=["out.mlir"],
        note=f"{name}: {pipeline}",
    )


# --------------------------------------------------------------------------
# sim: simulator and profiler inputs
# --------------------------------------------------------------------------


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def _npz(arrays: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


@st.composite
def input_array(draw, shape: tuple[int, ...]) -> np.ndarray:
    kind = draw(st.sampled_from(["good", "shape", "dtype", "values", "empty", "scalar", "object"]))
    batch = draw(st.integers(1, 3))
    if kind == "shape":
        shape = tuple(draw(st.lists(st.integers(0, 30), min_size=0, max_size=5)))
        return np.zeros(shape, np.float32)
    if kind == "dtype":
        dtype = draw(st.sampled_from(["complex64", "bool", "U3", "S2", "float16", "uint64", "int8", "datetime64[s]"]))
        return np.zeros((batch, *shape), dtype=dtype)
    if kind == "values":
        value = draw(st.sampled_from([np.nan, np.inf, -np.inf, 1e30, -1e30, 2**62, 300, -300]))
        return np.full((batch, *shape), value)
    if kind == "empty":
        return np.zeros((0, *shape), np.float32)
    if kind == "scalar":
        return np.array(1.0)
    if kind == "object":
        return np.array([None, 1], dtype=object)
    return np.random.default_rng(0).standard_normal((batch, *shape)).astype(np.float32)


@st.composite
def input_file(draw, shape: tuple[int, ...], key: str) -> bytes:
    kind = draw(st.sampled_from(["npy", "npz", "npz", "badkey", "crc", "bare", "truncated", "text", "empty"]))
    array = draw(input_array(shape))
    if kind == "npy":
        return _npy(array)
    if kind == "npz":
        return _npz({key: array})
    if kind == "badkey":
        return _npz({"nope": array, "other": array})
    if kind == "crc":
        data = bytearray(_npz({key: np.zeros(shape, np.float32)}))
        data[len(data) // 2] ^= 0xFF
        return bytes(data)
    if kind == "bare":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as z:
            z.writestr(draw(st.sampled_from(["hello.txt", "input.npy", "x"])), b"not an array")
        return buffer.getvalue()
    if kind == "truncated":
        data = _npz({key: np.zeros(shape, np.float32)})
        return data[: draw(st.integers(0, len(data) - 1))]
    if kind == "text":
        return b"not numpy\n"
    return b""


INPUT_SHAPES = {
    "lenet5_int8": (1, 28, 28),
    "lenet5": (1, 28, 28),
    "blenet_int8": (1, 28, 28),
    "blenet": (1, 28, 28),
    "mobilenet_block_int8": (16, 16, 16),
    "mobilenet_block": (16, 16, 16),
}


@st.composite
def sim_cases(draw) -> Case:
    name = draw(st.sampled_from(sorted(INPUT_SHAPES)))
    files = _model_case(name)
    if name.startswith("blenet") and draw(st.integers(0, 2)) == 0:
        files["d.npz"] = draw(input_file(INPUT_SHAPES[name], "x"))
        argv = ["m.mlir", "--data", "d.npz", "--thresholds", draw(st.sampled_from(["0.9", "0.5,0.99", "0", "2", "x"]))]
        if draw(st.booleans()):
            argv += ["--labels-key", draw(st.sampled_from(["y", "x", "nope"]))]
        if draw(st.booleans()):
            argv += [
                "--write-ir",
                "w.mlir",
                "--choose",
                draw(st.sampled_from(["accuracy-within=1", "threshold=0.9", "x"])),
            ]
        return Case("sim", "fpga-profile-exits", argv, files, may_write=["w.mlir"], note=name)
    files["x.in"] = draw(input_file(INPUT_SHAPES[name], "input"))
    name_in = draw(st.sampled_from(["x.npz", "x.npy"]))
    files[name_in] = files.pop("x.in")
    argv = ["m.mlir", "-i", name_in, "-q"]
    for _ in range(draw(st.integers(0, 3))):
        flag, values = draw(
            st.sampled_from(
                [
                    ("--frames", ["1", "3", "0", "-2", "100000", "10001"]),
                    ("--layout", ["nchw", "hwc", "auto"]),
                    ("--fifo-depth", ["1", "2", "unbounded", "0", "x"]),
                    ("--exit-pattern", ["0,1", "5", "-1", "x", ",,"]),
                    ("--clock-mhz", ["250", "0", "-1", "1e308", "nan"]),
                    ("--resolution", ["coarse", "exact"]),
                    ("--dequantize", [None]),
                ]
            )
        )
        argv.append(flag)
        value = draw(st.sampled_from(values))
        if value is not None:
            argv.append(value)
    argv += draw(st.sampled_from([[], ["-o", "o.npz"], ["--report-json", "r.json"]]))
    return Case("sim", "fpga-sim", argv, files, may_write=["o.npz", "r.json"], note=name)


# --------------------------------------------------------------------------
# explore: fpga-explore's options, models, boards, data and outputs
# --------------------------------------------------------------------------

EXPLORE_SMALL = ["--budget", "1", "--workers", "1", "--bits", "8", "--budgets", "0.5", "--clocks", "100", "--quiet"]
"""One evaluation in process: a case that gets through costs a few seconds, not a search."""
EXPLORE_FLAGS = {
    # Valid values stay small (a valid --budget 5000 is a long search, not a hang); the others
    # probe the bounds (docs/reliability.md).
    "--budget": ["0", "-1", "1", "2", "x", "2.5", "", "100001", "10000000000000", "9223372036854775808"],
    "--population": ["0", "-1", "1", "3", "1000000000", "10001", "x"],
    "--workers": ["0", "-1", "1", "2", "1000000000", "x"],
    "--seed": ["-1", "0", "7", "18446744073709551616", "x", "1e3"],
    "--cluster": ["", "nope", "tcp://", "tcp://127.0.0.1:1", "tls://x:0", "local"],
    "--objectives": [
        "throughput",
        "throughput,throughput",
        "accuracy,power",
        "nope,power",
        ",",
        "",
        "energy,resources",
    ],
    "--bits": ["0", "-1", "1", "64", "65", "1000000000", "", ",", "x", "8,8", "2,4"],
    "--budgets": ["0", "1", "2", "nan", "-0.5", "inf", "", "0.1,0.9", "1e-300"],
    "--clocks": ["0", "-1", "1e308", "nan", "inf", "1e-300", "", "100,200", "5000"],
    "--eval-samples": ["0", "-1", "1", "1000000000", "x"],
    "--builder-epochs": ["0", "-1", "1000000000", "x"],
    "--accuracy-tolerance": ["nan", "-1", "2", "inf", "0.5", "x"],
    "--accuracy-target": ["nan", "-1", "2", "inf", "0.5", "x"],
    "--emit": ["0", "low-energy", "high-throughput", "nope", "99", ""],
    "--emit-dir": ["e", "", "afile", "afile/e", "m.onnx"],
    "--data": ["d.npz", "missing.npz", "adir", "m.onnx", ""],
    "--train-data": ["d.npz", "missing.npz", "adir", ""],
    "--board": ["kv260", "pynqz2,kv260", "nope", "", ",", "b.toml", "kv260,b.toml", "adir", "afile"],
}
EXPLORE_SWITCHES = ["--random", "--plots", "--all-evaluations", "--no-csim", "--quiet", "--nope", "-Z"]
BROKEN_BUILDERS = (
    b"this is not python(\n",
    b"KNOBS = 1\n",
    b"raise RuntimeError('the builder broke')\n",
    b"import sys\nsys.exit(3)\n",
    b"import no_such_module_for_fuzzing\n",
    b"KNOBS = {'width': [4, 8]}\ndef build_onnx(*a, **k):\n    return None\n",
    b"KNOBS = {'width': []}\ndef build_onnx(*a, **k):\n    raise ValueError('x')\n",
    b"\xff\xfe\x00",
    b"",
)


def _explore_outputs(out: str) -> list[str]:
    """What fpga-explore -o OUT may write when it succeeds (the front, its csv, designs, plots, --emit)."""
    if not out.strip():
        return []
    base = Path(out)
    stem = base.with_suffix("") if base.name else base  # "." and "adir/" have no name to change
    names = [out, f"{stem}.csv", f"{stem}.designs", f"{stem}.all.json", "e"]
    names += [f"{stem}.throughput_energy.png", f"{stem}.accuracy_resources.png", str(base.parent)]
    return [n for n in names if n not in (".", "")]


@st.composite
def labelled_data(draw, shape: tuple[int, ...]) -> bytes:
    """A labelled .npz (x, y) for --data/--train-data, or one broken in a way input_file knows."""
    if draw(st.integers(0, 2)) == 0:
        return draw(input_file(shape, "x"))
    x = draw(input_array(shape))
    n = len(x) if x.ndim else 1
    y = draw(
        st.sampled_from(
            [np.zeros(n, np.int64), np.zeros((n, 2), np.int64), np.zeros(n + 3, np.int64), np.full(n, -7), np.array([])]
        )
    )
    return _npz({"x": x, "y": y})


@st.composite
def explore_cases(draw) -> Case:
    name = draw(st.sampled_from(["lenet5_int8", "lenet5_int8", "blenet_int8", "lenet5"]))
    files = {"m.onnx": corpus_onnx(name), "afile": b"plain file"}
    model, out = "m.onnx", "f.json"
    argv_extra: list[str] = []
    kind = draw(st.sampled_from(["options", "options", "model", "builder", "board", "output", "data"]))
    if kind == "model":
        data = corpus_onnx(name)
        if draw(st.booleans()):
            files["m.onnx"] = _mutate_bytes(draw, data)
        else:
            proto = onnx.ModelProto()
            proto.ParseFromString(data)
            name += ": " + _mutate_proto(draw, proto)
            files["m.onnx"] = proto.SerializeToString()
        model = draw(st.sampled_from(["m.onnx", "m.onnx", "m.onnx", "missing.onnx", "adir", "afile", ""]))
    elif kind == "builder":
        files["b.py"] = draw(st.sampled_from(BROKEN_BUILDERS))
        model = "b.py"
        files["d.npz"] = _npz({"x": np.zeros((8, 1, 28, 28), np.float32), "y": np.zeros(8, np.int64)})
        argv_extra += draw(st.sampled_from([[], ["--train-data", "d.npz"]]))
    elif kind == "board":
        files["b.toml"] = draw(board_file())
        argv_extra += ["--board", draw(st.sampled_from(["b.toml", "kv260,b.toml", "b.toml,b.toml"]))]
    elif kind == "output":
        out = draw(st.sampled_from(BAD_OUTPUTS + ["f.txt", "f", "adir/f.json", "afile/f.json", "adir", "m.onnx"]))
        if draw(st.booleans()):
            # What fpga-explore writes beside the front is in the way: a file where its folder goes.
            files[draw(st.sampled_from(["f.designs", "f.csv/x"]))] = b"in the way"
    elif kind == "data":
        files["d.npz"] = draw(labelled_data((1, 28, 28)))
        argv_extra += [draw(st.sampled_from(["--data", "--train-data"])), "d.npz"]
    else:
        for _ in range(draw(st.integers(1, 3))):
            if draw(st.integers(0, 3)) == 0:
                argv_extra.append(draw(st.sampled_from(EXPLORE_SWITCHES)))
                continue
            flag = draw(st.sampled_from(sorted(EXPLORE_FLAGS)))
            argv_extra += [flag, draw(st.sampled_from(EXPLORE_FLAGS[flag]))]
        if "--emit" in argv_extra:
            argv_extra.append("--no-csim")  # a C simulation is minutes: --emit's own checks are the point
        if "--data" in argv_extra or "--train-data" in argv_extra:
            files["d.npz"] = _npz({"x": np.zeros((8, 1, 28, 28), np.float32), "y": np.zeros(8, np.int64)})
        if "b.toml" in " ".join(argv_extra):
            files["b.toml"] = draw(board_file())
    argv = [model, "--board", "kv260", *EXPLORE_SMALL, "-o", out, *argv_extra]
    return Case(
        "explore",
        "fpga-explore",
        argv,
        files,
        dirs=["adir"],
        may_write=_explore_outputs(out),
        note=f"{name}: {kind}",
    )


# --------------------------------------------------------------------------
# trace: fpga-trace's models, inputs, options and outputs
# --------------------------------------------------------------------------

TRACE_FLAGS = {
    "-n": ["1", "2", "0", "-1", "10001", "1099511627776", "x"],
    "--seed": ["-1", "0", "18446744073709551616", "x"],
    "--json": ["t.json", "", "adir", "afile/t.json", "m.onnx", "new/t.json"],
    "--input-shape": ["input:1x1x28x28", "nope:1x1x28x28", "x", ":", "input:0x1", "input:1x1x1000000x1000000"],
    "--input": ["x.npz", "x.npy", "missing.npy", "adir", "m.onnx", ""],
}


@st.composite
def trace_cases(draw) -> Case:
    name = draw(st.sampled_from(["lenet5_int8", "lenet5", "blenet_int8", "mobilenet_block_int8"]))
    files = {"m.onnx": corpus_onnx(name), "afile": b"plain file"}
    kind = draw(st.sampled_from(["options", "model", "input"]))
    argv = ["m.onnx", "-q", "-n", "1"]
    if kind == "model":
        data = corpus_onnx(name)
        if draw(st.integers(0, 2)) == 0:
            files["m.onnx"] = _mutate_bytes(draw, data)
        else:
            proto = onnx.ModelProto()
            proto.ParseFromString(data)
            name += ": " + _mutate_proto(draw, proto)
            files["m.onnx"] = proto.SerializeToString()
    elif kind == "input":
        shape = (16, 32, 32) if name.startswith("mobilenet") else (1, 28, 28)
        files["x.in"] = draw(input_file(shape, draw(st.sampled_from(["input", "x"]))))
        files[draw(st.sampled_from(["x.npz", "x.npy"]))] = files.pop("x.in")
        argv += ["--input", next(f for f in files if f.startswith("x."))]
    else:
        for _ in range(draw(st.integers(1, 3))):
            if draw(st.integers(0, 4)) == 0:
                argv.append(draw(st.sampled_from(["--check", "--nope", "-Z", "--"])))
                continue
            flag = draw(st.sampled_from(sorted(TRACE_FLAGS)))
            argv += [flag, draw(st.sampled_from(TRACE_FLAGS[flag]))]
        if "x.npz" in argv or "x.npy" in argv:
            files["x.npz"] = _npz({"input": np.zeros((1, 1, 28, 28), np.float32)})
            files["x.npy"] = _npy(np.zeros((1, 1, 28, 28), np.float32))
    if draw(st.booleans()) and "--json" not in argv:
        argv += ["--json", "t.json"]
    return Case("trace", "fpga-trace", argv, files, dirs=["adir"], may_write=["t.json", "new"], note=f"{name}: {kind}")


# --------------------------------------------------------------------------
# signals: real processes, interrupted
# --------------------------------------------------------------------------


@st.composite
def signals_cases(draw) -> Case:
    name = draw(st.sampled_from(["lenet5_int8", "resnet8_int8", "mobilenet_block"]))
    files = _model_case(name)
    files["m.onnx"] = corpus_onnx(name)
    job = draw(st.sampled_from(["translate", "opt", "compile", "sim", "report", "explore", "trace"]))
    if job == "translate":
        tool, argv, may = "fpga-translate", ["--import-onnx", "m.onnx", "-o", "o.mlir"], ["o.mlir", "o.weights.npz"]
    elif job == "opt":
        tool, argv, may = "fpga-opt", ["m.mlir", "-p", "select-folding,size-fifos", "-o", "o.mlir"], ["o.mlir"]
    elif job == "compile":
        tool, argv, may = "fpga-compile", ["m.onnx", "-o", "c", "--no-csim", "--frames", "2"], ["c"]
    elif job == "sim":
        tool, argv, may = "fpga-sim", ["m.mlir", "-q", "--frames", "4", "--report-json", "r.json"], ["r.json"]
    elif job == "report":
        tool, argv, may = "fpga-report", ["m.mlir", "--json", "r.json"], ["r.json"]
    elif job == "explore":
        tool, argv = "fpga-explore", ["m.onnx", "--board", "kv260", *EXPLORE_SMALL, "--budget", "2", "-o", "f.json"]
        argv += draw(st.sampled_from([[], ["--workers", "2"], ["--plots"]]))
        may = _explore_outputs("f.json")
    else:
        tool, argv, may = "fpga-trace", ["m.onnx", "-q", "-n", "2", "--json", "t.json"], ["t.json"]
    sig = draw(st.sampled_from([signal.SIGINT, signal.SIGINT, signal.SIGTERM, signal.SIGKILL]))
    # Uniform over [0, 3) s: hypothesis would favour 0 if it drew the float itself.
    delay = random.Random(draw(st.integers(0, 2**32))).uniform(0.0, 3.0)
    case = Case(
        "signals",
        tool,
        argv,
        files,
        may_write=may,
        signal=int(sig),
        delay=delay,
        note=f"{signal.Signals(sig).name} after {delay:.2f} s",
    )
    if sig == signal.SIGKILL:
        case.signal = None  # exit code and message are the kernel's; the promise is the re-run's clean-up
        case.rerun = argv
        case.delay = delay
        case.note += " (then re-run)"
    return case


FAMILIES = {
    "onnx": onnx_cases(),
    "ir": ir_cases(),
    "options": options_cases(),
    "paths": paths_cases(),
    "boards": boards_cases(),
    "fit": fit_cases(),
    "sim": sim_cases(),
    "explore": explore_cases(),
    "trace": trace_cases(),
    "signals": signals_cases(),
}
"""Family name -> its strategy (in the order of the table)."""

WEIGHTS = {"signals": 0.5, "fit": 0.6, "explore": 0.6, "trace": 0.6}
"""Share of the runs per family relative to the others (1.0 unless named): slow families get fewer."""
