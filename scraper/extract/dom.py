"""One pass over the parsed tree into the flat page model every other step reads.

A page becomes a list of *lines* (the text between two block boundaries, as a browser would lay
it out), each knowing how much of it is link text and which block containers enclose it. Scoring
containers, finding the header line, cutting the body and collecting links then work on plain
lists instead of walking the tree again — one tree walk per page keeps extraction fast.
"""
from __future__ import annotations

import gc
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from selectolax.lexbor import LexborHTMLParser, LexborNode

from .rules import BLOCK_TAGS, SKIP_TAGS

_HIDDEN = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_STRUCTURAL = frozenset(("body", "html", "tr", "tbody", "thead", "tfoot"))   # never dropped as hidden
_HIDDEN_ARTICLE_MIN = 200   # characters: a hidden element this long may be the article itself
_MAX_DEPTH = 400   # deeper subtrees (broken markup) are read as flat text


@dataclass(slots=True)
class Anchor:
    node: LexborNode
    text: str
    line: int                 # index of the line the link sits on

    @property
    def href(self) -> str:
        """Read from the element when asked: few of a page's links are ever looked at."""
        return self.node.attrs.get("href") or ""


@dataclass
class Img:
    node: LexborNode
    line: int                 # index of the next line after the image
    path: tuple[int, ...]


@dataclass(slots=True)
class Block:
    """A block-level element: what it encloses, as line indices and character counts."""

    tag: str
    node: LexborNode
    first: int = -1           # line indices, -1 when the block holds no text
    last: int = -1

    @property
    def hint(self) -> str:
        """Class and id, for readability-style weighting (read only for the few scored blocks)."""
        attrs = self.node.attrs
        return f"{attrs.get('class') or ''} {attrs.get('id') or ''}"


@dataclass(slots=True)
class Line:
    text: str
    link_chars: int
    path: tuple[int, ...]     # ids of the enclosing blocks, outermost first
    anchors: list[Anchor] = field(default_factory=list)

    @property
    def block(self) -> int:
        return self.path[-1] if self.path else -1

    @property
    def link_density(self) -> float:
        return self.link_chars / len(self.text) if self.text else 0.0


@dataclass
class Page:
    tree: LexborHTMLParser
    lines: list[Line]
    blocks: list[Block]
    anchors: list[Anchor]
    images: list[Img]
    _chars: list[int]         # prefix sums over lines: characters …
    _link_chars: list[int]    # … and link characters (summed as the lines are made)

    def link_density(self, blk: Block) -> float:
        """Share of a block's characters that are link text (1.0 for an empty block)."""
        if blk.first < 0:
            return 1.0
        chars = self._chars[blk.last + 1] - self._chars[blk.first]
        return (self._link_chars[blk.last + 1] - self._link_chars[blk.first]) / chars if chars else 1.0


@contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """Run a page's extraction without the cyclic garbage collector. The page model is a few
    thousand small objects (node handles, lines, blocks, anchors) that hold no reference cycles
    and are freed together when the page is done; the collector, which runs every 700 new
    objects, would scan them one to three times per page for nothing (a tenth of extraction's
    CPU, more in a worker whose heap is large). Restored as found, also when it was off."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def clean(text: str) -> str:
    """Collapse whitespace runs (incl. nbsp and ideographic space) to one space."""
    if "\u200b" in text or "\ufeff" in text:
        text = text.replace("\u200b", "").replace("\ufeff", "")
    return " ".join(text.split())


def drop_hidden(root: LexborNode) -> None:
    """Remove elements a browser would not show (one CSS query instead of a check per node).

    A hidden element holding most of the page's text stays: pages hide their article container
    until a script has run (`visibility: hidden` on WeChat-style `#js_content`)."""
    page_chars = -1
    for node in root.css('[style*="none"], [style*="hidden"], [hidden]'):
        if node.tag in _STRUCTURAL:
            continue
        attrs = node.attrs
        if "hidden" in attrs or _HIDDEN.search(attrs.get("style") or ""):
            chars = len(node.text(deep=True, strip=True))
            if chars >= _HIDDEN_ARTICLE_MIN:
                if page_chars < 0:
                    page_chars = len(root.text(deep=True, strip=True))
                if chars * 2 > page_chars:
                    continue
            node.decompose()


# What the walk does with an element, by kind; looked up by lexbor's numeric tag id (cheaper
# than the tag name), cached for the standard tags, whose ids are small and fixed.
_SKIP, _BLOCK, _BREAK, _LINK, _IMG, _INLINE = range(6)
_TEXT_ID = 2
_STANDARD_IDS = 4096
_KINDS: dict[int, tuple[int, str]] = {}


def _kind(node: LexborNode) -> tuple[int, str]:
    """(kind, tag name) of an element, computed once per standard tag id."""
    tag_id = node.tag_id
    kind = _KINDS.get(tag_id)
    if kind is not None:
        return kind
    tag = node.tag or "-"
    if tag in SKIP_TAGS or tag[0] in "-_!":
        kind = (_SKIP, tag)
    elif tag in ("br", "hr"):
        kind = (_BREAK, tag)
    elif tag in BLOCK_TAGS:
        kind = (_BLOCK, tag)
    elif tag == "a":
        kind = (_LINK, tag)
    elif tag == "img":
        kind = (_IMG, tag)
    else:
        kind = (_INLINE, tag)
    if tag_id < _STANDARD_IDS:
        _KINDS[tag_id] = kind
    return kind


class _Builder:
    def __init__(self) -> None:
        self.lines: list[Line] = []
        self.blocks: list[Block] = []
        self.anchors: list[Anchor] = []
        self.images: list[Img] = []
        self.path: tuple[int, ...] = ()    # ids of the open blocks, outermost first
        self.parts: list[str] = []
        self.link_chars = 0
        self.line_anchors: list[Anchor] = []
        self.link_parts: list[str] | None = None   # text of the open <a>, if any
        self.chars = [0]                   # prefix sums for `Page`
        self.link_prefix = [0]

    def flush(self) -> None:
        parts = self.parts
        text = "".join(parts)
        parts.clear()   # the same list object: walk() holds it in a local
        if "\u200b" in text or "\ufeff" in text:
            text = text.replace("\u200b", "").replace("\ufeff", "")
        text = " ".join(text.split())   # `clean`, inlined: once per line
        if text:
            # (the anchors of this line were made since the last flush: their `line` is already
            # this line's index, len(self.lines) when they were made)
            n = len(text)
            link_chars = self.link_chars if self.link_chars < n else n
            self.lines.append(Line(text, link_chars, self.path, self.line_anchors))
            self.chars.append(self.chars[-1] + n)
            self.link_prefix.append(self.link_prefix[-1] + link_chars)
        self.link_chars = 0
        self.line_anchors = []

    def walk(self, node: LexborNode, depth: int = 0) -> None:
        # The hot loop of extraction: locals instead of attribute lookups where it counts, and
        # the children by their `next` links (resuming `node.iter()`'s generator cost more).
        kinds = _KINDS
        parts = self.parts
        following = node.first_child
        while following is not None:
            child = following
            following = child.next
            tag_id = child.tag_id
            if tag_id == _TEXT_ID:
                if not parts and child.is_empty_text_node:
                    continue   # blanks opening a line (most text nodes: indentation), told in C
                text = child.text_content
                if text and (parts or not text.isspace()):   # leading blanks of a line: skip
                    parts.append(text)
                    if self.link_parts is not None:
                        self.link_parts.append(text)
                continue
            kind, tag = kinds.get(tag_id) or _kind(child)
            if kind == _INLINE:
                if depth < _MAX_DEPTH:
                    self.walk(child, depth + 1)
                else:
                    parts.append(child.text(deep=True))
                continue
            if kind == _SKIP:
                continue
            if kind == _BREAK:
                if parts:
                    self.flush()
                continue
            if depth >= _MAX_DEPTH:
                parts.append(child.text(deep=True))
            elif kind == _BLOCK:
                if parts:
                    self.flush()
                lines = self.lines
                block = Block(tag, child, len(lines))
                outer = self.path
                self.path = outer + (len(self.blocks),)
                self.blocks.append(block)
                self.walk(child, depth + 1)
                if parts:
                    self.flush()
                self.path = outer
                if len(lines) > block.first:
                    block.last = len(lines) - 1
                else:
                    block.first = -1
            elif kind == _LINK and self.link_parts is None:
                anchor = Anchor(child, "", len(self.lines))
                self.anchors.append(anchor)
                self.line_anchors.append(anchor)
                link_parts: list[str] = []
                self.link_parts = link_parts
                self.walk(child, depth + 1)
                text = clean("".join(link_parts))
                anchor.text = text
                self.link_chars += len(text)
                self.link_parts = None
            elif kind == _IMG:
                if parts:
                    self.flush()
                self.images.append(Img(child, len(self.lines), self.path))
            else:
                self.walk(child, depth + 1)


def build_page(tree: LexborHTMLParser, root: LexborNode | None = None) -> Page:
    """The page model of the whole document, or of the subtree under `root`."""
    b = _Builder()
    root = root if root is not None else (tree.body or tree.root)
    if root is not None:
        drop_hidden(root)
        b.walk(root)
        b.flush()
    return Page(tree, b.lines, b.blocks, b.anchors, b.images, b.chars, b.link_prefix)
