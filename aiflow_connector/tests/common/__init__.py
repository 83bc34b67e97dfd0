# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Fixtures shared by the test modules (the OCA habit: one place to look),
one module a concern:

sandbox      the aiflow sandbox on 127.0.0.1 and the organization-sync case
browser      headless Chromium (Selenium) and the page helpers
oauth2       an OAuth2 client and the steps of a sign-in from aiflow
task_center  a task-center flow and a document it approves
engine       an engine-mode flow definition with a field of every kind
webhooks     engine flows whose documents aiflow drives through the webhooks
"""

from .sandbox import (
    AiflowSandboxCase,
    AiflowSandboxMixin,
    CJK,
    DEPARTMENT_SYNC_PATH,
    DEPT_PATH,
    OrgSyncCase,
    PREFIX,
    SECRET,
    USER_PATH,
    WRONG_SECRET,
    closed_port,
)
from .browser import (
    CHROMEDRIVER,
    CHROMIUM,
    JS_HELPERS,
    SeleniumChromiumMixin,
    missing_browser,
    page_code,
)
from .oauth2 import (
    AUTHORIZE,
    CLIENT_ID,
    CLIENT_SECRET,
    Oauth2HttpCase,
    PASSWORD,
    REDIRECT_URI,
    TOKEN,
    USERINFO,
)
from .task_center import (
    TaskCenterFixtures,
)
from .engine import (
    EngineDefinitionFixtures,
    PARTNER_FIELDS,
)
from .webhooks import (
    APPROVAL_LOG_PATH,
    EngineWebhookFixtures,
    WORKFLOW_PATH,
    WebhookCase,
)

__all__ = [
    "APPROVAL_LOG_PATH",
    "AUTHORIZE",
    "CHROMEDRIVER",
    "CHROMIUM",
    "CJK",
    "CLIENT_ID",
    "CLIENT_SECRET",
    "DEPARTMENT_SYNC_PATH",
    "DEPT_PATH",
    "JS_HELPERS",
    "PARTNER_FIELDS",
    "PASSWORD",
    "PREFIX",
    "REDIRECT_URI",
    "SECRET",
    "TOKEN",
    "USERINFO",
    "USER_PATH",
    "WORKFLOW_PATH",
    "WRONG_SECRET",
    "AiflowSandboxCase",
    "AiflowSandboxMixin",
    "EngineDefinitionFixtures",
    "EngineWebhookFixtures",
    "Oauth2HttpCase",
    "OrgSyncCase",
    "SeleniumChromiumMixin",
    "TaskCenterFixtures",
    "WebhookCase",
    "closed_port",
    "missing_browser",
    "page_code",
]
