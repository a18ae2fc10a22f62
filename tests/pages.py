"""Page hygiene checks run on every HTML page the tests fetch."""

from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser

LABELLED_EXEMPT = {"hidden", "submit", "button", "reset", "image"}


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: list[str] = []
        self.label_for: set[str] = set()
        self.controls: list[dict[str, str]] = []
        self.h1_texts: list[str] = []
        self.title = ""
        self.summary_links: list[str] = []
        self._in: list[str] = []
        self._div_depth = 0
        self._summary_depth: int | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "label" and a.get("for"):
            self.label_for.add(a["for"])
        if tag in ("input", "select", "textarea"):
            self.controls.append({"tag": tag, **a})
        if tag == "div":
            self._div_depth += 1
            if "govuk-error-summary" in a.get("class", "").split() and self._summary_depth is None:
                self._summary_depth = self._div_depth
        if tag == "a" and self._summary_depth is not None:
            self.summary_links.append(a.get("href", ""))
        if tag in ("h1", "title"):
            self._in.append(tag)
            if tag == "h1":
                self.h1_texts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "div":
            if self._summary_depth == self._div_depth:
                self._summary_depth = None
            self._div_depth -= 1
        if tag in ("h1", "title") and self._in and self._in[-1] == tag:
            self._in.pop()

    def handle_data(self, data: str) -> None:
        if "title" in self._in:
            self.title += data
        if "h1" in self._in:
            self.h1_texts[-1] += data


def check_page(html: str) -> None:
    """Assert one h1, a title starting with it, labelled inputs, unique ids and summary links."""
    page = _Collector()
    page.feed(html)
    assert len(page.h1_texts) == 1, f"expected one h1, found {len(page.h1_texts)}"
    h1 = " ".join(page.h1_texts[0].split())
    title = " ".join(page.title.split())
    if title.startswith("Error: "):
        title = title[len("Error: ") :]
    assert title.startswith(h1), f"title {title!r} does not start with h1 {h1!r}"
    duplicates = [i for i, n in Counter(page.ids).items() if n > 1]
    assert not duplicates, f"duplicate ids: {duplicates}"
    for control in page.controls:
        if control.get("type", "") in LABELLED_EXEMPT:
            continue
        labelled = control.get("id") in page.label_for or control.get("aria-label")
        assert labelled, f"unlabelled {control['tag']} {control.get('name')!r}"
    ids = set(page.ids)
    for href in page.summary_links:
        assert href.startswith("#") and href[1:] in ids, f"error summary link {href!r} goes nowhere"
