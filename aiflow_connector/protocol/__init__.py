"""The aiflow protocol in plain Python: nothing here imports Odoo.

signing    A-Signature computation and verification (built-in rule or vendor SDK)
errors     the outcome kinds every caller reacts to
schema     payload rules of each aiflow endpoint (spec part 1)
wire_time  yyyy-MM-dd HH:mm:ss in the configured timezone
task_center third-party flows, order snapshots and approval logs (spec §4, §5.3)
client     one method per aiflow endpoint
hierarchy  parents-before-children ordering
"""
