"""The users of the load benchmark (bench_load.py starts locust with this file).

50 parents browse the Vue Période week after week, click two cells into their cart and
validate it; 5 staff page through the admin's bookings and foyers; one more user asks the
bare view (/__bench/nu/) all along, the floor under the same load. Sessions are made by
bench_load.py and read from BENCH_LOAD_USERS (a JSON file).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import random
import secrets

from locust import FastHttpUser, between, constant, task

with open(os.environ["BENCH_LOAD_USERS"]) as stream:
    USERS = json.load(stream)
HOST = USERS["host"]
WAIT = float(os.environ.get("BENCH_LOAD_WAIT", "1"))
_parents = itertools.cycle(USERS["parents"])
_staff = itertools.cycle(USERS["staff"])


class _Portal(FastHttpUser):
    abstract = True

    def login(self, cookie: str) -> None:
        # A CSRF cookie of our own: Django accepts the same secret in the header.
        self.csrf = secrets.token_hex(16)
        self.headers = {
            "Host": HOST,
            "X-Forwarded-Proto": "https",
            "Cookie": f"{cookie}; csrftoken={self.csrf}",
        }

    def post_form(self, path: str, data: dict, name: str, **headers):
        return self.client.post(
            path,
            data=data,
            name=name,
            allow_redirects=False,
            headers={
                **self.headers,
                "X-CSRFToken": self.csrf,
                "Referer": f"https://{HOST}/reservations/",
                **headers,
            },
        )


class Parent(_Portal):
    weight = 50
    wait_time = between(0, 2 * WAIT)

    def on_start(self):
        user = next(_parents)
        self.login(user["cookie"])
        self.child, self.service, self.prestation = (
            user["child"],
            user["service"],
            user["prestation"],
        )
        today = dt.date.today()
        self.week = today - dt.timedelta(days=today.weekday()) + dt.timedelta(weeks=1)

    @task
    def book_a_week(self):
        start = self.week
        self.week += dt.timedelta(weeks=1)
        query = {"enfant": self.child, "service": self.service, "debut": start.isoformat()}
        self.client.get("/reservations/", params=query, headers=self.headers, name="grid")
        for day in (start, start + dt.timedelta(days=1)):
            self.post_form(
                "/reservations/cellule/",
                {"child": self.child, "cell": f"{self.prestation}-{day:%Y%m%d}", "debut": start},
                name="cell",
                **{"HX-Request": "true"},
            )
        self.post_form("/reservations/valider/", query, name="validate")


class Staff(_Portal):
    fixed_count = 5
    wait_time = between(0, 2 * WAIT)

    def on_start(self):
        self.login(next(_staff))

    @task
    def page(self):
        for model in ("reservations/booking", "families/foyer"):
            page = random.randint(1, 10)
            self.client.get(
                f"/admin/{model}/?p={page}", headers=self.headers, name=f"admin {model}"
            )


class Bare(_Portal):
    fixed_count = 1
    wait_time = constant(0.2)

    def on_start(self):
        self.login(USERS["parents"][0]["cookie"])

    @task
    def bare(self):
        self.client.get("/__bench/nu/", headers=self.headers, name="bare")
