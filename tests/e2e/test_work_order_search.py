"""GET /ot/ and GET /ot/{id}/: filters, ordering, pagination, ETags, and their errors."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from tests.api import Api, Plant

T0 = datetime(2031, 5, 10, 8, tzinfo=timezone.utc)


def ids(response) -> list[int]:  # type: ignore[no-untyped-def]
    assert response.status == 200, response.body
    return [order["id"] for order in response.body]


async def test_search_filters_each_criterion(plant: Plant, planner: Api, tech: Api) -> None:
    tag = uuid.uuid4().hex[:8]
    a1, a2, a3 = plant.assets
    first = await plant.work_order(
        title=f"Lubricar {tag}", start=T0, assets=[a1], technician_id=tech.id
    )
    second = await plant.work_order(
        notes=f"revisar {tag}",
        start=T0 + timedelta(days=2),
        assets=[a3],
        type="CORRECTIVA",
        status="EN_PROGRESO",
    )
    third = await plant.work_order(
        notes=f"{tag}", start=T0 + timedelta(days=5), assets=[a2], status="CANCELADA"
    )

    assert ids(await planner.get("/ot/", q=tag)) == [first, second, third]
    assert ids(await planner.get("/ot/", q=tag.upper())) == [first, second, third]
    assert ids(await planner.get("/ot/", q=tag, status="EN_PROGRESO")) == [second]
    assert ids(await planner.get("/ot/", q=tag, status="PENDIENTE,CANCELADA")) == [first, third]
    assert ids(await planner.get("/ot/", q=tag, type="CORRECTIVA")) == [second]
    assert ids(await planner.get("/ot/", q=tag, technician_id=tech.id)) == [first]
    assert ids(await planner.get("/ot/", q=tag, asset_id=a2)) == [third]
    # The area holds the line: its sub-locations count.
    assert ids(await planner.get("/ot/", q=tag, location_id=plant.locations["area"])) == [
        first,
        third,
    ]
    assert ids(await planner.get("/ot/", q=tag, location_id=plant.locations["other"])) == [second]
    # Window overlap, whole days in plant time.
    assert ids(
        await planner.get("/ot/", q=tag, start_date="2031-05-12", end_date="2031-05-12")
    ) == [second]
    assert ids(await planner.get("/ot/", q=tag, start_date="2031-05-11")) == [second, third]
    assert ids(await planner.get("/ot/", q=tag, end_date="2031-05-10")) == [first]


async def test_search_matches_asset_and_technician_names(
    plant: Plant, planner: Api, other_tech: Api
) -> None:
    start = T0 + timedelta(days=400)
    order = await plant.work_order(
        start=start, technician_id=other_tech.id, assets=[plant.assets[2]]
    )
    window = {"start_date": "2032-06-13", "end_date": "2032-06-14"}
    assert order in ids(await planner.get("/ot/", q="bomba de vacío", **window))
    assert order in ids(await planner.get("/ot/", q="Teresa", **window))
    assert order not in ids(await planner.get("/ot/", q="no-such-thing", **window))


async def test_search_result_shape(plant: Plant, tech: Api) -> None:
    order = await plant.work_order(notes=f"shape-{uuid.uuid4().hex}", technician_id=tech.id)
    body = (await tech.get("/ot/", asset_id=plant.assets[0], q="shape-")).body
    found = next(o for o in body if o["id"] == order)
    assert "steps" not in found
    assert found["technician"] == "Tomás Técnico"
    assert found["assets"][0]["location"] == {
        "id": plant.locations["line"],
        "code": "PLT-A-L1",
        "name": "Línea 1",
    }
    assert found["allowed_transitions"] == ["EN_PROGRESO", "COMPLETADA", "CANCELADA"]
    assert found["code"].startswith("OT-") and found["version"] == 1
    assert found["scheduled_start"].endswith("+00:00")


async def test_pagination_walks_every_result_once(plant: Plant, planner: Api) -> None:
    tag = uuid.uuid4().hex[:8]
    # Equal start times on some orders: the id breaks the tie.
    made = [await plant.work_order(notes=tag, start=T0 + timedelta(hours=i // 2)) for i in range(7)]
    seen: list[int] = []
    response = await planner.get("/ot/", q=tag, limit=3)
    pages = 0
    while True:
        pages += 1
        assert response.status == 200
        assert response.headers["X-Total-Count"] == "7"
        seen += ids(response)
        link = response.headers.get("Link")
        if link is None:
            break
        url = link.split(";")[0].strip("<>")
        response = await planner.request("GET", url)
    assert pages == 3
    assert seen == made


async def test_window_pages_merge_spanning_and_starting_orders(plant: Plant, planner: Api) -> None:
    # A window of its own (2036-02-10 to 2036-02-12, UTC): orders starting in it, orders running
    # at its start, and the ones just outside or of another status.
    day = datetime(2036, 2, 10, tzinfo=timezone.utc)
    hour = timedelta(hours=1)
    spanning = await plant.work_order(start=day - 2 * 24 * hour, duration=72 * hour)
    ending_at_start = await plant.work_order(
        start=day - 5 * hour, duration=5 * hour, status="EN_PROGRESO"
    )
    ends_before = await plant.work_order(start=day - 5 * hour, duration=4 * hour)
    first_hour = [
        await plant.work_order(start=day, status=status)
        for status in ("PENDIENTE", "EN_PROGRESO", "PENDIENTE")
    ]
    await plant.work_order(start=day + 3 * hour, status="COMPLETADA")
    last = await plant.work_order(start=day + 3 * 24 * hour - hour, duration=5 * hour)
    await plant.work_order(start=day + 3 * 24 * hour)  # starts the day after the window
    expected = [spanning, ending_at_start, *first_hour, last]

    window = {"start_date": "2036-02-10", "end_date": "2036-02-12"}
    seen: list[int] = []
    response = await planner.get("/ot/", status="PENDIENTE,EN_PROGRESO", limit=2, **window)
    while True:
        assert response.headers["X-Total-Count"] == str(len(expected))
        seen += ids(response)
        link = response.headers.get("Link")
        if link is None:
            break
        response = await planner.request("GET", link.split(";")[0].strip("<>"))
    assert seen == expected

    pending = await planner.get("/ot/", status="PENDIENTE", **window)
    assert ids(pending) == [spanning, first_hour[0], first_hour[2], last]
    assert pending.headers["X-Total-Count"] == "4"
    everything = await planner.get("/ot/", **window)
    assert len(ids(everything)) == len(expected) + 1  # the completed one too
    the_day_before = {"start_date": "2036-02-09", "end_date": "2036-02-09"}
    assert ids(await planner.get("/ot/", **the_day_before)) == [
        spanning,
        ending_at_start,
        ends_before,
    ]


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "abc"},
        {"limit": "9999"},
        {"limit": "0"},
        {"cursor": "%%%"},
        {"cursor": "WzFd"},
        {"status": "ABIERTA"},
        {"start_date": "2031-13-01"},
        {"start_date": "2031-05-02", "end_date": "2031-05-01"},
        {"technician_id": "x"},
    ],
)
async def test_bad_query_values_are_422(planner: Api, params: dict[str, str]) -> None:
    response = await planner.get("/ot/", **params)
    assert response.status == 422
    assert response.body["status"] == "error" and response.body["errors"]
    assert response.body["errors"][0]["loc"][0] == "query"


async def test_detail_with_steps_etag_and_304(plant: Plant, tech: Api) -> None:
    order = await plant.work_order(steps=3)
    response = await tech.get(f"/ot/{order}/")
    assert response.status == 200
    assert [s["order"] for s in response.body["steps"]] == [1, 2, 3]
    assert response.body["steps"][0] | {"id": 0} == {
        "id": 0,
        "order": 1,
        "description": "Paso 1",
        "kind": "CHECK",
        "unit": None,
        "min_value": None,
        "max_value": None,
        "done": False,
        "ok": None,
        "value": None,
        "comment": None,
    }
    etag = response.headers["ETag"]
    cached = await tech.request("GET", f"/ot/{order}/", headers={"If-None-Match": etag})
    assert cached.status == 304
    await plant.scalar(
        "UPDATE work_orders SET notes = 'changed' WHERE id = :id RETURNING id", id=order
    )
    fresh = await tech.request("GET", f"/ot/{order}/", headers={"If-None-Match": etag})
    assert fresh.status == 200 and fresh.headers["ETag"] != etag


async def test_unknown_order_is_404(planner: Api) -> None:
    response = await planner.get("/ot/99999999/")
    assert response.status == 404
    assert response.body == {
        "status": "error",
        "message": "work order 99999999 not found",
        "errors": [],
    }


async def test_requester_may_not_read_orders(plant: Plant, requester: Api) -> None:
    order = await plant.work_order()
    assert (await requester.get(f"/ot/{order}/")).status == 403
    assert (await requester.get("/ot/")).status == 403
    # The role is refused before telling whether the order exists.
    assert (await requester.get("/ot/99999999/")).status == 403


async def test_tokens_are_required_and_checked(http, plant: Plant) -> None:  # type: ignore[no-untyped-def]
    assert (await Api(http, None).get("/ot/")).status == 401
    assert (await Api(http, "not-a-token").get("/ot/")).status == 401
    # The detail checks the token in its own query: the same answers, known order or not.
    order = await plant.work_order()
    for path in (f"/ot/{order}/", "/ot/99999999/"):
        assert (await Api(http, None).get(path)).status == 401
        refused = await Api(http, "not-a-token").get(path)
        assert refused.status == 401
        assert refused.body["message"] == "invalid or expired token"
    response = await Api(http, None).get("/health/")
    assert response.status == 200


async def test_missing_trailing_slash_redirects_before_auth(http) -> None:  # type: ignore[no-untyped-def]
    response = await Api(http, None).request(
        "GET", "/mantenimiento/ot?status=PENDIENTE", allow_redirects=False
    )
    assert response.status == 308
    assert response.headers["Location"] == "/mantenimiento/ot/?status=PENDIENTE"
