"""The payload rules of ``schema.py`` as JSON Schema (draft 2020-12, the
dialect of OpenAPI 3.1).

One function per rule kind, driven by the same ``Field`` tables the walker
uses, so the published description cannot drift from what is enforced.

What JSON Schema cannot say, and ``schema.validate`` still checks (written
into the descriptions):

* a Time must be a real date and time (``2025-02-30 10:00:00`` has the
  right layout but is refused);
* ``1.0`` is an integer for JSON Schema but not for the rules (Java's aiflow
  would not bind it);
* no string inside a free-form Object (``formData``, ``processVariables``),
  keys included, may hold a NUL character (the inbound rules refuse it; the
  declared strings of an inbound body say so with a pattern).
"""

from . import schema
from .wire_time import WIRE_PATTERN

# ASCII digits only: what aiflow's Java formatter writes.
TIME_REGEX = r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$"
# A required String must hold something other than blanks.
NOT_BLANK_REGEX = r"\S"
# Inbound strings: no NUL character (PostgreSQL text cannot hold it).
NO_NUL_REGEX = r"^[^\u0000]*$"
# both at once (one pattern per schema): something not blank, no NUL
NOT_BLANK_NO_NUL_REGEX = r"^[^\u0000]*[^\u0000\s][^\u0000]*$"
NO_NUL_NOTE = "No string inside, keys included, may hold a NUL character (U+0000)."

# Integer is 32-bit, Long 64-bit (schema.py); tests check both edges agree.
_INT_FORMATS = {
    schema.INTEGER: ("int32", -(2**31), 2**31 - 1),
    schema.LONG: ("int64", -(2**63), 2**63 - 1),
}
_TYPES = {
    schema.STRING: "string",
    schema.TIME: "string",
    schema.INTEGER: "integer",
    schema.LONG: "integer",
    schema.BOOLEAN: "boolean",
    schema.OBJECT: "object",
    schema.ARRAY: "array",
}


def _base(rule, inbound=False):
    """The schema of a present, non-null value of ``rule`` (``inbound``:
    sent to Odoo, whose rules refuse NUL characters in strings)."""
    kind = rule.kind
    out = {"type": _TYPES[kind]}
    if kind == schema.TIME:
        out["pattern"] = TIME_REGEX
        out["description"] = (
            f"{WIRE_PATTERN}, a real date and time in the configured timezone "
            "(an impossible date such as 2025-02-30 is refused)."
        )
        out["examples"] = ["2025-01-24 15:30:00"]
    elif kind == schema.STRING and rule.required:
        out["minLength"] = 1
        out["pattern"] = NOT_BLANK_NO_NUL_REGEX if inbound else NOT_BLANK_REGEX
    elif kind == schema.STRING and inbound:
        out["pattern"] = NO_NUL_REGEX
    elif kind in _INT_FORMATS:
        fmt, low, high = _INT_FORMATS[kind]
        out.update(format=fmt, minimum=low, maximum=high)
    elif kind == schema.OBJECT:
        out.update(object_schema(rule.fields, inbound))
        if inbound and not rule.fields:
            out["description"] = NO_NUL_NOTE
    elif kind == schema.ARRAY:
        if rule.item is not None:
            out["items"] = field_schema(rule.item, inbound)
        if rule.min_items:
            out["minItems"] = rule.min_items
    if rule.choices is not None:
        out["enum"] = list(rule.choices)
    return out


def field_schema(rule, inbound=False):
    """JSON Schema of one field: an optional field may also be null."""
    out = _base(rule, inbound)
    if rule.required:
        return out
    out["type"] = [out["type"], "null"]
    if "enum" in out:
        out["enum"] = [*out["enum"], None]
    return out


def object_schema(rules, inbound=False):
    """The properties of an Object; unknown extra fields are allowed (schema.py)."""
    out = {"properties": {rule.name: field_schema(rule, inbound) for rule in rules}}
    required = [rule.name for rule in rules if rule.required]
    if required:
        out["required"] = required
    return out


def endpoint_schema(name):
    """The request body schema of the endpoint ``name`` of ``schema.ENDPOINTS``."""
    endpoint = schema.ENDPOINTS[name]
    inbound = endpoint.direction == schema.INBOUND
    return {"type": "object", **object_schema(endpoint.fields, inbound)}
