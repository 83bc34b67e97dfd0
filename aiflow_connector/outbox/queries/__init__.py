# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Every SQL statement on the ``aiflow_outbox`` table, each under a name,
grouped by who asks (``queries.<name>`` reaches them all).

The worker handles rows as plain values and records outcomes with one
statement per batch: a full resync moves tens of thousands of rows, and
per-row ORM writes would cost more than the HTTP calls themselves.
"""

from .indexes import analyze, create_indexes
from .enqueue import insert_missing_rows, join_waiting_rows, lock_waiting_live_rows
from .reads import (
    delivered_condition,
    keys_reached,
    last_delivered_bodies,
    last_delivery_times,
    latest_calls,
    latest_rows,
    records_with_rows,
)
from .resync import (
    adopt_waiting_rows,
    insert_outcomes,
    resync_counts,
    resync_held_back,
    resync_rows,
    resync_running,
)
from .worker import (
    CLAIMED_COLUMNS,
    CLAIM_LOCK_KEY,
    claim,
    lock_claims,
    next_retry_at,
    open_keys,
    release,
    release_lapsed_claims,
    renew_claims,
    settle,
    vacuum,
)
from .maintenance import delete_rows, select, set_date, state_counts
