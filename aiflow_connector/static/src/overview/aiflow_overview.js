/** @odoo-module **/
// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
// The aiflow Overview: the connection and the sync queue at a glance. The
// figures come from aiflow.overview (Python); each one opens the rows it
// counts, and the graphs are Odoo's own graph view on the queue.
import { Component, onWillStart, useState } from "@odoo/owl";
import { deserializeDateTime, formatDateTime } from "@web/core/l10n/dates";
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
        this.state.data = await this.orm.call("aiflow.overview", "get_overview", []);
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

    graphProps(key, interval) {
        return {
            resModel: "aiflow.outbox",
            type: "graph",
            domain: this.state.data.graphs[key],
            groupBy: [`sent_at:${interval}`, "state"],
            display: { controlPanel: false },
            useSampleModel: false,
        };
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
