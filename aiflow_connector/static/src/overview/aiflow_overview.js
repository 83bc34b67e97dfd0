/** @odoo-module **/
// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
// The aiflow Overview: the connection and the sync queue at a glance. The
// figures come from aiflow.overview (Python); each one opens the rows it
// counts; a chart's title opens Odoo's graph and pivot views of the queue.
import { Component, onWillStart, useState } from "@odoo/owl";
import { deserializeDateTime, formatDateTime } from "@web/core/l10n/dates";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { Layout } from "@web/search/layout";

export class AiflowOverview extends Component {
    static template = "aiflow_connector.Overview";
    static components = { Layout };
    static props = ["*"];

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.state = useState({ data: null, loads: 0 });
        onWillStart(() => this.load());
    }

    async load() {
        const data = await this.orm.call("aiflow.overview", "get_overview", []);
        this.state.times = {
            success: this.when(data.last_success),
            failure: this.when(data.last_error && data.last_error.at),
            oldest: this.when(data.oldest && data.oldest.created),
        };
        this.state.data = data;
        this.state.loads++;
    }

    /** "2026-12-04 09:15" in the user's timezone, and "3 hours ago". */
    when(value) {
        if (!value) {
            return null;
        }
        const moment = deserializeDateTime(value);
        return { at: formatDateTime(moment), ago: moment.toRelative() };
    }

    /**
     * The bars of a chart: heights relative to its busiest slot, a label
     * under every ``every``-th one (counted from the current slot).
     */
    bars(slots, unit, every) {
        const highest = Math.max(1, ...slots.map((slot) => slot.delivered + slot.failed));
        const format = unit === "hour" ? "HH:mm" : "MM-dd";
        return slots.map((slot, index) => {
            const start = deserializeDateTime(slot.start, { tz: "utc" });
            const name = unit === "hour" ? start.toFormat("MM-dd HH:mm") : start.toFormat("yyyy-MM-dd");
            return {
                ...slot,
                label: start.toFormat(format),
                name,
                named: (slots.length - 1 - index) % every === 0,
                deliveredHeight: (100 * slot.delivered) / highest,
                failedHeight: (100 * slot.failed) / highest,
                title: _t("%(when)s: %(delivered)s delivered, %(failed)s not delivered", {
                    when: name,
                    delivered: slot.delivered,
                    failed: slot.failed,
                }),
            };
        });
    }

    get charts() {
        const { hourly, daily } = this.state.data;
        return [
            {
                key: "sent_48h",
                title: _t("Rows sent per hour, last 48 hours"),
                bars: this.bars(hourly, "hour", 6),
            },
            {
                key: "sent_14d",
                title: _t("Rows sent per day, last 14 days"),
                bars: this.bars(daily, "day", 2),
            },
        ];
    }

    async openSlot(bar) {
        await this.action.doAction({
            type: "ir.actions.act_window",
            name: _t("Rows sent: %(when)s", { when: bar.name }),
            res_model: "aiflow.outbox",
            domain: bar.domain,
            views: [
                [false, "list"],
                [false, "form"],
            ],
        });
    }

    async openFigure(key) {
        const action = await this.orm.call("aiflow.overview", "action_open_figure", [key]);
        await this.action.doAction(action);
    }

    async openRow(id) {
        await this.action.doAction({
            type: "ir.actions.act_window",
            res_model: "aiflow.outbox",
            res_id: id,
            views: [[false, "form"]],
        });
    }

    async openSettings() {
        await this.action.doAction("aiflow_connector.res_config_settings_action");
    }
}

registry.category("actions").add("aiflow_overview", AiflowOverview);
