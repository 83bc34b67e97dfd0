"""The aiflow base URL check: what an administrator types or pastes, good and
bad, and what is stored."""

import pytest

from aiflow_connector.protocol import base_url as rules
from aiflow_connector.protocol.base_url import check_base_url, describe

GOOD = [
    ("https://aiflow.example.com", "https://aiflow.example.com"),
    ("https://aiflow.example.com/", "https://aiflow.example.com"),
    ("  https://aiflow.example.com//  ", "https://aiflow.example.com"),
    ("HTTPS://AIFLOW.Example.COM", "https://aiflow.example.com"),
    ("http://aiflow.example.com:8080", "http://aiflow.example.com:8080"),
    ("https://gw.example.com/aiflow", "https://gw.example.com/aiflow"),
    ("https://gw.example.com/api/v2/", "https://gw.example.com/api/v2"),
    ("https://gw.example.com/a%20b", "https://gw.example.com/a%20b"),
    ("http://127.0.0.1:8090", "http://127.0.0.1:8090"),
    ("http://10.0.0.7", "http://10.0.0.7"),
    ("http://localhost:8090/", "http://localhost:8090"),
    ("http://localhost", "http://localhost"),
    ("http://[::1]:8090", "http://[::1]:8090"),
    ("http://[2001:DB8::1]", "http://[2001:db8::1]"),
    ("http://aiflow_sandbox:8090", "http://aiflow_sandbox:8090"),  # a compose service
    ("https://流程.example.cn", "https://流程.example.cn"),
    ("https://xn--qzwu6y.example.cn", "https://xn--qzwu6y.example.cn"),
    ("https://a-b.example.com", "https://a-b.example.com"),
]


@pytest.mark.parametrize("typed, clean", GOOD)
def test_good_urls_are_kept_clean(typed, clean):
    check = check_base_url(typed)
    assert check.ok, describe(check)
    assert check.url == clean
    assert check.removed_path == ""
    assert describe(check) == ""


def test_an_idn_host_is_valid_punycode():
    # what requests sends on the wire for it
    import idna

    assert idna.encode("流程.example.cn") == b"xn--qzwu6y.example.cn"
    assert check_base_url("https://流程.example.cn").ok


@pytest.mark.parametrize(
    "typed, clean, removed",
    [
        (
            "https://x.example.com/aflow/api/sys/sync/department",
            "https://x.example.com",
            "/aflow/api/sys/sync/department",
        ),
        (
            "https://x.example.com/gw/aflow/api/sys/sync/user/",
            "https://x.example.com/gw",
            "/aflow/api/sys/sync/user",
        ),
        (
            "https://x.example.com/aflow/api/oauth2/callback",
            "https://x.example.com",
            "/aflow/api/oauth2/callback",
        ),
        ("http://127.0.0.1:8090/aflow", "http://127.0.0.1:8090", "/aflow"),
        ("https://x.example.com/AFLOW/API", "https://x.example.com", "/AFLOW/API"),
    ],
)
def test_a_pasted_endpoint_path_is_cut_off_and_reported(typed, clean, removed):
    check = check_base_url(typed)
    assert check.ok
    assert check.url == clean
    assert check.removed_path == removed


def _problem(typed, code, **details):
    check = check_base_url(typed)
    assert check.url is None
    assert not check.ok
    assert check.problem == code, describe(check)
    for name, value in details.items():
        assert check.details[name] == value, (name, check.details)
    assert describe(check)  # every problem has words
    return check


def test_full_width_full_stop_is_named():
    check = _problem(
        "https://aiflow。example.com",
        rules.PROBLEM_FULL_WIDTH,
        char="。",
        codepoint="U+3002",
        position=15,
        ascii=".",
    )
    assert "U+3002" in describe(check)


@pytest.mark.parametrize(
    "typed, char, ascii_char",
    [
        ("https：//aiflow.example.com", "：", ":"),
        ("https:／／aiflow.example.com", "／", "/"),
        ("https://aiflow．example．com", "．", "."),
        ("https://aiflow｡example.com", "｡", "."),
        ("https://aiflow.example.com：8080", "：", ":"),
        ("https://aiflow.example.com/gw，x", "，", ","),
        ("https://ａｉｆｌｏｗ.example.com", "ａ", "a"),
        ("https://aiflow.example.com:８０８０", "８", "8"),
        ("https://aiflow\u3000example.com", "\u3000", " "),
        ("https://aiflow.example.com、", "、", ","),
    ],
)
def test_other_full_width_punctuation_is_named(typed, char, ascii_char):
    _problem(typed, rules.PROBLEM_FULL_WIDTH, char=char, ascii=ascii_char)


def test_a_full_width_character_without_ascii_twin_is_still_named():
    check = _problem("https://aiflow.example.com/「gw」", rules.PROBLEM_FULL_WIDTH, char="「")
    assert check.details["codepoint"] == "U+300C"


