"""Demo data: a believable Spanish-speaking plant, loaded into an empty database.

Each table is written with one executemany (the order-notice link with one UPDATE ... FROM), so
the statement count is constant however many rows are made. RETURNING hands ids back in
parameter order, which lets later rows reference earlier ones without reading them back.
"""
from __future__ import annotations

import asyncio
import calendar
import itertools
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from argon2 import PasswordHasher
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db.models import (
    Asset, AssetCategory, Aviso, Frequency, Location, MaintenanceType, Program, ProgramGeneration,
    Routine, RoutineStep, User, WorkOrder, WorkOrderEvent, WorkOrderStep,
    category_maintenance_types, program_assets, work_order_assets,
)
from shared.enums import AvisoStatus as AS, Role, StepKind, WorkOrderStatus as S

UTC = ZoneInfo("UTC")
Row = dict[str, Any]


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: str
    full_name: str


def _lines(table: str) -> list[list[str]]:
    return [line.split("|") for line in table.strip().splitlines()]


# Fixed, not seeded: these are the documented demo logins.
LOGINS = [DemoLogin(*row) for row in _lines("""
admin|admin123|ADMIN|Roberto Sánchez Díaz
planificador|plan123|PLANIFICADOR|Patricia Morales Vega
tecnico1|tecnico123|TECNICO|Juan Carlos Pérez Gómez
tecnico2|tecnico123|TECNICO|María Fernanda López Ruiz
tecnico3|tecnico123|TECNICO|José Luis Hernández Castro
tecnico4|tecnico123|TECNICO|Ana Sofía Ramírez Torres
solicitante|solic123|SOLICITANTE|Diego Fernández Rojas""")]
AREAS = (("ENV", "Envasado"), ("PRO", "Proceso"), ("SRV", "Servicios auxiliares"),
         ("MPR", "Recepción de materias primas"), ("PTA", "Planta de tratamiento de aguas"),
         ("CAL", "Calderas y vapor"), ("ALM", "Almacén de producto terminado"))
FREQUENCIES = {"Diaria": (1, "DIA"), "Semanal": (1, "SEMANA"), "Quincenal": (2, "SEMANA"),
               "Mensual": (1, "MES"), "Trimestral": (3, "MES"), "Semestral": (6, "MES"),
               "Anual": (1, "ANIO")}
