"""Managers: objects that live in one process, and proxies that reach them from any other.

Each story starts a manager (under fork and spawn, the `ctx` fixture, where
it starts processes), uses its proxies from the parent, a child or a pool's
workers, and checks what a user would see: the values, the errors and their
messages, and that nothing is left behind (the conftest's `no_leaks` checks
children and descriptors; these tests check the socket and its directory).
At the end, CPython's own manager tests run against minimp.
"""

import operator
import os
import pickle
import queue
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
import unittest

import pytest

import minimp
from minimp import managers  # as `minimp.connection`: an attribute of the facade, not an importable path

BaseManager, BaseProxy, RemoteError, SyncManager = (managers.BaseManager, managers.BaseProxy, managers.RemoteError,
                                                    managers.SyncManager)

WAIT = 30  # seconds: "for ever", so that a hang fails a test instead of stopping the run
FAST = 2.0  # seconds: what "at once" may take on a busy 2-core machine


def left_behind(manager) -> list[str]:
    """What a stopped manager might leave: its socket file, its directory."""
    address = manager.address
    return [path for path in (address, os.path.dirname(address)) if os.path.exists(path)]


# --- the functions children and pool workers run ---------------------------------------


def add_to(args):
    d, i = args
    d[i] = i * i


def put_square(args):
    q, i = args
    q.put(i * i)


def in_child(proxy, log):
    """Use a proxy from a child: append to a list proxy, report where its name went on a manager queue."""
    name = minimp.current_process().name
    proxy.append(name)
    log.put(proxy.index(name))


def take_a_turn(lock, counter, n):
    for _ in range(n):
        with lock:
            counter.value += 1


def wait_for_event(event, log):
    log.put("waiting")
    log.put("set" if event.wait(WAIT) else "timed out")


def report_call(proxy, log):
    try:
        log.put(("ok", proxy.copy()))
    except Exception as error:
        log.put((type(error).__name__, str(error)))


def report_call_on_unpickled(data, log):
    report_call(pickle.loads(data), log)


def read_when_told(d, go, log):
    go.wait(WAIT)
    log.put(d.copy())


def start_a_manager(log):
    try:
        minimp.Manager()
    except AssertionError as error:
        log.put(str(error))


# --- the basics, in one process ---------------------------------------------------------


@pytest.mark.timeout(60)
def test_the_containers_a_manager_holds_behave_as_their_originals(ctx):
    with ctx.Manager() as manager:
        d = manager.dict(a=1)
        d["b"] = 2
        d.update(c=3)
        assert (d["a"], len(d), "b" in d, d.get("zz", 0)) == (1, 3, True, 0)
        assert (d.keys(), d.values(), d.items()) == (["a", "b", "c"], [1, 2, 3], [("a", 1), ("b", 2), ("c", 3)])
        assert list(d) == ["a", "b", "c"] and d.copy() == {"a": 1, "b": 2, "c": 3}

        lst = manager.list([3, 1, 2])
        lst.append(4)
        lst += [5]
        lst.sort()
        assert (lst[:], lst[0], lst[-1], len(lst), list(lst)) == ([1, 2, 3, 4, 5], 1, 5, 5, [1, 2, 3, 4, 5])

        ns = manager.Namespace(x=1)
        ns.y = 2
        del ns.x
        assert (ns.y, hasattr(ns, "x"), str(ns)) == (2, False, "Namespace(y=2)")

        v, a = manager.Value("d", 1.5), manager.Array("i", [1, 2, 3])
        v.value += 1
        a[0] = 10
        assert (v.value, v.get(), len(a), list(a), a[:]) == (2.5, 2.5, 3, [10, 2, 3], minimp.managers.Array("i", [10, 2, 3]))


@pytest.mark.timeout(60)
def test_what_a_call_returns_is_a_copy():
    with minimp.Manager() as manager:
        d = manager.dict(inner=[1])
        d["inner"].append(2)  # appends to a copy, here: the list there does not change
        assert d["inner"] == [1]
        inner = d["inner"]
        inner.append(2)
        d["inner"] = inner  # what works: read, change, write back
        assert d["inner"] == [1, 2]


