"""`python -m bench.readme`: put the table of `bench/results/latest.json` into the README's
Performance section (between its `bench:results` markers)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from bench.report import RESULTS, markdown

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"(<!-- bench:results -->\n).*?(<!-- /bench:results -->)", re.S)


def main() -> None:
    results = json.loads(RESULTS.read_text())
    text = README.read_text()
    if not BLOCK.search(text):
        raise SystemExit("no bench:results markers in README.md")
    README.write_text(BLOCK.sub(lambda m: f"{m[1]}{markdown(results)}\n{m[2]}", text))
    print(f"README.md: table of {results['date']}")


if __name__ == "__main__":
    main()
