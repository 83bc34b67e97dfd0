# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""How to start the sandbox in a process of its own, for the benchmarks and
end-to-end tests that need it beside a real Odoo."""

import os

from .__main__ import APP_SECRET_ENV


def sandbox_command(python, port, credential, odoo_url, host="127.0.0.1", environ=None):
    """``(argv, env)`` for ``subprocess.Popen(argv, env=env)``.

    ``credential`` is (enterprise code, app id, app secret). The secret goes
    in the environment, never in ``argv`` (``ps`` shows that to everyone);
    values go as ``--opt=value`` so that none is taken for an option."""
    code, app_id, secret = credential
    argv = [
        python,
        "-m",
        "aiflow_connector.sandbox",
        f"--host={host}",
        f"--port={port}",
        f"--enterprise-code={code}",
        f"--app-id={app_id}",
        f"--odoo-url={odoo_url}",
    ]
    env = dict(os.environ if environ is None else environ)
    env[APP_SECRET_ENV] = secret
    return argv, env
