"""Valid request bodies for every aiflow endpoint, as in the spec's examples.

Each call returns a fresh dict, so a test can break one field of it.
"""

NOW = "2025-01-24 10:00:00"
LATER = "2025-01-24 15:30:00"

PATHS = {
    "department_sync": "/aflow/api/sys/sync/department",
    "user_sync": "/aflow/api/sys/sync/user",
    "flow_create_third_party": "/aflow/api/flow/create_third_party",
    "flow_online_third_party": "/aflow/api/flow/online_third_party",
    "order_task_sync": "/aflow/api/order/sync/task",
    "flow_create": "/aflow/api/flow/create",
    "flow_update": "/aflow/api/flow/update",
    "flow_publish": "/aflow/api/flow/publish",
    "form_sync": "/aflow/api/form/sync",
    "approval_log_sync": "/aflow/api/order/approval/log",
}


def department(dept_id, parent_id="", name=None, **extra):
    return dict(
        {
            "deptId": dept_id,
            "deptName": name or f"部门 {dept_id}",
            "parentId": parent_id,
            "orderNum": 100,
            "status": 1,
        },
        **extra,
    )


def user(user_id, dept_id, supervisor="", **extra):
    return dict(
        {
            "userId": user_id,
            "userName": user_id.lower(),
            "realName": f"用户 {user_id}",
            "email": f"{user_id.lower()}@example.com",
            "mobile": "13800138000",
            "deptId": dept_id,
            "personnelType": 1,
            "directSupervisor": supervisor,
            "status": 1,
        },
        **extra,
    )


def third_party_flow(flow_code="SALES_ORDER"):
    return {
        "flowCode": flow_code,
        "title": "销售订单审批流程",
        "initiateUrl": {
            "h5Url": "https://odoo.example.com/h5/apply",
            "webUrl": "https://odoo.example.com/web/apply",
        },
        "detailUrl": {
            "h5Url": "https://odoo.example.com/h5/detail",
            "webUrl": "https://odoo.example.com/web/detail",
        },
        "groupId": "GROUP001",
        "managerUserCode": "USER001",
        "operationUserCode": "USER002",
        "configUserCode": "USER003",
        "createBy": "USER001",
        "allowedApplyTerminals": ["pc", "mobile"],
        "allowedApplyRule": {"allowedApplyType": "all"},
        "allowedManageRule": {"allowedApplyType": "all"},
    }


def version_change(flow_code="SALES_ORDER", version=1):
    return {"flowCode": flow_code, "flowVersion": version, "updateDesc": "初始版本上线"}


def order_tasks(order_id=123456):
    return {
        "orderId": order_id,
        "orderStatus": "ing",
        "orderResult": "ing",
        "initiator": "USER001",
        "version": 1,
        "businessKey": "SALES_ORDER_20250124001",
        "createTime": NOW,
        "updateTime": NOW,
        "ccUsers": [{"userCode": "USER003", "ccTime": NOW}],
        "tasks": [
            {
                "taskId": "TASK001",
                "taskName": "部门经理审批",
                "assigneeUserCode": ["USER002"],
                "taskStatus": "new",
                "taskResult": "new",
                "deadLine": "2025-01-25 18:00:00",
                "nodeType": "audit",
                "showPc": True,
                "showMobile": True,
            }
        ],
    }


def engine_flow(flow_code="PURCHASE"):
    return {
        "flowCode": flow_code,
        "flowName": "采购审批",
        "formSchema": {
            "components": [{"type": "input", "name": "field1", "label": "字段1", "required": True}]
        },
        "bpmnXml": '<?xml version="1.0" encoding="UTF-8"?><definitions/>',
    }


def form(form_code="SALES_FORM", sync_type="CREATE", name="销售订单表单"):
    return {
        "formCode": form_code,
        "formName": name,
        "formSchema": {
            "components": [
                {"type": "input", "name": "customerName", "label": "客户名称", "required": True}
            ]
        },
        "syncType": sync_type,
    }


def approval_logs(order_id=123456):
    return {
        "orderId": order_id,
        "businessKey": "SALES_ORDER_20250124001",
        "logs": [
            {
                "taskId": "TASK001",
                "taskName": "部门经理审批",
                "handlerUserCode": "USER002",
                "handleResult": "APPROVED",
                "handleComment": "同意",
                "handleTime": LATER,
            }
        ],
    }


VALID = {
    "department_sync": lambda: {"departments": [department("DEPT001")]},
    "user_sync": lambda: {"users": []},
    "flow_create_third_party": third_party_flow,
    "flow_online_third_party": version_change,
    "order_task_sync": order_tasks,
    "flow_create": engine_flow,
    "flow_update": engine_flow,
    "flow_publish": lambda: version_change("PURCHASE"),
    "form_sync": form,
    "approval_log_sync": approval_logs,
}
