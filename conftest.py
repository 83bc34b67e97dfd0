"""Run the addon's tests under pytest-odoo the way Odoo's own runner does.

Odoo's test runner marks its thread with ``testing = True`` and code in Odoo
(and in this addon: the outbox worker never commits a test's transaction)
relies on that mark. pytest-odoo does not set it, so it is set here for the
Odoo suite only; the plain suite (``-p no:odoo``) is left alone.
"""

import threading

import pytest


@pytest.fixture(autouse=True, scope="session")
def _odoo_testing_thread(request):
    if not request.config.pluginmanager.hasplugin("odoo"):
        yield
        return
    thread = threading.current_thread()
    previous = getattr(thread, "testing", False)
    thread.testing = True
    yield
    thread.testing = previous
