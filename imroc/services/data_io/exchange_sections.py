"""The exchange document's sections beside the site, its people and its cycles.

Each section is a module with `KEY` (its name in the document), `export(session, site)`,
`check(session, docs, site_id, bad)` and `write(session, site, plan, actor)`; its classes
are in exchange_doc.py as a field of ExchangeDoc named KEY. Adding a section is writing that
module and listing it here.
"""

from imroc.services.data_io import exchange_consultancy, exchange_measures, exchange_progress

SECTIONS = (exchange_measures, exchange_consultancy, exchange_progress)
