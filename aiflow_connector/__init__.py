# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

# Loaded by Odoo (as odoo.addons.aiflow_connector) it registers its models and
# routes; imported as the plain package `aiflow_connector` (sandbox, protocol
# tests, benchmarks) it stays free of Odoo so `protocol` can be used alone.
if __name__.startswith("odoo.addons."):
    from . import controllers, models
    from . import wizards
    from .hooks import post_init_hook
