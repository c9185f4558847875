"""pyproject.toml ships every module: each source folder is a listed package, each data file a package-data glob.

The package list is explicit (the subpackages of `fpga_opt` are the
repository's top-level folders, which `packages.find` cannot map), so a new
folder left out of it would work in the editable install of the tests and be
missing from a wheel.  This test catches that, and the setuptools warning
that a data folder "would be ignored".
"""

import tomllib
from fnmatch import fnmatch
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
CONFIG = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]


def _folder(package: str) -> Path:
    """The repository folder of a dotted package name, through `package-dir`."""
    for prefix, folder in sorted(CONFIG["package-dir"].items(), key=lambda item: -len(item[0])):
        if package == prefix or package.startswith(prefix + "."):
            rest = package[len(prefix) :].lstrip(".")
            return REPO / folder / Path(*rest.split(".")) if rest else REPO / folder
    raise AssertionError(f"{package} is under no package-dir mapping")


SCRIPTS = {REPO / path for path in CONFIG.get("script-files", [])}
"""The console scripts (shell launchers): installed into the environment's bin/, not into the package."""


def _source_folders() -> set[Path]:
    found = set()
    for folder in CONFIG["package-dir"].values():
        for path in (REPO / folder).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts and "Output" not in path.parts:
                if path not in SCRIPTS:
                    found.add(path.parent)
    return found


def test_every_folder_with_files_is_a_listed_package():
    listed = {_folder(name) for name in CONFIG["packages"]}
    missing = sorted(str(p.relative_to(REPO)) for p in _source_folders() - listed)
    assert not missing, f"add to [tool.setuptools] packages in pyproject.toml: {missing}"


def test_every_non_python_file_is_package_data():
    data = CONFIG.get("package-data", {})
    unshipped = []
    for folder in _source_folders():
        package = next(name for name in CONFIG["packages"] if _folder(name) == folder)
        for path in folder.iterdir():
            if path.is_file() and path.suffix != ".py":
                if not any(fnmatch(path.name, pattern) for pattern in data.get(package, [])):
                    unshipped.append(str(path.relative_to(REPO)))
    assert not unshipped, f"not in the wheel (add a package-data glob or move out of the package): {unshipped}"
