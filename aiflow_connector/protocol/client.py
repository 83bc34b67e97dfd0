"""The aiflow HTTP client: one method per aiflow endpoint (spec part 1).

Every call validates the payload against :mod:`.schema`, serialises it once,
signs exactly those bytes and sends exactly those bytes, so the signature the
server recomputes over the raw body always matches.

Outcomes (DESIGN.md "Failures are classified"):

=====================================================  =====================================
what happened                                          raised
=====================================================  =====================================
HTTP 2xx, envelope ``status == 0``                     nothing: ``data`` is returned
                                                       (may carry ``failCount`` /
                                                       ``failDetails``: the caller decides)
envelope ``status`` -4002 / -4001                      PermanentError(rejected)
envelope ``status`` -1024                              RetryableError(server)
envelope with any other ``status``                     RetryableError(server): an
                                                       undocumented code is treated like the
                                                       generic -1024; the caller's retry limit
                                                       bounds it
HTTP 401 / 403                                         PermanentError(signature) (the sandbox
                                                       and the spec's example answer a bad
                                                       signature with 403)
HTTP 429, 5xx                                          RetryableError(server)
other HTTP 4xx with the envelope                       PermanentError(rejected)
other HTTP 4xx without it (a 404 page: the server at   PermanentError(not_aiflow)
the base URL is not aiflow, or the prefix is wrong)
HTTP 3xx (redirects are not followed: a POST turned    PermanentError(bad_response, cause
into a GET would silently lose the body)               redirect): the base URL is wrong,
                                                       retrying cannot help
HTTP 2xx whose body is not the JSON envelope           RetryableError(not_aiflow): most often
                                                       a proxy or gateway page in the way
                                                       during an outage; bounded by the retry
                                                       limit
TLS failure (``requests.exceptions.SSLError``)         PermanentError(tls), ``cause`` a
                                                       :mod:`.tls_problem` code
connect or read timeout                                RetryableError(timeout), ``cause``
                                                       connect / read, ``limit_seconds``
connection refused / DNS / reset                       RetryableError(unreachable)
a base URL that cannot be used (:mod:`.base_url`)      PermanentError(invalid_url), nothing sent
=====================================================  =====================================

Every error keeps aiflow's ``status``, ``msg``, ``data`` and ``failDetails``
when the answer had them.  No message ever contains the app secret.
"""

import logging
from typing import NamedTuple

import requests
from urllib3.exceptions import ReadTimeoutError

from . import base_url as base_url_rules
from . import tls_problem
from .errors import (
    CAUSE_CONNECT_TIMEOUT,
    CAUSE_READ_TIMEOUT,
    CAUSE_REDIRECT,
    CAUSE_SDK_UNAVAILABLE,
    REASON_BAD_RESPONSE,
    REASON_INVALID_URL,
    REASON_NOT_AIFLOW,
    REASON_REJECTED,
    REASON_SERVER,
    REASON_SIGNATURE,
    REASON_TIMEOUT,
    REASON_TLS,
    REASON_UNREACHABLE,
    AiflowError,
    PermanentError,
    RetryableError,
)
from .request_body import encode_body
from .schema import ENDPOINTS, Endpoint, validate
from .sent_body import SentBody
from .signing import SIGNATURE_HEADER, VendorSdkUnavailable

_logger = logging.getLogger(__name__)

STATUS_OK = 0
STATUS_BAD_PARAMETER = -4002
STATUS_UNSUPPORTED = -4001
STATUS_GENERAL_ERROR = -1024

# The connection test runs while an administrator waits in front of the page:
# it never waits longer than this, nor longer than the configured limits.
CONNECTION_TEST_CONNECT_TIMEOUT = 3.0
CONNECTION_TEST_READ_TIMEOUT = 5.0

# What requests raises for a URL it cannot use, building the request or
# sending it (a host urllib3 cannot parse).
_URL_ERRORS = (
    requests.exceptions.InvalidURL,
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidSchema,
)

CONTENT_TYPE = "application/json; charset=utf-8"
USER_AGENT = "aiflow-connector (Odoo)"


def fail_detail_ids(fail_details):
    """The ids named by a ``failDetails`` list (keys ``id``, ``deptId`` or ``userId``)."""
    ids = set()
    for detail in fail_details or ():
        if not isinstance(detail, dict):
            continue
        for key in ("id", "deptId", "userId"):
            value = detail.get(key)
            if value not in (None, ""):
                ids.add(value)
    return ids


def _envelope(response):
    """The spec's ``{status, msg, data}`` envelope of ``response``, or None."""
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    status = body.get("status")
    if isinstance(status, bool) or not isinstance(status, int):
        return None
    return body


