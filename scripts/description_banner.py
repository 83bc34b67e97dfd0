"""Draw the banner of the module's description page.

    python scripts/description_banner.py   (the virtualenv's Python: Pillow
                                            comes with Odoo's requirements)

Writes aiflow_connector/static/description/banner.png at twice the size the
page shows it (960 x 240), so it stays sharp on high-density screens and is
only ever scaled down. No text in the image: the page's HTML says it, in
English and Chinese. The picture is what the connector does: the Odoo
organization (a tree of departments) goes through a queue to aiflow, which
accepts it (the check of the app icon); SSO comes back the other way.
"""

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parents[1] / "aiflow_connector/static/description/banner.png"
SCALE = 2
WIDTH, HEIGHT = 960 * SCALE, 240 * SCALE
BLUE = (22, 110, 160)
DARK_BLUE = (14, 78, 116)
WHITE = (255, 255, 255)
PALE = (170, 206, 228)
YELLOW = (255, 196, 61)
# drawn four times larger still, then reduced: smooth edges without
# antialiasing support in ImageDraw
SS = 4


def s(value):
    return round(value * SCALE * SS)


def background():
    image = Image.new("RGB", (WIDTH * SS, HEIGHT * SS), BLUE)
    draw = ImageDraw.Draw(image)
    # a vertical gradient, darker at the bottom
    for y in range(0, HEIGHT * SS, SS):
        t = y / (HEIGHT * SS)
        colour = tuple(int(b + (d - b) * t) for b, d in zip(BLUE, DARK_BLUE, strict=True))
        draw.rectangle([0, y, WIDTH * SS, y + SS], fill=colour)
    return image, draw


def node(draw, x, y, radius, fill=WHITE):
    draw.ellipse([s(x - radius), s(y - radius), s(x + radius), s(y + radius)], fill=fill)


def line(draw, points, width, fill=WHITE):
    draw.line([(s(x), s(y)) for x, y in points], fill=fill, width=s(width), joint="curve")


def arrow(draw, x1, x2, y, fill):
    head = -1 if x2 < x1 else 1
    line(draw, [(x1, y), (x2 - 10 * head, y)], 4, fill)
    draw.polygon(
        [(s(x2), s(y)), (s(x2 - 14 * head), s(y - 9)), (s(x2 - 14 * head), s(y + 9))], fill=fill
    )


def organization(draw):
    """Departments: a root, two children, four grandchildren."""
    root, children = (150, 60), [(90, 120), (210, 120)]
    leaves = [(60, 180), (120, 180), (180, 180), (240, 180)]
    for child in children:
        line(draw, [root, child], 5)
    for index, leaf in enumerate(leaves):
        line(draw, [children[index // 2], leaf], 4)
    node(draw, *root, 18)
    for point in children:
        node(draw, *point, 14)
    for point in leaves:
        node(draw, *point, 11)


def queue(draw):
    """The outbox: rows waiting in order, sent left to right."""
    for index in range(5):
        x = 390 + index * 42
        fill = WHITE if index < 3 else PALE
        draw.rounded_rectangle([s(x), s(96), s(x + 30), s(126)], radius=s(6), fill=fill)
    arrow(draw, 290, 375, 111, WHITE)
    arrow(draw, 610, 700, 111, WHITE)
    # single sign-on: people come back from aiflow to log in with Odoo
    arrow(draw, 700, 290, 196, PALE)


def accepted(draw):
    """aiflow accepts: the yellow check of the app icon."""
    x, y, radius = 800, 111, 62
    node(draw, x, y, radius, YELLOW)
    line(draw, [(x - 28, y + 2), (x - 8, y + 22), (x + 30, y - 20)], 12, BLUE)


def main():
    image, draw = background()
    organization(draw)
    queue(draw)
    accepted(draw)
    image = image.resize((WIDTH, HEIGHT), Image.Resampling.LANCZOS)
    image.save(OUT, optimize=True)
    print(f"{OUT} ({WIDTH} x {HEIGHT})")


if __name__ == "__main__":
    main()
