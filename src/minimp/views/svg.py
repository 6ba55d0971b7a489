"""The worker timeline as SVG text, for the widget (an ipywidgets.HTML shows it).

SVG is plain text the browser draws, so the widget needs no front-end code
of its own: Python writes `<rect>`s and the notebook displays them. Each
task's rectangle carries a `<title>`, which the browser shows as a tooltip
when the mouse rests on it.

The page chooses the colours that are not the data's: the text, the grid, the
bands behind every other lane come from JupyterLab's theme variables (THEME),
so a picture drawn on JupyterLab Dark's background is as readable as on the
light one, with the light colours as the fallback elsewhere. The bars keep
the colours of layout.COLOURS in both themes: they are the data. For a screen
reader the picture is one image (`role="img"`) named by its header line, and
the view beside it has a table of the same figures (summary.py).

Read next: `views/gaps.py`, the patterns a picture names.
"""

from __future__ import annotations

from html import escape

from . import layout as timeline
from .gaps import Gap, framed
from .segments import SEGMENTS

LABELS = 170  # pixels for the lane labels on the left
LANE = 26  # pixels per lane
AXIS = 30  # pixels for the time axis at the bottom
NOTE = 16  # pixels for each note under the axis (gaps.py)
MOST_TOOLTIPS = 2000  # beyond this many bars, tooltips would make the page heavy

# The colours of everything but the data: JupyterLab's theme variables, and the light theme's
# colour where a page has none (a browser's own page, VS Code). CSS variables work in a style
# attribute, not in SVG's own fill= and stroke= attributes.
THEME = {
    "text": "var(--jp-ui-font-color1, #000)",  # labels and ticks
    "quiet": "var(--jp-ui-font-color2, #555)",  # the axis' name
    "strong": "var(--jp-ui-font-color0, #000)",  # the outline of a failure
    "paper": "var(--jp-layout-color1, #FFF)",  # the page: the thin gap between two bars
    "band": "var(--jp-layout-color2, #F4F4F4)",  # behind every other lane
    "grid": "var(--jp-border-color1, #DDD)",  # a tick's line
}


def svg(view: timeline.Layout, *, width: int = 860, start: float = 0.0, end: float | None = None,
        color_by: str = "status", selected: int | None = None, cursor: float | None = None,
        gaps: list[Gap] = ()) -> str:  # fmt: skip
    """An SVG picture of `view` from `start` to `end` seconds, `width` pixels wide.

    `selected` is a task id to outline (with its wait drawn dashed);
    `cursor` draws a vertical line at that moment (a replay's "now");
    `gaps` (gaps.explain) are marked, numbered, and said below the axis.
    """
    end = max(view.end, 1e-3) if end is None else end
    span = max(end - start, 1e-9)
    plot_width = width - LABELS - 12
    bars = timeline.merge(timeline.window(view.bars, start, end), span / plot_width, keep=selected)

    def x(seconds: float) -> float:
        return LABELS + (seconds - start) / span * plot_width

    lanes_height = LANE * max(1, len(view.lanes))
    height = lanes_height + AXIS + NOTE * len(gaps)
    label = " ".join([f"worker timeline: {view.summary.header()}."] + [f"{gap.line}." for gap in gaps])
    parts = [opening(width, height, "minimp-timeline", label)]
    for number, lane in enumerate(view.lanes):
        y = number * LANE
        if number % 2:
            parts.append(f'<rect x="{LABELS}" y="{y}" width="{plot_width}" height="{LANE}" '
                         f'style="fill: {THEME["band"]}"/>')  # fmt: skip
        parts.append(f'<text x="{LABELS - 6}" y="{y + 17}" text-anchor="end" class="lane">{escape(lane.label)}</text>')
    for tick in timeline.ticks(start, end):
        parts.append(grid_line(x(tick), x(tick), 0, lanes_height + 4))
        parts.append(f'<text x="{x(tick):.1f}" y="{lanes_height + 17}" text-anchor="middle">{tick:g}</text>')
    parts.append(axis_name(LABELS + plot_width, lanes_height + AXIS - 1))
    groups: dict[str, int] = {}
    tooltips = len(bars) <= MOST_TOOLTIPS
    for bar in bars:
        chosen = selected is not None and bar.task == selected
        parts.append(_bar(bar, x, timeline.colour(bar, color_by, groups), chosen, view, tooltips))
    if cursor is not None:
        parts.append(f'<line x1="{x(cursor):.1f}" x2="{x(cursor):.1f}" y1="0" y2="{lanes_height}" '
                     f'stroke="#CC79A7" stroke-width="2"/>')  # fmt: skip
    for number, gap in enumerate(gaps, start=1):
        parts.append(_gap(number, gap, x(max(gap.start, start)), x(min(gap.end, end)), lanes_height))
        parts.append(f'<text x="{LABELS}" y="{lanes_height + AXIS + NOTE * number - 4}" class="gap-note">'
                     f"{number} · {escape(gap.line)}<title>{escape(gap.why)}</title></text>")  # fmt: skip
    parts.append("</svg>")
    return "".join(parts)


