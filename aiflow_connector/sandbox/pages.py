# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The sandbox's few HTML pages (bilingual, for demos and browser tests).

Everything that came from outside (Odoo's userinfo, error texts) is
HTML-escaped; element ids are stable so browser tests can read them.
"""

from html import escape

from .oauth_client import USERINFO_FIELDS

USERINFO_LABELS = {
    "userId": "User ID / 用户编码",
    "username": "Username / 用户名",
    "name": "Name / 姓名",
    "phoneNumber": "Phone / 手机号",
    "email": "Email / 邮箱",
    "deptId": "Department ID / 部门编码",
    "deptName": "Department / 部门",
}


def page(title, body_html):
    return (
        "<!DOCTYPE html>\n"
        '<html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title>"
        "<style>body{font-family:sans-serif;margin:2em;max-width:50em}"
        "th{text-align:left;padding-right:1em}"
        ".error{color:#a00}</style></head>"
        f"<body><h1>{escape(title)}</h1>{body_html}</body></html>\n"
    ).encode()


def index_page(odoo_url):
    return page(
        "aiflow sandbox / aiflow 沙箱",
        "<p>A strict stand-in for the aiflow process center. "
        "严格模拟 aiflow 流程中心的测试服务。</p>"
        f"<p>Odoo: <code>{escape(odoo_url)}</code></p>"
        '<ul><li><a id="login" href="/sandbox/login">'
        "Log in with Odoo / 使用 Odoo 账号登录</a></li>"
        '<li><a href="/sandbox/whoami">Who am I / 当前用户</a></li>'
        '<li><a href="/sandbox/state">State (JSON) / 状态</a></li></ul>',
    )


def whoami_page(userinfo):
    if not userinfo:
        return page(
            "Not logged in / 未登录",
            '<p id="status">anonymous</p>'
            '<p><a id="login" href="/sandbox/login">Log in with Odoo / 使用 Odoo 账号登录</a></p>',
        )
    rows = "".join(
        f"<tr><th>{escape(USERINFO_LABELS[field])}</th>"
        f'<td id="{field}">{escape(_text(userinfo.get(field)))}</td></tr>'
        for field in USERINFO_FIELDS
    )
    return page(
        "Logged in to aiflow / 已登录 aiflow",
        f'<p id="status">logged-in</p><table>{rows}</table>'
        '<p><a id="login" href="/sandbox/login">Log in again / 重新登录</a></p>',
    )


def error_page(title, error, description):
    return page(
        title,
        f'<p class="error">Error / 错误: <code id="error">{escape(_text(error))}</code></p>'
        f'<p id="error_description">{escape(_text(description))}</p>'
        '<p><a id="login" href="/sandbox/login">Try again / 重试</a></p>',
    )


def _text(value):
    return "" if value is None else str(value)
