# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The delivery engine behind ``aiflow.outbox`` (models/aiflow_outbox.py).

``states``    the row states, declared once;
``queries``   every SQL statement on the outbox table;
``sources``   the kinds of calls and where their payloads come from;
``delivery``  one run of the worker over what is due;
``claims``    a claimed row and its outcome: claim, settle, release, retry delay;
``group``     claimed rows of one source: payloads, order, batches, outcomes;
``wakeup``    the cron trigger and the NOTIFY that wakes the cron workers.
"""
