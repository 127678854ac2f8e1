"""Daphne with a graceful stop: `python deploy/daphne/serve.py <daphne options> chatsite.asgi:application`.

Every option is Daphne's own. What changes is SIGTERM (systemd stop, docker stop, a deploy):
plain Daphne cancels every consumer at once, so open sockets die without a close frame and
their `disconnect()` never runs (presence lingers until PRESENCE_TTL). Here the process first
stops accepting connections (nginx then sends new ones to the other processes), closes each
open socket with 1012 "service restart" (clients reconnect at once, through nginx, to a process
that is still up, and catch up with `?after=`), lets consumers run their disconnect handlers and
in-flight HTTP requests finish, and only then stops, at most DAPHNE_DRAIN_SECONDS later.
A second SIGTERM or SIGINT stops at once.

It also makes Daphne close a socket that breaks a WebSocket rule (a frame over
--websocket-max-message-size, say) with a close frame carrying the code (1009 for that one),
as docs/protocol.md promises, instead of dropping the TCP connection (seen as 1006).

And it bounds what a client that stops reading can cost: past DAPHNE_SEND_BUFFER_BYTES
(1 MiB) waiting to be written to it, its socket is closed with 4408 (BoundedWebSocketProtocol).

Two shortcuts make fanning a frame out to many sockets cheaper: writes go to the socket at once
when nothing is buffered (install_write_through), and the ASGI extension "rooms.send_text_now"
in each socket's scope sends a text frame without the ASGI message round (see
BoundedWebSocketProtocol.send_text_now).
"""

import logging
import os
import signal
import sys
import time

import autobahn_logs  # deploy/daphne/autobahn_logs.py
from daphne.cli import CommandLineInterface
from daphne.server import Server
from daphne.ws_protocol import WebSocketProtocol
from twisted.internet import reactor
from ws_frames import SEND_TEXT_NOW_EXTENSION, shared_text_frame  # deploy/daphne/ws_frames.py

logger = logging.getLogger("rooms.daphne")

SERVICE_RESTART = 1012  # RFC 6455 registry: "the server is restarting; reconnect"
POLL_SECONDS = 0.05
CLOSE_TOO_SLOW = 4408  # docs/protocol.md
SLOW_CLOSE_GRACE_SECONDS = 2.0


class BoundedWebSocketProtocol(WebSocketProtocol):
    """Twisted queues whatever the app sends without a bound, so a client that stops reading
    would grow the process by every frame of its room. Past DAPHNE_SEND_BUFFER_BYTES unsent,
    the socket is closed with 4408 and, if the client does not take even the close frame,
    dropped: its memory is freed and its disconnect runs like any other."""

    slow_closing = False

    def connectionMade(self):
        install_write_through(self.transport)
        super().connectionMade()

    def dataReceived(self, data):
        # autobahn's own dataReceived is this plus a debug line whose arguments it formats
        # (coloured type name, peer, length) for every read, even with debug logging off.
        self._dataReceived(data)

    def unsent_bytes(self) -> int:
        transport = self.transport
        # Twisted's FileDescriptor keeps what the kernel has not taken in these three fields.
        return (
            len(getattr(transport, "dataBuffer", b""))
            - getattr(transport, "offset", 0)
            + getattr(transport, "_tempDataLen", 0)
        )

    def serverSend(self, content, binary=False):
        if self.slow_closing or self._closed_for_being_slow():
            return
        super().serverSend(content, binary)

    def sendMessage(self, payload, *args, **kwargs):
        """autobahn holds what this server sends to --websocket-max-message-size too, a limit
        meant for what clients send: a `hello` over it failed with PayloadExceededError and the
        socket closed with 1011, so one room of long messages was unjoinable. Our frames are
        bounded by the app instead (SYNC_MAX_BYTES); the inbound limit stays as it is."""
        limit, self.maxMessagePayloadSize = self.maxMessagePayloadSize, 0
        try:
            return super().sendMessage(payload, *args, **kwargs)
        finally:
            self.maxMessagePayloadSize = limit

    def send_text_now(self, text: str) -> None:
        """The "rooms.send_text_now" extension: what a `websocket.send` of `text` does, minus
        the trip there. A room frame to n sockets would otherwise pass n times through the
        session middleware's send, Daphne's reply dispatch and autobahn's sendMessage (which
        formats a debug line per frame even with debug logging off), and be framed n times.
        Here the frame is built once per text (server frames are unmasked, so every socket gets
        the same bytes) and written as it is. Anything unusual takes the ordinary path."""
        if self.state != self.STATE_OPEN:
            return  # closing or closed: its disconnect follows, and catch-up covers the rest
        if self.slow_closing or self._closed_for_being_slow():
            return
        if self._perMessageCompress is None and not self.send_queue and not self.autoFragmentSize:
            frame, _ = shared_text_frame(text)
            self.transport.write(frame)  # whatever its size: the frame limit is for what clients send
            return
        WebSocketProtocol.serverSend(self, text, False)

    def _closed_for_being_slow(self) -> bool:
        if self.unsent_bytes() <= self.factory.send_buffer_limit:
            return False
        self.slow_closing = True
        logger.warning("closing a slow client %s: %d bytes unsent", self.client_addr, self.unsent_bytes())
        self.sendClose(code=CLOSE_TOO_SLOW, reason="too slow: not reading")
        reactor.callLater(SLOW_CLOSE_GRACE_SECONDS, self._drop_if_open)
        return True

    def _drop_if_open(self):
        if self.state != self.STATE_CLOSED:
            self.dropConnection(abort=True)


