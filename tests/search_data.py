"""Things to search for, made directly: cycles with a PDSA record, actions, threads with
their posts, and a world of two sites in two learning sets holding each kind."""

from datetime import date

from sqlmodel import select

from imroc.clock import utcnow
from imroc.models import Action, Cycle, Framework, Post, Site, Thread
from tests.factories import World, api_token

API = "/api/v1/search"


def _framework(session) -> int:
    return session.exec(select(Framework.id)).first()


def a_cycle(session, site: Site, number: int = 1, **record) -> Cycle:
    cycle = Cycle(site_id=site.id, number=number, framework_id=_framework(session),
                  started_on=date(2024, 1, 8), stage="closed" if number > 1 else "plan",
                  learning_set_id=site.learning_set_id, **record)
    session.add(cycle)
    session.commit()
    return cycle


def an_action(session, cycle: Cycle, title: str, notes: str = "") -> Action:
    action = Action(cycle_id=cycle.id, challenge=3, title=title, notes=notes)
    session.add(action)
    session.commit()
    return action


def a_thread(session, author, title: str, *bodies: str, ls=None, hidden: tuple = ()) -> Thread:
    """A thread with its posts in order; the posts numbered in `hidden` are hidden."""
    now = utcnow()
    thread = Thread(learning_set_id=ls.id if ls else None, title=title, author_id=author.id,
                    created_at=now, last_post_at=now)
    session.add(thread)
    session.commit()
    for n, body in enumerate(bodies):
        post = Post(thread_id=thread.id, author_id=author.id, body=body, created_at=now)
        if n in hidden:
            post.hidden_at, post.hidden_by, post.hidden_reason = now, author.id, "Off topic"
        session.add(post)
    session.commit()
    return thread


def searchable_world(session) -> World:
    """Site A (set A) and site B (set B), each with a cycle, an action and a thread of its
    set, and a programme thread everyone may read."""
    world = World(session)
    world.cycle_a = a_cycle(session, world.site_a, aim="Reduce seclusion on Willow ward",
                            study_notes="Seclusion hours fell by a third")
    world.cycle_b = a_cycle(session, world.site_b, aim="Reduce seclusion on Birch ward")
    world.action_a = an_action(session, world.cycle_a, "Recovery college taster sessions",
                               "Peer trainers ran the first quokka workshop in March")
    world.action_b = an_action(session, world.cycle_b, "Recovery college prospectus")
    world.thread_a = a_thread(session, world.member, "Peer support on Willow",
                              "We recruited two peer workers", "Our quokka mascot helped",
                              ls=world.set_a)
    world.thread_b = a_thread(session, world.member_b, "Peer support on Birch",
                              "Birch started with one ward", ls=world.set_b)
    world.thread_p = a_thread(session, world.programme, "Peer support across the programme",
                              "Share what worked")
    return world


def api(client, user, q: str, **params):
    response = client.get(API, params={"q": q, **params}, headers=api_token(client, user))
    assert response.status_code == 200, response.text
    return response.json()


def titles(body: dict, kind: str) -> set[str]:
    return {h["title"] for h in body["hits"] if h["kind"] == kind}
