# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The delivery engine behind ``aiflow.outbox`` (models/aiflow_outbox.py).

``states``    the row states, declared once;
``queries``   every SQL statement on the outbox table;
``sources``   the kinds of calls and where their payloads come from;
``delivery``  one run of the worker over what is due;
``claims``    a claimed row and its outcome: claim, settle, release, retry delay;
``group``     claimed rows of one source: payloads, order, batches, outcomes;
``settler``   outcomes recorded on a thread and a connection of their own;
``prefetch``  the next claim, taken and built beside the sending;
``answers``   what becomes of each record of a call, in its row's words;
``resync``    a full resync: records sent straight, one row each, written once;
``resync_reads``     what a resync sends of a source, the next one read ahead;
``resync_payloads``  a resync's payloads, built in sending order a batch at a time;
``wakeup``    the cron trigger and the NOTIFY that wakes the cron workers.
"""
