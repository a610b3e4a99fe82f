"""Execute one notebook headless with nbclient (called by scripts/run-notebooks.mjs).

usage: execute_notebook.py IN.ipynb OUT.ipynb RESULT.json --cwd DIR [--kernel tslab] [--timeout SECONDS]

Writes the executed notebook to OUT (also when a cell fails: the cells run so far keep their
outputs), prints one progress line per code cell to stderr, and writes RESULT.json:
  {"ok": bool, "seconds": float, "cells": [{"index", "seconds"}],
   "error": {"cell": index, "codeCell": n, "source", "ename", "evalue", "traceback", "outputs"} | null}
Exit status 0 when every cell ran, 1 on a cell error, 2 on anything else (kernel died, timeout, ...).
"""
import argparse
import json
import re
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def text_of(outputs):
    """Human-readable text of a cell's stream and error outputs."""
    parts = []
    for o in outputs:
        if o.get("output_type") == "stream":
            parts.append(o.get("text", ""))
        elif o.get("output_type") == "error":
            parts.append("\n".join(o.get("traceback", [])) or f"{o.get('ename')}: {o.get('evalue')}")
    return "".join(parts)


ERROR_LINE = re.compile(r"^\s*(?:Uncaught )?([A-Za-z_$][\w$.]*(?:Error|Exception)|Error)(?: \[\w+\])?: (.*)$")


TS_ERROR_LINE = re.compile(r"^\s*\d+:\d+ - ")


def error_from_text(text):
    """tslab reports a thrown error as stderr text with an empty ename/evalue: find its 'XError: message' line."""
    lines = text.splitlines()
    for line in lines:
        m = ERROR_LINE.match(line)
        if m:
            return m.group(1), m.group(2)
    ts = [l for l in lines if TS_ERROR_LINE.match(l)]  # tslab's compile errors: "2:7 - Type 'x' is not ..."
    if ts:
        return "TypeScript compile error", " | ".join(l.strip() for l in ts[:5])
    return None, None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("result")
    ap.add_argument("--cwd", required=True)
    ap.add_argument("--kernel", default="tslab")
    ap.add_argument("--timeout", type=int, default=900, help="seconds per cell")
    a = ap.parse_args()

    nb = nbformat.read(a.input, as_version=4)
    code_cells = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    state = {"current": None, "started": 0.0, "cells": []}
    t0 = time.time()

    def on_start(cell, cell_index, **_):
        state["current"] = cell_index
        state["started"] = time.time()

    def on_complete(cell, cell_index, **_):
        dt = time.time() - state["started"]
        state["cells"].append({"index": cell_index, "seconds": round(dt, 3)})
        n = code_cells.index(cell_index) + 1 if cell_index in code_cells else 0
        print(f"  cell {cell_index} (code {n}/{len(code_cells)}) {dt:.1f}s", file=sys.stderr, flush=True)

    client = NotebookClient(
        nb,
        timeout=a.timeout,
        startup_timeout=180,
        kernel_name=a.kernel,
        resources={"metadata": {"path": a.cwd}},
        on_cell_start=on_start,
        on_cell_executed=on_complete,
    )
    result = {"ok": True, "seconds": 0.0, "cells": state["cells"], "error": None}
    status = 0
    try:
        client.execute()
    except CellExecutionError as e:
        status = 1
        idx = state["current"]
        cell = nb.cells[idx] if idx is not None else None
        outs = cell.get("outputs", []) if cell is not None else []
        err = next((o for o in outs if o.get("output_type") == "error"), {})
        ename = err.get("ename") or getattr(e, "ename", "") or ""
        evalue = err.get("evalue") or getattr(e, "evalue", "") or ""
        if not ename.strip("<> ") or not evalue:
            te, tv = error_from_text(text_of(outs))
            ename, evalue = (te or ename or "CellExecutionError"), (tv if te else evalue)
        result["ok"] = False
        result["error"] = {
            "cell": idx,
            "codeCell": (code_cells.index(idx) + 1) if idx in code_cells else None,
            "source": cell.source if cell is not None else "",
            "ename": ename,
            "evalue": evalue,
            "traceback": err.get("traceback") or [],
            "outputs": text_of(outs)[-8000:],
        }
    except Exception as e:  # kernel death, timeout, missing kernel spec, ...
        status = 2
        idx = state["current"]
        cell = nb.cells[idx] if idx is not None else None
        result["ok"] = False
        result["error"] = {
            "cell": idx,
            "codeCell": (code_cells.index(idx) + 1) if idx in code_cells else None,
            "source": cell.source if cell is not None else "",
            "ename": type(e).__name__,
            "evalue": str(e)[-4000:],
            "traceback": [],
            "outputs": text_of(cell.get("outputs", []))[-8000:] if cell is not None else "",
        }
    result["seconds"] = round(time.time() - t0, 3)
    nbformat.write(nb, a.output)
    with open(a.result, "w") as f:
        json.dump(result, f)
    sys.exit(status)


if __name__ == "__main__":
    main()
