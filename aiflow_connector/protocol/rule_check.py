"""The walker that checks a JSON value against :class:`Field` rules, and
the rules' vocabulary (the field kinds of the spec's "类型" column). The
rules of each aiflow endpoint are data in :mod:`.schema`, which applies
this walker to them.
"""

import json
from dataclasses import dataclass

from .errors import PayloadError
from .wire_time import WIRE_PATTERN, has_wire_layout, parse_wire_naive

# Field kinds, named as in the spec's "类型" column.
STRING = "String"
INTEGER = "Integer"
LONG = "Long"
BOOLEAN = "Boolean"
ARRAY = "Array"
OBJECT = "Object"
TIME = "Time"  # a String in yyyy-MM-dd HH:mm:ss

_INT_RANGES = {
    INTEGER: (-(2**31), 2**31 - 1),
    LONG: (-(2**63), 2**63 - 1),
}

OUTBOUND = "outbound"  # Odoo -> aiflow (spec part 1)
INBOUND = "inbound"  # aiflow -> Odoo (spec part 2 §2)


@dataclass(frozen=True)
class Field:
    """One rule: a named value of a kind, maybe required, maybe an enum.

    ``fields`` are the nested rules of an Object; ``item`` is the rule every
    element of an Array follows (its ``name`` is unused); ``min_items`` is the
    smallest allowed Array length.
    """

    name: str
    kind: str
    required: bool = False
    choices: tuple = None
    fields: tuple = ()
    item: "Field" = None
    min_items: int = 0


def json_type(value):
    """How a value looks on the wire, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float):
        return "Number"
    if isinstance(value, str):
        return "String"
    if isinstance(value, (list, tuple)):
        return "Array"
    if isinstance(value, dict):
        return "Object"
    return type(value).__name__


def _choices_text(choices):
    return "not one of " + json.dumps(list(choices), ensure_ascii=False)


def _shown(value, limit=60):
    """A value quoted for an error message, cut short so a huge one stays readable."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _join(path, name):
    return f"{path}.{name}" if path else name


_ABSENT = object()


def _path_text(where):
    """The path of a value, from where the walker met it: a path already,
    or (where its container is, field name or list index). Spelled out
    only for an error: the walker meets every field of every record."""
    if not isinstance(where, tuple):
        return where
    container, key = where
    if isinstance(key, int):
        return f"{_path_text(container)}[{key}]"
    return _join(_path_text(container), key)


def _wrong_type(where, rule, value):
    expected = STRING if rule.kind == TIME else rule.kind
    raise PayloadError(
        _path_text(where), f"wrong type: expected {expected}, got {json_type(value)}"
    )


def _check_value(where, rule, value):
    kind = rule.kind
    if kind in (STRING, TIME):
        if not isinstance(value, str):
            _wrong_type(where, rule, value)
        if kind == TIME:
            if not has_wire_layout(value):
                raise PayloadError(_path_text(where), f"not {WIRE_PATTERN}: {_shown(value)}")
            try:
                parse_wire_naive(value)
            except ValueError:
                raise PayloadError(
                    _path_text(where),
                    f"not {WIRE_PATTERN} (no such date or time): {_shown(value)}",
                ) from None
        elif rule.required and not value.strip():
            raise PayloadError(_path_text(where), "must not be empty")
    elif kind in (INTEGER, LONG):
        if isinstance(value, bool) or not isinstance(value, int):
            _wrong_type(where, rule, value)
        low, high = _INT_RANGES[kind]
        if not low <= value <= high:
            raise PayloadError(_path_text(where), f"out of range for {kind}: {value}")
    elif kind == BOOLEAN:
        if not isinstance(value, bool):
            _wrong_type(where, rule, value)
    elif kind == OBJECT:
        if not isinstance(value, dict):
            _wrong_type(where, rule, value)
        _check_fields(where, rule.fields, value)
    elif kind == ARRAY:
        if not isinstance(value, (list, tuple)):
            _wrong_type(where, rule, value)
        if len(value) < rule.min_items:
            raise PayloadError(_path_text(where), f"must have at least {rule.min_items} item(s)")
        if rule.item is not None:
            for index, element in enumerate(value):
                _check_present((where, index), rule.item, element)
    else:  # a rule table typo, not a payload problem
        raise AssertionError(f"unknown field kind {kind!r} at {_path_text(where)}")
    if rule.choices is not None and value not in rule.choices:
        raise PayloadError(_path_text(where), f"{_choices_text(rule.choices)}: {_shown(value)}")


def _check_present(where, rule, value):
    if value is None:
        if rule.required:
            raise PayloadError(_path_text(where), "missing (null)")
        return
    _check_value(where, rule, value)


def _check_fields(where, rules, obj):
    for rule in rules:
        name = rule.name
        value = obj.get(name, _ABSENT)
        if value is None or value is _ABSENT:  # _check_present, inlined: once per field
            if rule.required:
                problem = "missing" if value is _ABSENT else "missing (null)"
                raise PayloadError(_path_text((where, name)), problem)
            continue
        kind = rule.kind
        # The two kinds nearly every field is, checked here without a call
        # (a user item is nine such fields); the rest, and every error, below.
        if kind == STRING and type(value) is str:
            if (not rule.required or value.strip()) and (
                rule.choices is None or value in rule.choices
            ):
                continue
        elif kind == INTEGER and type(value) is int:  # a bool is not
            if -(2**31) <= value <= 2**31 - 1 and (rule.choices is None or value in rule.choices):
                continue
        _check_value((where, name), rule, value)


NUL = "\x00"
NUL_PROBLEM = "holds a NUL character (U+0000), which Odoo cannot store"


def _key_in_path(key):
    # a key is shown in the path with its NUL escaped: a message holding a
    # NUL could not be stored either
    return str(key).replace(NUL, "\\u0000")


def _check_no_nul(payload):
    """PayloadError naming the first string (value or key) holding NUL.
    Iterative: a body may nest as deep as the JSON parser allows."""
    stack = [("", payload)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if NUL in value:
                raise PayloadError(path, NUL_PROBLEM)
        elif isinstance(value, dict):
            children = []
            for key, item in value.items():
                child = _join(path, _key_in_path(key))
                if NUL in str(key):
                    raise PayloadError(child, f"a key that {NUL_PROBLEM}")
                children.append((child, item))
            stack.extend(reversed(children))  # checked in document order
        elif isinstance(value, (list, tuple)):
            stack.extend(reversed([(f"{path}[{i}]", item) for i, item in enumerate(value)]))


def check_body(fields, payload, inbound=False):
    """Raise PayloadError for the first of ``fields`` that the body
    ``payload`` breaks (an inbound one: nor may any string hold NUL)."""
    if not isinstance(payload, dict):
        raise PayloadError("(body)", f"wrong type: expected Object, got {json_type(payload)}")
    _check_fields("", fields, payload)
    if inbound:
        _check_no_nul(payload)


def check_element(list_field, rule, item, index):
    """Raise PayloadError for the first rule the element ``index`` of the
    list ``list_field`` breaks (``rule``: the list's element rule)."""
    _check_present((list_field, index), rule, item)
