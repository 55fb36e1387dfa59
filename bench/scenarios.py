"""What the benchmark asks of the server: the people signed in, each scenario's requests, the
first visit of a page after a change (nothing kept), and reading the saved ratings back."""

import json
import random
import re
import threading
import time
from urllib.parse import urlencode

import httpx

from bench import load
from bench.seed import PASSWORD


def browser_session(base: str, email: str) -> tuple[str, str]:
    """Sign in through the form; returns the Cookie header and the CSRF token."""
    # Cookies are Secure as in production; over loopback http we carry them by hand.
    def cookies(response: httpx.Response) -> str:
        return "; ".join(h.split(";", 1)[0] for h in response.headers.get_list("set-cookie"))

    with httpx.Client(base_url=base) as c:
        page = c.get("/sign-in")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        signed = c.post("/sign-in", headers={"Cookie": cookies(page)},
                        data={"email": email, "password": PASSWORD, "csrf_token": token})
        cookie = next(p for p in cookies(signed).split("; ") if p.startswith("imroc_session="))
        home = c.get("/", headers={"Cookie": cookie}).text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', home).group(1)
    return cookie, csrf


def api_token(base: str, email: str) -> str:
    r = httpx.post(f"{base}/api/v1/auth/token", data={"username": email, "password": PASSWORD})
    return r.json()["access_token"]


def read_only_pages(sizes: dict) -> dict[str, list[str]]:
    """The kept pages each read-only scenario takes in turn."""
    return {"site_dashboard": [f"/sites/{1 + n}/dashboard" for n in range(min(20, sizes["sites"]))],
            "learning_set_dashboard": [f"/learning-sets/{1 + n}/dashboard"
                                       for n in range(min(10, sizes["sets"]))],
            "programme_comparison": ["/programme"]}


