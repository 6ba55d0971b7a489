"""Pickling: plain pickle for data, by value for what a child could not import."""

import linecache
import pickle

import pytest

from minimp.runtime import serialize


def importable_function(x):
    return x + 1


def test_plain_data_is_plain_pickle():
    data = [1, 2.5, "three", b"four", {"five": (6, None)}, {7, 8}]
    assert serialize.dumps(data) == pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL)
    assert serialize.loads(serialize.dumps(data)) == data


def test_an_importable_function_travels_by_reference():
    payload = serialize.dumps(importable_function)
    assert b"test_serialize" in payload and len(payload) < 80  # a name, not code
    assert serialize.loads(payload) is importable_function


def test_a_lambda_and_a_nested_function_travel_by_value():
    offset = 10

    def nested(x):
        return x + offset

    with pytest.raises((pickle.PicklingError, AttributeError)):
        pickle.dumps(nested)  # what the standard library would do
    assert serialize.loads(serialize.dumps(nested))(1) == 11
    assert serialize.loads(serialize.dumps(lambda x: x * 2))(21) == 42


def make_main_function(source: str, filename: str):
    """Compile `source` the way a notebook cell is: module __main__, no file on disk."""
    namespace = {"__name__": "__main__"}
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), namespace)
    return namespace


def test_a_function_from_main_keeps_its_cell_source_for_tracebacks():
    cell = "<ipython-input-1>"
    namespace = make_main_function("def fail():\n    raise ValueError('from a cell')\n", cell)
    payload = serialize.dumps(namespace["fail"])
    del linecache.cache[cell]  # as in a spawned child: the cell is not known there

    fail = serialize.loads(payload)
    assert fail.__code__.co_filename == cell
    assert linecache.getline(cell, 2).strip() == "raise ValueError('from a cell')"
    with pytest.raises(ValueError, match="from a cell"):
        fail()


def test_a_class_from_main_travels_by_value_with_its_instances():
    namespace = make_main_function(
        "class Point:\n    def __init__(self, x):\n        self.x = x\n    def double(self):\n        return self.x * 2\n",
        "<ipython-input-2>",
    )
    point = namespace["Point"](21)
    copy = serialize.loads(serialize.dumps(point))
    assert copy.double() == 42


def test_descriptors_travel_only_to_a_child_being_spawned():
    with pytest.raises(RuntimeError, match="Lock objects should only be shared between processes through inheritance"):
        serialize.pass_fd(0, "Lock")
    payload, fds = serialize.pickle_for_child(Holder(5))
    assert fds == [5]
    assert serialize.loads(payload).fd == 5


class Holder:
    def __init__(self, fd):
        self.fd = fd

    def __reduce__(self):
        return Holder, (serialize.pass_fd(self.fd, "Holder"),)
