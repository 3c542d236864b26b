"""The reproducible environment has one definition that make and plain pytest both apply."""

import json
import os
import subprocess
import sys
from pathlib import Path

import conftest

ROOT = Path(__file__).resolve().parent.parent


def test_make_exports_exactly_what_conftest_applies():
    out = subprocess.run(["make", "-s", "print-env", "PY=python3"], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    lines = out.split()
    from_make = dict(line.split("=", 1) for line in lines)
    assert len(lines) == len(from_make), f"a setting is exported twice: {lines}"
    assert from_make == conftest.reproducible_environment()
    assert {"SOURCE_DATE_EPOCH", "PYTHONHASHSEED", "OPENBLAS_NUM_THREADS"} <= set(from_make)


def test_machine_specific_lines_apply_only_on_that_machine(tmp_path):
    env = tmp_path / "r.env"
    env.write_text("# comment\nA=1\nx86_64:B=2  # pinned\naarch64:C=3\n")
    assert conftest.reproducible_environment(env, "x86_64") == {"A": "1", "B": "2"}
    assert conftest.reproducible_environment(env, "aarch64") == {"A": "1", "C": "3"}


def test_conftest_applies_the_settings_in_a_bare_environment():
    # a fresh interpreter without any of the settings: importing conftest (as pytest does
    # before collecting anything) puts every one of them, and the repository root, in place
    settings = conftest.reproducible_environment()
    bare = {k: v for k, v in os.environ.items() if k not in settings and k != "PYTHONPATH"}
    code = "import json, os, conftest; print(json.dumps(dict(os.environ)))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=bare, check=True,
                         capture_output=True, text=True).stdout
    child = json.loads(out)
    assert {k: child.get(k) for k in settings} == settings
    assert child["PYTHONPATH"].split(os.pathsep)[0] == str(ROOT)