# key | maintenance type | routine name | usual frequencies | usual minutes
TYPES = {row[0]: row for row in _lines("""
M|Mecánico|Inspección mecánica|Semanal Mensual Trimestral|45 60 90
E|Eléctrico|Revisión eléctrica|Mensual Trimestral Semestral|45 60 120
L|Lubricación|Lubricación|Quincenal Mensual|20 30 45
I|Instrumentación|Calibración y verificación|Semestral Anual|60 90
N|Neumático|Revisión neumática|Diaria Semanal Mensual|15 30
H|Hidráulico|Revisión hidráulica|Semanal Trimestral|30 60""")}
# category | code prefix | about how many | admitted types (TYPES keys) | name templates
CATEGORIES = _lines("""
Bombas|BOMBA|50|MEL|Bomba centrífuga agua de enfriamiento;Bomba dosificadora de químicos
Motores eléctricos|MOT|70|MEL|Motor eléctrico de ventilador extractor;Motor de agitador
Compresores|COMP|10|MELN|Compresor de aire de tornillo;Compresor de pistón aire de instrumentos
Transportadores|TRANS|35|MEL|Transportador de banda;Transportador de rodillos;Elevador de cangilones
Válvulas|VAL|45|MINH|Válvula de control de vapor;Válvula mariposa neumática;Válvula de alivio
Tableros eléctricos|TAB|25|EI|Centro de control de motores;Tablero de distribución;Tablero PLC
Reductores|RED|25|ML|Reductor de velocidad de agitador;Reductor de transportador
Intercambiadores de calor|INT|10|MI|Intercambiador de placas;Intercambiador de tubo y coraza
Unidades hidráulicas|UH|8|MEH|Unidad hidráulica de prensa;Central hidráulica de compactadora
Instrumentos de proceso|INST|17|I|Transmisor de presión;Transmisor de nivel;Medidor de flujo
Actuadores neumáticos|ACT|6|MN|Cilindro neumático de empujador;Actuador neumático de compuerta""")
ROTATING = ("BOMBA", "MOT", "COMP", "TRANS", "RED", "UH")  # the ones with bearings and couplings
# Step pools per type, ";"-separated: "<C|M|T> text[|unit|min|max]" (CHECK, MEDICION, TEXTO).
STEPS = {
    "M": "C Verificar ausencia de ruidos anormales;M Medir vibración en rodamiento lado acople|"
    "mm/s|0|4.5;M Medir vibración en rodamiento lado libre|mm/s|0|4.5;M Medir temperatura de "
    "rodamientos|°C|20|80;C Revisar alineación y estado del acople;C Verificar apriete de pernos "
    "de anclaje;C Inspeccionar sellos por fugas;C Revisar guardas de protección",
    "E": "M Medir tensión de alimentación|V|414|506;M Medir desbalance de corriente entre fases|%|"
    "0|10;M Medir resistencia de aislamiento|MΩ|100|10000;C Reapretar bornes y conexiones;C "
    "Verificar estado de cables y prensaestopas;C Inspeccionar contactores y relés térmicos;M "
    "Termografía: temperatura máxima en conexiones|°C|20|70;C Limpiar filtros de ventilación",
    "L": "C Verificar nivel de aceite en visor;C Engrasar rodamiento lado acople;C Engrasar "
    "rodamiento lado libre;M Cantidad de grasa aplicada|g|5|30;C Revisar fugas de aceite en "
    "retenes;M Temperatura del aceite|°C|20|75;T Lubricante utilizado (marca y grado)",
    "I": "C Comparar lectura en campo con SCADA;M Error de calibración al 50 % del rango|%|-1|1;M "
    "Señal de salida con referencia de 4 mA|mA|3.9|4.1;C Revisar cableado del instrumento;C "
    "Limpiar toma de proceso y sensor;T Número de certificado de calibración",
    "N": "M Presión de suministro de aire|bar|5.5|7;C Drenar condensado del filtro regulador;C "
    "Verificar fugas de aire en conexiones;C Revisar carrera completa del actuador;M Tiempo de "
    "carrera de apertura|s|0|5;C Revisar mangueras y racores",
    "H": "C Verificar nivel de aceite hidráulico;M Presión de trabajo del sistema|bar|120|160;M "
    "Temperatura del aceite hidráulico|°C|30|60;C Revisar fugas en mangueras y cilindros;C "
    "Verificar indicador de saturación del filtro;C Verificar precarga del acumulador",
}
FIRST_STEP, LAST_STEP = "C Aplicar bloqueo y etiquetado (LOTO)", "T Observaciones generales"
# title | priority | status of the corrective order made from it ("-": none yet) | its day,
# from today | source (an external system's notice carries that system's message id)
NOTICES = _lines("""
Ruido anormal y vibración elevada|ALTA|COMPLETADA|-12|APP
Fuga de aceite por retén|MEDIA|COMPLETADA|-5|APP
Goteo constante en sello mecánico|BAJA|CANCELADA|-8|APP
Sobrecalentamiento de motor|URGENTE|EN_PROGRESO|0|APP
Equipo no arranca: salta la protección térmica|ALTA|PENDIENTE|1|APP
Banda desalineada roza con la estructura|MEDIA|-|0|APP
Olor a quemado cerca del equipo|URGENTE|-|0|APP
Alarma: alta temperatura en rodamiento|ALTA|-|0|scada-1""")
PROGRAMS, PREVENTIVE_TARGET = 30, 145


async def database_is_empty(session: AsyncSession) -> bool:
    """True when there are no users and no assets: a fresh install the demo may fill."""
    return not await session.scalar(select(select(User.id).exists() | select(Asset.id).exists()))


