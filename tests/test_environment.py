"""The reproducible environment has one definition that make and plain pytest both apply."""

import os
import subprocess
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


def test_pytest_process_runs_under_the_settings():
    for name, value in conftest.reproducible_environment().items():
        assert os.environ[name] == value
    assert os.environ["PYTHONPATH"].split(os.pathsep)[0] == str(ROOT)
