"""What can go wrong when talking to aiflow, sorted by what the caller should do.

Every failure of a client call is an :class:`AiflowError` of one of two kinds:

* :class:`PermanentError`: sending the same thing again will fail again
  (``-4002``, ``-4001``, other HTTP 4xx, a rejected signature, a TLS error);
* :class:`RetryableError`: it may work later (``-1024``, HTTP 5xx and 429,
  timeouts, connection errors).

Before anything is sent, a payload that breaks the spec raises
:class:`PayloadError` naming the field.
"""

# ``reason`` values: a stable machine-readable word for what happened, which
# the Odoo layer turns into a message in the admin's language.
REASON_UNREACHABLE = "unreachable"
REASON_TLS = "tls"
REASON_TIMEOUT = "timeout"
REASON_SIGNATURE = "signature"
REASON_REJECTED = "rejected"  # -4002 / -4001 / other 4xx
REASON_SERVER = "server"  # -1024, 5xx, 429
REASON_BAD_RESPONSE = "bad_response"  # not the spec's JSON envelope


class AiflowError(Exception):
    retryable = False

    def __init__(
        self,
        message,
        *,
        reason,
        status=None,
        http_status=None,
        msg=None,
        data=None,
        fail_details=None,
    ):
        super().__init__(message)
        self.message = message
        self.reason = reason
        self.status = status  # aiflow's "status" field, when there was one
        self.http_status = http_status
        self.msg = msg  # aiflow's "msg", kept verbatim
        self.data = data
        self.fail_details = fail_details or []

    def __str__(self):
        return self.message


class PermanentError(AiflowError):
    retryable = False


class RetryableError(AiflowError):
    retryable = True


class PayloadError(ValueError):
    """A payload breaks the spec; ``field`` is a path like ``users[3].deptId``."""

    def __init__(self, field, problem):
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem
