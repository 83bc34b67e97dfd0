"""The bytes of a request body: compact UTF-8 JSON, encoded once, signed and
sent as they are (:mod:`.client`)."""

import json

from .errors import PayloadError

# Made once: json.dumps with options builds an encoder per call (a third of
# the time for an item of user sync).
_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)
# And JSONEncoder.encode builds its C encoder on every call (measured: 40 %
# of an item's encoding; a full resync encodes 22,000 of them): that one is
# made once too, with the same options, where Python has it. Without the
# circular-reference check: a loop ends in RecursionError.
_C_ENCODER = json.encoder.c_make_encoder and json.encoder.c_make_encoder(
    None, _COMPACT.default, json.encoder.encode_basestring, None, ":", ",", False, False, False
)


def encode_json(value):
    """``value`` as compact JSON text, as it goes in a request body.

    Raises PayloadError for what JSON cannot carry (a datetime, NaN) instead
    of sending something aiflow cannot parse.
    """
    try:
        if _C_ENCODER is None:
            return _COMPACT.encode(value)
        return "".join(_C_ENCODER(value, 0))
    except (TypeError, ValueError, RecursionError) as exc:
        raise PayloadError("(body)", f"not JSON-serialisable: {exc}") from None


def encode_body(payload):
    """The exact bytes sent (and signed) for ``payload``: compact UTF-8 JSON."""
    return encode_json(payload).encode("utf-8")


def encode_list_body(list_field, item_texts):
    """What :func:`encode_body` gives for ``{list_field: items}``, from each
    item's :func:`encode_json` text (a caller that keeps those texts does not
    encode its items twice)."""
    return ("{" + encode_json(list_field) + ":[" + ",".join(item_texts) + "]}").encode("utf-8")
