"""The worker timeline as SVG text, for the widget (an ipywidgets.HTML shows it).

SVG is plain text the browser draws, so the widget needs no front-end code
of its own: Python writes `<rect>`s and the notebook displays them. Each
task's rectangle carries a `<title>`, which the browser shows as a tooltip
when the mouse rests on it.

Read next: `views/widgets/view.py`, what every widget shares, then
`views/widgets/timeline.py`, the widget around this picture.
"""

from __future__ import annotations

from html import escape

from . import layout as timeline

LABELS = 170  # pixels for the lane labels on the left
LANE = 26  # pixels per lane
AXIS = 30  # pixels for the time axis at the bottom
MOST_TOOLTIPS = 2000  # beyond this many bars, tooltips would make the page heavy


def svg(view: timeline.Layout, *, width: int = 860, start: float = 0.0, end: float | None = None,
        color_by: str = "status", selected: int | None = None, cursor: float | None = None) -> str:  # fmt: skip
    """An SVG picture of `view` from `start` to `end` seconds, `width` pixels wide.

    `selected` is a task id to outline (with its wait drawn dashed);
    `cursor` draws a vertical line at that moment (a replay's "now").
    """
    end = max(view.end, 1e-3) if end is None else end
    span = max(end - start, 1e-9)
    plot_width = width - LABELS - 12
    bars = timeline.merge(timeline.window(view.bars, start, end), span / plot_width, keep=selected)

    def x(seconds: float) -> float:
        return LABELS + (seconds - start) / span * plot_width

    height = LANE * max(1, len(view.lanes)) + AXIS
    parts = [
        # Its natural size where the output area has room; scaled down to fit
        # a narrower one (a side panel open) instead of cut off on the right.
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'style="max-width: {width}px; height: auto" font-family="sans-serif" font-size="12" class="minimp-timeline">'
    ]
    for number, lane in enumerate(view.lanes):
        y = number * LANE
        if number % 2:
            parts.append(f'<rect x="{LABELS}" y="{y}" width="{plot_width}" height="{LANE}" fill="#F4F4F4"/>')
        parts.append(f'<text x="{LABELS - 6}" y="{y + 17}" text-anchor="end" class="lane">{escape(lane.label)}</text>')
    for tick in timeline.ticks(start, end):
        parts.append(f'<line x1="{x(tick):.1f}" x2="{x(tick):.1f}" y1="0" y2="{height - AXIS + 4}" stroke="#DDD"/>')
        parts.append(f'<text x="{x(tick):.1f}" y="{height - AXIS + 17}" text-anchor="middle">{tick:g}</text>')
    parts.append(f'<text x="{LABELS + plot_width}" y="{height - 1}" text-anchor="end" fill="#555">seconds</text>')
    groups: dict[str, int] = {}
    tooltips = len(bars) <= MOST_TOOLTIPS
    for bar in bars:
        chosen = selected is not None and bar.task == selected
        parts.append(_bar(bar, x, timeline.colour(bar, color_by, groups), chosen, view, tooltips))
    if cursor is not None:
        parts.append(f'<line x1="{x(cursor):.1f}" x2="{x(cursor):.1f}" y1="0" y2="{height - AXIS}" '
                     f'stroke="#CC79A7" stroke-width="2"/>')  # fmt: skip
    parts.append("</svg>")
    return "".join(parts)


def _bar(bar: timeline.Bar, x, fill: str, selected: bool, view: timeline.Layout, tooltips: bool) -> str:
    left, right = x(bar.start), x(bar.end)
    top = bar.lane * LANE
    if bar.kind == "wait":
        dash = ' stroke-dasharray="4 2" stroke-width="2"' if selected else ""
        return (f'<line x1="{left:.1f}" x2="{max(right, left + 1):.1f}" y1="{top + 23}" y2="{top + 23}" '
                f'stroke="{fill}"{dash} class="wait"/>')  # fmt: skip
    outline = ' stroke="#000" stroke-width="1"' if bar.kind in ("error", "crashed") else ' stroke="#FFF" stroke-width="0.5"'

    if selected:
        outline = ' stroke="#CC79A7" stroke-width="3"'
    title = f"<title>{escape(_tooltip(bar, view))}</title>" if tooltips else ""
    shape = (f'<rect x="{left:.1f}" y="{top + 4}" width="{max(right - left, 1.0):.1f}" height="16" '
             f'fill="{fill}"{outline} class="bar {bar.kind}">{title}</rect>')  # fmt: skip
    if bar.kind == "crashed":  # a cross, so a crash does not rest on colour alone
        shape += (f'<path d="M{right - 5:.1f},{top + 5} l10,14 m0,-14 l-10,14" stroke="#D55E00" '
                  f'stroke-width="3"/>')  # fmt: skip
    return shape


def _tooltip(bar: timeline.Bar, view: timeline.Layout) -> str:
    if bar.kind == "start-up":
        return f"worker start-up: {(bar.end - bar.start) * 1e3:.1f} ms"
    if bar.task is None:
        return f"{bar.count} tasks of {bar.group}, {bar.kind}"
    if bar.kind == "running":
        return f"task {bar.task} ({bar.group}): running for {(bar.end - bar.start) * 1e3:.1f} ms"
    return f"task {bar.task} ({bar.group}): {bar.kind}, {(bar.end - bar.start) * 1e3:.1f} ms"