@pytest.mark.parametrize(
    "typed, position",
    [
        ("http://aiflow example.com", 14),
        ("https://aiflow.example.com/g w", 29),
        ("https://aiflow.example.com\t/x", 27),
    ],
)
def test_a_space_inside_is_refused(typed, position):
    _problem(typed, rules.PROBLEM_SPACE, position=position)


def test_an_invisible_character_is_refused():
    _problem("https://aiflow\u200b.example.com", rules.PROBLEM_CONTROL, codepoint="U+200B")


def test_query_and_fragment_are_refused():
    _problem("https://aiflow.example.com?tenant=1", rules.PROBLEM_QUERY, query="tenant=1")
    _problem("https://aiflow.example.com/gw/?", rules.PROBLEM_QUERY, query="")
    _problem("https://aiflow.example.com#top", rules.PROBLEM_FRAGMENT, fragment="top")
    _problem("https://aiflow.example.com/gw#/login", rules.PROBLEM_FRAGMENT)


@pytest.mark.parametrize(
    "typed",
    [
        "https://user:pass@aiflow.example.com",
        "https://user@aiflow.example.com",
        "https://@aiflow.example.com",
    ],
)
def test_user_info_is_refused(typed):
    _problem(typed, rules.PROBLEM_USERINFO)


@pytest.mark.parametrize("port", ["99999", "0", "abc", "", "-1", "80.5"])
def test_a_bad_port_is_refused(port):
    _problem(f"https://aiflow.example.com:{port}", rules.PROBLEM_PORT, port=port)


@pytest.mark.parametrize("typed", ["https://", "http:///aflow/api", "http://:8090", "https:///"])
def test_an_empty_host_is_refused(typed):
    _problem(typed, rules.PROBLEM_HOST_MISSING)


@pytest.mark.parametrize(
    "typed, start",
    [
        ("ftp://aiflow.example.com", "ftp://"),
        ("file:///etc/passwd", "file://"),
        ("javascript:alert(1)", "javascript:"),
        ("mailto:admin@example.com", "mailto:"),
        ("http:/aiflow.example.com", "http:/"),
        ("ws://aiflow.example.com", "ws://"),
    ],
)
def test_a_non_http_scheme_is_refused(typed, start):
    _problem(typed, rules.PROBLEM_SCHEME, start=start)


@pytest.mark.parametrize(
    "typed, suggestion",
    [
        ("aiflow.example.com", "https://aiflow.example.com"),
        ("aiflow.example.com:8090/gw", "https://aiflow.example.com:8090/gw"),
        ("localhost:8090", "https://localhost:8090"),
        ("//aiflow.example.com", "https://aiflow.example.com"),
    ],
)
def test_a_missing_scheme_is_named_with_a_suggestion(typed, suggestion):
    _problem(typed, rules.PROBLEM_SCHEME_MISSING, suggestion=suggestion)


@pytest.mark.parametrize(
    "typed, label",
    [
        ("https://-aiflow.example.com", "-aiflow"),
        ("https://aiflow-.example.com", "aiflow-"),
        ("https://aiflow..example.com", ""),
        ("https://aiflow.example.com.", ""),
        ("https://aiflow!.example.com", "aiflow!"),
        ("https://xn--zz.example.com", "xn--zz"),
        ("https://" + "a" * 64 + ".example.com", "a" * 64),
        ("http://256.1.1.1", "256.1.1.1"),
        ("http://1.2.3", "1.2.3"),
        ("https://流程☃.example.cn", "流程☃"),
    ],
)
def test_an_invalid_host_name_is_refused(typed, label):
    _problem(typed, rules.PROBLEM_HOST, label=label)


def test_a_too_long_host_is_refused():
    host = ".".join(["a" * 60] * 5)  # 304 characters
    _problem(f"https://{host}", rules.PROBLEM_HOST)


@pytest.mark.parametrize(
    "typed",
    ["http://[::1", "http://[not-v6]:80", "http://::1:8090", "http://[::1]x"],
)
def test_a_malformed_ipv6_address_is_refused(typed):
    _problem(typed, rules.PROBLEM_HOST)


@pytest.mark.parametrize(
    "typed, segment",
    [
        ("https://aiflow.example.com/gw//x", ""),
        ("https://aiflow.example.com/../etc", ".."),
        ("https://aiflow.example.com/./gw", "."),
        ("https://aiflow.example.com/网关", "网关"),
        ("https://aiflow.example.com/g%zz", "g%zz"),
        ("https://aiflow.example.com/a\\b", "a\\b"),
    ],
)
def test_a_bad_path_prefix_is_refused(typed, segment):
    _problem(typed, rules.PROBLEM_PATH, segment=segment)


@pytest.mark.parametrize("typed", ["", "   ", None])
def test_nothing_typed_is_empty(typed):
    _problem(typed, rules.PROBLEM_EMPTY)


def test_full_width_is_found_before_anything_else():
    # the real mistake is named, not a consequence of it
    _problem("aiflow。example.com?x", rules.PROBLEM_FULL_WIDTH)
