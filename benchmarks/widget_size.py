"""Size of what a council page downloads for the widget: raw and gzipped (level 9), against the 40 KB budget.

    python benchmarks/widget_size.py

Prints a table and writes benchmarks/results/widget_size.json. The styles live inside navigator.js (a constructed
stylesheet in the shadow root); a separate widget/navigator.css is counted too if one is ever added.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WIDGET = ROOT / "widget"
FILES = ("navigator.js", "navigator.css")  # what the page loads; the demo pages are not part of the widget
BUDGET_BYTES = 40 * 1024
OUT = ROOT / "benchmarks" / "results" / "widget_size.json"


def measure() -> dict[str, object]:
    files = []
    for name in FILES:
        path = WIDGET / name
        if not path.exists():
            continue
        raw = path.read_bytes()
        # mtime=0 keeps the gzip header, and so the figure, the same from run to run.
        packed = gzip.compress(raw, compresslevel=9, mtime=0)
        files.append({"file": f"widget/{name}", "raw_bytes": len(raw), "gzip_bytes": len(packed)})
    total_gzip = sum(int(f["gzip_bytes"]) for f in files)
    return {
        "files": files,
        "total_raw_bytes": sum(int(f["raw_bytes"]) for f in files),
        "total_gzip_bytes": total_gzip,
        "budget_gzip_bytes": BUDGET_BYTES,
        "within_budget": total_gzip <= BUDGET_BYTES,
        "method": "Python gzip.compress(level=9), the same DEFLATE as `gzip -9`",
    }


def main() -> None:
    result = measure()
    for f in result["files"]:  # type: ignore[attr-defined]
        print(f"{f['file']:<24} {f['raw_bytes']:>8,} B raw {f['gzip_bytes']:>8,} B gzipped")
    print(
        f"{'total':<24} {result['total_raw_bytes']:>8,} B raw {result['total_gzip_bytes']:>8,} B gzipped "
        f"(budget {BUDGET_BYTES:,} B: {'within' if result['within_budget'] else 'OVER'})"
    )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
