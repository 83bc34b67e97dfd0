# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The command line that starts the sandbox in a process of its own, for the
benchmarks and end-to-end tests that need it beside a real Odoo."""


def sandbox_argv(python, port, credential, odoo_url, host="127.0.0.1"):
    """``credential`` is (enterprise code, app id, app secret). Values go as
    ``--opt=value``: a secret may start with '-'."""
    code, app_id, secret = credential
    return [
        python,
        "-m",
        "aiflow_connector.sandbox",
        f"--host={host}",
        f"--port={port}",
        f"--enterprise-code={code}",
        f"--app-id={app_id}",
        f"--app-secret={secret}",
        f"--odoo-url={odoo_url}",
    ]
