"""Engine-flow payloads (spec part 1 §5.1, §5.2) and what aiflow must have
before each of them. Nothing here imports Odoo.

Decisions where the spec is silent (kept here so both sides agree):

* The form of an engine flow is synced under the flow's code
  (``formCode`` = ``flowCode``), named like the flow.
* Whether a form sync is a CREATE or an UPDATE is decided when it is sent,
  from whether aiflow has the form then: several changes queued before a
  send make one call of the right kind.
* A flow/create or flow/update waits for the people its process names
  (:func:`.bpmn.candidate_users`); an update and a publication wait for the
  flow's creation; a publication also for a pending update, so the version
  it names is the one aiflow gave last.
"""

from . import bpmn

FLOW_CREATE = "flow_create"
FLOW_UPDATE = "flow_update"
FLOW_PUBLISH = "flow_publish"
FORM_SYNC = "form_sync"
USER_SYNC = "user_sync"

# Form sync kinds (§5.2 syncType).
CREATE = "CREATE"
UPDATE = "UPDATE"
DELETE = "DELETE"


def flow_definition(flow_code, flow_name, schema, bpmn_xml):
    """Body of flow/create and flow/update (§5.1.1, §5.1.2)."""
    return {
        "flowCode": flow_code,
        "flowName": flow_name,
        "formSchema": schema,
        "bpmnXml": bpmn_xml,
    }


def flow_publish(flow_code, flow_version, update_desc=""):
    """Body of flow/publish (§5.1.3)."""
    return {"flowCode": flow_code, "flowVersion": flow_version, "updateDesc": update_desc or ""}


def form_sync(form_code, form_name, schema, sync_type):
    """Body of form/sync (§5.2)."""
    if sync_type not in (CREATE, UPDATE, DELETE):
        raise ValueError(f"unknown syncType {sync_type!r}")
    return {
        "formCode": form_code,
        "formName": form_name,
        "formSchema": schema,
        "syncType": sync_type,
    }


def flow_key(item):
    return item["flowCode"]


def form_key(item):
    return item["formCode"]


def _people(item):
    return [(USER_SYNC, code) for code in bpmn.candidate_users(item.get("bpmnXml") or "")]


def create_dependencies(item):
    return _people(item)


def update_dependencies(item):
    return [(FLOW_CREATE, item["flowCode"]), *_people(item)]


def publish_dependencies(item):
    return [(FLOW_CREATE, item["flowCode"]), (FLOW_UPDATE, item["flowCode"])]
