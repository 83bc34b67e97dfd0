"""pip-installable addon: ``pip install .`` provides ``odoo.addons.aiflow_connector``.

Name, version and dependencies come from the manifest so they never drift.
"""

import ast
from pathlib import Path

from setuptools import setup

ADDON = "aiflow_connector"
HERE = Path(__file__).resolve().parent
MANIFEST = ast.literal_eval((HERE / ADDON / "__manifest__.py").read_text(encoding="utf-8"))
ODOO_SERIES = ".".join(MANIFEST["version"].split(".")[:2])


def addon_packages():
    """Every Python package of the addon, mapped under odoo.addons."""
    packages = []
    for init in sorted((HERE / ADDON).rglob("__init__.py")):
        relative = init.parent.relative_to(HERE / ADDON)
        parts = [] if str(relative) == "." else list(relative.parts)
        packages.append(".".join(["odoo", "addons", ADDON, *parts]))
    return packages


setup(
    name=f"odoo-addon-{ADDON}",
    version=MANIFEST["version"],
    description=MANIFEST["summary"],
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license=MANIFEST["license"],
    author=MANIFEST["author"],
    url=MANIFEST["website"],
    python_requires=">=3.10",
    # Odoo itself is not required here: it is usually a source tree, not a
    # pip-installed distribution.
    install_requires=MANIFEST["external_dependencies"]["python"],
    package_dir={f"odoo.addons.{ADDON}": ADDON},
    packages=addon_packages(),
    include_package_data=True,
    package_data={f"odoo.addons.{ADDON}": ["**/*"]},
    classifiers=[
        "Programming Language :: Python :: 3",
        "Framework :: Odoo",
        f"Framework :: Odoo :: {ODOO_SERIES}",
        "License :: OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)",
    ],
)
