"""The views layer: pictures and widgets of traces, processes and queues.

    layout.py     where each bar of a worker timeline goes (it only computes)
    plot.py       that timeline drawn with matplotlib: `trace.plot()`
    svg.py        the same as SVG text, for the widget
    widgets/      live views for notebooks: timeline, processes, queues
    perfetto.py   a trace as JSON for ui.perfetto.dev: `trace.to_perfetto()`

Views read records (tracing/) and draw them; nothing here records anything.
"""