@pytest.mark.timeout(60)
def test_an_exception_raised_in_the_server_reaches_the_caller_with_its_type_and_traceback():
    with minimp.Manager() as manager:
        d, q = manager.dict(), manager.Queue()
        with pytest.raises(KeyError) as caught:
            d["missing"]
        assert isinstance(caught.value.__cause__, minimp.RemoteTraceback)
        assert "Traceback (most recent call last)" in str(caught.value.__cause__)
        with pytest.raises(queue.Empty):
            q.get(timeout=0.05)
        with pytest.raises(RemoteError, match="method 'secret' of dict is not exposed"):
            d._callmethod("secret")


@pytest.mark.timeout(60)
def test_a_lambda_can_go_into_a_manager_but_a_socket_or_a_lock_cannot():
    with minimp.Manager() as manager:
        d = manager.dict()
        d["f"] = lambda x: x + 1  # cloudpickle takes it by value
        assert d["f"](1) == 2
        with socket.socket() as sock:
            with pytest.raises(TypeError, match=r"cannot call dict.__setitem__\(\) in the manager's process: "
                                                r"args\[1\] \(<socket.socket .*\) cannot be pickled"):
                d["s"] = sock
        with pytest.raises(TypeError, match=r"kwargs\['lock'\] \(<unlocked _thread.lock.*cannot be pickled"):
            d.update(lock=threading.Lock())
        with pytest.raises(RuntimeError, match=r"args\[1\] .*Lock objects should only be shared"):
            d["minimp lock"] = minimp.Lock()
        assert d.keys() == ["f"]  # nothing else got in, and the manager still answers


@pytest.mark.timeout(60)
def test_a_result_that_cannot_be_pickled_fails_that_call_only():
    class Holder:
        def generator(self):
            return (i for i in range(3))

    class HolderManager(BaseManager):
        pass

    HolderManager.register("Holder", Holder)
    with HolderManager() as manager:
        holder = manager.Holder()
        with pytest.raises(RemoteError, match="the manager could not send the result back: cannot pickle 'generator'"):
            holder.generator()
        assert str(holder).startswith("<test_managers")  # still answers


@pytest.mark.timeout(60)
def test_a_proxy_that_never_left_its_process_releases_its_object():
    with minimp.Manager() as manager:
        kept = manager.dict(a=1, b=2)
        assert manager._number_of_objects() == 1
        keys = iter(kept)  # an iterator that stays in the server, as in multiprocessing
        assert (next(keys), manager._number_of_objects()) == ("a", 2)
        del keys
        assert manager._number_of_objects() == 1  # released with this very request
        shared = manager.list()
        pickle.dumps(shared)  # it may have copies anywhere now: its list stays
        del shared
        assert manager._number_of_objects() == 2


@pytest.mark.timeout(60)
def test_a_dict_iterator_reads_the_dict_there_as_it_goes():
    with minimp.Manager() as manager:
        d = manager.dict({str(i): i for i in range(3)})
        it = iter(d)
        assert list(it) == ["0", "1", "2"] and list(it) == []
        it = iter(d)
        d.clear()
        with pytest.raises(RuntimeError, match="dictionary changed size during iteration"):
            next(it)


@pytest.mark.timeout(60)
def test_proxies_can_be_nested_a_dict_in_a_list():
    with minimp.Manager() as manager:
        pets = manager.dict(cats=1)
        shelf = manager.list([pets])
        shelf[0]["dogs"] = 2  # the dict, reached through the list
        assert pets.copy() == {"cats": 1, "dogs": 2}


# --- across processes -------------------------------------------------------------------


@pytest.mark.timeout(90)
def test_a_dict_proxy_is_shared_by_the_tasks_of_a_pool(ctx):
    with ctx.Manager() as manager:
        d = manager.dict()
        with ctx.Pool(2) as pool:
            pool.map(add_to, [(d, i) for i in range(20)])
        assert d.copy() == {i: i * i for i in range(20)}


