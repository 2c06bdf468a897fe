"""Run every benchmark under bench/ (files named bench_*.py), print and save its figures.

Each benchmark module exposes ``run() -> dict`` of figures; the results land in
bench/results.json as {"<name>": {...}}, where <name> is the module name without "bench_",
or, when every value is itself a dict, as one section per key. Each section also gets the
load average and CPU count read when it ended: these 2-core machines are shared, so every
figure is read beside its floor, measured in the same run, and beside the load.

BENCH_ONLY=grid,cart_race runs some of them (the others keep their last figures).
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

# The table printed at the end: label, section, figure, floor (a key, or a goal), and
# whether a bigger figure is better (the ratio is then floor / figure).
TABLE = [
    ("cart_race validations/s", "cart_race", "validations_per_s", "floor_per_s", True),
    ("grid p95 ms", "grid", "p95_ms", "bare_p95_ms", False),
    ("invoice_run s", "invoice_run", "seconds", "raw_sql_seconds", False),
    ("invoice_run peak MB", "invoice_run", "peak_mb", 500, False),
    ("pdf /s/core", "pdf", "per_s_per_core", 10, True),
    ("pdf 1 000 invoices wall s", "pdf", "wall_1000_s", None, False),
    ("load p95 ms", "load", "p95_ms", "bare_p95_ms", False),
    ("load requests/s", "load", "requests_per_s", None, True),
    ("load errors", "load", "errors", None, False),
    ("scaling grid p95 ms 16x (floor 1x)", "scaling", "grid_p95_ms_16x", "grid_p95_ms_1x", False),
    ("scaling invoice_run s 16x (floor 1x)", "scaling", "invoice_s_16x", "invoice_s_1x", False),
    ("tenants resolution ms", "tenants", "resolution_ms", 1, False),
    (
        "tenants grid p95 last (floor first)",
        "tenants",
        "grid_p95_ms_last",
        "grid_p95_ms_first",
        False,
    ),
]


def _table(results: dict) -> str:
    rows = [("name", "figure", "floor", "ratio", "load average")]
    for label, section, key, floor, bigger_better in TABLE:
        values = results.get(section, {})
        figure = values.get(key)
        if figure is None:
            continue
        base = values.get(floor) if isinstance(floor, str) else floor
        ratio = ""
        if isinstance(base, int | float) and base and figure:
            ratio = f"{(base / figure if bigger_better else figure / base):.2f}"
        load = values.get("load_average", [""])[0]
        rows.append((label, str(figure), "" if base is None else str(base), ratio, str(load)))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows
    )


def main() -> int:
    from common import django_setup, machine

    # Before any benchmark: they share this process, its settings and its SECRET_KEY (the
    # servers they start sign sessions with the same one).
    django_setup()

    path = HERE / "results.json"
    results: dict[str, dict] = json.loads(path.read_text()) if path.exists() else {}
    only = {name for name in os.environ.get("BENCH_ONLY", "").split(",") if name}
    modules = sorted(HERE.glob("bench_*.py"))
    if not modules:
        print("No benchmark yet under bench/ (files named bench_*.py): writing {}.")
    started = time.perf_counter()
    for module_path in modules:
        name = module_path.stem.removeprefix("bench_")
        if only and name not in only:
            continue
        spec = importlib.util.spec_from_file_location(module_path.stem, module_path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # workers pickle its functions by name
        spec.loader.exec_module(module)
        print(f"== {name}", flush=True)
        began = time.perf_counter()
        figures = module.run()
        # A benchmark may report several sections at once ({"invoice_run": {…}, "pdf": {…}}).
        sections = (
            figures if all(isinstance(v, dict) for v in figures.values()) else {name: figures}
        )
        for section, values in sections.items():
            values = {**values, **machine(), "bench_seconds": round(time.perf_counter() - began)}
            if section != name:
                print(f"== {section}")
            for key, value in values.items():
                print(f"   {key}: {value}")
            results[section] = values
        path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"\nAll in {time.perf_counter() - started:.0f} s on {os.cpu_count()} CPUs.\n")
    print(_table(results))
    print(f"\nWritten {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
