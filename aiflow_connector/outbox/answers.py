# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""What becomes of each record of a call, in the words its row keeps: aiflow's
answer, a call that failed whole, a record with nothing to send or a payload
that breaks the specification. Shared by the queue's batches (:mod:`.group`)
and a full resync (:mod:`.resync`)."""

import json


def to_json(value):
    return json.dumps(value, ensure_ascii=False)


class Answer:
    """aiflow's ``data`` for a call of ``source``: the records it refused
    (``failDetails``, by position in the call or by id) and the summary kept
    on each record's row."""

    def __init__(self, source, data):
        data = data if isinstance(data, dict) else {}
        self.data = data
        self._by_index, self._by_id = {}, {}
        if source.batched:
            for detail in data.get("failDetails") or ():
                if isinstance(detail, dict):
                    index = detail.get("index")
                    if isinstance(index, int) and not isinstance(index, bool):
                        self._by_index[index] = detail
                    elif detail.get("id") not in (None, ""):
                        self._by_id[str(detail["id"])] = detail
            self.summary = {k: data[k] for k in ("successCount", "failCount") if k in data}
        else:
            self.summary = data
        self.summary_text = to_json(self.summary)

    @property
    def refused_any(self):
        return bool(self._by_index or self._by_id)

    def refusal(self, index, key):
        """aiflow's failDetail for the record at ``index`` of the call (aiflow
        id ``key``), or None when it accepted it."""
        return self._by_index.get(index) or self._by_id.get(str(key))

    def refusal_response(self, detail):
        return to_json(dict(self.summary, failDetail=detail))


def nothing_to_send(env):
    return env._(
        "Nothing to send: the record is gone or outside the synchronised "
        "scope, and aiflow never received it."
    )


def broken_payload(env, exc):
    return env._("The payload breaks the aiflow specification: %(error)s", error=str(exc))


def refusal_message(env, detail):
    return env._(
        "aiflow refused this record: %(code)s %(message)s",
        code=detail.get("errorCode") or "",
        message=detail.get("errorMessage") or "",
    )


def error_response(exc):
    """What aiflow (or the network) answered to a call that failed whole, as
    kept on its rows; None when nothing came back."""
    response = {
        key: value
        for key, value in (
            ("httpStatus", exc.http_status),
            ("status", exc.status),
            ("msg", exc.msg),
            ("data", exc.data),
        )
        if value is not None
    }
    return to_json(response) if response else None
