# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Run the aiflow sandbox until Ctrl-C or SIGTERM."""

import argparse
import logging
import os
import signal
import sys
import threading

from ..protocol.signing import METHOD_BUILTIN, METHOD_SDK, Credential
from . import failures as fail
from .server import SandboxServer

APP_SECRET_ENV = "AIFLOW_APP_SECRET"
OAUTH_CLIENT_SECRET_ENV = "AIFLOW_OAUTH_CLIENT_SECRET"

EPILOG = f"""\
secrets:
  Secrets never go on the command line (every user of the machine sees it
  in ps). The app secret comes from --app-secret-file, else from the
  environment variable {APP_SECRET_ENV}; the OAuth2 client secret from
  --oauth-client-secret-file, else {OAUTH_CLIENT_SECRET_ENV} (may be empty
  when SSO is not used). A secret file holds the secret on its first line.

aiflow API:
  The aiflow endpoints at their paths (/aflow/api/...), each checked like
  aiflow does: signature (A-Signature), JSON, schema, hierarchy.

pages and control endpoints (never failed on purpose, not in "calls"):
  GET  /                           index page
  GET  /sandbox/state              what the sandbox holds, as JSON: every call
                                   received ("calls"), departments, users,
                                   flows, ..., pushes, logins, the failures
                                   armed and the slowness
  POST /sandbox/reset              forget everything, stop failing and slowing
  POST /sandbox/fail               the next aiflow API calls fail; JSON body
                                   {{"count": N, "mode": M, "hangSeconds": S}}
                                   mode {fail.MODE_HTTP503}: HTTP 503 with an HTML page
                                   mode {fail.MODE_STATUS_1024}: HTTP 200, status -1024
                                   mode {fail.MODE_HANG}: no answer for S seconds
                                   (default {fail.DEFAULT_HANG_SECONDS:g}), then HTTP 504
  POST /sandbox/down               {{"seconds": S}}: refuse connections for S s
  POST /sandbox/slow               {{"seconds": S, "jitterSeconds": J}}: answer
                                   every aiflow API call S (+ up to J) s later
  POST /sandbox/push/workflow      sign the body and post it to Odoo's workflow
                                   event endpoint (?secret=X signs it with X)
  POST /sandbox/push/approval_log  the same, to Odoo's approval-log endpoint

single sign-on (Odoo as OAuth2 server):
  GET  /sandbox/login              start logging in with an Odoo account
  GET  /aflow/api/oauth2/callback  where Odoo sends the browser back
  GET  /sandbox/whoami             who is logged in
  POST /aflow/api/oauth2/refresh   {{"refreshToken": ...}}: new tokens

example:
  {APP_SECRET_ENV}=... python -m aiflow_connector.sandbox \\
      --enterprise-code COMPANY001 --app-id APP001 --odoo-url http://127.0.0.1:8069
  curl -s -X POST -d '{{"count": 2, "mode": "{fail.MODE_HTTP503}"}}' \\
      -H 'Content-Type: application/json' http://127.0.0.1:8090/sandbox/fail
"""


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m aiflow_connector.sandbox",
        description="A strict aiflow process center for demos and tests: it checks\n"
        "every call the way aiflow does, keeps what it receives in memory and\n"
        "logs users in with their Odoo account.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default %(default)s)"
    )
    parser.add_argument(
        "--port", type=int, default=8090, help="port to listen on, 0 for any (default %(default)s)"
    )
    parser.add_argument(
        "--enterprise-code", required=True, help="the enterprise code Odoo signs with"
    )
    parser.add_argument("--app-id", required=True, help="the app id Odoo signs with")
    parser.add_argument(
        "--app-secret-file",
        metavar="PATH",
        help=f"file holding the app secret (default: the environment variable {APP_SECRET_ENV})",
    )
    parser.add_argument(
        "--odoo-url",
        required=True,
        help="where Odoo is, e.g. http://127.0.0.1:8069 (SSO and event pushes go there)",
    )
    parser.add_argument(
        "--oauth-client-id",
        default=None,
        help="aiflow's OAuth2 client id at Odoo (default: the app id)",
    )
    parser.add_argument(
        "--oauth-client-secret-file",
        metavar="PATH",
        help="file holding aiflow's OAuth2 client secret at Odoo "
        f"(default: the environment variable {OAUTH_CLIENT_SECRET_ENV}, or none)",
    )
    parser.add_argument(
        "--public-url",
        default=None,
        help="the URL browsers use to reach the sandbox (default http://HOST:PORT); "
        "the OAuth2 redirect URI is built from it",
    )
    parser.add_argument(
        "--signing-method",
        choices=(METHOD_BUILTIN, METHOD_SDK),
        default=METHOD_BUILTIN,
        help="how signatures are computed: builtin HMAC-SHA256, or aiflow's Python SDK "
        "when it is installed (default %(default)s)",
    )
    parser.add_argument("--verbose", action="store_true", help="log every request")
    return parser


def parse_args(argv=None, environ=None):
    """The options, with ``app_secret`` and ``oauth_client_secret`` read from
    their files or the environment."""
    environ = os.environ if environ is None else environ
    parser = build_parser()
    args = parser.parse_args(argv)
    args.app_secret = _secret(parser, args.app_secret_file, environ.get(APP_SECRET_ENV))
    if not args.app_secret:
        parser.error(f"no app secret: give --app-secret-file or set {APP_SECRET_ENV}")
    args.oauth_client_secret = _secret(
        parser, args.oauth_client_secret_file, environ.get(OAUTH_CLIENT_SECRET_ENV)
    )
    return args


def _secret(parser, path, from_environment):
    if not path:
        return from_environment or ""
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        parser.error(f"cannot read the secret file {path}: {exc}")
    return lines[0] if lines else ""


def say(line):
    # stdout, not the log: scripts wait for the first line to learn the URL
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main(argv=None):
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    sandbox = SandboxServer(
        host=args.host,
        port=args.port,
        credential=Credential(args.enterprise_code, args.app_id, args.app_secret),
        odoo_url=args.odoo_url,
        oauth_client_id=args.oauth_client_id,
        oauth_client_secret=args.oauth_client_secret,
        public_url=args.public_url,
        signing_method=args.signing_method,
    )
    stopping = threading.Event()

    def on_signal(signum, frame):
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    sandbox.start()
    say(f"aiflow sandbox listening on {sandbox.url}")
    say(
        f"public URL {sandbox.public_url}; OAuth2 redirect URI "
        f"{sandbox.oauth_client.redirect_uri}; Odoo at {sandbox.odoo_url}"
    )
    try:
        while not stopping.wait(0.5):
            pass
    finally:
        sandbox.stop()
        say("aiflow sandbox stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
