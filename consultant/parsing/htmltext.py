"""Turning an HTML mail body into clean plain text.

Built on the standard library's tokenizing ``HTMLParser``, which never raises on
broken markup.  Script, style and head content is dropped; block elements end
lines; table cells are separated by tabs; list items get a dash; text inside
``blockquote`` is prefixed with "> " so the quote trimming treats it like a quoted reply;
images show their alt text.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_SKIPPED = {"script", "style", "head", "title", "template"}
_BLOCKS = {
    "p", "div", "tr", "table", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6",
    "pre", "section", "article", "header", "footer", "hr", "dl", "dt", "dd",
}
_SPACES = re.compile(r"[ \t\xa0\u200b]+")


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = [""]
        self.skip_depth = 0
        self.quote_depth = 0
        self.pre_depth = 0

    def _newline(self) -> None:
        if self.lines[-1].strip():
            self.lines.append("")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self.skip_depth += 1
        elif tag == "br":
            self.lines.append("")
        elif tag == "blockquote":
            self._newline()
            self.quote_depth += 1
        elif tag == "li":
            self._newline()
            self.lines[-1] = "- "
        elif tag in ("td", "th"):
            # Cells of one row are kept apart by a tab, as in a table pasted from a sheet.
            if self.lines[-1].strip():
                self.lines[-1] += "\t"
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self.handle_data(f"[{alt}]")
        elif tag in _BLOCKS:
            self.pre_depth += tag == "pre"
            self._newline()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag == "blockquote":
            self._newline()
            self.quote_depth = max(0, self.quote_depth - 1)
        elif tag in _BLOCKS or tag == "li":
            self.pre_depth = max(0, self.pre_depth - (tag == "pre"))
            self._newline()

    def handle_data(self, data: str) -> None:
        if self.skip_depth:
            return
        prefix = "> " * self.quote_depth
        if self.pre_depth:
            parts = data.split("\n")
        else:
            parts = [_SPACES.sub(" ", data.replace("\r", " ").replace("\n", " "))]
        for index, part in enumerate(parts):
            if index:
                self.lines.append("")
            if prefix and not self.lines[-1].startswith(prefix):
                self.lines[-1] = prefix + self.lines[-1]
            self.lines[-1] += part


def html_to_text(markup: str) -> str:
    """Return the readable text of *markup*; never raises on malformed HTML."""
    collector = _TextCollector()
    collector.feed(markup)
    collector.close()
    lines = [line.rstrip() for line in collector.lines]
    lines = [line.lstrip() if not line.startswith(">") else line for line in lines]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
