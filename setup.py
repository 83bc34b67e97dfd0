"""pip-installable addons: ``pip install .`` provides ``odoo.addons.aiflow_connector``
and its tier-validation bridge ``odoo.addons.aiflow_connector_tier_validation``.

Name, version and dependencies come from the main addon's manifest so they never
drift. The bridge's OCA dependencies (requirements-oca.txt) are not required here:
their wheels ask for an ``odoo`` distribution no registry has, so they are
installed with ``pip install --no-deps -r requirements-oca.txt``; without them
the bridge is simply not installable in Odoo, and the main addon works alone.
"""

import ast
from pathlib import Path

from setuptools import setup

ADDON = "aiflow_connector"
ADDONS = (ADDON, "aiflow_connector_tier_validation")
HERE = Path(__file__).resolve().parent
MANIFEST = ast.literal_eval((HERE / ADDON / "__manifest__.py").read_text(encoding="utf-8"))
ODOO_SERIES = ".".join(MANIFEST["version"].split(".")[:2])


def addon_packages():
    """Every Python package of the addons, mapped under odoo.addons."""
    packages = []
    for addon in ADDONS:
        for init in sorted((HERE / addon).rglob("__init__.py")):
            relative = init.parent.relative_to(HERE / addon)
            parts = [] if str(relative) == "." else list(relative.parts)
            packages.append(".".join(["odoo", "addons", addon, *parts]))
    return packages


setup(
    name=f"odoo-addon-{ADDON}",
    version=MANIFEST["version"],
    description=MANIFEST["summary"],
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    # the bridge is AGPL-3 (it extends OCA's AGPL addons)
    license=f"{MANIFEST['license']} (aiflow_connector), AGPL-3 (aiflow_connector_tier_validation)",
    author=MANIFEST["author"],
    url=MANIFEST["website"],
    python_requires=">=3.10",
    # Odoo itself is not required here: it is usually a source tree, not a
    # pip-installed distribution.
    install_requires=MANIFEST["external_dependencies"]["python"],
    package_dir={f"odoo.addons.{addon}": addon for addon in ADDONS},
    packages=addon_packages(),
    include_package_data=True,
    package_data={f"odoo.addons.{addon}": ["**/*"] for addon in ADDONS},
    classifiers=[
        "Programming Language :: Python :: 3",
        "Framework :: Odoo",
        f"Framework :: Odoo :: {ODOO_SERIES}",
        "License :: OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)",
        "License :: OSI Approved :: GNU Affero General Public License v3",
    ],
)
