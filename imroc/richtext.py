"""A little formatting for what people write in discussions: paragraphs, lists, links and
emphasis, typed as a small Markdown subset. Pure: text in, safe HTML out.

Whatever is typed is escaped first, so typed markup stays text; the HTML made from the
subset then goes through the nh3 sanitiser, which keeps only the tags below, only http(s)
and mailto links, and gives every link rel="noopener nofollow".
"""

import html
import re

import nh3

TAGS = frozenset({"p", "ul", "ol", "li", "a", "em", "strong", "br"})
SCHEMES = frozenset({"http", "https", "mailto"})
REL = "noopener nofollow"

_BULLET = re.compile(r"^\s*[-*]\s+(.*)$")
_NUMBER = re.compile(r"^\s*\d{1,3}[.)]\s+(.*)$")
# [words](address), or an address on its own, found in the text as typed.
_LINK = re.compile(r"\[([^\]\n]{1,300})\]\(((?:https?://|mailto:)[^\s()<>\"']{1,2000})\)"
                   r"|(?<![\w/])(https?://[^\s<>\"'()\[\]]{1,2000}[^\s<>\"'()\[\].,;:!?])")
_STRONG = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_EM = re.compile(r"(?<![\w*])[*_](?=\S)(.+?)(?<=\S)[*_](?![\w*])")


def _words(raw: str) -> str:
    """Escaped text with strong and emphasis."""
    out = _STRONG.sub(r"<strong>\1</strong>", html.escape(raw, quote=True))
    return _EM.sub(r"<em>\1</em>", out)


def _inline(raw: str) -> str:
    """Links, strong and emphasis within one line as typed; everything else escaped."""
    parts, pos = [], 0
    for match in _LINK.finditer(raw):
        href = match.group(2) or match.group(3)
        text = match.group(1) or href
        parts += [_words(raw[pos:match.start()]),
                  f'<a href="{html.escape(href, quote=True)}">{_words(text)}</a>']
        pos = match.end()
    parts.append(_words(raw[pos:]))
    return "".join(parts)


def to_html(text: str) -> str:
    """Render typed text (the Markdown subset) as sanitised HTML."""
    blocks: list[str] = []
    paragraph: list[str] = []
    items: list[str] = []
    kind = ""

    def close() -> None:
        nonlocal kind
        if paragraph:
            blocks.append("<p>" + "<br>".join(paragraph) + "</p>")
            paragraph.clear()
        if items:
            blocks.append(f"<{kind}>" + "".join(f"<li>{i}</li>" for i in items) + f"</{kind}>")
            items.clear()
        kind = ""

    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw.rstrip()
        bullet, number = _BULLET.match(line), _NUMBER.match(line)
        if not line.strip():
            close()
        elif bullet or number:
            wanted = "ul" if bullet else "ol"
            if paragraph or kind != wanted:
                close()
            kind = wanted
            items.append(_inline((bullet or number).group(1)))
        elif items:
            items[-1] += "<br>" + _inline(line.strip())  # a list item carried on
        else:
            paragraph.append(_inline(line.strip()))
    close()
    return sanitise("".join(blocks))


def sanitise(markup: str) -> str:
    """Keep only the allowed tags and safe links; everything else of HTML goes."""
    return nh3.clean(markup, tags=set(TAGS), attributes={"a": {"href"}},
                     url_schemes=set(SCHEMES), link_rel=REL, strip_comments=True)
