"""Local addresses that never answer, for the connector's timeouts.

* :func:`silent_server`: accepts every connection (the TCP handshake
  completes) and never sends a byte, as an aiflow stuck behind a load
  balancer: the client's *read* limit runs out.
* :func:`unaccepting_server`: a listening socket whose accept queue is kept
  full, so the kernel drops new handshakes: the client's *connect* limit runs
  out (on Linux; other systems may refuse instead).

Both are context managers yielding the base URL ``http://127.0.0.1:<port>``.
"""

import contextlib
import select
import socket
import threading


@contextlib.contextmanager
def silent_server():
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted = []
    stop = threading.Event()

    def accept_forever():
        while not stop.is_set():
            ready, _, _ = select.select([listener], [], [], 0.1)
            if ready:
                connection, _address = listener.accept()
                accepted.append(connection)  # kept open, never answered

    thread = threading.Thread(target=accept_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=2)
        for connection in accepted:
            connection.close()
        listener.close()


@contextlib.contextmanager
def unaccepting_server(fillers=4):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    held = []
    for _ in range(fillers):
        # half-open connections fill the backlog; never accepted
        filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        filler.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            filler.connect(("127.0.0.1", port))
        held.append(filler)
    select.select([], held, [], 1.0)  # their handshakes done: the queue is full
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        for filler in held:
            filler.close()
        listener.close()
