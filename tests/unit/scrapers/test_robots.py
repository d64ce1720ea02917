"""robots.txt read by RFC 9309: longest match, Allow on a tie, ``*`` and ``$``, the group for our product token."""

from __future__ import annotations

import pytest

from scrapers.base import USER_AGENT
from scrapers.robots import parse_robots

HOST = "www.example.gov.uk"


def allows(robots: str, path: str, user_agent: str = USER_AGENT) -> bool:
    return parse_robots(robots, HOST, user_agent).allows(f"https://{HOST}{path}", user_agent)


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/list?sort=asc", False),  # "*" inside a rule
        ("/list", True),
        ("/a.pdf", False),  # "$" anchors the end of the path
        ("/a.pdf?page=2", True),
        ("/reports/a.pdf", False),
    ],
)
def test_wildcards_star_and_dollar(path: str, allowed: bool) -> None:
    assert allows("User-agent: *\nDisallow: /*?sort=\nDisallow: /*.pdf$\n", path) is allowed


def test_longest_match_wins_whatever_the_order() -> None:
    robots = "User-agent: *\nDisallow: /\nAllow: /send/\n"
    assert allows(robots, "/send/ehcp") and not allows(robots, "/news")
    reversed_order = "User-agent: *\nAllow: /send/\nDisallow: /\n"
    assert allows(reversed_order, "/send/ehcp") and not allows(reversed_order, "/news")
    narrower = "User-agent: *\nAllow: /send/\nDisallow: /send/private/\n"
    assert allows(narrower, "/send/page") and not allows(narrower, "/send/private/page")


def test_allow_wins_when_the_matches_are_equally_long() -> None:
    assert allows("User-agent: *\nDisallow: /page\nAllow: /page\n", "/page")


def test_the_group_naming_our_product_token_replaces_the_star_group() -> None:
    robots = "User-agent: *\nDisallow: /\n\nUser-agent: SENDNavigatorBot\nDisallow: /private\n"
    assert allows(robots, "/send/ehcp") and not allows(robots, "/private/x")
    assert not allows(robots, "/send/ehcp", "SomeOtherBot/2.0")


def test_groups_for_the_same_agent_are_merged_and_lines_are_case_insensitive() -> None:
    robots = "user-agent: sendnavigatorbot\ndisallow: /a\n\nUSER-AGENT: SENDNavigatorBot\nDISALLOW: /b\n"
    assert not allows(robots, "/a/x") and not allows(robots, "/b/x") and allows(robots, "/c")


def test_empty_disallow_and_a_byte_order_mark_allow_everything() -> None:
    assert allows("\ufeffUser-agent: *\nDisallow:\n", "/anything")


def test_crawl_delay_request_rate_and_sitemaps_are_read() -> None:
    rules = parse_robots(
        "User-agent: *\nCrawl-delay: 2\nRequest-rate: 1/5s\nSitemap: https://www.example.gov.uk/sitemap.xml\n", HOST
    )
    assert rules.crawl_delay == 5.0  # the slower of the two
    assert rules.sitemaps == ("https://www.example.gov.uk/sitemap.xml",)


def test_the_longest_match_example_of_rfc_9309() -> None:
    """Section 5.2: of an Allow for a folder and a Disallow for one file in it, the longer (the file) wins."""
    robots = "User-Agent: foobot\nAllow: /example/page/\nDisallow: /example/page/disallowed.gif\n"
    assert allows(robots, "/example/page/", "foobot") and allows(robots, "/example/page/other.html", "foobot")
    assert not allows(robots, "/example/page/disallowed.gif", "foobot")
