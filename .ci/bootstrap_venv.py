"""Create .venv with a working pip, even where python3 has no ensurepip (Debian without python3-venv).

Tries `python3 -m venv` first.  If that fails because ensurepip is missing,
creates the venv without pip and installs pip from the PyPI wheel, which is
the only thing this needs from the network.
"""

import json
import subprocess
import sys
import tempfile
import urllib.request
import venv
from pathlib import Path


def main(target: str = ".venv") -> None:
    path = Path(target)
    python = path / "bin" / "python"
    if python.exists() and subprocess.run([python, "-m", "pip", "--version"], capture_output=True).returncode == 0:
        return
    try:
        venv.create(path, with_pip=True, clear=True)
        return
    except (subprocess.CalledProcessError, OSError) as error:
        print(f"bootstrap: venv with pip failed ({error}); installing pip from PyPI", file=sys.stderr)
    venv.create(path, with_pip=False, clear=True)
    with urllib.request.urlopen("https://pypi.org/pypi/pip/json", timeout=60) as response:
        release = json.load(response)
    wheel = next(f for f in release["urls"] if f["filename"].endswith(".whl"))
    with tempfile.TemporaryDirectory() as tmp:
        wheel_path = Path(tmp) / wheel["filename"]
        urllib.request.urlretrieve(wheel["url"], wheel_path)
        subprocess.run([python, f"{wheel_path}/pip", "install", "--quiet", str(wheel_path)], check=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
