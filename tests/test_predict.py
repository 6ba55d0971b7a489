"""The "predict, then run" checkers: the learner's guess, the measured run, one picture.

Each checker runs real code in a pool of its own; a right prediction passes,
a typical wrong one is told what differs (named in words), a malformed one
gets a specific error before anything runs, and the returned Figure holds
the prediction's orange boxes or line over the measured bars. The checkers
judge with tolerances and groups, so these tests hold on a busy machine;
they assert what a learner reads, never a time.
"""

import pytest
from matplotlib.figure import Figure

from minimp.course.exercises import predict
from minimp.course.exercises.ch05 import check_chunk_prediction, check_pool_prediction
from minimp.course.exercises.ch06 import check_done_prediction
from minimp.course.exercises.ch07 import check_crash_prediction
from minimp.course.exercises.ch08 import check_serial_prediction
from minimp.tracing import TaskRecord, Trace

from verdicts import verdict


def predicted_artists(figure: Figure) -> list:
    """The patches and lines drawn in the prediction's colour, in every panel."""
    colour = (0.9019607843137255, 0.6235294117647059, 0.0, 1.0)  # predict.PREDICTED as RGBA
    found = []
    for ax in figure.axes:
        found += [p for p in ax.patches if tuple(p.get_edgecolor()) == colour]
        found += [line for line in ax.lines if line.get_color() == predict.PREDICTED]
    return found


# -- the shared part, without processes ---------------------------------------------------------


def record(index: int, pid: int, started: float, finished: float) -> TaskRecord:
    return TaskRecord(index, 1, index, "nap", "()", 0.0, started, finished, pid - 100, pid, "ok")


def test_lanes_and_chunks_come_from_the_records():
    trace = Trace()
    trace.started = 0.0
    # worker 101 ran a chunk of 0, 1 (one clock reading between them), then 3; worker 102 ran 2.
    trace.tasks = [record(0, 101, 0.0, 0.5), record(1, 101, 0.5, 0.7), record(2, 102, 0.0, 0.2), record(3, 101, 0.71, 0.9)]
    assert predict.lanes_of(trace, lambda r: r.index) == [[0, 1, 3], [2]]
    assert predict.chunks_of(trace) == [[0, 1], [2], [3]]


def test_boxes_that_overlap_on_a_lane_each_get_a_band_of_it():
    boxes = [predict.Planned(101, 0.0, 0.2, "B"), predict.Planned(101, 0.0, 0.4, "C"), predict.Planned(101, 0.2, 0.6, "D"),
             predict.Planned(102, 0.0, 1.0, "A")]  # fmt: skip
    placed = {box.label: (band, bands) for box, band, bands in predict._bands(boxes, {101: 1, 102: 0}, 2)}
    assert placed == {"B": (0, 2), "C": (1, 2), "D": (0, 2), "A": (0, 1)}  # D takes B's band once B has ended


def test_schedule_gives_each_chunk_to_the_worker_free_first():
    placed = predict.schedule([[0], [1], [2]], lambda i: [0.5, 0.2, 0.2][i])
    assert [(worker, task) for worker, _, _, task in placed] == [(0, 0), (1, 1), (1, 2)]


@pytest.mark.parametrize("guess, measured, near", [(0.9, 0.93, True), (0.6, 0.81, False), (1.0, 1.12, True)])
def test_near_allows_a_noisy_machine(guess, measured, near):
    assert predict.near(guess, measured) is near


# -- malformed predictions: a specific error, and nothing runs ------------------------------------


@pytest.mark.parametrize(
    "check, prediction, says",
    [
        (check_pool_prediction, [["A"]], "pass the prediction as a dict"),
        (check_pool_prediction, {"workers": [["A"], ["B", "C", "D", "E"]]}, "needs the key 'total'"),
        (check_pool_prediction, {"workers": ..., "total": 0.5}, "replace the ... of 'workers'"),
        (check_pool_prediction, {"workers": [["A", "B"], ["B", "C", "D", "E"]], "total": 0.9}, "has 'B' twice"),
        (check_pool_prediction, {"workers": [["A"], ["B", "C", "D"]], "total": 0.9}, "leaves out E"),
        (check_pool_prediction, {"workers": [["A"], ["B", "C", "D", "E"]], "total": "0.9 s"}, "a number of seconds"),
        (check_pool_prediction, {"workers": [["A"], ["B"], ["C", "D", "E"]], "total": 0.9}, "the pool has 2 workers"),
        (check_chunk_prediction, {"chunks": [[0, 1, 2], [3, 4, 5]], "totl": 0.9, "idle": None}, "the key 'totl'"),
        (check_chunk_prediction, {"chunks": [[0, 1, 2], [3, 4, 5]], "total": 0.9, "idle": 0.6}, "'idle' is (from, to)"),
        (check_chunk_prediction, {"chunks": [[0, 1, 2], [3, 4, 6]], "total": 0.9, "idle": None}, "names 6"),
        (check_crash_prediction, {"A": "A"}, "needs the key 'B'"),
        (check_crash_prediction, {"A": "A", "B": "B", "C": ..., "D": "D", "E": "E", "F": "F"}, "replace the ... of 'C'"),
        (check_serial_prediction, {"1 worker": 1.2, "2 workers": ...}, "replace the ... of '2 workers'"),
        (check_done_prediction, {"A": 1.0, "B": 0.2, "C": 0.6}, "needs the key 'D': when D is done"),
        (check_done_prediction, {"A": 1.0, "B": 0.2, "C": "0.6", "D": 0.8}, "'C' is a number of seconds"),
    ],
)
def test_a_malformed_prediction_is_named(capsys, check, prediction, says):
    assert check(prediction) is None  # nothing ran, nothing drawn
    printed = verdict(capsys)
    assert printed.startswith("❌ Not yet: ") and says in printed, printed


