"""autobahn's debug formatting, done only when its debug lines are logged.

autobahn pretty-prints its whole protocol configuration (about forty options) for a debug line
on every connection, whether or not debug lines are logged: 8 % of the CPU of opening a socket
(py-spy, bench/connect_storm.py), which a reconnect storm pays a thousand times over. Its log
calls drop the line when debug is off, but their arguments are built before the call.

Kept apart from serve.py so that it can be imported without installing Twisted's reactor.
"""

from pprint import pformat

import autobahn.websocket.protocol
import txaio

DEBUG_LEVELS = ("debug", "trace")


def pformat_when_logged(value) -> str:
    if txaio.get_global_log_level() in DEBUG_LEVELS:
        return pformat(value)
    return "(not formatted: autobahn debug logging is off)"


def install() -> None:
    """Replace the `pformat` autobahn's protocol module calls. It uses it only for debug lines
    (and for Timings, which is off unless trackTimings is set)."""
    autobahn.websocket.protocol.pformat = pformat_when_logged
