"""The contract's enumerations; values stay in the contract's Spanish."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "ADMIN"
    PLANIFICADOR = "PLANIFICADOR"
    TECNICO = "TECNICO"
    SOLICITANTE = "SOLICITANTE"


# The contract's role groups (its section "Roles"), named once for routes and commands.
EVERYONE: tuple[Role, ...] = tuple(Role)
READERS: tuple[Role, ...] = (Role.ADMIN, Role.PLANIFICADOR, Role.TECNICO)
PLANNERS: tuple[Role, ...] = (Role.ADMIN, Role.PLANIFICADOR)
ADMINS: tuple[Role, ...] = (Role.ADMIN,)


class WorkOrderStatus(StrEnum):
    PENDIENTE = "PENDIENTE"
    EN_PROGRESO = "EN_PROGRESO"
    COMPLETADA = "COMPLETADA"
    CANCELADA = "CANCELADA"


class WorkOrderType(StrEnum):
    PREVENTIVA = "PREVENTIVA"
    CORRECTIVA = "CORRECTIVA"


class StepKind(StrEnum):
    CHECK = "CHECK"
    MEDICION = "MEDICION"
    TEXTO = "TEXTO"


class FrequencyUnit(StrEnum):
    DIA = "DIA"
    SEMANA = "SEMANA"
    MES = "MES"
    ANIO = "ANIO"


class ProgramBasis(StrEnum):
    FIJA = "FIJA"
    ULTIMA_EJECUCION = "ULTIMA_EJECUCION"
    # By use (a counter meter's usage), and by date too when the program has a frequency.
    MEDIDOR = "MEDIDOR"


class MeterKind(StrEnum):
    # Running hours, kilometres, cycles: only goes up (or starts again with a reset).
    CONTADOR = "CONTADOR"
    # Temperature, vibration, pressure: any value, watched by alarm limits.
    INDICADOR = "INDICADOR"


class OrderTrigger(StrEnum):
    """What made a program's order due: its date, or its meter's usage."""

    FECHA = "FECHA"
    MEDIDOR = "MEDIDOR"


class AvisoPriority(StrEnum):
    BAJA = "BAJA"
    MEDIA = "MEDIA"
    ALTA = "ALTA"
    URGENTE = "URGENTE"


class AvisoStatus(StrEnum):
    ABIERTO = "ABIERTO"
    EN_PROCESO = "EN_PROCESO"
    CERRADO = "CERRADO"


class NotificationKind(StrEnum):
    OT_ASIGNADA = "OT_ASIGNADA"
    OT_FECHA_CAMBIADA = "OT_FECHA_CAMBIADA"
    OT_ESTADO = "OT_ESTADO"
    OT_GENERADAS = "OT_GENERADAS"
    AVISO_NUEVO = "AVISO_NUEVO"
    AVISO_ACTUALIZADO = "AVISO_ACTUALIZADO"


class CommandStatus(StrEnum):
    PENDING = "pending"
    SUCCESS = "success"
    ERROR = "error"
