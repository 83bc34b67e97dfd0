"""A request body that tells its sender when it has gone (see
:meth:`.client.AiflowClient.call`, ``on_sent``)."""


class SentBody:
    """A request body that calls ``on_sent`` once the HTTP stack has handed
    all of it to the socket: a caller sending from another thread goes on
    with its own work only then, instead of holding Python's lock while the
    request waits to go out. Sent with its length, as bytes are."""

    def __init__(self, data, on_sent):
        self._data = memoryview(data)
        self._offset = 0
        self._on_sent = on_sent

    def __len__(self):  # requests: a Content-Length, not a chunked body
        return len(self._data) - self._offset

    def __iter__(self):  # requests: a body it streams
        yield self.read()

    def read(self, size=-1):  # pylint: disable=method-required-super
        # a file's read (http.client sends it block by block), not a model's
        start = self._offset
        end = len(self._data) if size is None or size < 0 else min(start + size, len(self._data))
        self._offset = end
        if start == end and self._on_sent is not None:
            on_sent, self._on_sent = self._on_sent, None
            on_sent()
        return self._data[start:end].tobytes()
