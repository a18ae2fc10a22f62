"""Light formatting for entry text: paragraphs and bullet lists, nothing else.

Text is stored as typed. Blank lines separate paragraphs; lines starting with '- ', '* ' or '• '
are bullets. The same blocks feed the HTML pages and the Word export, so both agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

BULLET = re.compile(r"^\s*[-*•●▪]\s+")


@dataclass(frozen=True)
class Block:
    """A paragraph (one item) or a bullet list (several items)."""

    kind: str  # "p" or "ul"
    items: tuple[str, ...]


def blocks(text: str) -> list[Block]:
    """Split text into paragraphs and bullet lists."""
    result: list[Block] = []
    paragraph: list[str] = []
    bullets: list[str] = []

    def flush_paragraph() -> None:
        if paragraph:
            result.append(Block("p", (" ".join(paragraph),)))
            paragraph.clear()

    def flush_bullets() -> None:
        if bullets:
            result.append(Block("ul", tuple(bullets)))
            bullets.clear()

    for line in (text or "").replace("\r\n", "\n").split("\n"):
        stripped = line.strip()
        if not stripped:
            flush_paragraph()
            flush_bullets()
        elif BULLET.match(line):
            flush_paragraph()
            bullets.append(BULLET.sub("", line, count=1).strip())
        elif bullets and line[:1].isspace():
            bullets[-1] = f"{bullets[-1]} {stripped}"
        else:
            flush_bullets()
            paragraph.append(stripped)
    flush_paragraph()
    flush_bullets()
    return result
