"""Every demo site's whole record travels: exported, imported into an empty installation
(whose project team exists, as in any installation) and exported again, it is the same,
the links between a shared change and the actions that tried it included."""

import json
from datetime import datetime

import time_machine
from sqlmodel import select

from imroc import clock
from imroc.db import write_session
from imroc.models import Site, User
from imroc.models.user import GlobalRole
from imroc.seed.demo import load_demo
from imroc.services.access import load_principal
from imroc.services.data_io.exchange import export_site
from imroc.services.data_io.imports import run_import
from tests.data_history import empty_database

LOADED = datetime(2027, 6, 20, 11, 0, tzinfo=clock.UK)


def _documents(session, admin: User) -> dict[str, dict]:
    principal = load_principal(session, admin)
    out = {}
    for site in session.exec(select(Site).order_by(Site.id)).all():
        doc = export_site(session, principal=principal, site=site).model_dump(mode="json")
        doc.pop("exported_at")
        out[site.name] = doc
    return out


def test_every_demo_site_round_trips_whole():
    with time_machine.travel(LOADED, tick=False):
        with write_session() as session:
            load_demo(session)
            admin = session.exec(select(User).where(User.global_role == GlobalRole.admin)).first()
            before = _documents(session, admin)
            team = [(u.email, u.name, u.global_role) for u in session.exec(select(User).where(
                User.global_role.in_([GlobalRole.admin, GlobalRole.programme_team]))).all()]
        assert any(d["measures"] for d in before.values())
        assert any(d["consultancy"] for d in before.values())
        assert any(d["shared_changes"] for d in before.values())
        assert any(d["tried_changes"] for d in before.values())
        empty_database()
        with write_session() as session:
            session.add_all([User(email=e, name=n, global_role=r, password_hash="x")
                             for e, n, r in team])
            session.commit()
        # The last site first: a site that tried a change comes in before the one that
        # shared it, and the link is made when the sharer's document follows.
        for name, doc in reversed(before.items()):
            with write_session() as session:
                report = run_import(session, json.dumps({**doc, "exported_at": LOADED.isoformat()}
                                                        ).encode(),
                                    principal=None, dry_run=False, max_bytes=50 * 1024 * 1024)
            assert report.problems == [], (name, report.problems[:3])
        with write_session() as session:
            admin = session.exec(select(User).where(User.global_role == GlobalRole.admin)).first()
            after = _documents(session, admin)
    assert sorted(after) == sorted(before)
    for name, doc in before.items():
        for key in doc:
            assert after[name][key] == doc[key], (name, key)
