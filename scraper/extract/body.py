"""Find the article container and turn it into clean paragraphs.

Scoring is readability's idea over the flat line list: every line that reads like prose (enough
characters, punctuation, few links) gives points to its enclosing blocks, decaying with distance;
a block's total is damped by its link density and nudged by what its class/id says. The best
block's lines are then cleaned line by line with the boilerplate tables of `rules`.
"""
from __future__ import annotations

from dataclasses import dataclass

from .dom import Line, Page
from .rules import BOILERPLATE, END_MARKERS, NEGATIVE_HINT, PHOTO_CREDIT, POSITIVE_HINT, PUNCTUATION

_MIN_PROSE = 8          # characters of non-link text for a line to count as prose
_DECAY = (1.0, 0.5, 1 / 6, 1 / 9, 1 / 12)


@dataclass
class BodyRange:
    block: int          # id of the chosen container, -1 when none
    first: int          # line indices, inclusive
    last: int


def _line_score(line: Line) -> float:
    text = line.text
    plain = len(text) - line.link_chars
    if plain < _MIN_PROSE or line.link_chars * 2 > len(text):
        return 0.0
    punct = sum(1 for ch in text if ch in PUNCTUATION)
    return 1.0 + min(punct, 12) + min(plain / 50, 4.0)


def score_blocks(page: Page) -> int:
    """Score every block and return the id of the best one (or -1)."""
    blocks = page.blocks
    for line in page.lines:
        s = _line_score(line)
        if not s:
            continue
        path = line.path
        for level, b in enumerate(reversed(path[-len(_DECAY):])):
            blocks[b].score += s * _DECAY[level]
    best, best_score = -1, 0.0
    for i, blk in enumerate(blocks):
        if blk.score <= 0 or blk.tag in ("body", "html"):
            continue
        density = blk.link_chars / blk.chars if blk.chars else 1.0
        weight = 1.0
        if blk.hint.strip():
            if POSITIVE_HINT.search(blk.hint):
                weight += 0.25
            if NEGATIVE_HINT.search(blk.hint):
                weight -= 0.25
        blk.score *= (1.0 - density) * weight
        if blk.score > best_score:
            best, best_score = i, blk.score
    return best


def find_body(page: Page) -> BodyRange:
    best = score_blocks(page)
    if best < 0:
        return BodyRange(-1, 0, -1)
    blk = page.blocks[best]
    return BodyRange(best, blk.first, blk.last)


def is_photo_credit(text: str) -> bool:
    return len(text) <= 80 and bool(PHOTO_CREDIT.search(text))


def body_lines(page: Page, rng: BodyRange, skip: set[int]) -> list[int]:
    """Indices of the lines that are article text within `rng`, minus the `skip` ones."""
    kept: list[int] = []
    for i in range(rng.first, rng.last + 1):
        if i in skip:
            continue
        line = page.lines[i]
        text = line.text
        if len(text) <= 40 and END_MARKERS.match(text) and kept:
            break
        if line.link_chars * 2 > len(text) and len(text) < 120:
            continue
        if len(text) <= 200 and BOILERPLATE.search(text):
            continue
        if is_photo_credit(text):
            continue
        kept.append(i)
    return kept
