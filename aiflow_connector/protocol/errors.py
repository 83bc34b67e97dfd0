"""What can go wrong when talking to aiflow, sorted by what the caller should do.

Every failure of a client call is an :class:`AiflowError` of one of two kinds:

* :class:`PermanentError`: sending the same thing again will fail again
  (``-4002``, ``-4001``, other HTTP 4xx, a rejected signature, a TLS error,
  a server that is not aiflow, a base URL that cannot be used);
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
REASON_BAD_RESPONSE = "bad_response"  # a redirect, or the exchange broke off
REASON_NOT_AIFLOW = "not_aiflow"  # an answer that is not aiflow's JSON envelope
REASON_INVALID_URL = "invalid_url"  # nothing was sent: the URL cannot be used

# ``cause`` of a timeout: which limit was hit.
CAUSE_CONNECT_TIMEOUT = "connect"
CAUSE_READ_TIMEOUT = "read"
# ``cause`` of a REASON_BAD_RESPONSE redirect (``cause_detail``: the Location).
CAUSE_REDIRECT = "redirect"
# ``cause`` of a REASON_SIGNATURE raised before anything was sent: the vendor
# SDK chosen for signing cannot be imported (``cause_detail``: why).
CAUSE_SDK_UNAVAILABLE = "sdk_unavailable"


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
        cause=None,
        cause_detail=None,
        limit_seconds=None,
    ):
        super().__init__(message)
        self.message = message
        self.reason = reason
        self.status = status  # aiflow's "status" field, when there was one
        self.http_status = http_status
        self.msg = msg  # aiflow's "msg", kept verbatim
        self.data = data
        self.fail_details = fail_details or []
        # finer than ``reason``: the timeout limit hit (CAUSE_*), the TLS
        # problem (tls_problem.TLS_*), the base URL problem (base_url.PROBLEM_*)
        self.cause = cause
        self.cause_detail = cause_detail  # short words for the cause, or None
        self.limit_seconds = limit_seconds  # the timeout that ran out

    @property
    def said(self):
        """aiflow's own words (``msg``, then ``data.errorMessage`` when it
        adds something), verbatim, or ``""``."""
        words = []
        if isinstance(self.msg, str) and self.msg.strip():
            words.append(self.msg.strip())
        if isinstance(self.data, dict):
            detail = self.data.get("errorMessage")
            if isinstance(detail, str) and detail.strip() and detail.strip() not in words:
                words.append(detail.strip())
        return ": ".join(words)

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
