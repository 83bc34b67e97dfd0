"""The aiflow base URL: checked strictly and normalised, in one place.

The base URL is the root every endpoint path (``/aflow/api/...``) is appended
to: ``http`` or ``https``, a host, an optional port and an optional path
prefix (a gateway in front of aiflow, e.g. ``https://gw.example.com/aiflow``).
Nothing else: no user name or password, no query, no fragment.

:func:`check_base_url` returns a :class:`BaseUrlCheck`: the clean URL, or a
``PROBLEM_*`` code with details (plain values) from which the Odoo layer
writes a message in the admin's language.  An aiflow endpoint pasted whole
(``https://x.example.com/aflow/api/sys/sync/department``) is cut back to its
root and the removed part is reported, so the caller can say so.

Typical typing mistakes are named rather than guessed at: a full-width
``。`` or ``：`` from a Chinese input method (IDNA would silently read ``。``
as a dot, the admin would never see it), a space in the host.  Hosts are
checked as IDNA 2008 names (``https://流程.example.cn`` is fine), IPv4 and
bracketed IPv6 addresses and single labels such as ``localhost`` too.
"""

import ipaddress
import re
import unicodedata
from dataclasses import dataclass, field

import idna

PROBLEM_EMPTY = "empty"
PROBLEM_FULL_WIDTH = "full_width"  # char, codepoint, position, ascii
PROBLEM_SPACE = "space"  # position
PROBLEM_CONTROL = "control"  # codepoint, position
PROBLEM_SCHEME_MISSING = "scheme_missing"  # suggestion
PROBLEM_SCHEME = "scheme"  # start
PROBLEM_USERINFO = "userinfo"
PROBLEM_HOST_MISSING = "host_missing"
PROBLEM_HOST = "host"  # host, label
PROBLEM_PORT = "port"  # port
PROBLEM_QUERY = "query"  # query
PROBLEM_FRAGMENT = "fragment"  # fragment
PROBLEM_PATH = "path"  # path, segment

# Where aiflow's own paths start (spec: every endpoint is under /aflow/api/).
AIFLOW_PATH_SEGMENT = "aflow"

MAX_HOST_LENGTH = 253
MAX_LABEL_LENGTH = 63
MAX_PORT = 65535

# Characters typed with a Chinese (or Japanese) input method that look like
# URL punctuation: CJK symbols (。、「 and the ideographic space), the
# full-width and half-width forms (：／．，｡ and full-width letters), and
# the vertical and small forms.
_FULL_WIDTH_RANGES = (
    (0x3000, 0x303F),
    (0xFE10, 0xFE1F),
    (0xFE30, 0xFE6F),
    (0xFF00, 0xFFEF),
)
# What to type instead, for those NFKC does not map to ASCII.
_ASCII_FOR = {"\u3002": ".", "\uff61": ".", "\u3001": ",", "\uff64": ","}

_ASCII_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?\Z")
_IPV4_LIKE = re.compile(r"[0-9.]+\Z")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):/{0,2}")
# RFC 3986 pchar, without the percent sign (checked separately).
_PATH_CHAR = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=:@]")
_PERCENT_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")


@dataclass(frozen=True)
class BaseUrlCheck:
    """Outcome of :func:`check_base_url`.

    ``url``: the clean URL (scheme and host lower case, no trailing slash,
    an aiflow endpoint path removed), or None when there is a problem.
    ``problem`` / ``details``: what is wrong, for a message.
    ``removed_path``: the aiflow endpoint path cut off, else ``""``.
    """

    url: str | None
    problem: str | None = None
    details: dict = field(default_factory=dict)
    removed_path: str = ""

    @property
    def ok(self):
        return self.problem is None


def _problem(code, **details):
    return BaseUrlCheck(url=None, problem=code, details=details)


def is_full_width(char):
    code = ord(char)
    return any(low <= code <= high for low, high in _FULL_WIDTH_RANGES)


def ascii_for(char):
    """The ASCII character a full-width one stands for, or ``""``."""
    if char in _ASCII_FOR:
        return _ASCII_FOR[char]
    folded = unicodedata.normalize("NFKC", char)
    return folded if folded.isascii() and folded.isprintable() else ""


def _character_problem(text):
    for index, char in enumerate(text):
        if is_full_width(char):
            return _problem(
                PROBLEM_FULL_WIDTH,
                char=char,
                codepoint=f"U+{ord(char):04X}",
                position=index + 1,
                ascii=ascii_for(char),
            )
        if char.isspace():
            return _problem(PROBLEM_SPACE, position=index + 1)
        if not char.isprintable():
            return _problem(PROBLEM_CONTROL, codepoint=f"U+{ord(char):04X}", position=index + 1)
    return None


def _split_scheme(text):
    """``(scheme, rest)`` or a problem."""
    match = _SCHEME.match(text)
    if match and text[match.end(1) :].startswith("://"):
        scheme = match.group(1).lower()
        if scheme in ("http", "https"):
            return scheme, text[match.end() :]
        return _problem(PROBLEM_SCHEME, start=match.group(0))
    # "aiflow.example.com:8090" reads like a scheme "aiflow.example.com"
    # followed by a port: a host is what it is, the scheme is what is missing.
    if match and "." not in match.group(1) and not text[match.end(1) + 1 :][:1].isdigit():
        return _problem(PROBLEM_SCHEME, start=match.group(0))
    return _problem(PROBLEM_SCHEME_MISSING, suggestion="https://" + text.lstrip("/"))


