"""Repository-wide pytest set-up: the reproducible environment for every way tests start.

``make test`` exports ``reproducible.env`` itself; a plain ``python -m pytest`` (unit tests
or ``--nbval notebooks/``) gets the same settings here, at import time, before any test
module imports NumPy and before nbval starts a notebook kernel (kernels inherit this
process's environment). The repository root also goes on the kernels' ``PYTHONPATH`` so
that notebooks ``import ffnn_core`` without editing ``sys.path``.
"""

import os
import platform
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def reproducible_environment(path=ROOT / "reproducible.env", machine=platform.machine()):
    """The NAME=VALUE settings of ``reproducible.env`` that apply on ``machine``."""
    settings = {}
    for line in Path(path).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        target, value = line.split("=", 1)
        only_on, _, name = target.rpartition(":")
        if not only_on or only_on == machine:
            settings[name] = value
    return settings


os.environ.update(reproducible_environment())
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != str(ROOT)])
