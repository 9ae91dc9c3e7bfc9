"""Find the article container and turn it into clean paragraphs.

Scoring is readability's idea over the flat line list: every line that reads like prose (enough
characters, punctuation, few links) gives points to its enclosing blocks, decaying with distance;
a block's total is damped by its link density and nudged by what its class/id says. The best
block's lines are then cleaned line by line with the boilerplate tables of `rules`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .dom import Line, Page
from .profile import TEMPLATE_LINE_MIN, block_key, line_key
from .rules import ATTACHMENT_EXT, BOILERPLATE_ANY, BOILERPLATE_START, DISTRUST_HINT, END_MARKERS, NEGATIVE_HINT, PHOTO_CREDIT, POSITIVE_HINT, PUNCTUATION, SENTENCE_END

_MIN_PROSE = 8          # characters of non-link text for a line to count as prose
_BOILERPLATE_MAX = 200  # longer lines are prose even when they mention 版权 or 来源
_DECAY = (1.0, 0.5, 1 / 6, 1 / 9, 1 / 12)
# Paragraph elements give their points to the container around them, as in readability.
_PARAGRAPH_TAGS = frozenset("p h1 h2 h3 h4 h5 h6 pre".split())
_MIN_TEXT_BEFORE_END = 50   # an end marker above less text than this is a top widget, not the end
_REPEAT_PROBE = 16      # characters of a lead line looked up in the text to spot a repeat
_LEAD_LABEL = re.compile(r"^\W*(?:(?:摘要|导语|导读|内容提要|提要|核心提示)\W*)?")   # label, icons, brackets
_HINT_BONUS = 0.25      # class/id saying content (or comment, sidebar…) moves a block by this
_ROOT_WEIGHT = 0.1      # <body> is the container of last resort (plain-text pages)
_NEAR_TITLE = 12        # lines after the headline where the text is expected to start
_NO_SECTION_TAGS = frozenset(("li", "td", "tr", "body", "html", "ul", "ol", "dd", "dt"))
_SECTION_LINKS = 0.5    # a sibling section with more link text is a link list, not text
_FAR_DECAY = 30         # beyond that, a block's score halves every this many lines
_CONTAINER_SHARE = 0.1  # the site's container wins unless the page's own pick outscores it tenfold


@dataclass
class BodyRange:
    block: int          # id of the chosen container, -1 when none
    first: int          # line indices, inclusive
    last: int
    alone: int = -1     # the container the page alone chose (`block` unless a site profile overrode it)


# one pass over a line for all marks: a str.count per mark took 2.7x as long
_PUNCTUATION = re.compile(f"[{re.escape(PUNCTUATION)}]")


def is_boilerplate(text: str) -> bool:
    """A widget, share, copyright or editor line (long lines are prose whatever they mention)."""
    return len(text) <= _BOILERPLATE_MAX and bool(BOILERPLATE_START.match(text) or BOILERPLATE_ANY.search(text))


def _line_score(line: Line) -> float:
    text = line.text
    plain = len(text) - line.link_chars
    if plain < _MIN_PROSE or line.link_chars * 2 > len(text):
        return 0.0
    if is_boilerplate(text):
        return 0.0
    punct = len(_PUNCTUATION.findall(text))
    return 1.0 + min(punct, 12) + min(plain / 50, 4.0)


def score_blocks(page: Page, title_line: int = -1, template: frozenset[int] = frozenset(),
                 container: str = "") -> tuple[int, int]:
    """Score the blocks that enclose prose and return the id of the best one (or -1), and that
    of the one the page alone would give (the same unless `container` changed it).

    A known headline line adds a position prior: the text starts right below the headline,
    while comment threads and sidebars with long items sit far from it. `container`, the
    `block_key` where a site profile says the site's text sits, settles a page whose own best
    block lies elsewhere (a short report beside a long block of other text)."""
    blocks = page.blocks
    raw: dict[int, float] = {}
    for line in page.lines:
        s = _line_score(line)
        if not s or (template and is_template(line.text, template)):
            continue
        path = line.path
        end = len(path)
        while end > 1 and blocks[path[end - 1]].tag in _PARAGRAPH_TAGS:
            end -= 1
        for level, b in enumerate(reversed(path[max(0, end - len(_DECAY)):end])):
            raw[b] = raw.get(b, 0.0) + s * _DECAY[level]
    # Link density and position first; the class/id weight (an attribute read and two regexes)
    # only for blocks that could still win with the largest bonus.
    candidates = []
    for i, score in raw.items():
        blk = blocks[i]
        score *= 1.0 - page.link_density(blk)
        if blk.tag in ("body", "html"):
            score *= _ROOT_WEIGHT
        if title_line >= 0:
            distance = blk.first - title_line
            if distance < -_NEAR_TITLE:   # far above the headline
                distance = -distance
            score /= 1.0 + max(0, distance - _NEAR_TITLE) / _FAR_DECAY
        candidates.append((score, i))
    candidates.sort(reverse=True)
    best, best_score = -1, 0.0
    for score, i in candidates:
        if score * (1.0 + _HINT_BONUS) <= best_score:
            break
        blk = blocks[i]
        if blk.tag not in ("body", "html"):
            hint = blk.hint
            if POSITIVE_HINT.search(hint):
                score *= 1.0 + _HINT_BONUS
            if NEGATIVE_HINT.search(hint):
                score *= 1.0 - _HINT_BONUS
        if score > best_score:
            best, best_score = i, score
    if best >= 0:
        box = _other_articles_box(page, best, title_line)
        if box is not None:
            best = _best_outside(page, candidates, box, title_line, best)
    if container and best >= 0:
        return _site_container(page, candidates, best, container), best
    return best, best


def _site_container(page: Page, candidates: list[tuple[float, int]], best: int, container: str) -> int:
    """The best-scored block named `container` when the page's own pick lies outside it and
    outside its parent, and it scores at least a tenth of the top; else `best`. A pick beside
    the site's container in the same parent (a lead and the text in two sibling blocks, a
    channel's own class for its text) is the page's article column all the same: a profile
    only moves the text out of a sidebar or panel, and one that does not fit the page (no such
    block, or one with little text) leaves it as it was."""
    own = page.blocks[best]
    path = page.lines[own.first].path
    if any(block_key(page, b) == container for b in path[: path.index(best) + 1]):
        return best          # the page's pick is the site's container or inside it
    top = candidates[0][0] if candidates else 0.0
    for score, i in candidates:   # sorted by score
        if score <= 0 or score < _CONTAINER_SHARE * top:
            break
        if block_key(page, i) != container:
            continue
        blk = page.blocks[i]
        holder = page.lines[blk.first].path
        at = holder.index(i)
        around = page.blocks[holder[at - 1]] if at > 0 else blk
        return best if around.first <= own.last and own.first <= around.last else i
    return best


def _other_articles_box(page: Page, i: int, title_line: int) -> tuple[int, int] | None:
    """Line range of a recommend/related/hot/more/feed container enclosing block `i` (itself
    included) that does not also hold the headline; None when `i` is not in such a box."""
    blocks = page.blocks
    path = page.lines[blocks[i].first].path
    for b in path[: path.index(i) + 1]:
        blk = blocks[b]
        if blk.tag in ("body", "html") or blk.first <= title_line <= blk.last:
            continue
        if DISTRUST_HINT.search(blk.hint):
            return blk.first, blk.last
    return None


def _best_outside(page: Page, candidates: list[tuple[float, int]], box: tuple[int, int],
                  title_line: int, best: int) -> int:
    """The best-scored block that neither overlaps the box of other articles nor sits in
    another such box; `best` when there is none (the page may be all feed)."""
    for score, i in candidates:   # sorted by score
        blk = page.blocks[i]
        if score <= 0 or not (blk.last < box[0] or blk.first > box[1]):
            continue
        if _other_articles_box(page, i, title_line) is None:
            return i
    return best


def is_template(text: str, template: frozenset[int]) -> bool:
    """A prose line the site's pages all show (a site profile's template line)."""
    return len(text) >= TEMPLATE_LINE_MIN and line_key(text) in template


def find_body(page: Page, title_line: int = -1, template: frozenset[int] = frozenset(),
              container: str = "") -> BodyRange:
    best, alone = score_blocks(page, title_line, template, container)
    if best < 0:
        return BodyRange(-1, 0, -1)
    first, last = _with_sections(page, best)
    return BodyRange(best, first, last, alone)


def _with_sections(page: Page, best: int) -> tuple[int, int]:
    """The chosen block's lines plus those of the sections beside it: when the block (or its
    parent) is one of a run of sibling containers of the same tag and class (`div.shangxi` for
    translation, background and appreciation of a poem), the article is the whole run."""
    blocks = page.blocks
    blk = blocks[best]
    path = page.lines[blk.first].path
    k = path.index(best)
    for level in (k, k - 1):
        if level < 1:
            break
        unit = blocks[path[level]]
        if unit.tag in _NO_SECTION_TAGS or not unit.hint.strip():
            continue
        parent, key = path[level - 1], (unit.tag, unit.hint)
        first, last = unit.first, unit.last
        while last + 1 < len(page.lines):
            sib = _sibling_at(page, last + 1, level, parent)
            if sib is None or (sib.tag, sib.hint) != key or page.link_density(sib) > _SECTION_LINKS:
                break
            last = sib.last
        while first > 0:
            sib = _sibling_at(page, first - 1, level, parent)
            if sib is None or (sib.tag, sib.hint) != key or page.link_density(sib) > _SECTION_LINKS:
                break
            first = sib.first
        if (first, last) != (unit.first, unit.last):
            return first, last
    return blk.first, blk.last


def _sibling_at(page: Page, line: int, level: int, parent: int):
    """The block at depth `level` under `parent` that holds line `line`, if any."""
    path = page.lines[line].path
    if len(path) <= level or path[level - 1] != parent:
        return None
    return page.blocks[path[level]]


def extend_lead(page: Page, rng: BodyRange, first: int, floor: int) -> int:
    """Move the start of the text up over prose lines right above the chosen block (a lead or
    summary paragraph in a sibling container), never past the header at `floor`. A summary box
    that repeats the text (摘要 = the first paragraph) is not added."""
    lines = page.lines
    i = first - 1
    text = None
    while (i > floor and not lines[i].link_chars and _line_score(lines[i])
           and any(map(lines[i].text.__contains__, SENTENCE_END))):
        # linkless prose only: promos and teasers above the text carry links
        if text is None:
            text = "".join(line.text for line in lines[rng.first: rng.last + 1])
        probe = _LEAD_LABEL.sub("", lines[i].text)[:_REPEAT_PROBE]
        if probe in text:
            break
        i -= 1
    return i + 1


def is_photo_credit(text: str) -> bool:
    return len(text) <= 80 and bool(PHOTO_CREDIT.search(text))


def body_lines(page: Page, rng: BodyRange, skip: set[int]) -> list[int]:
    """Indices of the lines that are article text within `rng`, minus the `skip` ones. Captions
    crediting a photographer are dropped, unless they are most of the text (a photo story)."""
    kept: list[int] = []
    credits: list[int] = []
    for i in range(rng.first, rng.last + 1):
        if i in skip:
            continue
        line = page.lines[i]
        text = line.text
        if len(text) <= 40 and END_MARKERS.match(text):
            if sum(len(page.lines[k].text) for k in kept) >= _MIN_TEXT_BEFORE_END:
                break
            continue
        if line.link_chars * 2 > len(text) and len(text) < 120 and not links_to_files(line):
            continue
        if is_boilerplate(text):
            continue
        if is_photo_credit(text):
            credits.append(i)
            continue
        kept.append(i)
    if credits and sum(len(page.lines[i].text) for i in credits) > sum(len(page.lines[i].text) for i in kept):
        return sorted(kept + credits)   # a photo story: its credited captions are the report
    return kept


def links_to_files(line: Line) -> bool:
    """A line of attachment links (附件：xxx.pdf) is part of the text, unlike link lists."""
    return bool(line.anchors) and all(
        ATTACHMENT_EXT.search(a.href) or ATTACHMENT_EXT.search(a.text) for a in line.anchors
    )


def body_text(page: Page, kept: list[int]) -> str:
    """The kept lines joined by newlines; the cells of one table row go on one line."""
    out: list[str] = []
    prev_row = -1
    for i in kept:
        line = page.lines[i]
        row = _row_of(page, line)
        if row >= 0 and row == prev_row:
            out[-1] += " " + line.text
        else:
            out.append(line.text)
        prev_row = row
    return "\n".join(out)


def _row_of(page: Page, line: Line) -> int:
    """The <tr> id when the line is the whole content of a table cell, else -1."""
    path = line.path
    if len(path) < 2:
        return -1
    cell = page.blocks[path[-1]]
    if cell.tag not in ("td", "th") or cell.first != cell.last:
        return -1
    row = path[-2]
    return row if page.blocks[row].tag == "tr" else -1
