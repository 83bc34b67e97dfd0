# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The response envelope of every aiflow API (spec part 1 §1.3)."""

STATUS_OK = 0
STATUS_INVALID = -4002  # 参数错误
STATUS_UNSUPPORTED = -4001  # 操作不支持
STATUS_GENERAL = -1024  # 通用错误

MESSAGES = {
    STATUS_OK: "success",
    STATUS_INVALID: "请求参数错误",
    STATUS_UNSUPPORTED: "操作不支持",
    STATUS_GENERAL: "系统繁忙，请稍后重试",
}

SIGNATURE_MSG = "签名验证失败"

# errorCode words the sandbox answers with; the connector keys its handling
# on status, these are for people reading the sync console.
INVALID_PARAMETER = "INVALID_PARAMETER"
INVALID_SIGNATURE = "INVALID_SIGNATURE"
INVALID_JSON = "INVALID_JSON"
UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
NOT_FOUND = "NOT_FOUND"
SYSTEM_BUSY = "SYSTEM_BUSY"
GATEWAY_TIMEOUT = "GATEWAY_TIMEOUT"
PARENT_NOT_FOUND = "PARENT_NOT_FOUND"
PARENT_CYCLE = "PARENT_CYCLE"
DEPT_NOT_FOUND = "DEPT_NOT_FOUND"
SUPERVISOR_NOT_FOUND = "SUPERVISOR_NOT_FOUND"
SUPERVISOR_CYCLE = "SUPERVISOR_CYCLE"
FLOW_NOT_FOUND = "FLOW_NOT_FOUND"
FLOW_VERSION_NOT_FOUND = "FLOW_VERSION_NOT_FOUND"
FLOW_TYPE_MISMATCH = "FLOW_TYPE_MISMATCH"
FORM_NOT_FOUND = "FORM_NOT_FOUND"
FORM_EXISTS = "FORM_EXISTS"
UPSTREAM_UNREACHABLE = "UPSTREAM_UNREACHABLE"
UPSTREAM_BAD_RESPONSE = "UPSTREAM_BAD_RESPONSE"


class ApiError(Exception):
    """A whole request is refused; becomes an error envelope."""

    def __init__(self, status, error_code, error_message, *, http_status=200, msg=None):
        super().__init__(f"{error_code}: {error_message}")
        self.status = status
        self.error_code = error_code
        self.error_message = error_message
        self.http_status = http_status
        self.msg = msg or MESSAGES.get(status, MESSAGES[STATUS_GENERAL])

    def envelope(self):
        return failure(self.status, self.error_code, self.error_message, msg=self.msg)


def invalid(error_code, error_message):
    return ApiError(STATUS_INVALID, error_code, error_message)


def success(data):
    return {"status": STATUS_OK, "msg": MESSAGES[STATUS_OK], "data": data}


def failure(status, error_code, error_message, msg=None):
    return {
        "status": status,
        "msg": msg or MESSAGES.get(status, MESSAGES[STATUS_GENERAL]),
        "data": {"errorCode": error_code, "errorMessage": error_message},
    }
