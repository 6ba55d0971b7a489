"""The pools layer: Pool and ProcessPoolExecutor, on top of the runtime. Read `pool.py` first."""
