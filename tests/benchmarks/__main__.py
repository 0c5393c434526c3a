"""Run every benchmark module ``tests/benchmarks/bench_*.py`` and write its figures to JSON.

Each module defines ``run() -> list[dict]``: one dict per measured row (flat keys, numbers or
strings). The figures go to ``tests/benchmarks/results/<name>.json`` together with the machine and
library versions, and a table is printed. Benchmarks never assert a time.

Usage: ``python -m tests.benchmarks [name ...]`` (names without the ``bench_`` prefix).
"""

from __future__ import annotations

import importlib
import json
import os
import platform
import sys
import time
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
VERSIONS = ("soltrader", "numpy", "numba", "pandas", "polars", "pyarrow", "TA-Lib", "vectorbt")


def machine() -> dict:
    """Where and with what the figures were measured."""
    versions = {}
    for name in VERSIONS:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "versions": versions,
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def print_table(name: str, rows: list[dict]) -> None:
    """Print ``rows`` as an aligned text table."""
    if not rows:
        return
    keys = list(dict.fromkeys(k for row in rows for k in row))

    def fmt(v: object) -> str:
        if isinstance(v, float):
            return f"{v:.4g}"
        return "" if v is None else str(v)

    cells = [[fmt(r.get(k)) for k in keys] for r in rows]
    widths = [max(len(k), *(len(c[i]) for c in cells)) for i, k in enumerate(keys)]
    print(f"\n== {name}")
    print("  ".join(k.ljust(w) for k, w in zip(keys, widths, strict=True)))
    for c in cells:
        print("  ".join(v.ljust(w) for v, w in zip(c, widths, strict=True)))


def main(argv: list[str]) -> int:
    names = argv or sorted(p.stem[len("bench_") :] for p in HERE.glob("bench_*.py"))
    RESULTS.mkdir(exist_ok=True)
    for name in names:
        module = importlib.import_module(f"tests.benchmarks.bench_{name}")
        started = time.perf_counter()
        rows = module.run()
        payload = {
            "benchmark": name,
            "machine": machine(),
            "wall_s": time.perf_counter() - started,
            "rows": rows,
        }
        (RESULTS / f"{name}.json").write_text(json.dumps(payload, indent=2) + "\n")
        print_table(name, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
