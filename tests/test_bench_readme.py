"""The README's benchmark tables come from one run of `make bench` (tools/bench_readme.py)."""

import importlib.util
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


def load(path: str):
    spec = importlib.util.spec_from_file_location(pathlib.Path(path).stem, ROOT / path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench_readme = load("tools/bench_readme.py")
bench_all = load("bench/all.py")

README = """# Benchmarks
<!-- bench: bench_pool -->
old table
<!-- /bench -->
text between
<!-- bench: bench_core -->
<!-- /bench -->
"""


def test_each_block_gets_its_own_scripts_output():
    new = bench_readme.fill(README, {"bench_pool": "pool table\n", "bench_core": "core table\n", "other": "x"})
    assert "old table" not in new
    assert "<!-- bench: bench_pool -->\n```text\npool table\n```\n<!-- /bench -->" in new
    assert "<!-- bench: bench_core -->\n```text\ncore table\n```\n<!-- /bench -->" in new
    assert "text between" in new and "x" not in new.replace("text", "")


def test_filling_twice_changes_nothing():
    outputs = {"bench_pool": "pool table\n", "bench_core": "core table\n"}
    once = bench_readme.fill(README, outputs)
    assert bench_readme.fill(once, outputs) == once


def test_a_missing_output_is_an_error_naming_the_script():
    with pytest.raises(SystemExit, match="no output of bench_core in build/bench/: run make bench first"):
        bench_readme.fill(README, {"bench_pool": "pool table\n"})


def test_the_readme_shows_scripts_that_make_bench_runs():
    readme = (ROOT / "README.md").read_text()
    names = [match["name"] for match in bench_readme.BLOCK.finditer(readme)]
    assert names, "README.md has no <!-- bench: NAME --> blocks"
    assert set(names) <= set(bench_all.SCRIPTS)
    for name in bench_all.SCRIPTS:
        assert (ROOT / "bench" / f"{name}.py").is_file()
