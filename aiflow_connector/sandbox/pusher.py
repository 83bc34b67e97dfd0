# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""aiflow pushing signed events to Odoo (spec part 2 §2)."""

import json

import requests

from ..protocol.signing import SIGNATURE_HEADER, Credential, Signer

WORKFLOW_EVENT_PATH = "/odoo/api/workflow/receive"
APPROVAL_LOG_PATH = "/odoo/api/workflow/approval/log"


def event_bytes(body):
    """The exact bytes to send: dicts as UTF-8 JSON, str/bytes untouched.

    Passing str or bytes lets a test send a malformed event on purpose.
    """
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


class EventPusher:
    def __init__(self, odoo_url, credential, signing_method="builtin", timeout=(5.0, 30.0)):
        self.odoo_url = odoo_url.rstrip("/")
        self.credential = credential
        self.signing_method = signing_method
        self.timeout = timeout

    def push(self, path, body, secret=None):
        """POST a signed event; ``secret`` signs with another secret (a wrong
        signature, for tests of Odoo's side). Returns a result dict; network
        failures raise ``requests.RequestException``."""
        raw = event_bytes(body)
        credential = self.credential
        if secret is not None:
            credential = Credential(credential.enterprise_code, credential.app_id, secret)
        signature = Signer(credential, self.signing_method).sign(raw)
        response = requests.post(
            f"{self.odoo_url}{path}",
            data=raw,
            headers={"Content-Type": "application/json", SIGNATURE_HEADER: signature},
            timeout=self.timeout,
        )
        try:
            answer = response.json()
        except ValueError:
            answer = response.text
        return {
            "url": f"{self.odoo_url}{path}",
            "httpStatus": response.status_code,
            "response": answer,
            "signedWithOtherSecret": secret is not None,
        }