def _aiflow_detail(envelope):
    """Keyword arguments keeping what aiflow said, for an AiflowError."""
    if envelope is None:
        return {}
    data = envelope.get("data")
    fail_details = data.get("failDetails") if isinstance(data, dict) else None
    return {
        "status": envelope.get("status"),
        "msg": envelope.get("msg"),
        "data": data,
        "fail_details": fail_details if isinstance(fail_details, list) else None,
    }


def _said(envelope):
    """aiflow's own words (msg and errorMessage), for the error message."""
    if envelope is None:
        return ""
    words = []
    msg = envelope.get("msg")
    if isinstance(msg, str) and msg:
        words.append(msg)
    data = envelope.get("data")
    if isinstance(data, dict):
        for key in ("errorCode", "errorMessage"):
            value = data.get(key)
            if isinstance(value, str) and value and value not in words:
                words.append(value)
    return (": " + " / ".join(words)) if words else ""


class Prepared(NamedTuple):
    """A call built and signed, ready to go (:meth:`AiflowClient.prepare`)."""

    endpoint: Endpoint
    request: requests.PreparedRequest
    options: dict  # what the environment adds to the sending (proxies, CA bundle)
    timeouts: tuple  # (connect, read) seconds


class AiflowClient:
    """Talks to one aiflow server with one signer.

    ``base_url`` is the server root (``https://aiflow.example.com``, with or
    without a trailing slash); endpoint paths come from :data:`.schema.ENDPOINTS`.
    """

    def __init__(self, base_url, signer, connect_timeout=5.0, read_timeout=30.0, session=None):
        if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
            raise ValueError("the aiflow base URL must start with http:// or https://")
        self.base_url = base_url.rstrip("/")
        self.url_check = base_url_rules.check_base_url(self.base_url)
        self.signer = signer
        self.connect_timeout = float(connect_timeout)
        self.read_timeout = float(read_timeout)
        self._own_session = session is None
        self.session = session if session is not None else requests.Session()

    def close(self):
        if self._own_session:
            self.session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    # -- the one generic call ----------------------------------------------------
    def call(
        self, endpoint_name, payload, *, check=True, timeouts=None, encoded=None, on_sent=None
    ):
        """Send ``payload`` to endpoint ``endpoint_name`` and return aiflow's ``data``.

        Raises PayloadError, with nothing sent, when the payload breaks the
        schema or cannot be JSON; otherwise PermanentError / RetryableError
        as in the module table.  ``check=False`` skips schema validation (only
        for exercising the server's own checks); the payload is still signed
        and sent as is.  ``timeouts`` (connect, read) replaces the client's
        for this call.  ``encoded``: the bytes :func:`encode_body` gives for
        ``payload``, when the caller has them already.  ``on_sent``: called
        once the request has all been handed to the socket, before the
        answer is read; not called when nothing went.
        """
        prepared = self.prepare(
            endpoint_name, payload, check=check, timeouts=timeouts, encoded=encoded
        )
        return self.send(prepared, on_sent=on_sent)

    def prepare(self, endpoint_name, payload, *, check=True, timeouts=None, encoded=None):
        """:meth:`call` up to the sending: the payload checked, encoded and
        signed, the request built. A caller with a wait on its hands (the
        full resync, while aiflow answers the previous call) does this
        there, and :meth:`send` is all that is left when the call goes.
        Raises what :meth:`call` raises before anything is sent."""
        endpoint = ENDPOINTS[endpoint_name]
        if check:
            validate(endpoint_name, payload)
        body = encoded if encoded is not None else encode_body(payload)
        if not self.url_check.ok:
            raise PermanentError(
                f"the aiflow base URL {self.base_url!r} cannot be used: "
                f"{base_url_rules.describe(self.url_check)}",
                reason=REASON_INVALID_URL,
                cause=self.url_check.problem,
                cause_detail=base_url_rules.describe(self.url_check),
            )
        try:
            signature = self.signer.sign(body)
        except VendorSdkUnavailable as exc:
            raise PermanentError(
                f"cannot sign the request: the vendor signing SDK is unavailable ({exc})",
                reason=REASON_SIGNATURE,
                cause=CAUSE_SDK_UNAVAILABLE,
                cause_detail=str(exc),
            ) from None
        headers = {
            "Content-Type": CONTENT_TYPE,
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
            SIGNATURE_HEADER: signature,
        }
        url = self.base_url + endpoint.path
        try:
            request = self.session.prepare_request(
                requests.Request(endpoint.method, url, data=body, headers=headers)
            )
        except _URL_ERRORS as exc:
            raise self._scrub(_invalid_url(url, exc)) from None
        # What Session.request adds from the environment (proxies, CA
        # bundle), looked up once here rather than as the call goes.
        options = self.session.merge_environment_settings(url, {}, None, None, None)
        return Prepared(
            endpoint, request, options, timeouts or (self.connect_timeout, self.read_timeout)
        )

    def send(self, prepared, *, on_sent=None):
        """Send a call :meth:`prepare` built and return aiflow's ``data``;
        raises as :meth:`call` does. ``on_sent`` as in :meth:`call`."""
        request = prepared.request
        if on_sent is not None:
            request = request.copy()
            request.body = SentBody(request.body, on_sent)
        try:
            return self._exchange(prepared.endpoint, request, prepared.options, prepared.timeouts)
        except AiflowError as exc:
            raise self._scrub(exc) from None

    def _scrub(self, error):
        """``error`` with the app secret masked, should a server (or a
        library) ever echo it back."""
        credential = getattr(self.signer, "credential", None)
        secret = getattr(credential, "app_secret", None)
        if not secret:
            return error
        error.message = error.message.replace(secret, "***")
        error.args = (error.message,)
        if isinstance(error.msg, str):
            error.msg = error.msg.replace(secret, "***")
        if isinstance(error.data, dict) and isinstance(error.data.get("errorMessage"), str):
            error.data = dict(
                error.data, errorMessage=error.data["errorMessage"].replace(secret, "***")
            )
        return error

    def _exchange(self, endpoint, request, options, timeouts):
        connect_timeout, read_timeout = timeouts
        try:
            response = self.session.send(
                request,
                timeout=(connect_timeout, read_timeout),
                allow_redirects=False,
                **options,
            )
        except requests.exceptions.SSLError as exc:
            code, detail = tls_problem.tls_problem(exc)
            raise PermanentError(
                f"TLS handshake with aiflow at {self.base_url} failed: "
                f"{tls_problem.describe(code, detail)}",
                reason=REASON_TLS,
                cause=code,
                cause_detail=detail,
            ) from None
        except requests.exceptions.ConnectTimeout:
            raise RetryableError(
                f"connecting to aiflow at {self.base_url} timed out after {connect_timeout:g} s",
                reason=REASON_TIMEOUT,
                cause=CAUSE_CONNECT_TIMEOUT,
                limit_seconds=connect_timeout,
            ) from None
        except requests.exceptions.ReadTimeout:
            raise _read_timeout(endpoint, read_timeout) from None
        except _URL_ERRORS as exc:
            raise _invalid_url(request.url, exc) from None
        except requests.exceptions.ConnectionError as exc:
            if _is_read_timeout(exc):  # timed out while reading the body
                raise _read_timeout(endpoint, read_timeout) from None
            raise RetryableError(
                f"cannot reach aiflow at {self.base_url}: {_brief(exc)}",
                reason=REASON_UNREACHABLE,
            ) from None
        except requests.exceptions.RequestException as exc:
            # e.g. the connection dropped in the middle of the answer
            raise RetryableError(
                f"the exchange with aiflow at {self.base_url} broke off: {_brief(exc)}",
                reason=REASON_BAD_RESPONSE,
            ) from None
        with response:
            return self._outcome(endpoint, response)

    def _outcome(self, endpoint, response):
        code = response.status_code
        envelope = _envelope(response)
        detail = _aiflow_detail(envelope)
        where = f"{endpoint.method} {endpoint.path}"
        _logger.debug("aiflow %s -> HTTP %s, status %s", where, code, detail.get("status"))
        if code in (401, 403):
            raise PermanentError(
                f"aiflow refused the signature of {where} (HTTP {code}){_said(envelope)}; "
                "check the enterprise code, app id, app secret and signing method",
                reason=REASON_SIGNATURE,
                http_status=code,
                **detail,
            )
        if code == 429 or code >= 500:
            raise RetryableError(
                f"aiflow is unavailable for {where} (HTTP {code}){_said(envelope)}",
                reason=REASON_SERVER,
                http_status=code,
                **detail,
            )
        if 400 <= code < 500 and envelope is None:
            raise PermanentError(
                f"the server at {self.base_url} answered {where} with HTTP {code} "
                f"and no aiflow answer, is it aiflow? {_excerpt(response)}",
                reason=REASON_NOT_AIFLOW,
                http_status=code,
            )
        if 400 <= code < 500:
            raise PermanentError(
                f"aiflow rejected {where} (HTTP {code}){_said(envelope)}",
                reason=REASON_REJECTED,
                http_status=code,
                **detail,
            )
        if 300 <= code < 400:
            location = response.headers.get("Location", "")
            raise PermanentError(
                f"aiflow answered {where} with a redirect (HTTP {code}) to "
                f"{location or 'nowhere'}; check the aiflow base URL",
                reason=REASON_BAD_RESPONSE,
                http_status=code,
                cause=CAUSE_REDIRECT,
                cause_detail=location,
            )
        if envelope is None:
            raise RetryableError(
                f"aiflow's answer to {where} (HTTP {code}) is not the expected "
                f"JSON envelope: {_excerpt(response)}",
                reason=REASON_NOT_AIFLOW,
                http_status=code,
            )
        status = envelope["status"]
        if status == STATUS_OK:
            data = envelope.get("data")
            return {} if data is None else data
        if status in (STATUS_BAD_PARAMETER, STATUS_UNSUPPORTED):
            raise PermanentError(
                f"aiflow rejected {where} (status {status}){_said(envelope)}",
                reason=REASON_REJECTED,
                http_status=code,
                **detail,
            )
        raise RetryableError(
            f"aiflow failed on {where} (status {status}){_said(envelope)}",
            reason=REASON_SERVER,
            http_status=code,
            **detail,
        )

    # -- one method per endpoint ---------------------------------------------------
    def sync_departments(self, departments):
        """Spec 2.1; ``departments`` must already be in parents-first order."""
        return self.call("department_sync", {"departments": list(departments)})

    def sync_users(self, users):
        """Spec 2.2; ``users`` must already be in supervisor-first order."""
        return self.call("user_sync", {"users": list(users)})

    def create_third_party_flow(self, flow):
        """Spec 4.1; returns ``{"flowCode", "flowVersion"}``."""
        return self.call("flow_create_third_party", flow)

    def online_third_party_flow(self, flow_version):
        """Spec 4.2: ``{"flowCode", "flowVersion", "updateDesc"}``."""
        return self.call("flow_online_third_party", flow_version)

    def sync_order_tasks(self, order):
        """Spec 4.3: one order with its tasks (todo and done)."""
        return self.call("order_task_sync", order)

    def create_flow(self, flow):
        """Spec 5.1.1: flow with form schema and BPMN XML."""
        return self.call("flow_create", flow)

    def update_flow(self, flow):
        """Spec 5.1.2 (PUT): same fields as create_flow, ``flowCode`` names the flow."""
        return self.call("flow_update", flow)

    def publish_flow(self, flow_version):
        """Spec 5.1.3: ``{"flowCode", "flowVersion", "updateDesc"}``."""
        return self.call("flow_publish", flow_version)

    def sync_form(self, form):
        """Spec 5.2: ``syncType`` CREATE / UPDATE / DELETE."""
        return self.call("form_sync", form)

    def sync_approval_log(self, approval_log):
        """Spec 5.3: ``{"orderId", "businessKey", "logs": [...]}``."""
        return self.call("approval_log_sync", approval_log)

    def ping(self):
        """A signed, empty department sync: proves URL, credentials and signing, changes nothing."""
        return self.sync_departments([])

    def connection_test(self):
        """:meth:`ping` with the connection test's short limits, never longer
        than the configured ones: a server that never answers costs the
        waiting administrator seconds, not the sync's 30."""
        timeouts = (
            min(self.connect_timeout, CONNECTION_TEST_CONNECT_TIMEOUT),
            min(self.read_timeout, CONNECTION_TEST_READ_TIMEOUT),
        )
        return self.call("department_sync", {"departments": []}, timeouts=timeouts)


def _invalid_url(url, exc):
    return PermanentError(
        f"the aiflow URL {url!r} cannot be used: {_brief(exc)}",
        reason=REASON_INVALID_URL,
        cause_detail=_brief(exc),
    )


def _read_timeout(endpoint, seconds):
    return RetryableError(
        f"aiflow did not answer {endpoint.method} {endpoint.path} within {seconds:g} s",
        reason=REASON_TIMEOUT,
        cause=CAUSE_READ_TIMEOUT,
        limit_seconds=seconds,
    )


def _is_read_timeout(exc):
    # requests reports a timeout while reading the body (after the headers) as a
    # ConnectionError wrapping urllib3's ReadTimeoutError.
    return any(isinstance(arg, ReadTimeoutError) for arg in exc.args)


def _brief(exc, limit=300):
    """A short one-line description of a requests exception (never carries headers)."""
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _excerpt(response, limit=200):
    text = " ".join(response.text.split()) if response.content else "(empty body)"
    return text if len(text) <= limit else text[: limit - 3] + "..."
