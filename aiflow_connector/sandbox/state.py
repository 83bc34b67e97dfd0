# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""What the sandbox's aiflow knows, and the rules it applies to each call.

Field rules (required fields, types, enums, time formats) come from
``protocol.schema`` so the sandbox and the connector share one reading of
the spec; the rules that need aiflow's memory live here: a parent must exist
before its child, a user's department and supervisor must exist, a flow or
form must exist before it is updated or put online.
"""

import copy
import threading
from datetime import datetime, timezone

from ..protocol import schema
from ..protocol.errors import PayloadError
from . import envelope as env
from .envelope import invalid

# The aiflow endpoints of spec part 1 that the sandbox serves, by schema name.
SERVED_ENDPOINTS = (
    "department_sync",
    "user_sync",
    "flow_create_third_party",
    "flow_online_third_party",
    "order_task_sync",
    "flow_create",
    "flow_update",
    "flow_publish",
    "form_sync",
    "approval_log_sync",
)

FLOW_THIRD_PARTY = "third_party"  # task-center flows (spec part 1 §4)
FLOW_ENGINE = "engine"  # full-engine flows (spec part 1 §5)

STATE_KEYS = (
    "departments",
    "users",
    "flows",
    "orders",
    "forms",
    "approval_logs",
    "calls",
    "pushes",
    "logins",
)
LIST_KEYS = ("calls", "pushes", "logins")  # in arrival order; the rest by id
MAX_LOG_ENTRIES = 5000  # per list key


def utc_now_text():
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


class RecordRejected(Exception):
    """One record of a per-record sync is refused; the others go on."""

    def __init__(self, error_code, error_message):
        super().__init__(error_message)
        self.error_code = error_code
        self.error_message = error_message


def _text(value):
    return "" if value is None else str(value)


class SandboxState:
    """In-memory aiflow; every public method is atomic under one lock."""

    def __init__(self, max_entries=MAX_LOG_ENTRIES):
        self.max_entries = max_entries
        self.lock = threading.RLock()
        self._data = {}
        self.reset()

    def reset(self):
        with self.lock:
            self._data = {key: [] if key in LIST_KEYS else {} for key in STATE_KEYS}

    def snapshot(self):
        with self.lock:
            return copy.deepcopy(self._data)

    def calls(self):
        with self.lock:
            return copy.deepcopy(self._data["calls"])

    def record(self, key, entry):
        with self.lock:
            entries = self._data[key]
            entries.append(entry)
            # a demo sandbox runs for days: keep the newest, not everything
            del entries[: max(0, len(entries) - self.max_entries)]

    # ------------------------------------------------------------------
    # dispatch

    def apply(self, endpoint_name, payload):
        """Apply one signed, parsed call; returns ``data`` or raises ApiError."""
        handler = getattr(self, f"_apply_{endpoint_name}")
        with self.lock:
            return handler(payload)

    @staticmethod
    def _validate(endpoint_name, payload):
        try:
            schema.validate(endpoint_name, payload)
        except PayloadError as exc:
            raise invalid(env.INVALID_PARAMETER, str(exc)) from exc

    # ------------------------------------------------------------------
    # per-record syncs (spec part 1 §2)

    def _validate_list_top(self, endpoint_name, payload, list_key):
        """Whole-request rules of a per-record sync, leaving the records out.

        The records are judged one by one afterwards, so a bad record fails
        alone instead of failing the whole request.
        """
        if isinstance(payload, dict) and isinstance(payload.get(list_key), list):
            self._validate(endpoint_name, dict(payload, **{list_key: []}))
            return payload[list_key]
        self._validate(endpoint_name, payload)
        # schema accepted a payload without a list: still not one we can apply
        raise invalid(env.INVALID_PARAMETER, f"{list_key}: must be an array")

    def _apply_records(self, endpoint_name, payload, apply_one):
        endpoint = schema.ENDPOINTS[endpoint_name]
        list_key, id_key = endpoint.list_field, endpoint.item_key
        items = self._validate_list_top(endpoint_name, payload, list_key)
        fail_details = []
        success_count = 0
        for index, item in enumerate(items):
            record_id = _text(item.get(id_key)) if isinstance(item, dict) else ""
            try:
                try:
                    schema.validate_item(endpoint_name, item, index)
                except PayloadError as exc:
                    raise RecordRejected(env.INVALID_PARAMETER, str(exc)) from exc
                apply_one(item, index, list_key)
            except RecordRejected as exc:
                fail_details.append(
                    {
                        "index": index,
                        "id": record_id,
                        "errorCode": exc.error_code,
                        "errorMessage": exc.error_message,
                    }
                )
            else:
                success_count += 1
        return {
            "successCount": success_count,
            "failCount": len(fail_details),
            "failDetails": fail_details,
        }

    def _apply_department_sync(self, payload):
        return self._apply_records("department_sync", payload, self._upsert_department)

    def _upsert_department(self, item, index, list_key):
        departments = self._data["departments"]
        dept_id = item["deptId"]
        parent_id = item.get("parentId") or ""
        where = f"{list_key}[{index}].parentId"
        if parent_id:
            if parent_id not in departments:
                raise RecordRejected(
                    env.PARENT_NOT_FOUND,
                    f"{where}: parent department {parent_id!r} does not exist in "
                    "aiflow (departments must be sent parents first)",
                )
            ancestor = parent_id
            while ancestor:
                if ancestor == dept_id:
                    raise RecordRejected(
                        env.PARENT_CYCLE,
                        f"{where}: {parent_id!r} would make department "
                        f"{dept_id!r} its own ancestor",
                    )
                ancestor = departments.get(ancestor, {}).get("parentId") or ""
        departments[dept_id] = {
            "deptId": dept_id,
            "deptName": item["deptName"],
            "parentId": parent_id,
            "deptCode": item.get("deptCode") or "",
            "orderNum": item.get("orderNum", 100),
            # aiflow keeps disabled departments (status 0) as disabled
            "status": item.get("status", 1),
            "updatedAt": utc_now_text(),
        }

    def _apply_user_sync(self, payload):
        return self._apply_records("user_sync", payload, self._upsert_user)

    def _upsert_user(self, item, index, list_key):
        users = self._data["users"]
        user_id = item["userId"]
        dept_id = item["deptId"]
        if dept_id not in self._data["departments"]:
            raise RecordRejected(
                env.DEPT_NOT_FOUND,
                f"{list_key}[{index}].deptId: department {dept_id!r} does not exist in aiflow",
            )
        supervisor = item.get("directSupervisor") or ""
        where = f"{list_key}[{index}].directSupervisor"
        if supervisor:
            if supervisor not in users:
                raise RecordRejected(
                    env.SUPERVISOR_NOT_FOUND,
                    f"{where}: user {supervisor!r} does not exist in aiflow "
                    "(supervisors must be sent before the people they lead)",
                )
            boss = supervisor
            while boss:
                if boss == user_id:
                    raise RecordRejected(
                        env.SUPERVISOR_CYCLE,
                        f"{where}: {supervisor!r} would make user {user_id!r} their own supervisor",
                    )
                boss = users.get(boss, {}).get("directSupervisor") or ""
        users[user_id] = {
            "userId": user_id,
            "userName": item["userName"],
            "realName": item.get("realName") or "",
            "email": item.get("email") or "",
            "mobile": item.get("mobile") or "",
            "deptId": dept_id,
            "personnelType": item.get("personnelType", 1),
            "directSupervisor": supervisor,
            "status": item.get("status", 1),
            "updatedAt": utc_now_text(),
        }

    # ------------------------------------------------------------------
    # flows (spec part 1 §4.1, §4.2, §5.1)

    def _flow(self, flow_code, flow_type):
        flow = self._data["flows"].get(flow_code)
        if flow is None:
            raise invalid(env.FLOW_NOT_FOUND, f"flowCode: flow {flow_code!r} does not exist")
        if flow["type"] != flow_type:
            raise invalid(
                env.FLOW_TYPE_MISMATCH,
                f"flowCode: flow {flow_code!r} is a {flow['type']} flow, not a {flow_type} flow",
            )
        return flow

    @staticmethod
    def _version(flow, flow_version):
        version = flow["versions"].get(str(flow_version))
        if version is None:
            raise invalid(
                env.FLOW_VERSION_NOT_FOUND,
                f"flowVersion: flow {flow['flowCode']!r} has no version {flow_version!r}",
            )
        return version

    def _new_flow_version(self, flow_type, payload):
        flows = self._data["flows"]
        flow_code = payload["flowCode"]
        flow = flows.get(flow_code)
        if flow is None:
            flow = flows[flow_code] = {
                "flowCode": flow_code,
                "type": flow_type,
                "latestVersion": 0,
                "onlineVersion": None,
                "versions": {},
            }
        elif flow["type"] != flow_type:
            raise invalid(
                env.FLOW_TYPE_MISMATCH,
                f"flowCode: flow {flow_code!r} already exists as a {flow['type']} flow",
            )
        flow["latestVersion"] += 1
        flow["versions"][str(flow["latestVersion"])] = {
            "definition": copy.deepcopy(payload),
            "status": "draft",
            "updateDesc": "",
            "createdAt": utc_now_text(),
            "updatedAt": utc_now_text(),
        }
        return {"flowCode": flow_code, "flowVersion": flow["latestVersion"]}

    def _put_online(self, flow, payload):
        version = self._version(flow, payload["flowVersion"])
        previous = flow["onlineVersion"]
        if previous is not None and str(previous) != str(payload["flowVersion"]):
            flow["versions"][str(previous)]["status"] = "offline"
        version["status"] = "online"
        version["updateDesc"] = payload.get("updateDesc") or ""
        version["updatedAt"] = utc_now_text()
        flow["onlineVersion"] = int(payload["flowVersion"])
        return {"success": True}

    def _apply_flow_create_third_party(self, payload):
        self._validate("flow_create_third_party", payload)
        return self._new_flow_version(FLOW_THIRD_PARTY, payload)

    def _apply_flow_online_third_party(self, payload):
        self._validate("flow_online_third_party", payload)
        return self._put_online(self._flow(payload["flowCode"], FLOW_THIRD_PARTY), payload)

    def _apply_flow_create(self, payload):
        self._validate("flow_create", payload)
        return self._new_flow_version(FLOW_ENGINE, payload)

    def _apply_flow_update(self, payload):
        """Edit the draft version; once the latest is online, start a new draft."""
        self._validate("flow_update", payload)
        flow = self._flow(payload["flowCode"], FLOW_ENGINE)
        latest = flow["versions"][str(flow["latestVersion"])]
        if latest["status"] != "draft":
            return self._new_flow_version(FLOW_ENGINE, payload)
        latest["definition"] = copy.deepcopy(payload)
        latest["updatedAt"] = utc_now_text()
        return {"flowCode": flow["flowCode"], "flowVersion": flow["latestVersion"]}

    def _apply_flow_publish(self, payload):
        self._validate("flow_publish", payload)
        return self._put_online(self._flow(payload["flowCode"], FLOW_ENGINE), payload)

    # ------------------------------------------------------------------
    # orders, forms, approval logs (spec part 1 §4.3, §5.2, §5.3)

    def _apply_order_task_sync(self, payload):
        # assignees, initiator and cc users are stored as given: aiflow may
        # not have synced those people yet and still keeps the todo items.
        self._validate("order_task_sync", payload)
        order_key = str(payload["orderId"])
        orders = self._data["orders"]
        previous = orders.get(order_key)
        orders[order_key] = dict(
            copy.deepcopy(payload),
            syncCount=(previous["syncCount"] + 1) if previous else 1,
            receivedAt=utc_now_text(),
        )
        return {"success": True}

    def _apply_form_sync(self, payload):
        self._validate("form_sync", payload)
        forms = self._data["forms"]
        form_code = payload["formCode"]
        sync_type = payload["syncType"]
        current = forms.get(form_code)
        exists = current is not None and current["status"] != "deleted"
        if sync_type in ("UPDATE", "DELETE") and not exists:
            raise invalid(
                env.FORM_NOT_FOUND,
                f"formCode: form {form_code!r} does not exist (syncType {sync_type})",
            )
        if sync_type == "CREATE" and exists:
            same = (
                current["formName"] == payload["formName"]
                and current["formSchema"] == payload["formSchema"]
            )
            if same:
                # a replayed CREATE (e.g. after a lost answer) changes nothing
                return {"success": True}
            raise invalid(
                env.FORM_EXISTS,
                f"formCode: form {form_code!r} already exists; use syncType UPDATE",
            )
        forms[form_code] = {
            "formCode": form_code,
            "formName": payload["formName"],
            "formSchema": copy.deepcopy(payload["formSchema"]),
            "status": "deleted" if sync_type == "DELETE" else "active",
            "lastSyncType": sync_type,
            "updatedAt": utc_now_text(),
        }
        return {"success": True}

    def _apply_approval_log_sync(self, payload):
        self._validate("approval_log_sync", payload)
        order_key = str(payload["orderId"])
        entry = self._data["approval_logs"].setdefault(
            order_key,
            {"orderId": payload["orderId"], "businessKey": payload["businessKey"], "logs": []},
        )
        entry["businessKey"] = payload["businessKey"]
        for log in payload["logs"]:
            # logs are resent whole by some callers: keep each entry once
            if log not in entry["logs"]:
                entry["logs"].append(copy.deepcopy(log))
        return {"success": True}
