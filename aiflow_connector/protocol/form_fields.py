"""Which Odoo field types make an aiflow form, and as which component.

One table for both directions: the form schema sent to aiflow (flow/create,
form/sync) and the formData aiflow sends back (START events) read a field's
value by the same component type.

Values on the wire, per component (decided here, the spec is silent):

* ``input`` / ``textarea``: a string;
* ``number``: a JSON number (integer fields take integers only);
* ``switch``: ``true`` / ``false``;
* ``date``: ``yyyy-MM-dd``; ``datetime``: ``yyyy-MM-dd HH:mm:ss`` in the
  configured timezone;
* ``select`` of a selection field: the option's key;
* ``select`` of a many2one field: the record's database id (an integer, or
  its decimal string), which resolves back to exactly one record.
"""

INPUT = "input"
TEXTAREA = "textarea"
NUMBER = "number"
SWITCH = "switch"
DATE = "date"
DATETIME = "datetime"
SELECT = "select"

# Odoo field type (ir.model.fields.ttype) -> aiflow form component type
COMPONENT_BY_TTYPE = {
    "char": INPUT,
    "text": TEXTAREA,
    "html": TEXTAREA,
    "integer": NUMBER,
    "float": NUMBER,
    "monetary": NUMBER,
    "boolean": SWITCH,
    "date": DATE,
    "datetime": DATETIME,
    "selection": SELECT,
    "many2one": SELECT,
}

FORM_TTYPES = tuple(COMPONENT_BY_TTYPE)
