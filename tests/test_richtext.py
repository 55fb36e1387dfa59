"""The little formatting of discussion posts: what it makes, and what never survives."""

import pytest

from imroc.richtext import sanitise, to_html
from tests.checks import live_tags


def test_paragraphs_lists_links_and_emphasis():
    text = ("First *line*\nsame paragraph\n\n- **one**\n- two\n\n1. a\n2. b\n\n"
            "See [the guide](https://www.nhs.uk/a_b?x=1&y=2), https://imroc.org/x_y. "
            "or [write](mailto:team@example.org)")
    assert to_html(text) == (
        "<p>First <em>line</em><br>same paragraph</p>"
        "<ul><li><strong>one</strong></li><li>two</li></ul><ol><li>a</li><li>b</li></ol>"
        '<p>See <a href="https://www.nhs.uk/a_b?x=1&amp;y=2" rel="noopener nofollow">the guide'
        '</a>, <a href="https://imroc.org/x_y" rel="noopener nofollow">https://imroc.org/x_y</a>.'
        ' or <a href="mailto:team@example.org" rel="noopener nofollow">write</a></p>')


@pytest.mark.parametrize("typed", [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[x](javascript:alert(1))",
    "[x](data:text/html,hi)",
    '<a href="https://e.org" onclick="x()">e</a>',
    '[x](https://e.org/"onmouseover="alert(1))',
])
def test_typed_markup_stays_text(typed):
    tags = live_tags(to_html(typed))
    assert {tag for tag, _ in tags} <= {"p", "a"}
    assert all(name in ("href", "rel") for _, attrs in tags for name, _ in attrs)
    assert all(value.startswith("https://") for _, attrs in tags for name, value in attrs
               if name == "href")


def test_the_sanitiser_keeps_only_the_allowed_html():
    assert sanitise('<p onclick="x">a<script>b</script><a href="javascript:x">l</a>'
                    '<a href="https://e.org" target="_blank" rel="opener">m</a>'
                    '<iframe src="https://e.org"></iframe><b>c</b></p>') == (
        '<p>a<a rel="noopener nofollow">l</a>'
        '<a href="https://e.org" rel="noopener nofollow">m</a>c</p>')
