"""Prometheus HTTP service discovery: the /metrics address of every agent in pull mode.

Pull mode is the inventory's word (``agents[].metrics``); the address is what the agent
advertises in its heartbeats. An agent missing from the inventory, revoked, or advertising
nothing is left out: Prometheus should not scrape what the province no longer runs.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from netwarden.collector.api.auth import user_caller
from netwarden.collector.api.state import app_state


async def service_discovery(request: Request) -> Response:
    """``[{"targets": ["HOST:PORT"], "labels": {"agent", "site"}}]`` (viewer)."""
    await user_caller(request, "viewer")
    state = app_state(request)
    rows = await state.call(state.store.agents)
    groups = []
    for row in rows:
        listed = state.inventory.agent(row.id)
        if row.revoked or row.enrolled_at is None or not row.advertise:
            continue
        if listed is None or listed.metrics != "pull":
            continue
        groups.append({"targets": [row.advertise], "labels": {"agent": row.id, "site": row.site}})
    return JSONResponse(groups)


ROUTES = [Route("/api/v1/sd", service_discovery, methods=["GET"])]
