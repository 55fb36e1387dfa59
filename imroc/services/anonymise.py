"""The one rule for hiding names. A learning set's sites become Site A, B, ... Z, AA...
in an order drawn at random for that set (its `letter_seed`), so the letters say nothing
about the real names; the same order on its dashboard, presentation, report, export and
measure summary, until the programme team shuffles them again. Raters in exports become
Rater 1, 2... in an order keyed by the installation's secret, not by their e-mail."""

import hashlib
import hmac
import string
from collections.abc import Iterable

from imroc.config import get_settings
from imroc.models import Site


def letter_name(index: int) -> str:
    letters = string.ascii_uppercase
    return "Site " + (letters[index] if index < 26
                      else f"{letters[index // 26 - 1]}{letters[index % 26]}")


def _draw(seed: str, item: str) -> str:
    return hmac.new(seed.encode(), item.encode(), hashlib.sha256).hexdigest()


def site_names(sites: Iterable[Site], anonymise: bool, seed: str = "") -> dict[int, str]:
    """Each site's name to show: its own, or its letter when names are hidden. When hidden,
    the dict runs in letter order (Site A first), so tables and charts can follow it."""
    sites = list(sites)
    if not anonymise:
        return {s.id: s.name for s in sites}
    drawn = sorted(sites, key=lambda s: _draw(seed, str(s.id)))
    return {s.id: letter_name(i) for i, s in enumerate(drawn)}


def in_name_order(sites: Iterable[Site], names: dict[int, str]) -> list[Site]:
    """Sites in the order of the names shown (letter order when hidden): never the order of
    the real names behind the letters."""
    place = {site_id: i for i, site_id in enumerate(names)}
    return sorted(sites, key=lambda s: place.get(s.id, len(place)))


def rater_numbers(site_id: int, emails: Iterable[str]) -> dict[str, int]:
    """Rater 1, 2... for a site's raters, in an order that reveals nothing of who is who."""
    key = get_settings().secret_key
    drawn = sorted(set(emails), key=lambda e: _draw(key, f"{site_id}:{e}"))
    return {email: i for i, email in enumerate(drawn, start=1)}