def _host_problem(host):
    """None when ``host`` (lower case, no brackets, no port) is a valid host."""
    if not host:
        return _problem(PROBLEM_HOST_MISSING)
    if _IPV4_LIKE.match(host):
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            return _problem(PROBLEM_HOST, host=host, label=host)
        return None
    ascii_length = 0
    for label in host.split("."):
        if label.isascii():
            valid = bool(_ASCII_LABEL.match(label)) and len(label) <= MAX_LABEL_LENGTH
            if valid and label.startswith("xn--"):
                valid = _is_a_label(label)
            ascii_length += len(label) + 1
        else:
            try:
                encoded = idna.encode(label)
            except (idna.IDNAError, UnicodeError):
                valid = False
            else:
                valid = len(encoded) <= MAX_LABEL_LENGTH
                ascii_length += len(encoded) + 1
        if not valid:
            return _problem(PROBLEM_HOST, host=host, label=label)
    if ascii_length - 1 > MAX_HOST_LENGTH:
        return _problem(PROBLEM_HOST, host=host, label="")
    return None


def _is_a_label(label):
    try:
        idna.decode(label)
    except (idna.IDNAError, UnicodeError):
        return False
    return True


def _split_authority(authority):
    """``(host, port)`` (host lower case, IPv6 in brackets) or a problem."""
    if "@" in authority:
        return _problem(PROBLEM_USERINFO)
    if authority.startswith("["):
        end = authority.find("]")
        if end < 0:
            return _problem(PROBLEM_HOST, host=authority, label=authority)
        inside, after = authority[1:end], authority[end + 1 :]
        try:
            ipaddress.IPv6Address(inside)
        except ValueError:
            return _problem(PROBLEM_HOST, host=authority, label=inside)
        if after and not after.startswith(":"):
            return _problem(PROBLEM_HOST, host=authority, label=after)
        return f"[{inside.lower()}]", after[1:] if after else None
    if authority.count(":") > 1:
        # an IPv6 address must be written in brackets
        return _problem(PROBLEM_HOST, host=authority, label=authority)
    host, colon, port = authority.partition(":")
    host = host.lower()
    problem = _host_problem(host)
    if problem:
        return problem
    return host, port if colon else None


def _port_problem(port):
    if port is None:
        return None
    if not port.isdigit() or not port.isascii() or not 0 < int(port) <= MAX_PORT:
        return _problem(PROBLEM_PORT, port=port)
    return None


def _split_path(path):
    """``(prefix, removed_path)`` or a problem."""
    segments = path.strip("/").split("/") if path.strip("/") else []
    removed = ""
    lowered = [segment.lower() for segment in segments]
    if AIFLOW_PATH_SEGMENT in lowered:
        cut = lowered.index(AIFLOW_PATH_SEGMENT)
        removed = "/" + "/".join(segments[cut:])
        segments = segments[:cut]
    for segment in segments:
        bad = not segment or segment in (".", "..")
        rest = _PERCENT_ESCAPE.sub("", segment)
        if bad or not all(_PATH_CHAR.match(char) for char in rest):
            return _problem(PROBLEM_PATH, path=path, segment=segment)
    prefix = "/" + "/".join(segments) if segments else ""
    return prefix, removed


def check_base_url(text):
    """Check and normalise an aiflow base URL typed by an administrator."""
    text = (text or "").strip()
    if not text:
        return _problem(PROBLEM_EMPTY)
    problem = _character_problem(text)
    if problem:
        return problem
    split = _split_scheme(text)
    if isinstance(split, BaseUrlCheck):
        return split
    scheme, rest = split
    if "#" in rest:
        return _problem(PROBLEM_FRAGMENT, fragment=rest.split("#", 1)[1])
    if "?" in rest:
        return _problem(PROBLEM_QUERY, query=rest.split("?", 1)[1])
    authority, slash, path = rest.partition("/")
    if not authority:
        return _problem(PROBLEM_HOST_MISSING)
    split = _split_authority(authority)
    if isinstance(split, BaseUrlCheck):
        return split
    host, port = split
    problem = _port_problem(port)
    if problem:
        return problem
    split = _split_path(slash + path)
    if isinstance(split, BaseUrlCheck):
        return split
    prefix, removed = split
    netloc = f"{host}:{port}" if port else host
    return BaseUrlCheck(url=f"{scheme}://{netloc}{prefix}", removed_path=removed)


def describe(check):
    """The problem of ``check`` in English, for logs and exceptions (the Odoo
    layer writes its own message in the admin's language)."""
    details = check.details
    texts = {
        PROBLEM_EMPTY: "no URL given",
        PROBLEM_FULL_WIDTH: "full-width character {char!r} ({codepoint}) at position {position}",
        PROBLEM_SPACE: "a space at position {position}",
        PROBLEM_CONTROL: "control character {codepoint} at position {position}",
        PROBLEM_SCHEME_MISSING: "no http:// or https:// at the start",
        PROBLEM_SCHEME: "it starts with {start!r}, not http:// or https://",
        PROBLEM_USERINFO: "a user name or password in the URL",
        PROBLEM_HOST_MISSING: "no host",
        PROBLEM_HOST: "{host!r} is not a valid host name",
        PROBLEM_PORT: "port {port!r} is not a number from 1 to 65535",
        PROBLEM_QUERY: "a query (?{query})",
        PROBLEM_FRAGMENT: "a fragment (#{fragment})",
        PROBLEM_PATH: "path {path!r} is not a valid prefix",
    }
    return texts[check.problem].format(**details) if check.problem else ""
