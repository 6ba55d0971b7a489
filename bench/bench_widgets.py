"""How fast are the timeline views, and what does a live view cost a pool?

Run from the repository root (`make bench` runs it after the others)::

    .venv/bin/python bench/bench_widgets.py            # about a minute
    .venv/bin/python bench/bench_widgets.py --quick    # a rough look

- **Drawing 10,000 tasks** (two workers, a second of work): the layout
  alone (layout.py), the SVG the widget shows, the widget made from a
  trace (layout + SVG + its controls), and the PNG that trace.plot()'s
  code draws (matplotlib, Agg). Medians of several runs, in ms.
- **A live view's cost**: the same map on a minimp.Pool of 2 workers (fork),
  traced, with and without a live TimelineView redrawing 4 times a second
  in this process. Outside a notebook no front end receives the picture;
  to count the work a notebook would add, each redraw's new SVG is also
  encoded as JSON, as ipykernel does before sending it. ratio = traced
  alone / traced + live: 1.00x is no cost, 0.95x is 5 % slower.
  Rounds alternate; medians, and the median of each round's own ratio
  (runs on a noisy machine drift by tens of percent; a round's two run
  side by side).
"""

import json
import statistics
import sys
import time

import _targets

ROUNDS, QUICK_ROUNDS = 11, 3
WORKERS = 2


def ten_thousand_tasks():
    from minimp.tracing import Snapshot, TaskRecord, WorkerRecord

    t0, step = 1000.0, 0.0002  # each worker runs 5,000 tasks of 0.2 ms, each sent and returned (segments.py)
    tasks = [
        TaskRecord(id=n + 2, call=1, index=n, function="work", args=f"({n},)", submitted=t0,
                   started=t0 + (n // 2) * step + 2e-5, finished=t0 + (n // 2 + 1) * step - 2e-5,
                   worker=n % 2, pid=100 + n % 2, status="error" if n % 997 == 0 else "ok",
                   sent=t0 + (n // 2) * step, returned=t0 + (n // 2 + 1) * step - 1e-5)
        for n in range(10_000)
    ]  # fmt: skip
    workers = [WorkerRecord(i, 100 + i, t0, t0 + 0.001, t0 + 1.01, 0) for i in range(2)]
    return Snapshot(tasks, workers, [], 0, t0, t0 + 1.01)


def median_ms(function, rounds):
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def drawing(rounds):
    from minimp.views import layout
    from minimp.views import plot
    from minimp.tracing import Trace
    from minimp.views.widgets import TimelineView
    from minimp.views.gaps import explain
    from minimp.views.svg import svg

    snap = ten_thousand_tasks()
    view = layout.layout(snap)
    trace = Trace()
    trace.started, trace._tasks, trace.workers = snap.started, snap.tasks, snap.workers
    plot.png(view)  # warm-up: matplotlib's fonts and caches
    print("drawing 10,000 tasks on 2 workers, each sent and returned (median ms):")
    print(f"  layout                 {median_ms(lambda: layout.layout(snap), rounds):8.1f}")
    print(f"  gaps explained         {median_ms(lambda: explain(view, 2), rounds):8.1f}")
    drawn = lambda: svg(view, gaps=explain(view, 2))  # noqa: E731 -- what the widget draws
    print(f"  SVG for the widget     {median_ms(drawn, rounds):8.1f}   ({len(drawn()) // 1024} KiB, with its gaps)")
    print(f"  widget from a trace    {median_ms(lambda: TimelineView(trace), rounds):8.1f}")
    print(f"  PNG (matplotlib, Agg)  {median_ms(lambda: plot.png(view), rounds):8.1f}")


def live_cost(rounds, quick):
    import minimp
    from minimp.views.widgets import TimelineView

    pool = minimp.Pool(WORKERS, context=minimp.get_context("fork"))
    spin_1ms = _targets.calibrate_spin(0.001)
    loads = [
        ("2000 tasks of 1 ms, chunksize=1", lambda: pool.map(_targets.spin, [spin_1ms] * (500 if quick else 2000),
                                                             chunksize=1)),
        ("20k tiny tasks, default chunks", lambda: pool.map(_targets.tiny, range(5_000 if quick else 20_000))),
        ("20k tiny tasks, chunksize=1", lambda: pool.map(_targets.tiny, range(5_000 if quick else 20_000),
                                                         chunksize=1)),
    ]  # fmt: skip

    def traced(load, live):
        with minimp.trace() as t:
            if live:
                view = TimelineView(t, interval=0.25)
                view.picture.observe(lambda change: json.dumps({"value": change["new"]}), names="value")
                view.start()
            start = time.perf_counter()
            load()
            took = time.perf_counter() - start
            if live:
                view.stop()
                view.close()  # a widget lives until closed: let this one, and its trace, go
        return took

    print(f"\na live view's cost, minimp.Pool({WORKERS}) (fork): medians of {rounds} alternating rounds")
    try:
        for label, load in loads:
            traced(load, False)  # warm-up
            samples = {False: [], True: []}
            for round_number in range(rounds):
                for live in (False, True) if round_number % 2 == 0 else (True, False):
                    samples[live].append(traced(load, live))
            off, on = statistics.median(samples[False]), statistics.median(samples[True])
            # Runs drift by tens of percent here; the two runs of a round ran side by side.
            paired = statistics.median(a / b for a, b in zip(samples[False], samples[True]))
            print(f"  {label:<34} traced {off * 1e3:7.1f} ms, + live view {on * 1e3:7.1f} ms: {off / on:.2f}x"
                  f" (per round: {paired:.2f}x)")
    finally:
        pool.terminate()
        pool.join()


def main(argv=None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    rounds = QUICK_ROUNDS if args.quick else ROUNDS
    began = time.perf_counter()
    drawing(rounds)
    live_cost(rounds, args.quick)
    print(f"\ndone in {time.perf_counter() - began:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
