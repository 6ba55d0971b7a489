"""The runtime layer: processes, start methods, pickling, output, pipes,
shared memory, locks, queues, Value/Array, CPUs and errors.

Nothing here imports anything of minimp above it (pools, tracing, views,
course). Read `process.py` first.
"""
