"""Log lines carry the call id of the greenlet that wrote them, as text or as JSON."""
from __future__ import annotations

import io
import json
import logging

import gevent
import pytest

from control import logs


@pytest.fixture
def captured():
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    stream = io.StringIO()
    root.handlers[:] = [logging.StreamHandler(stream)]
    yield stream
    root.handlers[:], root.level = saved[0], saved[1]


def _two_calls():
    def call(call_id):
        logs.bind_call(call_id)
        gevent.sleep(0)   # the other call's greenlet runs in between
        logging.getLogger("hotline.test").info("caller +14155550100 queued")
    gevent.joinall([gevent.spawn(call, "call-a"), gevent.spawn(call, "call-b")])
    logging.getLogger("hotline.test").info("not a call's line")


def test_json_lines_carry_each_greenlets_call_id_and_mask_numbers(captured):
    logs.setup("INFO", "json")
    _two_calls()
    lines = [json.loads(line) for line in captured.getvalue().splitlines()]
    assert [line["call_id"] for line in lines] == ["call-a", "call-b", None]
    assert all("+14155550100" not in line["message"] for line in lines)
    assert lines[0]["level"] == "INFO" and lines[0]["logger"] == "hotline.test"


def test_text_lines_name_the_call(captured):
    logs.setup("INFO", "text")
    _two_calls()
    text = captured.getvalue().splitlines()
    assert "hotline.test [call-a]: caller" in text[0] and "hotline.test: not a call's line" in text[2]


def test_unknown_format_is_refused_with_the_setting_named():
    with pytest.raises(ValueError, match="HOTLINE_LOG_FORMAT"):
        logs.setup("INFO", "xml")
