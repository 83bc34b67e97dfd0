"""formData values of a START event read back into Odoo field values.

The wire conventions per component are those of :mod:`.form_fields` (one
table for both directions). This module checks a value against its field's
type and converts it; what needs the database (that a many2one id exists)
is left to the caller, which gets the id.

Decisions (the spec is silent):

* a field absent from formData is not set (the model's default applies);
  ``null`` clears it, which a required field refuses;
* strings are taken as they are (no trimming): what the person typed;
* an integer field takes a JSON integer in the 32-bit range (not ``1.0``,
  not ``true``); float and monetary fields take any finite JSON number;
* a many2one takes a positive integer id or its decimal string.
"""

import math
import re
from datetime import datetime

from . import form_fields, schema, wire_time

DATE_FORMAT = "%Y-%m-%d"
DATE_PATTERN = "yyyy-MM-dd"
_DATE_RE = re.compile(r"\A\d{4}-\d{2}-\d{2}\Z")
_ID_RE = re.compile(r"\A[1-9][0-9]{0,18}\Z")
INT32 = (-(2**31), 2**31 - 1)


class FormValueError(ValueError):
    """A formData value that does not fit its field; ``field`` names it."""

    def __init__(self, field, problem):
        super().__init__(f"formData.{field}: {problem}")
        self.field = field
        self.problem = problem


def _shown(value, limit=60):
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _wrong(name, expected, value):
    raise FormValueError(
        name, f"expected {expected}, got {schema.json_type(value)} {_shown(value)}"
    )


def read_value(name, ttype, value, *, required=False, selection_keys=(), tz_name=None):
    """The Odoo value of field ``name`` (of type ``ttype``) for formData
    ``value``; FormValueError naming the field when it does not fit."""
    if ttype not in form_fields.COMPONENT_BY_TTYPE:
        raise FormValueError(name, f"fields of type {ttype} are not on aiflow forms")
    if value is None:
        if required:
            raise FormValueError(name, "required, got null")
        return False
    if ttype in ("char", "text", "html"):
        if not isinstance(value, str):
            _wrong(name, "a String", value)
        if required and not value.strip():
            raise FormValueError(name, "required, got an empty string")
        return value
    if ttype == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            _wrong(name, "an integer", value)
        if not INT32[0] <= value <= INT32[1]:
            raise FormValueError(name, f"out of range for an integer field: {value}")
        return value
    if ttype in ("float", "monetary"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            _wrong(name, "a number", value)
        if not math.isfinite(value):
            raise FormValueError(name, f"not a finite number: {value}")
        return float(value)
    if ttype == "boolean":
        if not isinstance(value, bool):
            _wrong(name, "true or false", value)
        return value
    if ttype == "date":
        if not isinstance(value, str) or not _DATE_RE.match(value):
            _wrong(name, f"a date {DATE_PATTERN}", value)
        try:
            return datetime.strptime(value, DATE_FORMAT).date()
        except ValueError:
            raise FormValueError(name, f"no such date: {_shown(value)}") from None
    if ttype == "datetime":
        if not isinstance(value, str):
            _wrong(name, f"a time {wire_time.WIRE_PATTERN}", value)
        try:
            return wire_time.from_wire(value, tz_name)
        except ValueError:
            _wrong(name, f"a time {wire_time.WIRE_PATTERN}", value)
    if ttype == "selection":
        if not isinstance(value, str) or value not in selection_keys:
            raise FormValueError(
                name, f"not one of the options {list(selection_keys)!r}: {_shown(value)}"
            )
        return value
    # many2one: the record's id
    if isinstance(value, str) and _ID_RE.match(value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        _wrong(name, "a record id (positive integer)", value)
    if value > INT32[1]:
        raise FormValueError(name, f"no such record: {value}")
    return value