@pytest.mark.timeout(90)
def test_a_manager_queue_goes_where_a_minimp_queue_cannot_into_a_pools_tasks(ctx):
    plain = ctx.Queue()
    with ctx.Pool(2) as pool:
        with pytest.raises(RuntimeError, match=r"Queue objects should only be shared between processes through "
                                               r"inheritance: .* a pool's task later; a manager's objects "
                                               r"\(minimp.Manager\(\)\) may go anywhere"):
            pool.map(put_square, [(plain, i) for i in range(4)])
        with ctx.Manager() as manager:
            q = manager.Queue()
            pool.map(put_square, [(q, i) for i in range(10)])
            assert sorted(q.get(timeout=WAIT) for _ in range(10)) == [i * i for i in range(10)]
            assert q.empty()
    plain.close()


@pytest.mark.timeout(90)
def test_children_use_the_proxies_they_were_given(ctx):
    with ctx.Manager() as manager:
        names, log = manager.list(), manager.Queue()
        children = [ctx.Process(target=in_child, args=(names, log), name=f"child-{i}") for i in range(3)]
        for child in children:
            child.start()
        seen = sorted(log.get(timeout=WAIT) for _ in children)
        for child in children:
            child.join(WAIT)
        assert [child.exitcode for child in children] == [0, 0, 0]
        assert seen == [0, 1, 2]  # one list: each name went to a place of its own
        assert sorted(names) == ["child-0", "child-1", "child-2"]


@pytest.mark.timeout(90)
def test_a_manager_lock_keeps_a_manager_value_right(ctx):
    with ctx.Manager() as manager:
        lock, counter = manager.Lock(), manager.Value("i", 0)
        children = [ctx.Process(target=take_a_turn, args=(lock, counter, 50)) for _ in range(2)]
        for child in children:
            child.start()
        for child in children:
            child.join(WAIT)
        assert counter.value == 100


@pytest.mark.timeout(90)
def test_an_event_set_in_the_parent_wakes_a_child(ctx):
    with ctx.Manager() as manager:
        event, log = manager.Event(), manager.Queue()
        child = ctx.Process(target=wait_for_event, args=(event, log))
        child.start()
        assert log.get(timeout=WAIT) == "waiting"
        event.set()
        assert log.get(timeout=WAIT) == "set"
        child.join(WAIT)


@pytest.mark.timeout(60)
def test_a_forked_child_talks_on_its_own_connection_and_its_copy_of_a_proxy_keeps_the_object():
    fork = minimp.get_context("fork")
    with fork.Manager() as manager:
        d, go, log = manager.dict(a=1), manager.Event(), manager.Queue()
        assert d["a"] == 1  # the parent's connection is open: the child inherits a copy, and must not use it
        child = fork.Process(target=read_when_told, args=(d, go, log))
        child.start()
        del d  # the parent's proxy is gone, but the fork copied it: the dict must stay
        go.set()
        assert log.get(timeout=WAIT) == {"a": 1}
        child.join(WAIT)
        assert child.exitcode == 0 and manager._number_of_objects() == 3


# --- the authkey --------------------------------------------------------------------------


@pytest.mark.timeout(60)
def test_a_wrong_authkey_is_refused():
    with minimp.Manager() as manager:
        stranger = SyncManager(address=manager.address, authkey=b"not the key")
        with pytest.raises(minimp.AuthenticationError, match=f"the manager at {manager.address} and this process "
                                                             f"do not share an authkey"):
            stranger.connect()
        friend = SyncManager(address=manager.address, authkey=bytes(minimp.current_process().authkey))
        friend.connect()
        assert friend.dict(a=1).copy() == {"a": 1}  # the same server, reached with the right key
        friend.shutdown()  # a connected manager only hangs up: the server is its owner's


