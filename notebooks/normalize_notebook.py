"""Make an executed notebook byte-reproducible (run by `make figures` after each notebook; it lives beside
the notebooks it normalises).

* drops per-cell execution metadata (timestamps) and widget state;
* clears the outputs of cells marked ``# NBVAL_IGNORE_OUTPUT`` (timings, progress
  bars): nbval does not check them, and keeping them would change the committed
  file on every run.
"""

import json
import sys


def normalize(path: str) -> None:
    with open(path, encoding="utf-8") as fh:
        nb = json.load(fh)
    nb.get("metadata", {}).pop("widgets", None)
    for cell in nb["cells"]:
        cell.get("metadata", {}).pop("execution", None)
        source = "".join(cell.get("source", ""))
        if cell["cell_type"] == "code" and "# NBVAL_IGNORE_OUTPUT" in source:
            cell["outputs"] = []
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(nb, fh, indent=1, ensure_ascii=False)
        fh.write("\n")


if __name__ == "__main__":
    for p in sys.argv[1:]:
        normalize(p)
