"""Fixtures for sandbox tests that need an Odoo on the other side."""

import pytest

from aiflow_connector.sandbox.server import SandboxServer
from conftest import SANDBOX_CREDENTIAL

from .fake_odoo import FakeOdoo


@pytest.fixture
def fake_odoo():
    fake = FakeOdoo(SANDBOX_CREDENTIAL).start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def linked_sandbox(fake_odoo):
    """A sandbox whose Odoo is ``fake_odoo``."""
    server = SandboxServer(
        host="127.0.0.1",
        port=0,
        credential=SANDBOX_CREDENTIAL,
        odoo_url=fake_odoo.url,
        oauth_client_secret="sandbox_client_secret",
    ).start()
    try:
        yield server
    finally:
        server.stop()