# -- ch05: which worker runs what ----------------------------------------------------------------


@pytest.mark.timeout(60)
def test_pool_prediction_right(capsys):
    figure = check_pool_prediction({"workers": [["B", "C", "D", "E"], ["A"]], "total": 0.9}).figure
    assert verdict(capsys).startswith("✅ Correct — they ran A | B, C, D, E")
    assert isinstance(figure, Figure) and len(predicted_artists(figure)) >= 5 + 1  # a box per task, the total


@pytest.mark.timeout(60)
def test_pool_prediction_dealt_in_turns(capsys):
    picture = check_pool_prediction({"workers": [["A", "C", "E"], ["B", "D"]], "total": 0.5})
    printed = verdict(capsys)
    assert "you put A, C, E | B, D; they ran A | B, C, D, E. Tasks are not dealt in turns" in printed
    assert "you expected 0.50 s; it took" in printed and "the total is the longer lane, A" in printed
    assert isinstance(picture.figure, Figure)
    assert picture._repr_png_().startswith(b"\x89PNG")  # what a notebook stores, and GitHub shows


# -- ch05: where the chunks end ------------------------------------------------------------------


@pytest.mark.timeout(60)
def test_chunk_prediction_right(capsys):
    figure = check_chunk_prediction({"chunks": [[0, 1, 2], [3, 4, 5]], "total": 0.9, "idle": (0.6, 0.9)}).figure
    assert verdict(capsys).startswith("✅ Correct — chunks [[0, 1, 2], [3, 4, 5]], one per worker")
    assert len(predicted_artists(figure)) >= 6 + 1


@pytest.mark.timeout(60)
def test_chunk_prediction_without_chunks(capsys):
    check_chunk_prediction({"chunks": [[0], [1], [2], [3], [4], [5]], "total": 0.5, "idle": None})
    printed = verdict(capsys)
    assert "you gave each task a message of its own; with chunksize=3" in printed
    assert "Chunk [0, 1, 2] holds the slow task" in printed
    assert "you expected no idle gap; one worker was done at" in printed


# -- ch06: which future is done first ----------------------------------------------------------


@pytest.mark.timeout(60)
def test_done_prediction_right(capsys):
    figure = check_done_prediction({"A": 1.0, "B": 0.2, "C": 0.6, "D": 0.8}).figure
    printed = verdict(capsys)
    assert printed.startswith("✅ Correct — as_completed gave B, C, D, A: each future once it is done")
    assert "C and D waited for a free one" in printed
    assert len(predicted_artists(figure)) == 4  # a box per task
    assert sorted(text.get_text() for text in figure.axes[0].texts if text.get_color() == "#FFFFFF") == list("ABCD")


@pytest.mark.timeout(60)
def test_done_prediction_as_if_every_task_started_at_once(capsys):
    check_done_prediction({"A": 1.0, "B": 0.2, "C": 0.4, "D": 0.2})
    printed = verdict(capsys)
    assert "you expected C done at 0.40 s; it was done at" in printed and "it waited for a free worker until" in printed
    assert "you expected D done at 0.20 s" in printed
    assert "as_completed gave B, C, D, A, the order they were done in; your times give B, D, C, A" in printed


# -- ch07: which task fails, and how -------------------------------------------------------------


@pytest.mark.timeout(60)
def test_crash_prediction_right(capsys):
    right = {"A": "A", "B": "B", "C": "WorkerDiedError", "D": "WorkerDiedError", "E": ValueError, "F": "F"}
    figure = check_crash_prediction(right).figure
    assert verdict(capsys).startswith("✅ Correct — A: A, B: B, C: WorkerDiedError")
    assert len(predicted_artists(figure)) == 6  # a box per task


@pytest.mark.timeout(60)
def test_crash_prediction_only_the_killed_task(capsys):
    check_crash_prediction({"A": "A", "B": "B", "C": "C", "D": "WorkerDiedError", "E": "E", "F": "F"})
    printed = verdict(capsys)
    assert printed.startswith("❌ Not yet: 4 of 6 right")
    assert "C: you said 'C'; next() raised WorkerDiedError: it travelled in one chunk with D" in printed
    assert "E: you said 'E'; next() raised ValueError" in printed


# -- ch08: the serial part, timed ----------------------------------------------------------------


@pytest.mark.timeout(60)
def test_serial_prediction_right(capsys):
    figure = check_serial_prediction({"1 worker": 1.2, "2 workers": 0.8}).figure
    assert verdict(capsys).startswith("✅ Correct")
    assert len(figure.axes) == 2 and len(predicted_artists(figure)) == 2  # your total, in each panel


@pytest.mark.timeout(60)
def test_serial_prediction_halved(capsys):
    check_serial_prediction({"1 worker": 1.2, "2 workers": 0.6})
    printed = verdict(capsys)
    assert "on 2 workers you expected 0.60 s (half of your 1 worker)" in printed
    assert "the parent's serial 0.4 s stays as it is" in printed
