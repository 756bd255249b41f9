"""`mantenimiento import assets FILE.csv`: a plant's asset register into the assets table.

The file is UTF-8 (a leading BOM is accepted), comma-separated, with the header
`code,name,location_code,category` (in any order, no other columns); `category` is the
category's name, `location_code` the location's code, both matched exactly. Rows whose cells are
all blank are skipped.

Every row is checked before anything is written: a malformed row, an unknown location or
category, or a code repeated in the file refuses the whole file, each bad row reported with its
line number. Otherwise all rows go in one transaction and one statement: a new code creates an
asset, an existing code updates that asset's name, location and category (re-importing the
register is how a plant keeps it current); `active` is left as it is, and assets missing from
the file are not touched.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.db.engine import create_engine
from shared.settings import Settings

COLUMNS = ("code", "name", "location_code", "category")

# Referenced rows are locked (FOR KEY SHARE) until the commit, so none can vanish or change
# code/name between the check and the insert.
_LOCATIONS = text("SELECT code FROM locations WHERE code = ANY(:codes) FOR KEY SHARE")
_CATEGORIES = text("SELECT name FROM asset_categories WHERE name = ANY(:names) FOR KEY SHARE")
# `xmax = 0` tells a freshly inserted row from an updated one; unchanged rows are not updated
# (nor returned).
_UPSERT = text(
    "INSERT INTO assets (code, name, location_id, category_id)"
    " SELECT t.code, t.name, l.id, c.id"
    " FROM unnest(CAST(:codes AS text[]), CAST(:names AS text[]),"
    "             CAST(:locations AS text[]), CAST(:categories AS text[]))"
    "      AS t(code, name, location_code, category)"
    " JOIN locations l ON l.code = t.location_code"
    " JOIN asset_categories c ON c.name = t.category"
    " ON CONFLICT (code) DO UPDATE"
    " SET name = EXCLUDED.name, location_id = EXCLUDED.location_id,"
    "     category_id = EXCLUDED.category_id"
    " WHERE (assets.name, assets.location_id, assets.category_id)"
    "       IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.location_id, EXCLUDED.category_id)"
    " RETURNING xmax = 0 AS created"
)


class AssetRow(BaseModel):
    """One data row of the file."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    code: str = Field(min_length=1, max_length=64, pattern=r"^\S+$")
    name: str = Field(min_length=1, max_length=200)
    location_code: str = Field(min_length=1, max_length=64)
    category: str = Field(min_length=1, max_length=200)


@dataclass(frozen=True)
class RowError:
    line: int
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", {self.column}" if self.column else "")
        return f"{where}: {self.message}"


class ImportRefused(Exception):
    """The file cannot be imported; `errors` says where and why, in line order."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} errors")
        self.errors = sorted(errors, key=lambda e: e.line)


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int


@dataclass(frozen=True)
class ParsedFile:
    rows: list[tuple[int, AssetRow]]
    errors: list[RowError]


def parse(content: str) -> ParsedFile:
    """The rows (with their line numbers) and every problem the file shows by itself."""
    reader = csv.reader(io.StringIO(content, newline=""))
    header = [name.strip() for name in next(reader, [])]
    missing = [c for c in COLUMNS if c not in header]
    unknown = sorted(
        {c for c in header if c not in COLUMNS} | {c for c in header if header.count(c) > 1}
    )
    if missing or unknown:
        problems = [f"missing {', '.join(missing)}"] if missing else []
        problems += [f"unexpected or repeated {', '.join(unknown)}"] if unknown else []
        message = f"the header must be {','.join(COLUMNS)}: {'; '.join(problems)}"
        return ParsedFile([], [RowError(1, None, message)])
    rows: list[tuple[int, AssetRow]] = []
    errors: list[RowError] = []
    first_line: dict[str, int] = {}
    previous = reader.line_num
    for cells in reader:
        # A quoted cell may span lines: a row starts just after the previous one ended.
        line, previous = previous + 1, reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            errors.append(RowError(line, None, f"{len(cells)} fields, expected {len(header)}"))
            continue
        try:
            row = AssetRow.model_validate(dict(zip(header, cells, strict=True)))
        except ValidationError as exc:
            errors += [
                RowError(line, ".".join(str(p) for p in err["loc"]), err["msg"])
                for err in exc.errors(include_url=False)
            ]
            continue
        if row.code in first_line:
            errors.append(
                RowError(line, "code", f"{row.code!r} repeats line {first_line[row.code]}")
            )
            continue
        first_line[row.code] = line
        rows.append((line, row))
    return ParsedFile(rows, errors)


async def _unknown_references(
    conn: AsyncConnection, rows: list[tuple[int, AssetRow]]
) -> list[RowError]:
    wanted_locations = sorted({row.location_code for _, row in rows})
    wanted_categories = sorted({row.category for _, row in rows})
    locations = set((await conn.execute(_LOCATIONS, {"codes": wanted_locations})).scalars())
    categories = set((await conn.execute(_CATEGORIES, {"names": wanted_categories})).scalars())
    errors: list[RowError] = []
    for line, row in rows:
        if row.location_code not in locations:
            errors.append(RowError(line, "location_code", f"no location {row.location_code!r}"))
        if row.category not in categories:
            errors.append(RowError(line, "category", f"no category {row.category!r}"))
    return errors


async def import_rows(conn: AsyncConnection, parsed: ParsedFile) -> ImportResult:
    """Check the references and write every row, in the caller's transaction; raises
    ImportRefused (having written nothing) when any row is bad."""
    errors = parsed.errors + await _unknown_references(conn, parsed.rows)
    if errors:
        raise ImportRefused(errors)
    rows = [row for _, row in parsed.rows]
    if not rows:
        return ImportResult(0, 0, 0)
    written = (
        (
            await conn.execute(
                _UPSERT,
                {
                    "codes": [row.code for row in rows],
                    "names": [row.name for row in rows],
                    "locations": [row.location_code for row in rows],
                    "categories": [row.category for row in rows],
                },
            )
        )
        .scalars()
        .all()
    )
    created = sum(1 for was_created in written if was_created)
    return ImportResult(created, len(written) - created, len(rows) - len(written))


async def import_assets(settings: Settings, path: Path) -> ImportResult:
    """Read, check and import the file at `path` in one transaction."""
    raw = path.read_bytes()
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ImportRefused([RowError(line, None, "not UTF-8 text")]) from exc
    parsed = parse(content)
    engine = create_engine(settings, pool_size=1)
    try:
        async with engine.begin() as conn:
            return await import_rows(conn, parsed)
    finally:
        await engine.dispose()
