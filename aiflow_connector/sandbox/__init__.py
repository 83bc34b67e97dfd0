# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A strict stand-in for the aiflow process center (plain Python, no Odoo).

Start it with ``python -m aiflow_connector.sandbox --help`` or in Python with
``SandboxServer`` (see ``server``). It serves every aiflow API of spec part 1,
plays aiflow's OAuth2 client against Odoo, pushes signed events to Odoo, and
can be told to fail or go down.
"""
