"""The fixed tables the demo plant is drawn from: logins, areas, frequencies, maintenance types,
asset categories, routine step pools, notices, meters and the program by use. Plain data; the
seeded choices are made in plant.py, work.py and meters.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from shared.enums import MeterKind, WorkOrderStatus


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: str
    full_name: str


class MaintenanceKind(NamedTuple):
    name: str  # the maintenance type
    routine: str  # how its routines are named
    frequencies: tuple[str, ...]  # FREQUENCIES keys its routines usually run at
    minutes: tuple[int, ...]  # usual routine durations


class Category(NamedTuple):
    name: str
    prefix: str  # of its asset codes
    approx_count: int  # about how many assets
    types: str  # admitted maintenance types, one TYPES key per letter
    templates: tuple[str, ...]  # asset names, before the unit number


class MeterSpec(NamedTuple):
    code: str  # its code's prefix, before the asset's code
    name: str
    kind: MeterKind
    unit: str
    category: str  # the prefix of the asset category it is fitted to
    how_many: int  # on how many of those assets
    alarm_low: Decimal | None
    alarm_high: Decimal | None
    # Indicators: the usual level; counters: the share of each hour the machine runs.
    low: float
    high: float


class MeterProgram(NamedTuple):
    category: str  # its routine's and assets' category prefix (the assets with that counter)
    type: str  # its routine's maintenance type, a TYPES key
    unit: str
    interval: Decimal
    lead: Decimal
    started_days_ago: int


class Notice(NamedTuple):
    title: str
    priority: str
    order_status: WorkOrderStatus | None  # of the corrective order made from it; None: none yet
    order_day: int  # that order's day, from today
    source: str  # "APP", or the external system (its notices carry that system's message id)


def _lines(table: str) -> list[list[str]]:
    return [line.split("|") for line in table.strip().splitlines()]


def _limit(cell: str) -> Decimal | None:
    return None if cell == "-" else Decimal(cell)


# Fixed, not seeded: these are the documented demo logins.
LOGINS = [
    DemoLogin(*row)
    for row in _lines("""
admin|admin123|ADMIN|Roberto Sánchez Díaz
planificador|plan123|PLANIFICADOR|Patricia Morales Vega
tecnico1|tecnico123|TECNICO|Juan Carlos Pérez Gómez
tecnico2|tecnico123|TECNICO|María Fernanda López Ruiz
tecnico3|tecnico123|TECNICO|José Luis Hernández Castro
tecnico4|tecnico123|TECNICO|Ana Sofía Ramírez Torres
solicitante|solic123|SOLICITANTE|Diego Fernández Rojas""")
]
AREAS = (
    ("ENV", "Envasado"),
    ("PRO", "Proceso"),
    ("SRV", "Servicios auxiliares"),
    ("MPR", "Recepción de materias primas"),
    ("PTA", "Planta de tratamiento de aguas"),
    ("CAL", "Calderas y vapor"),
    ("ALM", "Almacén de producto terminado"),
)
FREQUENCIES = {
    "Diaria": (1, "DIA"),
    "Semanal": (1, "SEMANA"),
    "Quincenal": (2, "SEMANA"),
    "Mensual": (1, "MES"),
    "Trimestral": (3, "MES"),
    "Semestral": (6, "MES"),
    "Anual": (1, "ANIO"),
}
# key | maintenance type | routine name | usual frequencies | usual minutes
TYPES = {
    key: MaintenanceKind(
        name, routine, tuple(frequencies.split()), tuple(map(int, minutes.split()))
    )
    for key, name, routine, frequencies, minutes in _lines("""
M|Mecánico|Inspección mecánica|Semanal Mensual Trimestral|45 60 90
E|Eléctrico|Revisión eléctrica|Mensual Trimestral Semestral|45 60 120
L|Lubricación|Lubricación|Quincenal Mensual|20 30 45
I|Instrumentación|Calibración y verificación|Semestral Anual|60 90
N|Neumático|Revisión neumática|Diaria Semanal Mensual|15 30
H|Hidráulico|Revisión hidráulica|Semanal Trimestral|30 60""")
}
# category | code prefix | about how many | admitted types (TYPES keys) | name templates
CATEGORIES = [
    Category(name, prefix, int(count), types, tuple(templates.split(";")))
    for name, prefix, count, types, templates in _lines("""
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
]
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
# from today | source
NOTICES = [
    Notice(title, priority, None if status == "-" else WorkOrderStatus(status), int(day), source)
    for title, priority, status, day, source in _lines("""
Ruido anormal y vibración elevada|ALTA|COMPLETADA|-12|APP
Fuga de aceite por retén|MEDIA|COMPLETADA|-5|APP
Goteo constante en sello mecánico|BAJA|CANCELADA|-8|APP
Sobrecalentamiento de motor|URGENTE|EN_PROGRESO|0|APP
Equipo no arranca: salta la protección térmica|ALTA|PENDIENTE|1|APP
Banda desalineada roza con la estructura|MEDIA|-|0|APP
Olor a quemado cerca del equipo|URGENTE|-|0|APP
Alarma: alta temperatura en rodamiento|ALTA|-|0|scada-1""")
]
PROGRAMS, PREVENTIVE_TARGET = 30, 145  # programs to make; most preventive orders to generate

# code | name | kind | unit | on assets of | how many | alarm low | alarm high | usual level,
# or share of the hours running (counters). Read every READING_EVERY_H hours by the SCADA.
METERS = [
    MeterSpec(
        code,
        name,
        MeterKind(kind),
        unit,
        category,
        int(how_many),
        _limit(low),
        _limit(high),
        *map(float, usual.split()),
    )
    for code, name, kind, unit, category, how_many, low, high, usual in _lines("""
HR|Horómetro|CONTADOR|h|COMP|4|-|-|0.55 0.85
HR|Horómetro|CONTADOR|h|UH|2|-|-|0.30 0.60
VIB|Vibración en rodamiento lado acople|INDICADOR|mm/s|BOMBA|3|-|7.1|1.6 3.2
TR|Temperatura de rodamiento|INDICADOR|°C|MOT|3|-|85|52 68
TA|Temperatura del aceite hidráulico|INDICADOR|°C|UH|2|15|60|38 46""")
]
READING_EVERY_H, READING_DAYS, READINGS_SOURCE = 4, 28, "scada-1"
# The last counter's meter was replaced this many days ago (its reading then is a reset).
REPLACED_DAYS_AGO = 12
# The first meter with this code prefix climbs over its last readings to the peak, past its
# alarm limit: the plant's one open alarm.
ALARM_METER, ALARM_RAMP, ALARM_PEAK = "VIB", 12, 7.8
# Oil and filters of the compressors every 500 running hours, from 50 h ahead.
METER_PROGRAM = MeterProgram("COMP", "L", "h", Decimal(500), Decimal(50), 21)
