"""The pool's thread: the one helper thread of a Pool, which does all the parent's work.

`PoolLoop` owns the workers (its crew, crew.py). The API (pool.py, futures.py)
puts jobs in its `task_queue` (jobs.py) and wakes it; all the rest happens in
this one thread, so the workers need no lock. `run()` is the table of contents:

    until the pool is terminated, broken, or closed with all its work done:
        _cancel()     the calls whose callers were interrupted (cancel())
        send_jobs()   a job to each idle worker (and short ones to a busy worker)
        wait, with one poll(2), on every result pipe, every worker's sentinel
        (readable once its process has exited) and the wake-up pipe
        on_message()  a job's outcomes go to their results; or a worker is ready;
                      a worker done with its `maxtasksperchild` jobs retires
        on_exit()     collect what it sent, fail the job it ran, start a new worker

A worker that dies fails only the job it ran; its other jobs go back to the
queue. An executor asks for `crash_breaks=True`: a crash breaks it, as
concurrent.futures requires. A worker that fails to start breaks the pool.

Read next: `pools/ahead.py`, the short jobs a busy worker is sent to wait in its pipe.
"""

from __future__ import annotations

import threading
import time
import weakref

from ..runtime import logs
from ..runtime.connection import HEADER
from ..runtime.errors import CallCancelledError, PoolTerminatedError, WorkerDiedError, WorkerStartError
from . import events
from .ahead import Ahead
from .jobs import Cancelled, PendingJob, TaskQueue
from .results import job_ended, job_failed
from .failures import crashed_task, failed_to_start, how_it_died, received, unreadable_job, unreadable_results
from .crew import Crew
from .worker import Done, Ready, StartFailed, Unpicklable, Unreadable, Worker

__all__ = ["PoolLoop", "RUN", "CLOSE", "TERMINATE", "BROKEN"]

RUN, CLOSE, TERMINATE, BROKEN = "running", "closed", "terminated", "broken"
DROPPED = "the Pool was garbage-collected, unclosed and running, before this task finished"


