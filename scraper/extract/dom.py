"""One pass over the parsed tree into the flat page model every other step reads.

A page becomes a list of *lines* (the text between two block boundaries, as a browser would lay
it out), each knowing how much of it is link text and which block containers enclose it. Scoring
containers, finding the header line, cutting the body and collecting links then work on plain
lists instead of walking the tree again — one tree walk per page keeps extraction fast.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from selectolax.lexbor import LexborHTMLParser, LexborNode

from .rules import BLOCK_TAGS, SKIP_TAGS

_WS = re.compile(r"[\s\u00a0\u3000\u200b\ufeff]+")
_HIDDEN = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)


@dataclass
class Anchor:
    href: str
    text: str
    line: int                 # index of the line the link sits on


@dataclass
class Img:
    node: LexborNode
    line: int                 # index of the next line after the image
    path: tuple[int, ...]


@dataclass
class Block:
    """A block-level element: what it encloses, as line indices and character counts."""

    tag: str
    hint: str                 # class and id, for readability-style weighting
    node: LexborNode
    first: int = -1
    last: int = -1
    chars: int = 0
    link_chars: int = 0
    score: float = 0.0


@dataclass
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


def clean(text: str) -> str:
    return _WS.sub(" ", text).strip()


def _is_hidden(node: LexborNode) -> bool:
    style = node.attrs.get("style")
    return bool(style and _HIDDEN.search(style)) or "hidden" in node.attrs


class _Builder:
    def __init__(self) -> None:
        self.lines: list[Line] = []
        self.blocks: list[Block] = []
        self.anchors: list[Anchor] = []
        self.images: list[Img] = []
        self.path: list[int] = []
        self.parts: list[str] = []
        self.link_chars = 0
        self.line_anchors: list[Anchor] = []

    def flush(self) -> None:
        if not self.parts:
            return
        text = clean("".join(self.parts))
        self.parts = []
        if text:
            idx = len(self.lines)
            path = tuple(self.path)
            link_chars = min(self.link_chars, len(text))
            for a in self.line_anchors:
                a.line = idx
            self.lines.append(Line(text, link_chars, path, self.line_anchors))
            n = len(text)
            blocks = self.blocks
            for b in path:
                blk = blocks[b]
                if blk.first < 0:
                    blk.first = idx
                blk.last = idx
                blk.chars += n
                blk.link_chars += link_chars
        self.link_chars = 0
        self.line_anchors = []

    def walk(self, root: LexborNode) -> None:
        # Iterative depth-first walk: truncated pages nest thousands of unclosed tags deep.
        stack: list[tuple[LexborNode, int]] = [(root, 0)]
        links: list[tuple[Anchor | None, list[str]]] = []   # open <a> elements
        while stack:
            node, state = stack.pop()
            tag = node.tag
            if state:  # leaving an element
                if state == 2:
                    self.flush()
                    self.path.pop()
                elif state == 3:
                    anchor, parts = links.pop()
                    text = clean("".join(parts))
                    self.link_chars += len(text)
                    if anchor is not None:
                        anchor.text = text
                continue
            if tag == "-text":
                text = node.text_content
                if text:
                    self.parts.append(text)
                    if links:
                        links[-1][1].append(text)
                continue
            if tag in SKIP_TAGS or tag == "-comment" or tag is None:
                continue
            if tag == "br" or tag == "hr":
                self.flush()
                continue
            if tag == "img":
                self.flush()
                self.images.append(Img(node, len(self.lines), tuple(self.path)))
                continue
            if tag in BLOCK_TAGS:
                if tag not in ("body", "html", "tr", "tbody", "thead") and _is_hidden(node):
                    continue
                self.flush()
                attrs = node.attrs
                hint = f"{attrs.get('class') or ''} {attrs.get('id') or ''}"
                self.path.append(len(self.blocks))
                self.blocks.append(Block(tag, hint, node))
                stack.append((node, 2))
            elif tag == "a":
                anchor = None
                if not links:  # nested <a> is invalid HTML; count the outer one only
                    anchor = Anchor(node.attrs.get("href") or "", "", len(self.lines))
                    self.anchors.append(anchor)
                    self.line_anchors.append(anchor)
                links.append((anchor, []))
                stack.append((node, 3))
            children = []
            child = node.child
            while child is not None:
                children.append((child, 0))
                child = child.next
            children.reverse()
            stack.extend(children)
        self.flush()


def build_page(tree: LexborHTMLParser, root: LexborNode | None = None) -> Page:
    """The page model of the whole document, or of the subtree under `root`."""
    b = _Builder()
    root = root if root is not None else (tree.body or tree.root)
    if root is not None:
        b.walk(root)
    return Page(tree, b.lines, b.blocks, b.anchors, b.images)