def install_write_through(transport) -> None:
    """Write to the socket at once when nothing is waiting ahead, as asyncio's transports do.

    Twisted's TCP transport only buffers in write(): it registers the socket for writability
    and sends on the next turn of the loop, then unregisters it. That is two epoll_ctl calls
    and a callback for every frame to every socket, about a sixth of the server's time when it
    fans frames out (docs/benchmarks.md compares the two in S2). What the kernel does not take,
    and everything while something is still buffered, goes through Twisted's own write, so order
    and back pressure are Twisted's as before. Plain TCP only (Daphne behind nginx); a TLS transport is left as is.
    """
    original_write = transport.write
    sock = getattr(transport, "socket", None)
    if sock is None or getattr(transport, "TLS", False) or not hasattr(transport, "dataBuffer"):
        return

    def write(data):
        if (
            transport.connected
            and not transport.disconnecting
            and not transport._writeDisconnected
            and not getattr(transport, "TLS", False)
            and not transport._tempDataBuffer
            and len(transport.dataBuffer) == transport.offset
        ):
            try:
                sent = sock.send(data)
            except BlockingIOError:
                sent = 0
            except OSError:
                sent = 0  # Twisted's write path meets the same error and closes as it always does
            if sent == len(data):
                return
            data = data[sent:]
        original_write(data)

    transport.write = write


class DrainingServer(Server):
    def __init__(self, *args, **kwargs):
        # Twisted's own handlers would stop the reactor on the spot; ours drain first.
        kwargs["signal_handlers"] = False
        super().__init__(*args, **kwargs)
        self.drain_seconds = float(os.environ.get("DAPHNE_DRAIN_SECONDS") or 10)
        self.listening_ports = []
        self.draining = False

    def run(self):
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._on_signal)
        # Server.run() builds the factory and then blocks in the reactor: adjust it once running.
        reactor.callWhenRunning(self.ws_factory_options)
        super().run()

    def ws_factory_options(self):
        self.ws_factory.setProtocolOptions(failByDrop=False)
        self.ws_factory.protocol = BoundedWebSocketProtocol
        self.ws_factory.send_buffer_limit = int(os.environ.get("DAPHNE_SEND_BUFFER_BYTES") or 1024 * 1024)

    def create_application(self, protocol, scope):
        if isinstance(protocol, BoundedWebSocketProtocol):
            scope.setdefault("extensions", {})[SEND_TEXT_NOW_EXTENSION] = protocol.send_text_now
        return super().create_application(protocol, scope)

    def listen_success(self, port):
        super().listen_success(port)
        self.listening_ports.append(port)
        # Daphne's own line names a Twisted endpoint (tcp:port=8000:…); say where to point a browser.
        address = port.getHost()
        host = f"[{address.host}]" if ":" in address.host else address.host
        logger.info("Rooms is serving at http://%s:%d/", host, address.port)

    def _on_signal(self, signum, frame):
        # Runs between two bytecodes of the reactor thread: hand the work to the reactor.
        reactor.callFromThread(self.stop if self.draining else self.drain)

    def drain(self):
        self.draining = True
        for port in self.listening_ports:
            port.stopListening()
        sockets = [p for p in list(self.connections) if isinstance(p, WebSocketProtocol) and p.state == p.STATE_OPEN]
        logger.info("draining: closing %d sockets, waiting up to %.0f s", len(sockets), self.drain_seconds)
        for protocol in sockets:
            # sendClose() only accepts 1000 and 3000-4999; 1012 is the registered code for this case.
            protocol.sendCloseFrame(code=SERVICE_RESTART, reasonUtf8=b"server restarting")
        self._stop_when_idle(time.monotonic() + self.drain_seconds)

    def _stop_when_idle(self, deadline: float):
        busy = [
            details
            for details in self.connections.values()
            if details.get("application_instance") is not None and not details["application_instance"].done()
        ]
        if not busy:
            logger.info("drained; stopping")
            return self.stop()
        if time.monotonic() >= deadline:
            logger.warning("drain timed out with %d connections still busy; stopping", len(busy))
            return self.stop()
        reactor.callLater(POLL_SECONDS, self._stop_when_idle, deadline)


class DrainingCommandLineInterface(CommandLineInterface):
    server_class = DrainingServer


if __name__ == "__main__":
    autobahn_logs.install()
    DrainingCommandLineInterface().run(sys.argv[1:])