class PoolLoop(threading.Thread):
    """The workers of one pool and the thread that tends them."""

    def __init__(self, processes: int, method: str, initializer, initargs: tuple, max_jobs: int | None,
                 crash_breaks: bool = False, broken=lambda error: error):
        super().__init__(name=f"minimp-pool-{id(self):x}", daemon=True)
        self.state, self.error = RUN, None  # error: why the pool broke
        self.task_queue = TaskQueue()
        self.lock = self.task_queue.lock  # guards the state too: no job is queued once stopped
        self.crash_breaks, self.broken = crash_breaks, broken  # broken(error): the error a break raises
        self.wait_at_exit = False  # True: the program's end waits for the work (an executor)
        self.dropped: str | None = None  # "close" or "terminate": our Pool or executor is garbage (drop())
        self._cancelling: list[Cancelled] = []  # calls to cancel, in run() (cancel())
        self._max_jobs = max_jobs
        self.ahead = Ahead()  # how many short jobs a busy worker is sent (ahead.py)
        self._told: weakref.WeakSet = weakref.WeakSet()  # listeners told about our workers
        self.crew = Crew(processes, method, initializer, initargs, max_jobs)
        self.start()

    # -- what the API calls, from the callers' threads ---------------------------------------

    def queue(self, jobs: list[PendingJob]) -> None:
        """Queue the jobs of one call for the workers."""
        if jobs and jobs[0].call.listeners:
            events.introduce(jobs[0].call.listeners, self._told, self.crew.live(), weakref.WeakMethod(self.stacks))
            events.jobs_queued(jobs, jobs[0].submitted)
        with self.lock:
            self.check_running()
            self.task_queue.jobs.extend(jobs)
        self.wake()

    def check_running(self) -> None:
        if self.state == BROKEN:
            raise self.error
        if self.state != RUN:
            raise ValueError(f"Pool not running: it was {self.state}; create a new Pool for more work")

    def close(self) -> None:
        logs.debug("closing pool")
        with self.lock:
            if self.state == RUN:
                self.state = CLOSE
        self.wake()

    def terminate(self, error: BaseException | None = None, kill: bool = False) -> None:
        """Stop now: stop the workers (`kill`: with SIGKILL at once); unfinished tasks fail with `error`."""
        logs.debug("terminating pool")
        with self.lock:
            if self.state != BROKEN:
                self.state = TERMINATE
        if self.is_alive():
            self.wake()
            if threading.current_thread() is not self:
                self.join()
        self._stop_workers(kill)
        self._fail_all(error or PoolTerminatedError("the pool was terminated before this task finished"))

    def stacks(self, timeout: float) -> Any:
        """Where each ready worker is now (stacks.py): `pool.stacks()`, `executor.stacks()`."""
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
            raise ValueError(f"stacks(timeout={timeout!r}): timeout must be a number of seconds above 0")
        return self.crew.stacks.ask(self.crew.live(), self.crew.running, timeout)

    def wait_closed(self) -> None:
        """Wait until this thread and every worker are gone (after close() or terminate())."""
        logs.debug("joining pool")
        if threading.current_thread() is not self:
            self.join()
        for worker in self.crew.live():
            worker.process.join()

    def drop(self, then: str) -> None:
        """Our Pool or executor is garbage (lifetime.py): `then` "close" or "terminate" it, in run().
        A finalizer runs wherever gc does, maybe in this thread holding our lock: only a flag here."""
        self.dropped = then
        self.wake()

    def cancel(self, call_id: int, label: str) -> Cancelled | None:
        """The caller of a call was interrupted while it waited: drop the call's queued tasks, and
        stop (and replace) the workers running its tasks. Done in run(); `done` is set then."""
        if self.state not in (RUN, CLOSE) or not self.is_alive():
            return None  # stopped: nothing left to cancel
        cancelled = Cancelled(call_id, CallCancelledError(f"{label} was cancelled: its caller was interrupted"))
        self._cancelling.append(cancelled)
        self.wake()
        return cancelled

    def wake(self) -> None:
        """Tell run() something changed (it may be waiting in poll())."""
        self.crew.wakeup.wake()

    # -- the thread ---------------------------------------------------------------------

    def run(self) -> None:
        while self.state not in (TERMINATE, BROKEN):
            if self.dropped:
                dropped, self.dropped = self.dropped, None
                self.close() if dropped == "close" else self.terminate(PoolTerminatedError(DROPPED))
                continue
            while self._cancelling:
                self._cancel(self._cancelling.pop())
            self.send_jobs()
            if self.state == CLOSE and not self.task_queue and not self._stop_idle_workers():
                break  # closed, all done, every worker gone
            for kind, worker in self.crew.wait():
                if not self.crew.holds(worker) or self.state in (TERMINATE, BROKEN):
                    continue  # gone since this poll() began
                elif kind == "message" and worker.pipe_open:
                    self.on_messages(worker)
                elif kind == "exit":
                    self.on_exit(worker)
        self.crew.close()  # nothing polls or asks it now: a finished pool holds no descriptor

    def send_jobs(self) -> None:
        """Give every idle worker a job; then each busy one a few more, if they are short (ahead.py)."""
        for depth in (1, 2):
            if depth == 2 and not all(worker.ready for worker in self.crew.live()):
                return  # a worker still starting will want a job soon: keep it for it
            fair = -(-len(self.task_queue) // max(1, len(self.crew.live()))) if depth == 2 else 0  # jobs per worker
            for worker in self.crew.live():
                if not worker.ready or worker.stopping or (depth == 1 and worker.jobs):
                    continue
                name = self._next_function() if depth == 2 else None
                wanted = 1 if depth == 1 else self.ahead.wanted(worker, name, fair)
                room, jobs = self.ahead.room(worker), []
                while len(jobs) < wanted and (depth == 1 or self._next_function() == name):
                    if self._max_jobs is not None and worker.jobs_sent + len(jobs) >= self._max_jobs:
                        break  # it will exit after these; a new worker replaces it
                    job = self.task_queue.take()
                    if job is None or (depth == 2 and len(job.message) + HEADER.size > room):
                        self.task_queue.put_back([job] if job else [])  # too large to wait: for a free worker
                        break
                    room -= len(job.message) + HEADER.size
                    jobs.append(job)
                if jobs and worker.send(jobs):
                    for job in jobs:
                        events.job_sent(job, worker)
                elif jobs:  # it is gone: its sentinel says so
                    self.task_queue.put_back(jobs)

    def on_message(self, worker: Worker) -> None:
        """What a worker said: a job's outcomes, that it is ready, or what went wrong."""
        message, size = worker.receive()
        if isinstance(message, Done):
            job = worker.jobs.popleft()
            self.ahead.ended(job.call.name, worker, time.monotonic())
            job_ended(job, message.results, received(job, message.failures), "error", worker, message.times, size,
                      marks=message.marks)  # fmt: skip
        elif isinstance(message, Ready):
            worker.ready, worker.ready_at = True, message.time
            self.crew.start_failures = 0
            events.tell(events.listeners, events.WorkerReady(worker.index, worker.pid, message.time))
        elif isinstance(message, Unreadable) and worker.jobs:  # it could not unpickle a job
            job = worker.jobs.popleft()
            job_failed(job, unreadable_job(job, message.error, message.traceback), "error", worker)
        elif isinstance(message, Unpicklable) and worker.jobs:  # we cannot unpickle its results
            job = worker.jobs.popleft()
            job_failed(job, unreadable_results(job, message.error), "error", worker)
        elif isinstance(message, StartFailed):
            self._break(failed_to_start(worker, message.error, message.traceback))
        elif isinstance(message, Unpicklable):
            self._break(WorkerStartError(f"worker {worker.index} sent a message this process cannot read: "
                                         f"{message.error}"))
        if worker.jobs and worker.jobs[0].cancelled:  # the next job, sent ahead, is of a cancelled call
            self.crew.stop_if_cancelled(worker)
        elif worker.jobs_sent == self._max_jobs and not worker.jobs and self.crew.holds(worker):
            self.crew.retire(worker, successor=self._wants_a_successor())  # it exits now (worker_loop)

    def on_messages(self, worker: Worker) -> None:
        """Every message the worker has sent so far (jobs sent ahead end in a row), read in bulk
        (inbox.py): not a turn of run() each."""
        self.on_message(worker)
        while worker.pipe_open and self.crew.holds(worker) and self.state == RUN and worker.inbox.pending():
            self.on_message(worker)

    def on_exit(self, worker: Worker) -> None:
        """A worker's sentinel fired: collect it, fail the job it was running, replace it."""
        while worker.pipe_open and worker.inbox.pending():
            self.on_message(worker)  # what it sent before exiting comes first
        retired = not self.crew.holds(worker)  # its last Done was among them: it has a successor
        self.crew.collect(worker)
        if self.state == BROKEN or retired:
            return
        how = how_it_died(worker)
        if not worker.ready and self.crew.gives_up_starting(worker):
            self._break(WorkerStartError(f"{how} while starting, before it could run any task"))
            return
        if worker.jobs and not self._fail_its_job(worker, how):
            return  # its crash broke the pool
        if self._wants_a_successor():
            self.crew.start(worker.index)

    def _fail_its_job(self, worker: Worker, how: str) -> bool:
        """A dead worker's jobs: the one it ran fails (crashed; or cancelled, if we stopped it for
        that), those of cancelled calls fail, the others go back to the queue. False: it broke the pool."""
        # Stopped for a cancelled job that had just ended, it had begun another call's: that goes back too.
        crashed = None if worker.cancelled and not worker.jobs[0].cancelled else worker.jobs.popleft()
        for job in [job for job in worker.jobs if job.cancelled]:
            worker.jobs.remove(job)  # sent ahead, of a cancelled call: it fails too
            job_failed(job, job.cancelled.error, "cancelled")
        self.task_queue.put_back(list(worker.jobs))  # never started: run them elsewhere
        events.jobs_queued(worker.jobs, time.monotonic())
        running, self.crew.running[worker.index] = self.crew.running[worker.index], 0
        if crashed is not None and crashed.cancelled:
            job_failed(crashed, crashed.cancelled.error, "cancelled", worker)
        elif crashed is not None:
            error = WorkerDiedError(f"{how} while running {crashed_task(running, crashed)}")
            if self.crash_breaks:
                self._break(error, crashed, worker)
                return False
            job_failed(crashed, error, "crashed", worker)
        return True

    # -- the steps, in the order run() takes them ---------------------------------------

    def _cancel(self, cancelled: Cancelled) -> None:
        for job in self.task_queue.take_call(cancelled.call_id):
            cancelled.dropped += job.size
            job_failed(job, cancelled.error, "cancelled")
        cancelled.stopped = self.crew.stop_call(cancelled)  # on_exit() replaces them
        cancelled.done.set()

    def _stop_idle_workers(self) -> bool:
        """Closed and nothing queued: tell idle workers to exit. False once none is left."""
        for worker in self.crew.live():
            if not worker.jobs and not worker.stopping:
                worker.stop()
        return bool(self.crew.live() or self.crew.retiring)

    def _next_function(self) -> str | None:
        """The function of the next job, asked before the job is packed (packing marks its futures as running)."""
        return self.task_queue.first_function()

    def _break(self, error: BaseException, crashed: PendingJob | None = None, worker: Worker | None = None) -> None:
        """Stop the pool for good: every task not yet finished fails with `error`."""
        error = self.broken(error)
        with self.lock:
            self.state, self.error = BROKEN, error
        if crashed is not None:
            job_failed(crashed, error, "crashed", worker)
        self._stop_workers()
        self._fail_all(error)

    def _fail_all(self, error: BaseException) -> None:
        for job in self.task_queue.take_all():
            job_failed(job, error, "cancelled")

    def _stop_workers(self, kill: bool = False) -> None:
        """Stop every worker now; their jobs wait in the queue (for _fail_all)."""
        for worker in self.crew.stop(kill):
            self.task_queue.put_back(list(worker.jobs))

    def _wants_a_successor(self) -> bool:
        return self.state == RUN or bool(self.task_queue)

