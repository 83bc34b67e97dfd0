"""Valid payloads for every endpoint, taken from the spec's examples."""

import copy

SAMPLES = {
    "department_sync": {
        "departments": [
            {
                "deptId": "DEPT001",
                "deptName": "技术部",
                "parentId": "",
                "orderNum": 100,
                "status": 1,
            },
            {
                "deptId": "DEPT002",
                "deptName": "开发组",
                "parentId": "DEPT001",
                "orderNum": 101,
                "status": 1,
            },
            {"deptId": "DEPT003", "deptName": "测试组", "parentId": "DEPT001", "deptCode": "QA"},
        ]
    },
    "user_sync": {
        "users": [
            {
                "userId": "USER001",
                "userName": "张三",
                "realName": "张三",
                "email": "zhangsan@example.com",
                "mobile": "13800138000",
                "deptId": "DEPT001",
                "personnelType": 1,
                "directSupervisor": "",
                "status": 1,
            },
            {
                "userId": "USER002",
                "userName": "李四",
                "deptId": "DEPT002",
                "personnelType": 5,
                "directSupervisor": "USER001",
                "status": 0,
            },
        ]
    },
    "flow_create_third_party": {
        "flowCode": "SALES_ORDER",
        "title": "销售订单审批流程",
        "initiateUrl": {
            "h5Url": "https://odoo.example.com/h5/sales/apply",
            "webUrl": "https://odoo.example.com/web/sales/apply",
        },
        "detailUrl": {
            "h5Url": "https://odoo.example.com/h5/sales/detail",
            "webUrl": "https://odoo.example.com/web/sales/detail",
        },
        "groupId": "GROUP001",
        "managerUserCode": "USER001",
        "operationUserCode": "USER002",
        "configUserCode": "USER003",
        "createBy": "USER001",
        "allowedApplyTerminals": ["pc", "mobile"],
        "allowedApplyRule": {"allowedApplyType": "all", "userCodes": [], "deptCodes": []},
        "allowedManageRule": {"allowedApplyType": "all"},
    },
    "flow_online_third_party": {
        "flowCode": "SALES_ORDER",
        "flowVersion": 1,
        "updateDesc": "初始版本上线",
    },
    "order_task_sync": {
        "orderId": 123456,
        "orderStatus": "ing",
        "orderResult": "ing",
        "initiator": "USER001",
        "version": 1,
        "parentOrderId": 123450,
        "parentTaskOrderId": "PTO-1",
        "businessKey": "SALES_ORDER_20250124001",
        "createTime": "2025-01-24 10:00:00",
        "updateTime": "2025-01-24 15:30:00",
        "ccUsers": [{"userCode": "USER003", "ccTime": "2025-01-24 10:00:00"}],
        "tasks": [
            {
                "taskId": "TASK001",
                "taskName": "部门经理审批",
                "assigneeUserCode": ["USER002", "USER004"],
                "taskStatus": "ing",
                "taskResult": "accept",
                "deadLine": "2025-01-25 18:00:00",
                "nodeType": "audit",
                "handleTime": "2025-01-24 15:30:00",
                "showPc": True,
                "showMobile": False,
            }
        ],
    },
    "flow_create": {
        "flowCode": "FLOW001",
        "flowName": "请假流程",
        "formSchema": {
            "components": [{"type": "input", "name": "field1", "label": "字段1", "required": True}]
        },
        "bpmnXml": '<?xml version="1.0" encoding="UTF-8"?><definitions/>',
    },
    "flow_update": {
        "flowCode": "FLOW001",
        "flowName": "请假流程 v2",
        "formSchema": {"components": []},
        "bpmnXml": '<?xml version="1.0" encoding="UTF-8"?><definitions/>',
    },
    "flow_publish": {"flowCode": "FLOW001", "flowVersion": 2, "updateDesc": "发布"},
    "form_sync": {
        "formCode": "SALES_FORM",
        "formName": "销售订单表单",
        "formSchema": {
            "components": [
                {"type": "number", "name": "amount", "label": "订单金额", "required": True}
            ]
        },
        "syncType": "CREATE",
    },
    "approval_log_sync": {
        "orderId": 123456,
        "businessKey": "SO001",
        "logs": [
            {
                "taskId": "TASK001",
                "taskName": "部门经理审批",
                "handlerUserCode": "USER002",
                "handleResult": "APPROVED",
                "handleComment": "同意",
                "handleTime": "2025-01-24 15:30:00",
            }
        ],
    },
    "workflow_event": {
        "orderId": 123456,
        "businessKey": "SO001",
        "taskId": "TASK001",
        "taskName": "部门经理审批",
        "action": "START",
        "formData": {"customerName": "客户名称", "amount": 10000},
        "processVariables": {"variable1": "value1"},
        "handlerUserCode": "USER002",
        "handleTime": "2025-01-24 15:30:00",
    },
    "approval_log_event": {
        "orderId": 123456,
        "businessKey": "SO001",
        "logs": [
            {
                "taskId": "TASK001",
                "taskName": "部门经理审批",
                "handlerUserCode": "USER002",
                "handleResult": "APPROVED",
                "handleComment": "审批意见",
                "handleTime": "2025-01-24 15:30:00",
                "formData": {"comment": "审批意见"},
            }
        ],
    },
}


def sample(name):
    """A fresh deep copy, safe to mutate."""
    return copy.deepcopy(SAMPLES[name])
