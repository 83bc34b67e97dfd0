/** @odoo-module **/
// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
// A progress bar that re-reads its record every few seconds while the full
// resync it shows is running, so the admin follows it without reloading.
import { onMounted, onWillUnmount } from "@odoo/owl";
import { registry } from "@web/core/registry";
import {
    ProgressBarField,
    progressBarField,
} from "@web/views/fields/progress_bar/progress_bar_field";

export class AiflowResyncProgressField extends ProgressBarField {
    static props = {
        ...ProgressBarField.props,
        interval: { type: Number, optional: true },
    };

    setup() {
        super.setup();
        let timer = null;
        const schedule = () => {
            if (this.props.record.data.running) {
                timer = setTimeout(poll, this.props.interval || 2000);
            }
        };
        const poll = async () => {
            if (!this.props.record.dirty) {
                await this.props.record.load();
            }
            schedule();
        };
        onMounted(schedule);
        onWillUnmount(() => clearTimeout(timer));
    }
}

registry.category("fields").add("aiflow_resync_progress", {
    ...progressBarField,
    component: AiflowResyncProgressField,
    extractProps: (fieldInfo, dynamicInfo) => ({
        ...progressBarField.extractProps(fieldInfo, dynamicInfo),
        interval: fieldInfo.options.interval || 2000,
    }),
});
