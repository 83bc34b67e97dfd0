# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""'Retry all dead' in a real headless Chromium: it follows the list's search
and selection, asks before queuing many rows, and says what it did."""

import json

from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.aiflow_connector.wizards.aiflow_outbox_retry_dead import CONFIRM_ABOVE

from .common import page_code

FILTER_CHECK = """
(async () => {
    const rows = () => [...document.querySelectorAll(".o_list_view .o_data_row")];
    const keysShown = () => rows().map((row) => text($('td[name="record_key"]', row))).sort();
    const rowOf = (key) => rows().find((row) => text($('td[name="record_key"]', row)) === key);
    const stateOf = (key) => text($('td[name="state"]', rowOf(key)));
    const search = async (value) => {
        const input = $(".o_searchview_input");
        input.value = value;
        input.dispatchEvent(new InputEvent("input", { bubbles: true }));
        await waitFor("the search suggestions", () => $(".o_searchview_autocomplete"));
        input.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
    };
    const notified = async (message) => {
        await waitFor(`the notification "${message}"`, () =>
            [...document.querySelectorAll(".o_notification")].some(
                (n) => text(n).includes(message)));
        for (const close of document.querySelectorAll(".o_notification .o_notification_close")) {
            close.click();
        }
        await waitFor("the notifications closed", () => !$(".o_notification"));
    };
    const keys = DATA.keys;
    await waitFor("the queued rows", () => rowOf(keys.one) && rowOf(keys.other));

    // Filtered to one record: only its row is queued again.
    await search(keys.one);
    await waitFor("the list filtered to one row", () =>
        JSON.stringify(keysShown()) === JSON.stringify([keys.one]));
    await press('.o_control_panel button[name="action_retry_all_dead"]');
    await notified("Rows queued again: 1.");
    await waitFor("the filtered row pending", () => stateOf(keys.one) === "Pending");
    check(!lastModal(), "a confirmation was asked for one row");

    // Filtered to the bulk rows, one selected: only the selected one.
    $(".o_searchview_facet:last-of-type .o_facet_remove").click();
    await search(DATA.bulkPrefix);
    await waitFor("the bulk rows", () => keysShown().length === DATA.bulkCount);
    $(".o_list_record_selector", rowOf(keys.selected)).click();
    await press('.o_control_panel button[name="action_retry_all_dead"]');
    await notified("Rows queued again: 1.");
    await waitFor("the selected row pending", () => stateOf(keys.selected) === "Pending");
    check(!lastModal(), "a confirmation was asked for one selected row");

    // Nothing selected: the filter's other dead rows, many, once confirmed.
    await waitFor("the selection cleared", () =>
        !$(".o_data_row .o_list_record_selector :checked"));
    await press('.o_control_panel button[name="action_retry_all_dead"]');
    const dialog = await waitFor("the confirmation", () => lastModal());
    const asked = `Queue ${DATA.bulkCount - 1} dead rows again?`;
    check(text(dialog).includes(asked), `confirmation says: ${text(dialog)}`);
    $('button[name="action_confirm"]', dialog).click();
    await notified(`Rows queued again: ${DATA.bulkCount - 1}.`);
    await waitFor("the bulk rows pending", () =>
        rows().every((row) => text($('td[name="state"]', row)) === "Pending"));
    check(!lastModal(), "the confirmation stayed open");
    console.log("test successful");
})();
"""


@tagged("post_install", "-at_install")
class TestConsoleBrowser(HttpCase):
    def test_retry_all_dead_follows_the_filter_and_the_selection(self):
        operator = new_test_user(
            self.env,
            login="aiflow_filter_operator",
            groups="aiflow_connector.group_aiflow_operator",
        )
        Outbox = self.env["aiflow.outbox"]
        # A console with this test's rows only (rolled back with the test).
        Outbox.search([]).unlink()

        def dead(key):
            return Outbox.create(
                {
                    "endpoint": "department_sync",
                    "mode": "fixed",
                    "record_key": key,
                    "payload": json.dumps({"deptId": key}),
                    "state": "dead",
                    "attempts": 3,
                    "last_error": "aiflow refused this record: 40001 parent unknown",
                }
            )

        one, other = dead("BRW-FILTER-ONE"), dead("BRW-FILTER-OTHER")
        bulk = Outbox
        for number in range(CONFIRM_ABOVE + 2):
            bulk |= dead(f"BRW-BULK-{number:03d}")
        selected = bulk[5]
        data = {
            "keys": {
                "one": one.record_key,
                "other": other.record_key,
                "selected": selected.record_key,
            },
            "bulkPrefix": "BRW-BULK-",
            "bulkCount": len(bulk),
        }
        self.browser_js(
            "/odoo/action-aiflow_connector.aiflow_outbox_action",
            page_code(FILTER_CHECK, data),
            login=operator.login,
            timeout=90,
        )
        self.env.invalidate_all()
        self.assertEqual(one.state, "pending")
        self.assertEqual(other.state, "dead")
        self.assertEqual(set(bulk.mapped("state")), {"pending"})
