"""Print build/checks_report.json (written by tests/test_catalogues.py) as a table: `make checks`."""

import json
import sys
from pathlib import Path

REPORT = Path(__file__).resolve().parents[1] / "build" / "checks_report.json"


def main() -> int:
    if not REPORT.exists():
        print(f"{REPORT} does not exist: run `make checks` (it runs tests/test_catalogues.py first).")
        return 1
    report = json.loads(REPORT.read_text())
    head = ("notebook", "exercises", "catalogued", "wrong answers tried", "rejected", "named")
    rows = [(nb, r["exercises"], r["with_catalogue"], r["tried"], r["rejected"], r["named"])
            for nb, r in sorted(report.items())]
    rows.append(("total", *(sum(r[i] for r in rows) for i in range(1, 6))))
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(6)]
    for r in [head, *rows]:
        print("  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
