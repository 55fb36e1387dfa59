"""The one rule for hiding site names: Site A, B, ... Z, AA, AB... in the order given (a
learning set's sites by name), so Site A is the same site on every page and export."""

import string
from collections.abc import Iterable

from imroc.models import Site


def letter_name(index: int) -> str:
    letters = string.ascii_uppercase
    return "Site " + (letters[index] if index < 26
                      else f"{letters[index // 26 - 1]}{letters[index % 26]}")


def site_names(sites: Iterable[Site], anonymise: bool) -> dict[int, str]:
    """Each site's name to show: its own, or its letter when names are hidden."""
    return {s.id: letter_name(i) if anonymise else s.name for i, s in enumerate(sites)}