@pytest.mark.timeout(60)
def test_a_proxy_unpickled_in_a_process_without_the_key_is_refused(ctx):
    with ctx.Manager() as manager:
        d, log = manager.dict(a=1), manager.Queue()
        stranger = ctx.Process(target=report_call_on_unpickled, args=(pickle.dumps(d), log))  # no key inside
        stranger.authkey = b"another family"
        stranger.start()
        kind, message = log.get(timeout=WAIT)
        stranger.join(WAIT)
        assert kind == "AuthenticationError" and "do not share an authkey" in message


@pytest.mark.timeout(60)
def test_a_proxy_pickled_for_a_spawned_child_carries_the_key():
    spawn = minimp.get_context("spawn")
    with spawn.Manager() as manager:
        d, log = manager.dict(a=1), manager.Queue()
        child = spawn.Process(target=report_call, args=(d, log))  # pickled while spawning: key inside
        child.authkey = b"another family"
        child.start()
        assert log.get(timeout=WAIT) == ("ok", {"a": 1})
        child.join(WAIT)


# --- when the manager is gone --------------------------------------------------------------


@pytest.mark.timeout(60)
def test_a_proxy_after_shutdown_fails_at_once_and_says_why(ctx):
    manager = ctx.Manager()
    d = manager.dict()
    manager.shutdown()
    assert left_behind(manager) == [] and manager._process.exitcode == 0
    began = time.monotonic()
    with pytest.raises(minimp.ManagerGoneError,
                       match=rf"the manager process \(pid {manager._process.pid}\) that holds this dict has shut "
                             r"down \(shutdown\(\) was called\): cannot call dict.__setitem__\(\)"):
        d["x"] = 1
    assert time.monotonic() - began < FAST
    with pytest.raises(ConnectionError):  # as what the standard library raises mostly is
        len(d)
    with pytest.raises(minimp.ProcessError, match="cannot make a dict: the manager is 'shutdown'"):
        manager.dict()


@pytest.mark.timeout(60)
@pytest.mark.fault
def test_a_killed_manager_fails_its_proxies_at_once_and_ends_a_blocked_get(ctx):
    manager = ctx.Manager()
    d, q = manager.dict(), manager.Queue()
    ended = []
    getter = threading.Thread(target=lambda: ended.append(pytest.raises(minimp.ManagerGoneError, q.get)))
    getter.start()
    time.sleep(0.2)  # most likely the get() waits in the server now; if not, it fails just the same
    manager._process.kill()
    getter.join(FAST)
    assert not getter.is_alive() and "died (killed by SIGKILL, exit code -9)" in str(ended[0].value)
    began = time.monotonic()
    with pytest.raises(minimp.ManagerGoneError, match=r"that holds this dict died \(killed by SIGKILL"):
        d["x"] = 1
    assert time.monotonic() - began < FAST
    assert left_behind(manager) == [manager.address, os.path.dirname(manager.address)]  # it could not clean up
    manager.shutdown()
    assert left_behind(manager) == []


@pytest.mark.timeout(60)
def test_a_manager_collected_or_left_at_exit_stops_its_server_and_leaves_nothing():
    manager = minimp.Manager()
    process, address = manager._process, manager.address
    del manager  # no proxy holds it: collected now
    assert process.exitcode == 0 and not os.path.exists(os.path.dirname(address))

    program = """
        import os, minimp
        manager = minimp.Manager()
        d = manager.dict(a=1)
        print(manager._process.pid, os.path.dirname(manager.address))
    """  # no shutdown(): the program's exit does it
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(program)], capture_output=True, text=True,
                          timeout=WAIT)
    assert done.returncode == 0, done.stderr
    pid, directory = done.stdout.split()
    assert not os.path.exists(directory)
    with pytest.raises(ProcessLookupError):
        os.kill(int(pid), 0)


