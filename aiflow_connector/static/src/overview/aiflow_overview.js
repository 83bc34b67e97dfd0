/** @odoo-module **/
// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
// The aiflow Overview: the connection and the sync queue at a glance. The
// figures come from aiflow.overview (Python); each one opens the rows it
// counts, and the graphs are Odoo's own graph view on the queue.
import { Component, onWillStart, useState } from "@odoo/owl";
import { deserializeDateTime, formatDateTime } from "@web/core/l10n/dates";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { Layout } from "@web/search/layout";
import { View } from "@web/views/view";

export class AiflowOverview extends Component {
    static template = "aiflow_connector.Overview";
    static components = { Layout, View };
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

    /** Odoo's graph view of the last days, by outcome. */
    get dailyGraphProps() {
        return {
            resModel: "aiflow.outbox",
            type: "graph",
            domain: this.state.data.daily_domain,
            groupBy: ["sent_at:day", "state"],
            display: { controlPanel: false },
            useSampleModel: false,
        };
    }

    /** The hourly bars: heights relative to the busiest hour. */
    get hourlyBars() {
        const hours = this.state.data.hourly;
        const highest = Math.max(1, ...hours.map((hour) => hour.delivered + hour.failed));
        return hours.map((hour, index) => {
            const start = deserializeDateTime(hour.hour, { tz: "utc" });
            return {
                ...hour,
                index,
                label: start.toFormat("HH:mm"),
                day: start.toFormat("MM-dd"),
                // Every sixth hour is named under the axis.
                named: (hours.length - 1 - index) % 6 === 0,
                deliveredHeight: (100 * hour.delivered) / highest,
                failedHeight: (100 * hour.failed) / highest,
                title: _t("%(hour)s: %(delivered)s delivered, %(failed)s not delivered", {
                    hour: `${start.toFormat("MM-dd HH:mm")}`,
                    delivered: hour.delivered,
                    failed: hour.failed,
                }),
            };
        });
    }

    async openHour(bar) {
        await this.action.doAction({
            type: "ir.actions.act_window",
            name: _t("Rows sent at %(hour)s", { hour: `${bar.day} ${bar.label}` }),
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