async def load_demo_data(
    session: AsyncSession, *, seed: int = 7, today: date | None = None, tz: tzinfo = UTC
) -> list[DemoLogin]:
    """Fill an empty database with a demo plant inside the caller's transaction (no commit)."""
    rng = random.Random(seed)
    today = today or datetime.now(tz).date()
    morning = datetime.combine(today, time(7), tz)  # the story's "now", so reruns are identical

    plant = await _ids(session, Location, [{"code": "PLT-01", "name": "Planta Querétaro",
                                           "parent_id": None}])
    chosen = rng.sample(AREAS, rng.randint(4, 6))
    areas = [a for a in AREAS if a in chosen]  # in the plant's own order
    area_ids = await _ids(session, Location, [
        {"code": f"PLT-01-{c}", "name": n, "parent_id": plant[0]} for c, n in areas])
    line_ids = await _ids(session, Location, [
        {"code": f"PLT-01-{c}-L{i}", "name": f"{n} - Línea {i}", "parent_id": area}
        for (c, n), area in zip(areas, area_ids) for i in range(1, rng.randint(2, 4) + 1)])
    type_ids = dict(zip(TYPES, await _ids(session, MaintenanceType,
                                          [{"name": t[1]} for t in TYPES.values()])))
    cat_ids = dict(zip((c[1] for c in CATEGORIES), await _ids(
        session, AssetCategory, [{"name": c[0]} for c in CATEGORIES])))
    await _rows(session, category_maintenance_types, [
        {"category_id": cat_ids[c[1]], "maintenance_type_id": type_ids[t]}
        for c in CATEGORIES for t in c[3]])
    freq_ids = dict(zip(FREQUENCIES, await _ids(session, Frequency, [
        {"name": n, "interval": i, "unit": u} for n, (i, u) in FREQUENCIES.items()])))
    # argon2 is slow on purpose; keep it off the event loop.
    hashes = await asyncio.to_thread(lambda: [PasswordHasher().hash(u.password) for u in LOGINS])
    user_ids = dict(zip((u.username for u in LOGINS), await _ids(session, User, [
        {"username": u.username, "full_name": u.full_name, "role": u.role, "password_hash": h}
        for u, h in zip(LOGINS, hashes)])))
    techs = [user_ids[u.username] for u in LOGINS if u.role == Role.TECNICO]
    reporters = [user_ids["solicitante"], *techs]

    assets: list[Row] = []
    for _, prefix, count, _, templates in CATEGORIES:
        number, n = 0, int(count)
        for _ in range(n + rng.randint(-n // 5, n // 5)):
            number += rng.choice((1, 1, 1, 2, 3))  # real numbering has gaps (scrapped units)
            assets.append({"code": f"{prefix}-{number:02d}", "location_id": rng.choice(line_ids),
                           "name": f"{rng.choice(templates.split(';'))} {number:02d}",
                           "category_id": cat_ids[prefix], "active": rng.random() > 0.02})
    asset_ids = await _ids(session, Asset, assets)
    code_of = {i: a["code"] for i, a in zip(asset_ids, assets)}
    usable: dict[str, list[int]] = {}  # active assets by category prefix
    for i, a in zip(asset_ids, assets):
        if a["active"]:
            usable.setdefault(a["code"].split("-")[0], []).append(i)

    # One routine per admitted (category, type): its type is admitted by construction.
    routines = [(f"{TYPES[t][2]} de {c[0].lower()}", c[1], t, rng.choice(TYPES[t][3].split()),
                 int(rng.choice(TYPES[t][4].split()))) for c in CATEGORIES for t in c[3]]
    routine_ids = await _ids(session, Routine, [
        {"name": name, "description": f"Rutina de mantenimiento {TYPES[t][1].lower()}.",
         "maintenance_type_id": type_ids[t], "frequency_id": freq_ids[f],
         "estimated_duration_min": m} for name, _, t, f, m in routines])
    steps_of: list[list[Row]] = []
    for _, prefix, t, _, _ in routines:
        pool = [s for s in STEPS[t].split(";")  # no bearings on a valve or an exchanger
                if prefix in ROTATING or not ("rodamiento" in s or "acople" in s)]
        picked = sorted(rng.sample(range(len(pool)), rng.randint(2, min(8, len(pool)))))
        specs = [FIRST_STEP, *(pool[i] for i in picked), LAST_STEP]  # in the pool's order
        steps_of.append([_step(pos, spec) for pos, spec in enumerate(specs, 1)])
    await _rows(session, RoutineStep, [{"routine_id": r, **s}
                                       for r, steps in zip(routine_ids, steps_of) for s in steps])

    programs: list[tuple[int, Row, list[int]]] = []  # (routine index, row, assets)
    # Every routine gets a program; any left over repeat random routines.
    for r in [*range(len(routines)), *rng.choices(range(len(routines)), k=PROGRAMS)][:PROGRAMS]:
        pool = usable[routines[r][1]]
        members = sorted(rng.sample(pool, rng.randint(1, min(5, len(pool)))))
        programs.append((r, {"routine_id": routine_ids[r], "frequency_id": freq_ids[routines[r][3]],
                             "start_date": today + timedelta(rng.randint(-40, 7)),
                             "technician_id": rng.choice(techs),
                             "one_order_per_asset": len(members) > 1 and rng.random() < 0.35},
                         members))
    program_ids = await _ids(session, Program, [p for _, p, _ in programs])
    await _rows(session, program_assets, [{"program_id": pid, "asset_id": a}
                                          for pid, (_, _, ms) in zip(program_ids, programs)
                                          for a in ms])

    # What the scheduler would have generated over the last and next 30 days, for the programs
    # that fit the target (a daily program on five assets would drown out the rest).
    plan: list[tuple[int, date, list[int]]] = []
    for n in rng.sample(range(len(programs)), len(programs)):
        r, p, members = programs[n]
        dues = _due_dates(p["start_date"], *FREQUENCIES[routines[r][3]], today - timedelta(30),
                          today + timedelta(30))
        groups = [(d, [a]) for d in dues for a in members] if p["one_order_per_asset"] \
            else [(d, members) for d in dues]
        if len(plan) + len(groups) <= PREVENTIVE_TARGET:
            plan += [(n, d, g) for d, g in groups]
    plan.sort(key=lambda o: (o[1], o[0]))  # ids ascend with the schedule, as generated

    orders: list[tuple[Row, list[int], list[Row]]] = []  # (order, assets, steps)
    for n, due, members in plan:
        r, p, _ = programs[n]
        status = _preventive_status(rng.random(), due, today)
        what = code_of[members[0]] if len(members) == 1 else f"{len(members)} equipos"
        order = _order(rng, f"{routines[r][0]} - {what}", status, datetime.combine(
            due, time(8), tz), routines[r][4], p["technician_id"], morning)
        orders.append((order | {"type": "PREVENTIVA", "routine_id": routine_ids[r],
                                "program_id": program_ids[n], "due_date": due},
                       members, [_result(rng, s, status, len(steps_of[r])) for s in steps_of[r]]))
    rotating = [a for prefix in ROTATING for a in usable[prefix]]
    notices: list[Row] = []  # "work_order_id" holds an index into `orders` until ids exist
    for title, priority, status, days, source in NOTICES:
        asset, app = rng.choice(rotating), source == "APP"
        reported = morning - timedelta(minutes=rng.randint(10, 5000))
        if status != "-":  # the planner turned it into a corrective order
            order = _order(rng, f"{title} - {code_of[asset]}", S(status), datetime.combine(
                today + timedelta(int(days)), time(10), tz), 120, rng.choice(techs), morning)
            reported = order["scheduled_start"] - timedelta(hours=20)
            orders.append((order | {"type": "CORRECTIVA", "routine_id": None, "program_id": None,
                                    "due_date": None}, [asset], []))
        notices.append({
            "asset_id": asset, "title": title, "priority": priority, "source": source,
            "status": (AS.ABIERTO if status == "-" else AS.CERRADO if status in (
                S.COMPLETADA, S.CANCELADA) else AS.EN_PROCESO).value,
            "author_id": rng.choice(reporters) if app else None,
            "external_id": None if app else f"ALM-{rng.randint(100000, 999999)}",
            "work_order_id": None if status == "-" else len(orders) - 1,
            "reported_at": reported, "created_at": reported})

    order_ids = await _ids(session, WorkOrder, [o for o, _, _ in orders])
    await _rows(session, work_order_assets, [{"work_order_id": i, "asset_id": a}
                                             for i, (_, ms, _) in zip(order_ids, orders)
                                             for a in ms])
    await _rows(session, WorkOrderStep, [{"work_order_id": i, **s}
                                         for i, (_, _, ss) in zip(order_ids, orders) for s in ss])
    await _rows(session, ProgramGeneration, [
        {"program_id": o["program_id"], "asset_id": a, "due_date": o["due_date"],
         "work_order_id": i} for i, (o, ms, _) in zip(order_ids, orders) if o["program_id"]
        for a in ms])
    # The scheduler creates preventive orders (no user); the planner, corrective ones.
    await _rows(session, WorkOrderEvent, [
        {"work_order_id": i, "at": o["created_at"], "event": "creada",
         "user_id": None if o["program_id"] else user_ids["planificador"],
         "data": {"type": o["type"], "status": S.PENDIENTE.value}}
        for i, (o, _, _) in zip(order_ids, orders)])
    aviso_ids = await _ids(session, Aviso, [
        n if n["work_order_id"] is None else n | {"work_order_id": order_ids[n["work_order_id"]]}
        for n in notices])
    # The order -> notice key is circular, so it is filled afterwards in one UPDATE ... FROM.
    wo, av = WorkOrder.__table__.c, Aviso.__table__.c
    await session.execute(update(WorkOrder.__table__).where(
        wo.id == av.work_order_id, av.id.in_(aviso_ids)).values(aviso_id=av.id))
    return list(LOGINS)


async def _ids(session: AsyncSession, model: Any, rows: list[Row]) -> list[int]:
    """Insert the rows in one batch; their ids come back in the order of `rows`."""
    table = model.__table__  # Core, not ORM bulk: one batch whatever the NULL patterns
    stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return list((await session.execute(stmt, rows)).scalars())


async def _rows(session: AsyncSession, model: Any, rows: list[Row]) -> None:
    await session.execute(insert(getattr(model, "__table__", model)), rows)


def _step(position: int, spec: str) -> Row:
    text, *measure = spec[2:].split("|")
    unit, low, high = (measure[0], *map(Decimal, measure[1:])) if measure else (None, None, None)
    kind = {"C": StepKind.CHECK, "M": StepKind.MEDICION, "T": StepKind.TEXTO}[spec[0]]
    return {"position": position, "description": text, "kind": kind.value, "unit": unit,
            "min_value": low, "max_value": high}


def _result(rng: random.Random, step: Row, status: S, count: int) -> Row:
    """The step as the technician left it: all done when completed, half when in progress."""
    done = status == S.COMPLETADA or (status == S.EN_PROGRESO and step["position"] <= count // 2)
    ok, value, text = None, None, None
    if done and step["kind"] == StepKind.MEDICION:
        low, high = step["min_value"], step["max_value"]
        value = Decimal(f"{rng.uniform(float(low), float(high + (high - low) / 8)):.2f}")
        ok = value <= high  # about one reading in nine is out of range
    elif done and step["kind"] == StepKind.CHECK:
        ok = rng.random() > 0.04
    elif done:
        text = "Sin novedades."
    comment = "Fuera de tolerancia; se avisa a planificación." if ok is False else None
    return step | {"done": done, "ok": ok, "numeric_value": value, "text_value": text,
                   "comment": comment}


def _preventive_status(x: float, due: date, today: date) -> S:
    if due > today:
        return S.CANCELADA if x < 0.03 else S.PENDIENTE
    if due == today:
        return S.EN_PROGRESO if x < 0.6 else S.PENDIENTE
    if x < 0.1:
        return S.CANCELADA if x < 0.03 else S.PENDIENTE  # cancelled, or overdue
    return S.EN_PROGRESO if x < 0.16 and due >= today - timedelta(3) else S.COMPLETADA


def _order(rng: random.Random, title: str, status: S, start: datetime, minutes: int,
           technician: int, morning: datetime) -> Row:
    begun = status in (S.EN_PROGRESO, S.COMPLETADA)
    actual_start = start + timedelta(minutes=rng.randint(-20, 90)) if begun else None
    actual_end = actual_start + timedelta(minutes=round(minutes * rng.uniform(0.8, 1.5))) \
        if actual_start and status == S.COMPLETADA else None
    created = min(start - timedelta(14), morning)  # made ahead, never after the story's now
    return {"title": title, "status": status.value, "scheduled_start": start,
            "scheduled_end": start + timedelta(minutes=minutes), "actual_start": actual_start,
            "actual_end": actual_end, "technician_id": technician, "notes": "",
            "created_at": created, "updated_at": actual_end or actual_start or created}


def _due_dates(start: date, interval: int, unit: str, first: date, last: date) -> list[date]:
    """Due dates of a fixed-basis program within [first, last]. Each is counted from `start`,
    so a 31st does not drift to the 28th after February."""
    dates: list[date] = []
    for k in itertools.count():
        if unit in ("DIA", "SEMANA"):
            due = start + timedelta(k * interval * (7 if unit == "SEMANA" else 1))
        else:
            year, month = divmod(start.month - 1 + k * interval * (12 if unit == "ANIO" else 1), 12)
            year += start.year
            due = date(year, month + 1, min(start.day, calendar.monthrange(year, month + 1)[1]))
        if due > last:
            break
        dates += [due] if due >= first else []
    return dates