class Scenarios:
    """The requests of every scenario, for one server and the people signed in to it."""

    def __init__(self, base: str, sizes: dict) -> None:
        self.base, self.sizes = base, sizes
        self.cookie, _ = browser_session(base, "programme@bench.example")
        raters = [(s, f"s{s}.r{(s % 7) + 1}@bench.example")
                  for s in range(1, min(32, sizes["sites"]) + 1)]
        self.tokens = [(s, api_token(base, e)) for s, e in raters]
        self.members = [(s, *browser_session(base, e)) for s, e in raters[:8]]
        self._versions: dict[int, int] = {}
        self._sent: dict[int, tuple[int, str, list[int]]] = {}  # connection -> last save sent
        self.saved: dict[int, tuple[int, str, int, list[int]]] = {}  # ... and last one answered

    def open_cycle(self, site: int) -> int:
        return site * self.sizes["cycles"]  # ids follow the seeding order

    def plans(self) -> dict:
        """name -> (make request n, extra arguments for load.run)."""
        page = {"Cookie": self.cookie}

        def rotate(paths: list[str]):
            # Each connection starts at its own page, so all are visited at once.
            return lambda n: ("GET", paths[(n + n // 1_000_000) % len(paths)], page, b"")

        plans = {"healthz": (lambda n: ("GET", "/healthz", {}, b""), {}),
                 "healthz_with_cookie": (lambda n: ("GET", "/healthz", page, b""), {}),
                 "rating_save": (self._rating, {"after": self._after_rating}),
                 "action_edit": (self._action, {"after": self._after_action}),
                 "mixed": (self._mixed, {})}
        for name, paths in read_only_pages(self.sizes).items():
            plans[name] = (rotate(paths), {})
        return plans

    def _rating(self, n: int) -> load.Request:
        worker = n // 1_000_000
        site, token = self.tokens[worker % len(self.tokens)]
        levels = [random.randint(0, 3) for _ in range(10)]
        self._sent[worker] = (self.open_cycle(site), token, levels)
        body = json.dumps({"ratings": [{"challenge": c, "level": level, "comment": "benchmark"}
                                       for c, level in enumerate(levels, start=1)]})
        return ("PUT", f"/api/v1/cycles/{self.open_cycle(site)}/ratings",
                {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                body.encode())

    def _after_rating(self, n: int, status: int, body: bytes) -> None:
        if status == 200:
            cycle, token, levels = self._sent[n // 1_000_000]
            rater = json.loads(body)["ratings"][0]["rater_id"]
            self.saved[n // 1_000_000] = (cycle, token, rater, levels)

    def lost_ratings(self) -> dict:
        """Each connection's last answered save, read back: levels not as saved are lost."""
        lost = 0
        with httpx.Client(base_url=self.base, timeout=60) as c:
            for cycle, token, rater, levels in self.saved.values():
                rows = c.get(f"/api/v1/cycles/{cycle}/ratings",
                             headers={"Authorization": f"Bearer {token}"}).json()["ratings"]
                stored = {r["challenge"]: r["level"] for r in rows if r["rater_id"] == rater}
                lost += sum(stored.get(c) != level for c, level in enumerate(levels, start=1))
        return {"raters_read_back": len(self.saved), "lost": lost}

    def _action(self, n: int) -> load.Request:
        site, token = self.tokens[(n // 1_000_000) % len(self.tokens)]
        action_id = self.open_cycle(site) * self.sizes["actions"]  # the open cycle's last
        body = json.dumps({"notes": f"edit {n}",
                           "version": self._versions.setdefault(action_id, 1)})
        return ("PATCH", f"/api/v1/actions/{action_id}",
                {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                body.encode())

    def _after_action(self, n: int, status: int, body: bytes) -> None:
        if status == 200:
            data = json.loads(body)
            self._versions[data["id"]] = data["version"]

    def _mixed(self, n: int) -> load.Request:
        roll = random.random()
        site, cookie, csrf = self.members[(n // 1_000_000) % len(self.members)]
        headers = {"Cookie": cookie}
        cid = self.open_cycle(site)
        if roll < 0.7:
            path = random.choice([f"/sites/{site}/dashboard", f"/cycles/{cid}", "/sites",
                                  f"/cycles/{cid}/rate"])
            return ("GET", path, headers, b"")
        if roll < 0.9:
            return ("GET", f"/cycles/{cid}/rate?challenge={random.randint(1, 10)}",
                    {**headers, "HX-Request": "true"}, b"")
        c = random.randint(1, 10)
        body = urlencode({"challenge": c, f"level_{c}": random.randint(0, 3),
                          f"comment_{c}": "mixed"}).encode()
        return ("POST", f"/cycles/{cid}/rate", {
            **headers, "HX-Request": "true", "X-CSRF-Token": csrf,
            "Content-Type": "application/x-www-form-urlencoded"}, body)

    def cold_pages(self, server, rounds: int) -> dict:
        """Each kept page's first visit after a change (a rating saved, so nothing kept is
        current): the server's processor time for the page alone, the change not counted."""
        site, token = self.tokens[0]
        change = {"ratings": [{"challenge": 1, "level": 0, "comment": "cold"}]}
        out = {}
        with httpx.Client(base_url=self.base, timeout=120) as c:
            for name, paths in read_only_pages(self.sizes).items():
                cpu, walls, sql = 0.0, [], set()
                for n in range(rounds):
                    change["ratings"][0]["level"] = n % 4
                    saved = c.put(f"/api/v1/cycles/{self.open_cycle(site)}/ratings", json=change,
                                  headers={"Authorization": f"Bearer {token}"})
                    assert saved.status_code == 200, saved.text
                    time.sleep(0.02)  # the change's clean-up after its answer, not counted
                    before = server.cpu_seconds()
                    started = time.perf_counter()
                    page = c.get(paths[n % len(paths)], headers={"Cookie": self.cookie})
                    walls.append(time.perf_counter() - started)
                    time.sleep(0.02)
                    cpu += server.cpu_seconds() - before
                    assert page.status_code == 200, f"{paths[n % len(paths)]}: {page.status_code}"
                    sql.add(int(page.headers.get("x-sql-statements", "-1")))
                walls.sort()
                out[name] = {"requests": rounds, "server_cpu_ms": round(cpu * 1000 / rounds, 2),
                             "p50_ms": round(walls[len(walls) // 2] * 1000, 2),
                             "sql_statements": sorted(sql)}
        return out


def sign_in_burst(base: str, count: int, sites: int) -> dict:
    """`count` people signing in at the same moment."""
    emails = [f"s{s}.r{r}@bench.example" for s in range(min(100, sites // 5) + 1, sites + 1)
              for r in range(8)][:count]
    barrier = threading.Barrier(len(emails))
    statuses: list[int] = []

    def one(email: str) -> None:
        with httpx.Client(timeout=60) as c:
            barrier.wait()
            statuses.append(c.post(f"{base}/api/v1/auth/token",
                                   data={"username": email, "password": PASSWORD}).status_code)

    threads = [threading.Thread(target=one, args=(e,)) for e in emails]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"count": len(emails), "seconds": round(time.perf_counter() - started, 2),
            "ok": statuses.count(200)}
