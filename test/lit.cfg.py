"""lit configuration: FileCheck tests for dialects, passes and tools.

The tests run the console scripts from the same environment as lit itself,
so `make test` needs no activated venv.
"""

import os
import shutil
import sys
from pathlib import Path

import lit.formats

config.name = "fpga-opt"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".mlir", ".test"]
config.excludes = ["Inputs", "lit.cfg.py", "__pycache__"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.test_source_root, "Output")

repo = Path(config.test_source_root).parent
venv_bin = os.path.dirname(sys.executable)
config.environment["PATH"] = os.pathsep.join([venv_bin, config.environment.get("PATH", os.environ.get("PATH", ""))])
config.environment["PYTHONDONTWRITEBYTECODE"] = "1"
config.substitutions.append(("%repo", str(repo)))
config.substitutions.append(("%examples", str(repo / "examples")))
config.substitutions.append(("%python", sys.executable))


def find_mlir_opt():
    """Upstream mlir-opt (Debian's mlir-19-tools puts it in /usr/lib/llvm-19/bin)."""
    found = shutil.which("mlir-opt")
    if found:
        return found
    for version in range(25, 14, -1):
        for candidate in (f"/usr/lib/llvm-{version}/bin/mlir-opt", f"/usr/bin/mlir-opt-{version}"):
            if os.access(candidate, os.X_OK):
                return candidate
    return None


mlir_opt = find_mlir_opt()
if mlir_opt:
    config.available_features.add("mlir-opt")
    config.substitutions.append(("%mlir-opt", mlir_opt))
else:
    lit_config.note("upstream mlir-opt not found: MLIR-compatibility tests are UNSUPPORTED (apt-get install mlir-19-tools)")

if shutil.which("g++"):
    config.available_features.add("gxx")
