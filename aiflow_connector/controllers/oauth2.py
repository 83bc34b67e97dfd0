# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Odoo as the OAuth2 authorization server for aiflow (spec part 2, 1).

Thin HTTP layer: the rules are in ``protocol/oauth2.py``, the state in the
``aiflow.oauth.*`` models. No input may end in an HTTP 500: every handler
answers an OAuth2 error instead, except database concurrency errors, which
are re-raised so that Odoo retries the whole request.
"""

import logging
from urllib.parse import urlencode

from markupsafe import Markup
from psycopg2 import errors as pg_errors

from odoo import http
from odoo.http import request

from ..protocol import oauth2, oauth2_token

_logger = logging.getLogger(__name__)

_RETRYABLE_DB_ERRORS = (
    pg_errors.LockNotAvailable,
    pg_errors.SerializationFailure,
    pg_errors.DeadlockDetected,
)


def _json(body, status=200, headers=None):
    all_headers = dict(oauth2_token.NO_STORE_HEADERS)
    all_headers.update(headers or {})
    return request.make_json_response(body, headers=list(all_headers.items()), status=status)


def _json_error(exc):
    return _json(exc.body(), status=exc.status, headers=exc.headers)


def _unexpected(route):
    """Answer a generic OAuth2 error for a failure we did not foresee.

    The transaction is rolled back so nothing half-done is kept, and the
    traceback goes to the server log (it holds no secret: codes, tokens and
    the client secret are never part of an exception message here).
    """
    _logger.exception("OAuth2 %s: unexpected failure", route)
    request.env.cr.rollback()
    return oauth2.invalid_request("The request could not be processed.")


class AiflowOauth2Controller(http.Controller):
    # ------------------------------------------------------------ authorize

    @http.route(
        "/odoo/api/oauth2/authorize",
        type="http",
        auth="public",
        methods=["GET"],
        csrf=False,
        readonly=False,
    )
    def oauth2_authorize(self, **kwargs):
        try:
            return self._authorize()
        except _RETRYABLE_DB_ERRORS:
            raise
        except Exception:  # pylint: disable=broad-except
            _unexpected("authorize")
            return self._authorize_error_page(None)

    def _authorize(self):
        Client = request.env["aiflow.oauth.client"].sudo()
        pairs = list(request.httprequest.args.items(multi=True))
        try:
            auth_request = oauth2.parse_authorize_request(
                pairs, Client._oauth_client_id(), Client._oauth_redirect_uris()
            )
        except oauth2.AuthorizeClientError as exc:
            return self._authorize_error_page(exc)
        except oauth2.OAuthError as exc:
            return self._authorize_redirect(
                oauth2.authorize_error_uri(
                    exc.request.redirect_uri, exc.error, exc.description, exc.request.state
                )
            )

        uid = request.session.uid
        if not uid:
            # Odoo's own login page; it sends the visitor back here after a
            # successful login (local redirect only).
            return request.redirect(
                "/web/login?" + urlencode({"redirect": request.httprequest.full_path}),
                code=303,
            )
        user = request.env["res.users"].sudo().browse(uid)
        if not user.exists() or not user.active or not user._is_internal():
            return self._authorize_redirect(
                oauth2.authorize_error_uri(
                    auth_request.redirect_uri,
                    oauth2.ERROR_ACCESS_DENIED,
                    "Only internal users may sign in to aiflow.",
                    auth_request.state,
                )
            )
        # aiflow is the company's own process center, registered by the
        # administrator: no consent screen, as the spec's flow expects.
        code = request.env["aiflow.oauth.code"].sudo()._oauth_issue(user, auth_request)
        return self._authorize_redirect(
            oauth2.authorize_success_uri(auth_request.redirect_uri, code, auth_request.state)
        )

    def _authorize_redirect(self, location):
        response = request.redirect(location, code=302, local=False)
        for name, value in oauth2_token.NO_STORE_HEADERS.items():
            response.headers[name] = value
        return response

    def _authorize_error_page(self, exc):
        _ = request.env._
        if exc is not None and exc.error == oauth2.ERROR_INVALID_CLIENT:
            reason = _(
                "The application asking you to sign in is not registered in this Odoo database."
            )
        elif exc is not None:
            reason = _(
                "The address to return to is missing or is not registered for this "
                "application, so Odoo will not send you there."
            )
        else:
            reason = _("The sign-in request could not be processed.")
        title = _("This sign-in request cannot be completed")
        advice = _("Please contact your administrator.")
        detail = exc.description if exc is not None else ""
        # Markup.format escapes every value
        html = Markup(
            "<!DOCTYPE html><html><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            "<title>{title}</title></head>"
            "<body style='font-family: sans-serif; max-width: 40em; margin: 4em auto;'>"
            "<h1 style='font-size: 1.4em;'>{title}</h1>"
            "<p>{reason}</p><p>{advice}</p>"
            "<p style='color: #666; font-size: 0.9em;'><code>{detail}</code></p>"
            "</body></html>"
        ).format(title=title, reason=reason, advice=advice, detail=detail)
        headers = [
            ("Content-Type", "text/html; charset=utf-8"),
            ("X-Content-Type-Options", "nosniff"),
            *oauth2_token.NO_STORE_HEADERS.items(),
        ]
        return request.make_response(html, headers=headers, status=400)

    # ------------------------------------------------------------ token

    @http.route(
        "/odoo/api/oauth2/token",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
        readonly=False,
    )
    def oauth2_token(self, **kwargs):
        try:
            return self._token()
        except oauth2.OAuthError as exc:
            return _json_error(exc)
        except _RETRYABLE_DB_ERRORS:
            raise
        except Exception:  # pylint: disable=broad-except
            return _json_error(_unexpected("token"))

    def _token_body(self):
        httprequest = request.httprequest
        body = httprequest.get_data()
        if not body and oauth2_token.media_type(httprequest.content_type) == (
            "application/x-www-form-urlencoded"
        ):
            # Odoo parsed the form before the route ran, which consumed the
            # stream; rebuild it, keeping repeated names.
            body = urlencode(list(httprequest.form.items(multi=True))).encode()
        return body

    def _token(self):
        httprequest = request.httprequest
        token_request = oauth2_token.parse_token_request(
            httprequest.content_type,
            self._token_body(),
            httprequest.headers.get("Authorization"),
        )
        env = request.env
        client_id = (
            env["aiflow.oauth.client"]
            .sudo()
            ._oauth_authenticate(token_request, httprequest.remote_addr)
        )
        if token_request.grant_type == oauth2.GRANT_AUTHORIZATION_CODE:
            code = env["aiflow.oauth.code"].sudo()._oauth_redeem(token_request, client_id)
            issued = (
                env["aiflow.oauth.token"]
                .sudo()
                ._oauth_issue(code.user_id, client_id, code.scope, code=code)
            )
        elif token_request.grant_type == oauth2.GRANT_REFRESH_TOKEN:
            issued = env["aiflow.oauth.token"].sudo()._oauth_refresh(token_request, client_id)
        else:
            raise oauth2.OAuthError(
                oauth2.ERROR_UNSUPPORTED_GRANT_TYPE,
                "Supported grant types: authorization_code, refresh_token.",
            )
        return _json(
            oauth2_token.token_response(
                token_request.dialect,
                issued["access_token"],
                issued["refresh_token"],
                issued["expires_in"],
                issued["scope"],
            )
        )

    # ------------------------------------------------------------ userinfo

    @http.route(
        "/odoo/api/oauth2/userinfo",
        type="http",
        auth="public",
        methods=["GET", "POST"],
        csrf=False,
        save_session=False,
        readonly=False,
    )
    def oauth2_userinfo(self, **kwargs):
        try:
            access_token = oauth2_token.parse_bearer(
                request.httprequest.headers.get("Authorization")
            )
            token = request.env["aiflow.oauth.token"].sudo()._oauth_check_access_token(access_token)
            return _json(token.user_id._aiflow_oauth_userinfo())
        except oauth2.OAuthError as exc:
            return _json_error(exc)
        except _RETRYABLE_DB_ERRORS:
            raise
        except Exception:  # pylint: disable=broad-except
            _unexpected("userinfo")
            return _json_error(oauth2.invalid_token("The access token could not be checked."))
