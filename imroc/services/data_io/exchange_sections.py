"""The exchange document's sections beside the site, its people and its cycles.

Each section is a module with `KEY` (its name in the document), `export(session, site)`,
`check(session, docs, site_id, bad, *, doc, note)` (`doc` the whole document, for entries
that name its cycles and actions; `note` adds a sentence to the dry run's report) and
`write(session, site, plan, actor)`, called in this order after the cycles are written;
its classes are in exchange_doc.py as a field of ExchangeDoc named KEY. Adding a section is
writing that module and listing it here.
"""

from imroc.services.data_io import (
    exchange_changes,
    exchange_consultancy,
    exchange_measures,
    exchange_progress,
    exchange_tried,
)

# The shared changes before the actions that tried them: a document's own links need both.
SECTIONS = (exchange_measures, exchange_consultancy, exchange_progress, exchange_changes,
            exchange_tried)
