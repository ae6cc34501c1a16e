"""Parsing the run's page as a browser's parser would: what the page tests share. (A plain module
beside the tests, imported by name: pytest puts this folder on the path.)"""

from __future__ import annotations

from html.parser import HTMLParser


class Collect(HTMLParser):
    """Start tags and their attributes, and the text, as a browser's parser would see them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(page: str) -> Collect:
    parser = Collect()
    parser.feed(page)
    return parser