def _gap(number: int, gap: Gap, left: float, right: float, lanes_height: int) -> str:
    """A dashed frame around a gap, and its number where no bar is: an idle or stuck worker's in its
    lane; a tail's across every lane, numbered in a lane that was done; a crowd's, under the lanes."""
    if right <= left:  # zoomed away
        return ""
    lanes = lanes_height // LANE
    lane, number_lane = framed(gap, lanes)
    top, height = (0, lanes_height) if lane is None else (lane * LANE + 2, LANE - 4)
    number_at = lanes_height + AXIS - 2 if number_lane == lanes else number_lane * LANE + 13
    return (f'<g class="gap {gap.kind}"><title>{escape(gap.line)}: {escape(gap.why)}</title>'
            f'<rect x="{left:.1f}" y="{top}" width="{right - left:.1f}" height="{height}" stroke-dasharray="4 3" '
            f'style="fill: none; stroke: {THEME["text"]}"/>'
            f'<text x="{left + 3:.1f}" y="{number_at}" font-size="10">{number}</text></g>')


def opening(width: int, height: int, kind: str, label: str) -> str:
    """An SVG's start, for every SVG view: its size, its theme's text colour, and its name for a
    screen reader (`label`, its header line), also as a <title>, which browsers show on hover."""
    # Its natural size where the output area has room; scaled down to fit
    # a narrower one (a side panel open) instead of cut off on the right.
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
            f'style="max-width: {width}px; height: auto; fill: {THEME["text"]}" font-family="sans-serif" '
            f'font-size="12" class="{kind}" role="img" aria-label="{escape(label)}"><title>{escape(label)}</title>')


def grid_line(x1: float, x2: float, y1: float, y2: float) -> str:
    return f'<line x1="{x1:.1f}" x2="{x2:.1f}" y1="{y1:.1f}" y2="{y2:.1f}" style="stroke: {THEME["grid"]}"/>'


def axis_name(x: float, y: float, name: str = "seconds") -> str:
    return f'<text x="{x}" y="{y}" text-anchor="end" style="fill: {THEME["quiet"]}">{name}</text>'


def _bar(bar: timeline.Bar, x, fill: str, selected: bool, view: timeline.Layout, tooltips: bool) -> str:
    left, right = x(bar.start), x(bar.end)
    top = bar.lane * LANE
    if bar.kind == "wait":
        dash = ' stroke-dasharray="4 2" stroke-width="2"' if selected else ""
        return (f'<line x1="{left:.1f}" x2="{max(right, left + 1):.1f}" y1="{top + 23}" y2="{top + 23}" '
                f'stroke="{fill}"{dash} class="wait"/>')  # fmt: skip
    if bar.kind in SEGMENTS:  # thinner than a task's bar, and no outline: the job travelling
        title = f"<title>{escape(_tooltip(bar, view))}</title>" if tooltips else ""
        return (f'<rect x="{left:.1f}" y="{top + 8}" width="{max(right - left, 1.0):.1f}" height="8" fill="{fill}" '
                f'class="bar {bar.kind}">{title}</rect>')  # fmt: skip
    edge = THEME["strong"] if bar.kind in ("error", "crashed") else THEME["paper"]
    outline = f' style="stroke: {edge}" stroke-width="{1 if bar.kind in ("error", "crashed") else 0.5}"'

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
    if bar.kind in SEGMENTS:
        what = "its arguments to the worker" if bar.kind == "sending" else "its results back to the pool"
        job = f"a job of {bar.count} tasks of {bar.group}" if bar.count > 1 else f"the job of task {bar.task} ({bar.group})"
        return f"{bar.kind}: {job}, {what}: {(bar.end - bar.start) * 1e3:.2f} ms"
    if bar.kind == "start-up":
        return f"worker start-up: {(bar.end - bar.start) * 1e3:.1f} ms"
    if bar.task is None:
        return f"{bar.count} tasks of {bar.group}, {bar.kind}"
    if bar.kind == "running":
        return f"task {bar.task} ({bar.group}): running for {(bar.end - bar.start) * 1e3:.1f} ms"
    return f"task {bar.task} ({bar.group}): {bar.kind}, {(bar.end - bar.start) * 1e3:.1f} ms"
