"""Where a child's print() goes: the terminal, or the notebook cell that started it.

A child inherits its parent's file descriptors 1 (stdout) and 2 (stderr): in a terminal, its
lines appear there. In Jupyter, the kernel's `sys.stdout` is not descriptor 1 but an object
that sends text to the browser, tagged with the cell that runs. What arrives on descriptor 1
lands in whichever cell runs when it comes (recent ipykernel) or in the server's log (older
ones, other front ends): the standard library's children print beside their cell, or not at
all. So minimp decides, per stream, when a child starts:

- the parent's stream is a real file (`io.TextIOWrapper` over a descriptor): the child
  writes to that same descriptor. Nothing to do.
- otherwise (a notebook, a StringIO, pytest's capsys): the child's descriptor becomes the
  write end of a pipe, and a thread in the parent copies what arrives into the parent's
  stream object::

      child: print() ─▶ fd 1 ─▶ pipe ─▶ parent: thread "minimp-output-<pid>-stdout"
                                         └─▶ sys.stdout.write() ─▶ the cell

The thread runs in the `contextvars` context of the code that started the child: that is how
ipykernel knows which cell a write belongs to. It reads as long as the child writes, so a
child printing megabytes never blocks on a full pipe; and `Process.join()` waits (briefly)
for the last bytes, so a cell that starts and joins a child shows all its output itself.

Read next: `runtime/logs.py`, what minimp itself says on stderr, once asked to.
"""

from __future__ import annotations

import codecs
import contextvars
import io
import os
import sys
import threading

__all__ = ["ChildOutput", "whole_lines", "flush_std_streams"]

CHUNK = 64 * 1024
GRACE = 1.0  # seconds Process.join() waits for the last output of an exited child


def _file_descriptor(stream) -> int | None:
    """The descriptor behind `stream` if it is a real file, else None."""
    if not isinstance(stream, io.TextIOWrapper):
        return None
    try:
        return stream.fileno()
    except (OSError, ValueError):  # detached, closed or an in-memory buffer
        return None


def whole_lines() -> None:
    """In a child: print() writes each line with one write(2), so that the lines of two
    children never mix, even under PYTHONUNBUFFERED (whose write-through would write a
    line's text and its newline separately). On a terminal Python does this already."""
    stdout = sys.stdout
    if isinstance(stdout, io.TextIOWrapper) and not stdout.isatty():
        stdout.reconfigure(line_buffering=True, write_through=False)


def flush_std_streams() -> None:
    """Write out what sys.stdout and sys.stderr hold, whatever they are now (None, closed, broken)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):
            pass


class _Stream:
    """One of a child's two output streams."""

    def __init__(self, name: str, number: int, parent_stream, child_fd: int, read_end: int | None):
        self.name = name  # "stdout" or "stderr"
        self.number = number  # the child's descriptor: 1 or 2
        self.parent_stream = parent_stream  # where the text should end up
        self.child_fd = child_fd  # what the child's descriptor `number` will be
        self.read_end = read_end  # the parent's end of the pipe, if forwarded


class ChildOutput:
    """The stdout and stderr of one child: where they go and who copies them."""

    def __init__(self) -> None:
        self.streams: list[_Stream] = []
        for name, number in (("stdout", 1), ("stderr", 2)):
            parent_stream = getattr(sys, name)
            fd = number if parent_stream is None else _file_descriptor(parent_stream)
            read_end = None
            if fd is None:  # not a real file: forward through a pipe
                read_end, fd = os.pipe()
            self.streams.append(_Stream(name, number, parent_stream, fd, read_end))
        self._threads: list[threading.Thread] = []

    @property
    def child_fds(self) -> tuple[int, int]:
        """The descriptors to become the child's stdout and stderr."""
        return self.streams[0].child_fd, self.streams[1].child_fd

    def before_fork(self) -> None:
        """Flush the parent's file streams, or a forked child would write their buffered text again."""
        for s in self.streams:
            if s.read_end is None and s.parent_stream is not None:
                s.parent_stream.flush()

    def in_child(self) -> None:
        """In a forked child: make fds 1 and 2 the pipes' write ends, with line-buffered streams over them."""
        for s in self.streams:
            if s.read_end is not None:
                os.close(s.read_end)
                os.dup2(s.child_fd, s.number)
                os.close(s.child_fd)
                setattr(sys, s.name, open(s.number, "w", encoding="utf-8", buffering=1, closefd=False))

    def in_parent(self, pid: int) -> None:
        """After the child started: close our copy of the pipes' write ends (so a
        pipe ends when the child exits) and start copying."""
        context = contextvars.copy_context()
        for s in self.streams:
            if s.read_end is not None:
                os.close(s.child_fd)
                copy = (_copy_until_eof, s.read_end, s.parent_stream)
                thread = threading.Thread(target=context.copy().run, args=copy,
                                          name=f"minimp-output-{pid}-{s.name}", daemon=True)
                thread.start()
                self._threads.append(thread)

    def abandon(self) -> None:
        """The child could not be started: close the pipes."""
        for s in self.streams:
            if s.read_end is not None:
                os.close(s.read_end)
                os.close(s.child_fd)
                s.read_end = None

    def wait(self, timeout: float = GRACE) -> None:
        """Wait until the last output of an exited child has been copied. The timeout matters only if
        the child left behind a process that holds the pipe (a shell command in the background, say)."""
        for thread in self._threads:
            thread.join(timeout)


def _copy_until_eof(fd: int, stream) -> None:
    """The forwarding thread: copy text from the pipe `fd` into `stream`. If the parent's stream is
    gone (closed, replaced), keep reading anyway: a child must never block on a pipe nobody empties."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    try:
        while chunk := os.read(fd, CHUNK):
            _write(stream, decoder.decode(chunk))
        _write(stream, decoder.decode(b"", final=True))
    finally:
        os.close(fd)


def _write(stream, text: str) -> None:
    if text and stream is not None:
        try:
            stream.write(text)
        except (OSError, ValueError):
            pass
