"""The ``formSchema`` of an engine flow (spec part 1 §5.1 and §5.2) from
plain descriptions of the document's fields.

The Odoo layer reads each field (label in the company's language, whether
it is required, its selection or its comodel's records) into a dict; this
module shapes the components. Component types come from
:mod:`.form_fields` (the one table), and so do the value conventions.

Decisions (the spec shows only ``type``, ``name``, ``label``, ``required``):

* ``name`` is the Odoo field's technical name: the formData aiflow sends
  back is read by it.
* A select carries ``options``: ``[{"label", "value"}]``. A selection
  field's value is its key; a many2one's is the record's database id (an
  integer), and the component also names the comodel (``"model"``), so
  aiflow and people can tell what the ids point at.
* A many2one lists at most :data:`MANY2ONE_OPTION_CAP` records (the
  comodel's first ones in its default order); ``optionsComplete`` says
  whether that is all of them. A value outside the list is still valid:
  aiflow may send any id of that model.
"""

from .form_fields import COMPONENT_BY_TTYPE

MANY2ONE_OPTION_CAP = 200


def component(field):
    """One component from a field description.

    ``field``: ``name``, ``ttype``, ``label``, ``required`` and, for a
    selection, ``selection`` (``[(key, label)]``); for a many2one,
    ``comodel`` and ``records`` (``[(id, display name)]``, at most the cap
    plus one to tell whether there were more).
    """
    ttype = field["ttype"]
    if ttype not in COMPONENT_BY_TTYPE:
        raise ValueError(f"field {field['name']!r} of type {ttype!r} cannot be on a form")
    item = {
        "type": COMPONENT_BY_TTYPE[ttype],
        "name": field["name"],
        "label": field.get("label") or field["name"],
        "required": bool(field.get("required")),
    }
    if ttype == "selection":
        item["options"] = [
            {"label": label or str(key), "value": key}
            for key, label in field.get("selection") or ()
        ]
    elif ttype == "many2one":
        records = list(field.get("records") or ())
        item["model"] = field["comodel"]
        item["options"] = [
            {"label": label or str(res_id), "value": res_id}
            for res_id, label in records[:MANY2ONE_OPTION_CAP]
        ]
        item["optionsComplete"] = len(records) <= MANY2ONE_OPTION_CAP
    return item


def form_schema(fields):
    """``{"components": [...]}`` for ``fields`` (descriptions, in form order)."""
    return {"components": [component(field) for field in fields]}
