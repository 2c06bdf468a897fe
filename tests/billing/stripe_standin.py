"""localstripe on loopback for the Stripe tests, with the Checkout Sessions it lacks.

localstripe (a stateful Stripe API) serves PaymentMethods and PaymentIntents; Stripe
Checkout is not among its resources, so two routes are added to its application before it
starts: create and retrieve a session, each session backed by a real localstripe
PaymentIntent that the test confirms (or fails) with the stripe library. The stripe library
itself is never mocked: ``stripe.api_base`` points here.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
import time

from aiohttp import web
from localstripe import resources
from localstripe.server import app, get_post_data, json_response

# Keep localstripe's state in memory: it pickles every write to one /tmp file otherwise,
# shared by the parallel test processes.
resources.Store.dump_to_disk = lambda self: None

CARDS = {"visa": "4242424242424242", "declined": "4000000000000002"}
SESSIONS: dict[str, dict] = {}


def _session_view(session: dict) -> dict:
    intent = resources.PaymentIntent._api_retrieve(session["payment_intent"])
    paid = intent.status == "succeeded"
    return {**session, "payment_status": "paid" if paid else "unpaid"}


async def _create(request):
    data = await get_post_data(request) or {}
    item = data["line_items"][0]
    amount = int(item["price_data"]["unit_amount"]) * int(item.get("quantity", 1))
    card = resources.PaymentMethod._api_create(
        type="card",
        card={"number": CARDS["visa"], "exp_month": "12", "exp_year": "2030", "cvc": "123"},
    )
    intent = resources.PaymentIntent._api_create(
        amount=amount, currency="eur", payment_method=card.id, metadata=data.get("metadata")
    )
    session_id = "cs_test_" + secrets.token_hex(12)
    SESSIONS[session_id] = {
        "id": session_id,
        "object": "checkout.session",
        "amount_total": amount,
        "currency": "eur",
        "client_reference_id": data.get("client_reference_id"),
        "customer_email": data.get("customer_email"),
        "metadata": data.get("metadata") or {},
        "mode": data.get("mode"),
        "payment_intent": intent.id,
        "status": "open",
        "success_url": data.get("success_url"),
        "url": f"https://checkout.stripe.test/c/pay/{session_id}",
        "expires_at": int(data.get("expires_at") or time.time() + 1800),
    }
    return json_response(_session_view(SESSIONS[session_id]))


async def _retrieve(request):
    return json_response(_session_view(SESSIONS[request.match_info["id"]]))


app.router.add_post("/v1/checkout/sessions", _create)
app.router.add_get("/v1/checkout/sessions/{id}", _retrieve)


def session_view(session_id: str) -> dict:
    return _session_view(SESSIONS[session_id])


def start() -> tuple[str, callable]:
    """Serve localstripe on a free loopback port; return its base URL and a stop function."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    state = {}

    def run():
        asyncio.set_event_loop(loop)
        runner = web.AppRunner(app)
        loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        loop.run_until_complete(site.start())
        state["port"] = site._server.sockets[0].getsockname()[1]
        state["runner"] = runner
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    ready.wait(timeout=10)

    def stop():
        asyncio.run_coroutine_threadsafe(state["runner"].cleanup(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)

    return f"http://127.0.0.1:{state['port']}", stop
