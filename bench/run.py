"""Run every benchmark under bench/ (files named bench_*.py), print and save its figures.

Each benchmark module exposes ``run() -> dict`` of figures; the results land in
bench/results.json as {"<name>": {...}}, where <name> is the module name without "bench_",
or, when every value is itself a dict, as one section per key.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def main() -> int:
    results: dict[str, dict] = {}
    modules = sorted(HERE.glob("bench_*.py"))
    if not modules:
        print("No benchmark yet under bench/ (files named bench_*.py): writing {}.")
    for path in modules:
        name = path.stem.removeprefix("bench_")
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # workers pickle its functions by name
        spec.loader.exec_module(module)
        print(f"== {name}")
        figures = module.run()
        # A benchmark may report several sections at once ({"invoice_run": {…}, "pdf": {…}}).
        sections = (
            figures if all(isinstance(v, dict) for v in figures.values()) else {name: figures}
        )
        for section, values in sections.items():
            if section != name:
                print(f"== {section}")
            for key, value in values.items():
                print(f"   {key}: {value}")
            results[section] = values
    (HERE / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"Written {HERE / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
