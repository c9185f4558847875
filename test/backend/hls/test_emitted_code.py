"""What the emitted C++ must (and must not) contain, checked without a compiler.

Every synthesisable file (top.cpp, weights.cpp and the kernel headers) must
carry the pragmas its kernels need and be free of dynamic allocation,
recursion and data-dependent loop bounds.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from hls_csim_support import REPO, context
from test_kernels_csim import INT_CASES, assemble, random_weights
from xdsl.dialects.builtin import ModuleOp

from fpga_opt.backend.hls.emit import HEADER_FILES, build_project, header_text
from fpga_opt.dialects.hls import DesignOp, KernelOp
from fpga_opt.passes.lower_dataflow_to_hls import LowerDataflowToHlsPass

MODELS = REPO / "examples" / "models"

# Kernel function -> pragmas its body must carry (the folding factors become these).
KERNEL_PRAGMAS = {
    # sliding_window and dilated_sliding_window are this walk with their tap spacing (checked below).
    "sliding_window_taps": [
        "INLINE",
        "PIPELINE II=1",
        "ARRAY_RESHAPE variable=line complete dim=2",
        "ARRAY_RESHAPE variable=cols",
        "ARRAY_PARTITION variable=win complete",
    ],
    "conv_impl": [
        "PIPELINE II=1",
        "ARRAY_RESHAPE variable=psum complete dim=2",
        "ARRAY_PARTITION variable=acc complete",
        "ARRAY_PARTITION variable=win complete",
        "UNROLL",
    ],
    "pool": ["PIPELINE II=1", "ARRAY_PARTITION variable=win complete", "UNROLL"],
    "global_pool": ["PIPELINE II=1", "ARRAY_RESHAPE variable=acc complete dim=2"],
    "linear": ["PIPELINE II=1", "ARRAY_RESHAPE variable=buf complete dim=2", "ARRAY_PARTITION variable=acc complete"],
    "add": ["PIPELINE II=1", "UNROLL"],
    "requantize": ["PIPELINE II=1", "UNROLL"],
    "activation": ["PIPELINE II=1", "UNROLL"],
    "softmax": ["PIPELINE II=1", "ARRAY_RESHAPE variable=buf complete dim=2"],
    "fork": ["PIPELINE II=1"],
    "concat": ["PIPELINE II=1"],
    "squeeze": ["PIPELINE II=1", "ARRAY_PARTITION variable=buf complete"],
}


def lowered(module: ModuleOp) -> ModuleOp:
    LowerDataflowToHlsPass().apply(context(), module)
    module.verify()
    return module


def corpus_weights(name: str) -> dict:
    from fpga_opt.frontend.onnx_import import import_onnx

    return dict(import_onnx(MODELS / f"{name}.onnx").weights)


def corpus_project(name: str):
    from fpga_opt.frontend.onnx_import import import_onnx

    imported = import_onnx(MODELS / f"{name}.onnx")
    module = lowered(imported.module)
    return build_project(module, imported.weights)


def function_bodies(source: str) -> dict[str, str]:
    """Name -> body of every function defined in `source` (brace matching, comments stripped)."""
    text = strip_comments(source)
    bodies = {}
    for match in re.finditer(r"\b(\w+)\s*\([^;{}]*\)\s*(?:const\s*)?\{", text):
        name = match.group(1)
        if name in ("if", "for", "while", "switch", "return"):
            continue
        depth, i = 1, match.end()
        while depth and i < len(text):
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        bodies.setdefault(name, text[match.end() : i - 1])
    return bodies


def strip_comments(source: str) -> str:
    source = re.sub(r"/\*.*?\*/", "", source, flags=re.S)
    return re.sub(r"//[^\n]*", "", source)


def synthesisable_files(project) -> dict[str, str]:
    return {
        path: text
        for path, text in project.files.items()
        if path in ("top.cpp", "top.h", "weights.cpp", "weights.h") or path.startswith("include/")
    }


@pytest.fixture(scope="module")
def projects():
    return {name: corpus_project(name) for name in ("lenet5_int8", "resnet8_int8", "mobilenet_block_int8")}


@pytest.mark.parametrize("name", ["lenet5_int8", "resnet8_int8", "mobilenet_block_int8"])
def test_top_function_pragmas(projects, name):
    project = projects[name]
    design: DesignOp = project.design
    top = project.files["top.cpp"]
    assert top.count("#pragma HLS DATAFLOW") == 1
    for port in design.ports():
        assert f"#pragma HLS INTERFACE axis port={port.port_name.data}\n" in top
    for stream in design.streams():
        name_ = stream.stream_name.data
        assert "hls::stream<" in top and f' {name_}("{name_}");' in top
        assert f"#pragma HLS STREAM variable={name_} depth={stream.depth.value.data}\n" in top
    for table in design.weights():
        sym = table.sym_name.data
        words, lanes = table.values("shape")
        reshape = f"cyclic factor={lanes * int_table_bytes(table.element)} dim=1"  # an integer byte string
        assert f"#pragma HLS ARRAY_RESHAPE variable={sym} {reshape}\n" in top
        assert f"#pragma HLS BIND_STORAGE variable={sym} type=rom_1p impl={table.storage.data}\n" in top
    # Every instance names the layer it comes from.
    for kernel in design.kernels():
        assert f"    // {kernel.instance.data}: " in top
        assert f"fpga_opt::{kernel.kernel.data}<{kernel.instance.data}_cfg>(" in top


def test_kernel_pragmas():
    library = "\n".join(header_text(name) for name in HEADER_FILES)
    bodies = function_bodies(library)
    for kernel, pragmas in KERNEL_PRAGMAS.items():
        assert kernel in bodies, f"kernel {kernel} not found in the header library"
        for pragma in pragmas:
            assert f"#pragma HLS {pragma}" in bodies[kernel], f"{kernel} lacks '#pragma HLS {pragma}'"
    assert "sliding_window_taps<C, 1, 1>(in, out);" in bodies["sliding_window"]
    assert "sliding_window_taps<C, C::DH, C::DW>(in, out);" in bodies["dilated_sliding_window"]


def test_every_kernel_used_by_the_lowering_exists():
    module = lowered(assemble_module())
    library = function_bodies("\n".join(header_text(name) for name in HEADER_FILES))
    kinds = {k.kernel.data for k in module.walk() if isinstance(k, KernelOp)}
    assert {
        "sliding_window",
        "conv",
        "conv_skip",
        "conv_fwd",
        "conv_merged",
        "conv_skip_merged",
        "pool",
        "global_pool",
        "linear",
        "add",
        "concat",
        "fork",
        "squeeze",
        "requantize",
        "activation",
    } <= kinds
    assert kinds <= set(library)


def assemble_module() -> ModuleOp:
    from hls_csim_support import parse

    return parse(assemble(INT_CASES, "all_kernels"))


FORBIDDEN = [
    (r"\bnew\b", "new"),
    (r"\bdelete\b", "delete"),
    (r"\bmalloc\s*\(", "malloc"),
    (r"\bcalloc\s*\(", "calloc"),
    (r"\brealloc\s*\(", "realloc"),
    (r"\bfree\s*\(", "free"),
    (r"\bstd::vector\b", "std::vector"),
    (r"\bstd::string\b", "std::string"),
    (r"\bgoto\b", "goto"),
    (r"\bwhile\s*\(", "while (unbounded loop)"),
]


def test_no_dynamic_allocation_or_unbounded_loops(projects):
    module = assemble_module()
    weights = random_weights(module)
    project = build_project(lowered(module), weights)
    for proj in (*projects.values(), project):
        for path, text in synthesisable_files(proj).items():
            code = strip_comments(text)
            for pattern, what in FORBIDDEN:
                assert not re.search(pattern, code), f"{path} uses {what}"


def test_no_recursion():
    library = "\n".join(header_text(name) for name in HEADER_FILES)
    for name, body in function_bodies(library).items():
        assert not re.search(rf"\b{name}\s*(<[^;()]*>)?\s*\(", body), f"{name} calls itself"


def test_static_loop_bounds():
    """Every loop bound is built from compile-time constants: CFG members, const locals, literals."""
    for header in HEADER_FILES:
        code = strip_comments(header_text(header))
        consts = set(re.findall(r"\bconst\s+(?:int|long long)\s+(\w+)\s*=", code))
        consts |= {n for decl in re.findall(r"\bconst\s+int\s+([^;]+);", code) for n in re.findall(r"(\w+)\s*=", decl)}
        for match in re.finditer(r"for\s*\(\s*int\s+(\w+)\s*=[^;]*;([^;]*);", code):
            var, cond = match.group(1), match.group(2)
            bound = re.sub(rf"\b{var}\b", "", cond)
            for ident in re.findall(r"(?<!::)\b[A-Za-z_]\w*\b", bound):
                if ident == "C":
                    continue
                assert ident in consts, f"{header}: loop over '{var}' has a bound '{cond.strip()}' using '{ident}'"
            assert not re.search(r"\b[a-z]\w*\s*\(", bound), f"{header}: loop bound '{cond.strip()}' calls a function"


def int_table_bytes(element) -> int:
    return next(b for b in (1, 2, 4, 8) if element.width.data <= 8 * b)


def test_integer_weights_are_byte_strings_holding_every_value(projects):
    """Integer tables are one string literal of little-endian bytes (fast for g++), and decode to
    exactly the values the lowering laid out."""
    from fpga_opt.backend.hls.emit import table_values

    for name, project in projects.items():
        source = project.files["weights.cpp"]
        assert "ap_int" not in source and "ap_uint" not in source
        for table in project.design.weights():
            words, lanes = table.values("shape")
            size = words * lanes * int_table_bytes(table.element)
            match = re.search(rf"const unsigned char {table.sym_name.data}\[{size + 1}\] =((?:\s*\"[^\"]*\")+);", source)
            assert match, f"{name}: {table.sym_name.data} is not a byte string of {size} bytes"
            body = "".join(re.findall(r'"([^"]*)"', match.group(1)))
            data = bytes(int(o, 8) for o in re.findall(r"\\([0-7]{3})", body))
            assert len(data) == size
            stored = np.frombuffer(data, dtype=f"<i{int_table_bytes(table.element)}")
            tensors = corpus_weights(name)
            assert np.array_equal(stored.reshape(words, lanes), table_values(table, tensors))


def test_make_csim_without_headers_says_what_to_install(tmp_path):
    """Neither Vitis (XILINX_HLS) nor hls4ml: `make csim` names both and fails, before compiling anything."""
    import os
    import shutil
    import subprocess

    if shutil.which("make") is None:
        pytest.skip("make not found")
    module = lowered(assemble_module())
    build_project(module, random_weights(assemble_module())).write(tmp_path)
    env = {k: v for k, v in os.environ.items() if k not in ("AP_TYPES", "XILINX_HLS")}
    result = subprocess.run(["make", "csim", "PYTHON=false"], cwd=tmp_path, capture_output=True, text=True, env=env)
    assert result.returncode != 0
    assert "no ap_int.h / hls_stream.h for C simulation" in result.stdout
    assert "pip install 'fpga-opt[csim]'" in result.stdout
    assert "XILINX_HLS" in result.stdout
    assert not (tmp_path / "build" / "top.o").exists()
