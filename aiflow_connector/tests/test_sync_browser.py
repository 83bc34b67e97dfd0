# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The full resync wizard and the sync console, clicked in a real headless
Chromium (Odoo's ``browser_js``), with the outbox worker delivering to the
sandbox while the page watches."""

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from odoo import SUPERUSER_ID, api
from odoo.tests import HttpCase, TransactionCase, new_test_user, tagged
from odoo.tools import mute_logger

from .common import AiflowSandboxMixin, page_code

# How long the test's worker waits for the page to have seen the running
# resync (a page load and a few clicks: ~5-20 s on a busy machine).
WORKER_WAIT_SECONDS = 50


class _SeenHandler(BaseHTTPRequestHandler):
    """The page calls it once it has shown the running resync."""

    def do_GET(self):
        self.server.seen.set()
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


# Settings -> Full resync: the dry run's counts, a double click on Confirm,
# the running state, then (delivered meanwhile) the finished summary, all in
# one page that never reloads.
RESYNC_CHECK = """
(async () => {
    window.aiflowNoReload = DATA.marker;
    // The saved settings are shown (the button below saves them first).
    const companies = await waitFor("the companies to sync", () =>
        $('div[name="aiflow_sync_company_ids"] .o_tag'));
    check(text(companies.parentElement) === DATA.companyName,
        `companies to sync shown: ${text(companies.parentElement)}`);
    check(text($('div[name="aiflow_url_oauth_token"]')).endsWith("/odoo/api/oauth2/token"),
        "the token endpoint is not shown");
    const block = text($('div[name="aiflow_oauth_client_secret"]').closest(".o_setting_box"));
    check(block.includes("A client secret is set") && !block.includes("No client secret"),
        `client secret state shown: ${block}`);
    await press(`button[name="${DATA.actionId}"]`);
    const dryRun = await waitFor("the dry run", () => {
        const modal = lastModal();
        return modal && $('div[name="department_enabled_count"]', modal) && modal;
    });
    for (const [name, expected] of Object.entries(DATA.counts)) {
        const shown = text($(`div[name="${name}"]`, dryRun)).replace(/[^0-9]/g, "");
        check(shown === String(expected), `dry run ${name}: shown ${shown}, in scope ${expected}`);
    }
    check(!$('div[name="summary"]', dryRun), "the dry run shows a progress summary");
    const confirm = $('button[name="action_confirm"]', dryRun);
    confirm.click();
    confirm.click(); // a double click

    const summaryOf = (modal) => {
        const field = modal && $('div[name="summary"]', modal);
        return field ? text(field) : "";
    };
    const running = await waitFor("the running state", () => {
        const modal = lastModal();
        return summaryOf(modal).includes(" sent") && modal;
    });
    const runningText = summaryOf(running);
    check(runningText === `0 of ${DATA.total} sent, 0 failed so far.`,
        `running summary: ${runningText}`);
    check($(".o_progress", running).getAttribute("aria-valuenow") === "0",
        "the progress bar does not start at 0");
    check(!$('button[name="action_confirm"]', running), "Confirm is still offered while running");

    // Tell the test the running state was seen: its worker delivers now.
    await fetch(DATA.signal, { mode: "no-cors" });

    const finished = await waitFor("the finished summary", () => {
        const modal = lastModal();
        return summaryOf(modal).startsWith("Finished:") && modal;
    }, 40000);
    const finishedText = summaryOf(finished);
    check(finishedText.startsWith(
        `Finished: ${DATA.sent} of ${DATA.total} sent, 0 failed (their errors are in the sync`),
        `finished summary: ${finishedText}`);
    check(finishedText.includes(DATA.skippedText), `finished summary: ${finishedText}`);
    check(text($('div[name="sent_count"]', finished)) === String(DATA.sent),
        "the Sent count did not follow");
    check($(".o_progress", finished).getAttribute("aria-valuenow") === "100",
        "the progress bar did not reach 100");
    check(window.aiflowNoReload === DATA.marker, "the page was reloaded");
    check(document.querySelectorAll(".modal").length === 1,
        `${document.querySelectorAll(".modal").length} dialogs open`);
    console.log("test successful");
})();
"""

# A resync is already running: starting another one from Settings is refused
# with a message the admin sees.
REFUSED_CHECK = """
(async () => {
    await press(`button[name="${DATA.actionId}"]`);
    const dryRun = await waitFor("the dry run", () => {
        const modal = lastModal();
        return modal && $('button[name="action_confirm"]', modal) && modal;
    });
    $('button[name="action_confirm"]', dryRun).click();
    const error = await waitFor("the refusal", () => {
        const modal = lastModal();
        return modal && modal !== dryRun && modal;
    });
    check(text(error).includes("A full resync is already running"),
        `unexpected dialog: ${text(error)}`);
    console.log("test successful");
})();
"""

# The sync console: states in the list, Retry now in a form, Retry all dead
# in the list, Cancel in a form and on a selection in the list.
CONSOLE_CHECK = """
(async () => {
    const rowOf = (key) => [...document.querySelectorAll(".o_list_view .o_data_row")]
        .find((row) => text($('td[name="record_key"]', row)) === key);
    const stateOf = (key) => {
        const row = rowOf(key);
        return row ? text($('td[name="state"]', row)) : null;
    };
    const keys = DATA.keys;
    await waitFor("the queued rows", () => rowOf(keys.deadList) && rowOf(keys.pendingList));
    const expected = {
        [keys.deadList]: "Dead",
        [keys.deadForm]: "Dead",
        [keys.pendingForm]: "Pending",
        [keys.pendingList]: "Pending",
    };
    for (const [key, state] of Object.entries(expected)) {
        check(stateOf(key) === state, `${key} shows ${stateOf(key)}, not ${state}`);
    }
    check(!rowOf(keys.done), "a delivered row is listed under Not delivered");

    const statusOf = () => {
        const current = $(".o_form_view .o_statusbar_status .o_arrow_button_current");
        return current && current.dataset.value;
    };
    const openForm = async (key, state) => {
        $('td[name="record_key"]', rowOf(key)).click();
        await waitFor(`the form of ${key}`, () =>
            $(".o_form_view") && text($('.o_form_view div[name="record_key"]')) === key);
        await waitFor(`${key} in state ${state}`, () => statusOf() === state);
        await waitFor(`the address of ${key}`, () =>
            location.pathname.endsWith(`/${DATA.ids[key]}`));
        // Odoo's web client can drop the outcome of a button clicked within
        // ~100 ms of the form opening (the click's action never completes and
        // the form keeps its buttons disabled; seen about once in ten runs):
        // click as a person would, once the form has settled.
        await sleep(1000);
    };
    const backToList = async () => {
        $(".o_breadcrumb .o_back_button").click();
        await waitFor("the list", () => $(".o_list_view") && !$(".o_form_view"));
    };

    // Retry now in the form of a dead row.
    await openForm(keys.deadForm, "dead");
    check(text($(".o_form_view")).includes(DATA.error), "the form hides the error");
    await press('.o_form_view button[name="action_retry_now"]');
    await waitFor("the retried row pending", () => statusOf() === "pending");
    check(!text($(".o_form_view")).includes(DATA.error), "the error is still shown");
    await backToList();
    await waitFor("the list after Retry now", () => stateOf(keys.deadForm) === "Pending");
    check(stateOf(keys.deadList) === "Dead", "Retry now changed another row");

    // Retry all dead, with nothing selected.
    await press('.o_control_panel button[name="action_retry_all_dead"]');
    await waitFor("the dead row pending", () => stateOf(keys.deadList) === "Pending");

    // Cancel in the form of a pending row.
    await openForm(keys.pendingForm, "pending");
    await press('.o_form_view button[name="action_cancel"]');
    await waitFor("the cancelled row", () => statusOf() === "cancelled");
    check(!$('.o_form_view button[name="action_cancel"]'), "Cancel is offered again");
    await backToList();
    await waitFor("the cancelled row gone", () => !rowOf(keys.pendingForm));

    // Cancel on a selection in the list.
    $(".o_list_record_selector", rowOf(keys.pendingList)).click();
    await press('.o_control_panel button[name="action_cancel"]');
    await waitFor("the cancelled selection gone", () => !rowOf(keys.pendingList));
    check(stateOf(keys.deadList) === "Pending", "the retried row left the list");
    console.log("test successful");
})();
"""


@tagged("post_install", "-at_install")
class TestSyncBrowser(AiflowSandboxMixin, HttpCase):
    def setUp(self):
        super().setUp()
        self.company = self.env.ref("base.main_company")
        self._configure(
            connect_timeout="2",
            read_timeout="10",
            sync_enabled="True",
            sync_batch_size="3",
            sync_max_attempts="3",
            sync_company_ids=str(self.company.id),
        )
        self.Outbox = self.env["aiflow.outbox"]
        self.resync_action = self.env.ref("aiflow_connector.aiflow_full_resync_action")
        self.settings_url = "/odoo/action-aiflow_connector.res_config_settings_action"

    def make_org(self):
        """A small tree in scope, archived records, an employee without a
        department, and a company that is not synchronised."""
        Dept = self.env["hr.department"]
        Emp = self.env["hr.employee"]
        root = Dept.create({"name": "Browser Head Office", "company_id": self.company.id})
        sales = Dept.create(
            {"name": "Browser Sales", "parent_id": root.id, "company_id": self.company.id}
        )
        closed = Dept.create(
            {"name": "Browser Closed", "parent_id": root.id, "company_id": self.company.id}
        )
        boss = Emp.create({"name": "Browser Boss", "department_id": root.id})
        root.manager_id = boss
        for name in ("Browser Seller", "Browser Clerk"):
            Emp.create({"name": name, "department_id": sales.id, "parent_id": boss.id})
        Emp.create({"name": "Browser Leaver", "department_id": sales.id}).action_archive()
        closed.action_archive()
        Emp.create({"name": "Browser Floating"})
        other = self.env["res.company"].create({"name": "Browser Other Company"})
        elsewhere = Dept.create({"name": "Browser Elsewhere", "company_id": other.id})
        Emp.create(
            {"name": "Browser Outsider", "department_id": elsewhere.id, "company_id": other.id}
        )

    def expected_counts(self):
        Dept = self.env["hr.department"].with_context(active_test=False)
        Emp = self.env["hr.employee"].with_context(active_test=False)

        def count(model, *conditions):
            scope = ["|", ("company_id", "=", False), ("company_id", "=", self.company.id)]
            return model.search_count([*scope, *conditions])

        has_dept = ("department_id", "!=", False)
        return {
            "department_enabled_count": count(Dept, ("active", "=", True)),
            "department_disabled_count": count(Dept, ("active", "=", False)),
            "employee_enabled_count": count(Emp, has_dept, ("active", "=", True)),
            "employee_disabled_count": count(Emp, has_dept, ("active", "=", False)),
            "employee_skipped_count": count(Emp, ("department_id", "=", False)),
        }

    def resync_rows(self):
        return self.Outbox.search([("resync_token", "!=", False)])

    def start_worker_when_seen(self):
        """A worker on another thread that delivers the outbox to the sandbox
        (through the test cursor the HTTP server shares) once the page has
        called the returned URL. Returns (URL, outcome, join)."""
        seen_server = ThreadingHTTPServer(("127.0.0.1", 0), _SeenHandler)
        seen_server.seen = threading.Event()
        threading.Thread(target=seen_server.serve_forever, daemon=True).start()
        self.addCleanup(seen_server.server_close)
        self.addCleanup(seen_server.shutdown)
        outcome = {}
        stop = threading.Event()

        def run():
            # The worker then flushes instead of committing the test's transaction.
            threading.current_thread().testing = True
            for _tick in range(WORKER_WAIT_SECONDS * 10):
                if seen_server.seen.wait(0.1):
                    break
                if stop.is_set():
                    return  # the page failed before: the test is over
            else:
                return
            try:
                with self.registry.cursor() as cr:
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    outcome["stats"] = env["aiflow.outbox"]._aiflow_deliver()
            except Exception as exc:  # reported by the test thread
                outcome["error"] = exc

        worker = threading.Thread(target=run, name="aiflow-browser-worker", daemon=True)
        worker.start()

        def join():
            stop.set()
            worker.join(WORKER_WAIT_SECONDS)

        self.addCleanup(join)
        host, port = seen_server.server_address
        return f"http://{host}:{port}/seen", outcome, join

    def test_full_resync_dry_run_progress_and_summary(self):
        self.make_org()
        counts = self.expected_counts()
        skipped = counts["employee_skipped_count"]
        total = sum(counts.values())
        seen_url, outcome, join = self.start_worker_when_seen()
        # (other test classes leave committed runs behind)
        rows_before = self.resync_rows()
        self.env["aiflow.oauth.client"].sudo()._oauth_set_client_secret("browser-secret-4711")
        data = {
            "companyName": self.company.name,
            "marker": uuid.uuid4().hex,
            "actionId": str(self.resync_action.id),
            "counts": counts,
            "total": total,
            "sent": total - skipped,
            "skippedText": (
                "1 employee was not sent:"
                if skipped == 1
                else f"{skipped} employees were not sent:"
            ),
            "signal": seen_url,
        }
        self.browser_js(
            self.settings_url, page_code(RESYNC_CHECK, data), login=self.admin.login, timeout=55
        )
        join()
        self.assertNotIn("error", outcome)
        self.assertEqual(outcome["stats"].get("failed", 0), 0, outcome["stats"])

        # Opening the wizard saved the settings: the scope is still the one set.
        self.assertEqual(
            self.env["ir.config_parameter"].get_param("aiflow_connector.sync_company_ids"),
            str(self.company.id),
        )
        # One run despite the double click, delivered as the page said.
        self.env.invalidate_all()
        rows = self.resync_rows() - rows_before
        self.assertEqual(len(set(rows.mapped("resync_token"))), 1)
        self.assertEqual(len(rows), total)
        self.assertEqual(set(rows.mapped("state")), {"done"})
        self.assertEqual(len(rows.filtered("request_body")), total - skipped)
        wizards = self.env["aiflow.full.resync"].search(
            [("resync_token", "=", rows[0].resync_token)]
        )
        self.assertEqual(len(wizards), 1)
        aiflow = self.sandbox.state
        Dept = self.env["hr.department"].with_context(active_test=False)
        closed = Dept.search([("name", "=", "Browser Closed")])
        self.assertEqual(aiflow["departments"][closed.aiflow_code]["status"], 0)
        elsewhere = Dept.search([("name", "=", "Browser Elsewhere")])
        self.assertNotIn(elsewhere.aiflow_code, aiflow["departments"])

    def test_second_resync_refused_while_one_runs(self):
        self.make_org()
        Runs = self.env["aiflow.resync.run"]
        runs_before = Runs.search([])
        running = self.env["aiflow.full.resync"].create({})
        running.action_confirm()
        data = {"actionId": str(self.resync_action.id)}
        # The refusal is a UserError, which Odoo's HTTP layer logs as a warning.
        with mute_logger("odoo.http"):
            self.browser_js(
                self.settings_url,
                page_code(REFUSED_CHECK, data),
                login=self.admin.login,
                timeout=55,
            )
        self.env.invalidate_all()
        runs = Runs.search([]) - runs_before
        self.assertEqual(runs.mapped("resync_token"), [running.resync_token])

    def test_sync_console_retry_and_cancel(self):
        # The console is for operators, who are not Settings administrators.
        operator = new_test_user(
            self.env,
            login="aiflow_browser_operator",
            groups="aiflow_connector.group_aiflow_operator",
        )
        # A clean console: only this test's rows (rolled back with the test).
        self.Outbox.search([]).unlink()
        error = "aiflow refused this record: 40001 parent unknown"

        def row(key, state, **values):
            return self.Outbox.create(
                dict(
                    {
                        "endpoint": "department_sync",
                        "mode": "fixed",
                        "record_key": key,
                        "record_name": key.title(),
                        "payload": json.dumps({"deptId": key}),
                        "state": state,
                    },
                    **values,
                )
            )

        dead_list = row("BRW-DEAD-LIST", "dead", attempts=3, last_error=error)
        dead_form = row("BRW-DEAD-FORM", "dead", attempts=3, last_error=error)
        pending_form = row("BRW-PENDING-FORM", "pending")
        pending_list = row("BRW-PENDING-LIST", "pending")
        done = row("BRW-DONE", "done", attempts=1)
        data = {
            "keys": {
                "deadList": dead_list.record_key,
                "deadForm": dead_form.record_key,
                "pendingForm": pending_form.record_key,
                "pendingList": pending_list.record_key,
                "done": done.record_key,
            },
            "error": error,
            "ids": {row.record_key: row.id for row in (dead_form | pending_form)},
        }
        self.browser_js(
            "/odoo/action-aiflow_connector.aiflow_outbox_action",
            page_code(CONSOLE_CHECK, data),
            login=operator.login,
            timeout=55,
        )
        self.env.invalidate_all()
        for retried in dead_list | dead_form:
            self.assertEqual(retried.state, "pending")
            self.assertEqual(retried.attempts, 0)
            self.assertFalse(retried.last_error)
        self.assertEqual(pending_form.state, "cancelled")
        self.assertEqual(pending_list.state, "cancelled")
        self.assertEqual(done.state, "done")


@tagged("post_install", "-at_install")
class TestFormsAsOpened(TransactionCase):
    """What the two forms show before anything is saved: the web client
    gets it from ``onchange`` on an unsaved record (no browser needed)."""

    def test_settings_form_shows_the_saved_values(self):
        company = self.env.ref("base.main_company")
        self.env["ir.config_parameter"].sudo().set_param(
            "aiflow_connector.sync_company_ids", str(company.id)
        )
        self.env["aiflow.oauth.client"].sudo()._oauth_set_client_secret("form-secret-4711")
        names = (
            "company_id",
            "aiflow_sync_company_ids",
            "aiflow_oauth_client_secret_set",
            "aiflow_url_oauth_token",
        )
        values = self.env["res.config.settings"].onchange({}, [], {name: {} for name in names})[
            "value"
        ]
        self.assertEqual(
            [command[1] for command in values["aiflow_sync_company_ids"]], [company.id]
        )
        self.assertTrue(values["aiflow_oauth_client_secret_set"])
        self.assertTrue(values["aiflow_url_oauth_token"].endswith("/odoo/api/oauth2/token"))

    def test_resync_dry_run_counts_before_saving(self):
        self.env["hr.department"].create({"name": "Dry run department"})
        names = ("state", "department_enabled_count", "employee_skipped_count")
        values = self.env["aiflow.full.resync"].onchange({}, [], {name: {} for name in names})[
            "value"
        ]
        saved = self.env["aiflow.full.resync"].create({})
        self.assertGreaterEqual(values["department_enabled_count"], 1)
        self.assertEqual(values["department_enabled_count"], saved.department_enabled_count)
        self.assertEqual(values["employee_skipped_count"], saved.employee_skipped_count)
