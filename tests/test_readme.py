"""The README's API example (the python blocks of "Using the module") runs as written.

The Dask snippet further down needs a real cluster address, so it is not run here;
tests/test_dask_search.py runs the same pattern on a LocalCluster.
"""

import re
from pathlib import Path


def test_readme_example_runs(capsys):
    text = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = re.search(r"^## Using the module\n(.*?)(?=^## )", text, flags=re.S | re.M)
    assert section, "README.md has no 'Using the module' section"
    blocks = re.findall(r"```python\n(.*?)```", section.group(1), flags=re.S)
    assert blocks, "README.md's 'Using the module' has no python example"
    for code in blocks:
        exec(compile(code, "README.md", "exec"), {"__name__": "__readme__"})
    out = capsys.readouterr().out
    assert "training MSE after 300 epochs" in out
