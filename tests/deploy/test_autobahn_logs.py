"""deploy/daphne/autobahn_logs.py: autobahn's per-connection debug formatting is skipped while
its debug lines are not logged, and still done when they are."""

import importlib.util
from pathlib import Path

import autobahn.websocket.protocol
import pytest
import txaio

AUTOBAHN_LOGS = Path(__file__).resolve().parents[2] / "deploy" / "daphne" / "autobahn_logs.py"


@pytest.fixture
def autobahn_logs():
    txaio.use_twisted()  # what Daphne selects; txaio's log level lives in its framework module
    spec = importlib.util.spec_from_file_location("autobahn_logs", AUTOBAHN_LOGS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    original = autobahn.websocket.protocol.pformat
    yield module
    autobahn.websocket.protocol.pformat = original


def test_the_patched_name_is_the_one_autobahn_formats_each_connection_with():
    # If autobahn stops calling `pformat` there, the patch would silently do nothing.
    assert "pformat" in autobahn.websocket.protocol.WebSocketProtocol._connectionMade.__code__.co_names


def test_debug_formatting_is_skipped_unless_debug_is_logged(autobahn_logs):
    autobahn_logs.install()
    patched = autobahn.websocket.protocol.pformat
    assert patched is autobahn_logs.pformat_when_logged
    level = txaio.get_global_log_level()
    try:
        txaio.set_global_log_level("info")
        assert "not formatted" in patched([("openHandshakeTimeout", 5, "factory")])
        txaio.set_global_log_level("debug")
        assert patched([("openHandshakeTimeout", 5, "factory")]) == "[('openHandshakeTimeout', 5, 'factory')]"
    finally:
        txaio.set_global_log_level(level)
