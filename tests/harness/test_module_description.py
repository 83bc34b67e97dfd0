"""What the module says it does stays true.

The Apps card (the manifest's summary), the module page
(static/description/index.html), the addon's readme and README.rst, and the
repository README once promised features this version did not have, and
later said the task center was not sent to aiflow when it was. Now: every
mention of engine mode or signed webhooks says they are not there yet (but
the heading of engine flows, which are: their section says what is not); the
task center (approvals in Odoo, to-dos in aiflow) is described as working,
and nothing says it is not sent; and the module page's banner is an image
made for it, not the 128 px icon stretched.
"""

import ast
import re
import struct
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ADDON = ROOT / "aiflow_connector"
# engine mode and its webhooks, in English and Chinese
ENGINE = re.compile(r"webhook|engine mode|引擎模式", re.I)
SAYS_NOT_YET = re.compile(r"\bnot\b.*\byet\b|尚未|come (later|next)", re.I | re.S)
# engine mode's first half is here: flows defined in aiflow from Odoo
ENGINE_FLOWS = re.compile(r"^#+ Engine mode: flows defined in aiflow$", re.I | re.M)
# what this version does have: approvals in Odoo as to-dos in aiflow
TASK_CENTER = re.compile(r"task center|任务中心", re.I)
DELIVERED = re.compile(r"sent|发送", re.I)
# what the docs said before the task center was delivered
STALE = re.compile(
    r"not sent to aiflow|尚未发送|approvals? (in aiflow's task center )?\(?(starting|sending)", re.I
)
DOCUMENTS = [
    "aiflow_connector/readme/DESCRIPTION.md",
    "aiflow_connector/README.rst",
    "aiflow_connector/static/description/index.html",
    "README.md",
]


def manifest():
    return ast.literal_eval((ADDON / "__manifest__.py").read_text(encoding="utf-8"))


def blocks(path):
    """Paragraphs and list items (nested ones too) of a document, as plain text; code (paths,
    endpoints such as the sandbox's /sandbox/push/approval_log) left out."""
    text = re.sub(r"`[^`\n]*`", "", path.read_text(encoding="utf-8"))
    if path.suffix == ".html":
        parts = re.split(r"<(?:p|li|h\d)\b[^>]*>", text)
        return [re.sub(r"<[^>]+>", " ", part) for part in parts]
    return re.split(r"\n\s*\n|\n(?=\s*- )", text)


def test_apps_card_names_what_this_version_does():
    summary = manifest()["summary"]
    for feature in (
        "Departments",
        "employees",
        "outbox",
        "single sign-on",
        "task center",
        "engine-mode flows",
        "webhooks",
    ):
        assert feature in summary


@pytest.mark.parametrize("document", DOCUMENTS)
def test_engine_mode_and_webhooks_are_described_as_working(document):
    mentions = [block for block in blocks(ROOT / document) if ENGINE.search(block)]
    said = " ".join(mentions).lower()
    assert "engine mode" in said or "引擎模式" in said, f"{document} never mentions engine mode"
    assert "webhook" in said, f"{document} never mentions the webhooks"
    for block in mentions:
        # the first version said both were still to come
        assert not SAYS_NOT_YET.search(block), f"{document} still says: {block.strip()[:300]}"


@pytest.mark.parametrize("document", DOCUMENTS)
def test_the_task_center_is_described_as_working(document):
    text_blocks = blocks(ROOT / document)
    described = [
        block
        for block in text_blocks
        if TASK_CENTER.search(block) and DELIVERED.search(block) and not SAYS_NOT_YET.search(block)
    ]
    assert described, f"{document} does not say that approvals reach aiflow's task center"
    stale = [block for block in text_blocks if STALE.search(block)]
    assert not stale, f"{document} still says the task center is not there: {stale[0][:300]}"


def test_readme_rst_carries_the_description_fragment():
    fragment = (ADDON / "readme/DESCRIPTION.md").read_text(encoding="utf-8")
    as_rst = re.sub(r"(?<!`)`([^`]+)`(?!`)", r"``\1``", fragment)
    rst = (ADDON / "README.rst").read_text(encoding="utf-8")
    assert " ".join(as_rst.split()) in " ".join(rst.split())


def png_size(path):
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    return struct.unpack(">II", header[16:24])


def test_module_page_banner_is_made_for_its_size_not_the_icon_stretched():
    page = (ADDON / "static/description/index.html").read_text(encoding="utf-8")
    images = re.findall(r"<img\b[^>]*>", page)
    assert images, "the module page shows no banner"
    assert not any('src="icon.png"' in image for image in images), "the icon is not a banner"
    (banner,) = [image for image in images if 'src="banner.png"' in image]
    shown = tuple(
        int(re.search(rf'{name}="(\d+)"', banner).group(1)) for name in ("width", "height")
    )
    width, height = png_size(ADDON / "static/description/banner.png")
    # drawn at twice the size it is shown (sharp on dense screens), same
    # proportions: only ever scaled down, never stretched
    assert (width, height) == (shown[0] * 2, shown[1] * 2)
    assert "height: auto" in banner
