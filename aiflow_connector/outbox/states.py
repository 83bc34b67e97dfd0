# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The states of an outbox row, and the sets of them the code asks about."""

PENDING = "pending"
SENDING = "sending"
DONE = "done"
RETRYING = "retrying"
DEAD = "dead"
CANCELLED = "cancelled"

STATES = (
    (PENDING, "Pending"),
    (SENDING, "Sending"),
    (DONE, "Done"),
    (RETRYING, "Retrying"),
    (DEAD, "Dead"),
    (CANCELLED, "Cancelled"),
)

# A worker may claim these once they are due.
DUE = (PENDING, RETRYING)
# Not delivered and not being sent: a new change joins such a row.
WAITING = (PENDING, RETRYING, DEAD)
# aiflow does not have this yet: what depends on it waits.
OPEN = (PENDING, RETRYING, SENDING, DEAD)
# Still moving: a full resync with such rows is running.
RUNNING = (PENDING, RETRYING, SENDING)
# aiflow has, or may have, received the payload.
REACHED = (DONE, SENDING)
# Over: the vacuum removes them after a while.
FINISHED = (DONE, CANCELLED)
# The console may queue these again by hand (a row being sent waits for its outcome).
REQUEUABLE = (PENDING, RETRYING, DEAD)
# Queued and not failed: on their way to aiflow.
ON_THE_WAY = (PENDING, SENDING)
# Not delivered, and still being tried without a person (dead rows wait for one).
UNDELIVERED = (PENDING, SENDING, RETRYING)
# The last attempt failed.
FAILED = (RETRYING, DEAD)