@pytest.mark.timeout(60)
@pytest.mark.fault
def test_a_manager_at_an_address_of_your_choice_leaves_no_socket_even_when_killed(tmp_path):
    address = str(tmp_path / "my.sock")
    manager = SyncManager(address=address)
    manager.start()
    assert manager.address == address and manager.list([1])[:] == [1]
    manager._process.kill()
    manager._process.join(WAIT)
    assert os.path.exists(address)  # the dead server's socket
    manager.shutdown()
    assert not os.path.exists(address) and os.path.exists(tmp_path)  # your directory stays yours
    with SyncManager(address=address) as again:  # the path is free again
        assert again.dict(a=1).copy() == {"a": 1}
    assert not os.path.exists(address)


# --- your own classes ----------------------------------------------------------------------


@pytest.mark.timeout(90)
def test_a_class_defined_in_a_function_can_be_registered_and_goes_by_value(ctx):
    class Counter:  # like a class in a notebook: no module can import it, so it travels by value
        def __init__(self, start):
            self.count = start

        def add(self, n):
            self.count += n
            return self.count

        def _private(self):
            return "hidden"

    class CounterManager(BaseManager):
        pass

    CounterManager.register("Counter", Counter)
    with CounterManager(ctx=ctx) as manager:
        counter = manager.Counter(10)
        with ctx.Pool(2) as pool:
            pool.map(counter.add, [1] * 10)  # a proxy's method is picklable too: its proxy goes along
        assert counter.add(0) == 20
        assert not hasattr(counter, "_private") and not hasattr(counter, "count")
    assert "Counter" not in SyncManager._registry  # a subclass registers into its own copy


@pytest.mark.timeout(60)
def test_the_initializer_runs_in_the_server_and_its_error_reaches_start():
    with pytest.raises(ZeroDivisionError) as caught:
        SyncManager().start(initializer=lambda: 1 / 0)
    assert "ZeroDivisionError" in str(caught.value.__cause__)
    with pytest.raises(TypeError, match=r"start\(initializer=1\): initializer must be a callable"):
        SyncManager().start(1)


@pytest.mark.timeout(60)
def test_a_daemon_cannot_start_a_manager(ctx):
    with ctx.Manager() as manager:
        log = manager.Queue()
        child = ctx.Process(target=start_a_manager, args=(log,), daemon=True)
        child.start()
        assert log.get(timeout=WAIT).startswith("daemonic processes are not allowed to have children")
        child.join(WAIT)


