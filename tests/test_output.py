"""Child output: in a terminal it goes straight through; in a notebook, minimp forwards it.

pytest's `capsys` replaces sys.stdout with an in-memory stream, as a Jupyter
kernel does, so these tests see what a notebook cell would show.
"""

import contextvars
import sys
import threading
import time

import pytest

from programs import run_program


def say(*lines):
    for line in lines:
        print(line)


def complain(message):
    print(message, file=sys.stderr)


def print_a_lot(lines, width):
    for i in range(lines):
        print(f"{i:08d}" + "x" * width)


def print_then_wait(event):
    print("first line")
    event.wait(30)
    print("after the event")


def test_child_output_reaches_the_parents_stream(ctx, capsys):
    p = ctx.Process(target=say, args=("hello", "from the child"))
    p.start()
    p.join()
    assert capsys.readouterr().out == "hello\nfrom the child\n"


def test_stderr_stays_stderr(ctx, capsys):
    p = ctx.Process(target=complain, args=("something is off",))
    p.start()
    p.join()
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", "something is off\n")


def test_output_of_a_real_file_is_inherited(ctx, capfd):
    # capfd leaves sys.stdout a real file: the child writes to it directly.
    p = ctx.Process(target=say, args=("straight through",))
    p.start()
    p.join()
    assert capfd.readouterr().out == "straight through\n"


def test_text_is_decoded_across_chunk_boundaries(ctx, capsys):
    text = "déjà vu ✓ " * 20000  # 3-byte characters straddle 64 KiB reads
    p = ctx.Process(target=say, args=(text,))
    p.start()
    p.join()
    assert capsys.readouterr().out == text + "\n"


@pytest.mark.timeout(60)
def test_lots_of_output_does_not_block_the_child(ctx, capsys):
    # 10 MB is far more than a pipe holds: the child would block for ever
    # if the parent stopped reading while it waits in join().
    p = ctx.Process(target=print_a_lot, args=(100_000, 92))
    p.start()
    p.join()
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 100_000
    assert out[0].startswith("00000000x") and out[-1].startswith("00099999x")


def test_lines_arrive_while_the_child_still_runs(ctx, capsys):
    go_on = ctx.Event()
    p = ctx.Process(target=print_then_wait, args=(go_on,))
    p.start()
    seen = ""
    deadline = time.monotonic() + 20
    while "first line" not in seen and time.monotonic() < deadline:
        time.sleep(0.02)
        seen += capsys.readouterr().out
    assert seen == "first line\n" and p.is_alive()
    go_on.set()
    p.join()
    assert capsys.readouterr().out == "after the event\n"


current_cell = contextvars.ContextVar("current_cell", default=None)


class CellRecorder:
    """Records, for each write, which 'cell' the context said it belonged to:
    how ipykernel decides where output goes."""

    def __init__(self):
        self.writes = []

    def write(self, text):
        self.writes.append((current_cell.get(), text))

    def flush(self):
        pass


def test_output_is_written_in_the_context_that_started_the_child(ctx, monkeypatch):
    recorder = CellRecorder()
    monkeypatch.setattr(sys, "stdout", recorder)
    current_cell.set("cell 1")
    p = ctx.Process(target=say, args=("for cell 1",))
    p.start()
    current_cell.set("cell 2")  # the kernel moves on to another cell
    p.join()
    assert {cell for cell, _ in recorder.writes} == {"cell 1"}
    assert "".join(text for _, text in recorder.writes) == "for cell 1\n"


def say_when_told(go, line):
    go.wait(10)
    print(line)


def test_forwarding_threads_are_named_and_finish(ctx, capsys):
    go = ctx.Event()
    p = ctx.Process(target=say_when_told, args=(go, "bye"))
    p.start()
    try:  # while the child still runs, its output threads are there
        names = [t.name for t in threading.enumerate() if t.name.startswith("minimp-output-")]
    finally:
        go.set()
        p.join(10)
    assert f"minimp-output-{p.pid}-stdout" in names
    assert capsys.readouterr().out == "bye\n"
    assert not [t for t in threading.enumerate() if t.name.startswith(f"minimp-output-{p.pid}")]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
def test_the_lines_of_two_children_never_mix_even_unbuffered(method, tmp_path, monkeypatch):
    # Under PYTHONUNBUFFERED, print() would write a line's text and its newline
    # separately, and two children writing to one pipe could mix them:
    # "Worker 1 is workingWorker 2 is working\n\n". minimp's children write whole lines.
    monkeypatch.setenv("PYTHONUNBUFFERED", "1")
    program = f"""
import minimp

def worker(number, go):
    go.wait()  # both print at once
    for _ in range(200):
        print(f"Worker {{number}} is working")

if __name__ == "__main__":
    minimp.set_start_method({method!r})
    go = minimp.Event()
    children = [minimp.Process(target=worker, args=(n, go)) for n in (1, 2)]
    for child in children:
        child.start()
    go.set()
    for child in children:
        child.join()
"""
    code, out, err = run_program(program, tmp_path, timeout=30)
    assert code == 0, err
    assert sorted(set(out.splitlines())) == ["Worker 1 is working", "Worker 2 is working"]
    assert len(out.splitlines()) == 400
