# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Run the aiflow sandbox until Ctrl-C or SIGTERM."""

import argparse
import logging
import signal
import sys
import threading

from ..protocol.signing import METHOD_BUILTIN, METHOD_SDK, Credential
from .server import SandboxServer


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m aiflow_connector.sandbox",
        description="A strict aiflow process center for demos and tests.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--enterprise-code", required=True)
    parser.add_argument("--app-id", required=True)
    parser.add_argument("--app-secret", required=True)
    parser.add_argument(
        "--odoo-url", required=True, help="where Odoo is, e.g. http://127.0.0.1:8069"
    )
    parser.add_argument(
        "--oauth-client-id",
        default=None,
        help="aiflow's OAuth2 client id at Odoo (default: the app id)",
    )
    parser.add_argument("--oauth-client-secret", default="")
    parser.add_argument(
        "--public-url",
        default=None,
        help="the URL browsers use to reach the sandbox (default http://HOST:PORT); "
        "the OAuth2 redirect URI is built from it",
    )
    parser.add_argument(
        "--signing-method", choices=(METHOD_BUILTIN, METHOD_SDK), default=METHOD_BUILTIN
    )
    parser.add_argument("--verbose", action="store_true", help="log every request")
    return parser.parse_args(argv)


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
