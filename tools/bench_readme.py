"""Write the output of the last `make bench` into README.md's benchmark section.

`make bench` (bench/all.py) keeps what each benchmark printed in
build/bench/NAME.txt. The README marks where each one's output goes:

    <!-- bench: bench_pool -->
    ...replaced by that script's output, as a text block...
    <!-- /bench -->

Every marked block is replaced from the same run; a block whose output is
missing is an error, so that the README never mixes two runs without saying so.

    .venv/bin/python tools/bench_readme.py     # make bench-readme
"""

import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"(<!-- bench: (?P<name>[\w-]+) -->\n)(?P<body>.*?)(<!-- /bench -->)", re.S)


def fill(readme: str, outputs: dict[str, str]) -> str:
    """`readme` with each marked block holding its script's output from `outputs`."""
    missing = sorted({m["name"] for m in BLOCK.finditer(readme)} - set(outputs))
    if missing:
        raise SystemExit(f"no output of {', '.join(missing)} in build/bench/: run make bench first")

    def block(match: re.Match) -> str:
        text = outputs[match["name"]].rstrip("\n")
        return f"{match[1]}```text\n{text}\n```\n{match[4]}"

    return BLOCK.sub(block, readme)


def main() -> int:
    outputs = {path.stem: path.read_text() for path in (ROOT / "build" / "bench").glob("*.txt")}
    readme = ROOT / "README.md"
    old = readme.read_text()
    new = fill(old, outputs)
    readme.write_text(new)
    print(f"README.md: {len(BLOCK.findall(new))} benchmark blocks written" + (" (unchanged)" if new == old else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
