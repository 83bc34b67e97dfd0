/** @odoo-module **/
// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
// The aiflow sync state of a department or employee (its smart button):
// while the record is queued or being sent, the form re-reads it a few times,
// so the button moves on to Synced (or Failed) once the worker has answered.
import { onMounted, onPatched, onWillUnmount } from "@odoo/owl";
import { registry } from "@web/core/registry";
import { SelectionField, selectionField } from "@web/views/fields/selection/selection_field";

const IN_FLIGHT = ["pending", "sending"];
// Seconds between reads: soon after the save, then less often; then it stops
// (sync may be off, and the row then waits for a person).
const DELAYS = [1, 1, 2, 2, 3, 5, 8, 13, 20];

export class AiflowSyncStateField extends SelectionField {
    setup() {
        super.setup();
        let timer = null;
        let step = 0;
        const watch = () => {
            const { record, name } = this.props;
            if (timer || !IN_FLIGHT.includes(record.data[name]) || step >= DELAYS.length) {
                return;
            }
            timer = setTimeout(async () => {
                timer = null;
                step++;
                if (!record.dirty && !record.isNew) {
                    await record.load();
                }
                watch();
            }, DELAYS[step] * 1000);
        };
        onMounted(watch);
        onPatched(() => {
            if (!IN_FLIGHT.includes(this.props.record.data[this.props.name])) {
                step = 0; // a later save starts the watch again
            }
            watch();
        });
        onWillUnmount(() => clearTimeout(timer));
    }
}

registry.category("fields").add("aiflow_sync_state", {
    ...selectionField,
    component: AiflowSyncStateField,
});