@pytest.mark.parametrize("call, error, message", [
    (lambda: BaseManager.register(42), TypeError, r"register\(typeid=42\): typeid must be a name"),
    (lambda: BaseManager.register("x", callable=3), TypeError, r"register\('x', callable=3\): callable must"),
    (lambda: BaseManager.register("x", proxytype=dict), TypeError, r"proxytype must be a subclass of BaseProxy"),
    (lambda: BaseManager.register("x", exposed="get"), TypeError, r"exposed must be a list of method names"),
    (lambda: BaseManager.register("shutdown", dict), ValueError, r"register\('shutdown'\): a manager's own method"),
    (lambda: BaseManager(address=("", 50000)), TypeError, r"listen only on a Unix socket, never on TCP"),
    (lambda: BaseManager(serializer="xmlrpclib"), ValueError, r"serializer='xmlrpclib'"),
    (lambda: BaseManager(authkey="secret"), TypeError, r"authkey='secret'\): an authkey must be bytes, not str"),
    (lambda: SyncManager().dict(), minimp.ProcessError, r"cannot make a dict: the manager is 'initial' \(call start"),
    (lambda: BaseManager().connect(), ValueError, r"give the address of a running manager's socket"),
])  # fmt: skip
def test_bad_arguments_are_refused_with_messages_that_name_them(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.timeout(60)
def test_bad_arguments_to_a_managers_types_are_refused_by_the_server():
    with minimp.Manager() as manager:
        with pytest.raises(TypeError, match=r"Value\(typecode='zz'\): expected a type code"):
            manager.Value("zz", 1)
        with pytest.raises(ValueError, match=r"Array\(typecode='zz'\): expected one of the array module's"):
            manager.Array("zz", [])


# --- CPython's own manager tests, run against minimp ------------------------------------------
#
# test._test_multiprocessing's classes take the library they test from a mixin
# of names, as tests/test_barrier.py does for the Barrier. A manager starts per
# test (the conftest counts every test's children and descriptors). Not run:
# _TestRemoteManager and _TestManagerRestart (TCP and xmlrpclib), and the
# manager's Pool (a manager holds none).

try:
    from test import _test_multiprocessing as cpython_tests
except ImportError:  # a Python built without its test suite: only the tests above run
    cpython_tests = None

if cpython_tests is not None:

    class MinimpManagerMixin:
        TYPE = "manager"
        Process = minimp.Process

        def setUp(self):
            self.manager = minimp.Manager()
            super().setUp()  # the test class's own, if it has one (_TestBarrier makes its barrier)

        def tearDown(self):
            super().tearDown()
            self.manager.shutdown()
            self.manager = None

    for _name in ("Queue", "JoinableQueue", "Lock", "RLock", "Semaphore", "BoundedSemaphore", "Condition", "Event",
                  "Barrier", "Value", "Array", "list", "dict", "Namespace"):  # as CPython's ManagerMixin does
        setattr(MinimpManagerMixin, _name, property(operator.attrgetter(f"manager.{_name}")))

    class TestCPythonContainersOnMinimp(MinimpManagerMixin, cpython_tests._TestContainers, unittest.TestCase):
        pass

    class TestCPythonQueueTestsOnMinimpsManager(MinimpManagerMixin, cpython_tests._TestQueue, unittest.TestCase):
        pass

    class TestCPythonLockTestsOnMinimpsManager(MinimpManagerMixin, cpython_tests._TestLock, unittest.TestCase):
        pass

    class TestCPythonSemaphoreTestsOnMinimpsManager(MinimpManagerMixin, cpython_tests._TestSemaphore,
                                                    unittest.TestCase):
        pass

    class TestCPythonConditionTestsOnMinimpsManager(MinimpManagerMixin, cpython_tests._TestCondition,
                                                    unittest.TestCase):
        pass

    class TestCPythonEventTestsOnMinimpsManager(MinimpManagerMixin, cpython_tests._TestEvent, unittest.TestCase):
        pass

    class TestCPythonBarrierTestsOnMinimpsManager(MinimpManagerMixin, cpython_tests._TestBarrier, unittest.TestCase):
        pass

    class IteratorProxy(BaseProxy):  # CPython's, on minimp's BaseProxy
        _exposed_ = ("__next__",)

        def __iter__(self):
            return self

        def __next__(self):
            return self._callmethod("__next__")

    class MyManager(BaseManager):
        pass

    MyManager.register("Foo", callable=cpython_tests.FooBar)
    MyManager.register("Bar", callable=cpython_tests.FooBar, exposed=("f", "_h"))
    MyManager.register("baz", callable=cpython_tests.baz, proxytype=IteratorProxy)

    class TestCPythonMyManagerOnMinimp(cpython_tests._TestMyManager, unittest.TestCase):
        def setUp(self):  # its tests name the module's MyManager and RemoteError: minimp's, while they run
            self.saved = cpython_tests.MyManager, cpython_tests.RemoteError
            cpython_tests.MyManager, cpython_tests.RemoteError = MyManager, RemoteError

        def tearDown(self):
            cpython_tests.MyManager, cpython_tests.RemoteError = self.saved

    class TestCPythonSyncManagerTypesOnMinimp(cpython_tests.TestSyncManagerTypes):
        manager_class = SyncManager

        def run_worker(self, worker, obj):  # a minimp child, so that minimp's conftest can count it
            self.proc = minimp.Process(target=worker, args=(obj,), daemon=True)
            self.proc.start()
            self.proc.join(WAIT)
            self.assertEqual(self.proc.exitcode, 0)

        @unittest.skip("minimp's managers hold no Pool (the pools layer sits above the runtime)")
        def test_pool(self):
            pass

        setUpClass = tearDownClass = classmethod(lambda cls: None)  # theirs reaps every child of the test run
