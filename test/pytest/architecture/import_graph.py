"""The import graph of the installed `fpga_opt` package, read from the sources (imports inside functions included)."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import pkgutil
from pathlib import Path

import networkx as nx

ROOT = "fpga_opt"
#: The top-level folders, each a subpackage of fpga_opt, from the bottom layer up.
LAYERS = ("dialects", "frontend", "backend", "passes", "tools")


def package_modules() -> dict[str, Path]:
    """Every module of the installed package: dotted name -> source file."""
    found: dict[str, Path] = {}
    for top in LAYERS:
        package = importlib.import_module(f"{ROOT}.{top}")
        found[package.__name__] = Path(package.__file__)
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}."):
            spec = importlib.util.find_spec(info.name)
            if spec is not None and spec.origin and spec.origin.endswith(".py"):
                found[info.name] = Path(spec.origin)
    return found


def _imported(node: ast.AST, module: str, is_package: bool, modules: set[str]) -> list[str]:
    """The fpga_opt modules an import statement uses.

    `from package import submodule` uses the submodule, not the package's
    `__init__` (Python runs that for any submodule import; counting it would
    make every re-exporting package look circular).
    """
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    used = []
    for alias in node.names:
        sub = f"{target}.{alias.name}"
        used.append(sub if sub in modules else target)
    return used


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node except those under `if TYPE_CHECKING:` (imports for annotations only, never executed)."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                skipped.update(id(n) for n in ast.walk(child))
    return [n for n in ast.walk(tree) if id(n) not in skipped]


def import_graph() -> nx.DiGraph:
    """Module -> the fpga_opt modules it imports (anywhere in its source)."""
    modules = package_modules()
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for name, path in modules.items():
        tree = ast.parse(path.read_text(), str(path))
        is_package = path.name == "__init__.py"
        for node in _runtime_nodes(tree):
            for target in _imported(node, name, is_package, set(modules)):
                if target in modules and target != name:
                    graph.add_edge(name, target)
    return graph


def layer(module: str) -> str:
    """The top-level folder a module lives in: dialects, frontend, passes, backend or tools."""
    return module.split(".")[1]
