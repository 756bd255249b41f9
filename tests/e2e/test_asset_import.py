"""`mantenimiento import assets FILE.csv`, run as the real console script against the test
database. Assets made here carry TAG in their code."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from shared.settings import Settings
from tests.api import Api, Plant
from tests.e2e.test_processes import CLI, environment

TAG = uuid.uuid4().hex[:8].upper()
# Codes of files that must be refused: none may ever be written.
BAD = f"BAD{TAG}"


async def _run(settings: Settings, path: Path) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        *CLI,
        "import",
        "assets",
        str(path),
        env=environment(settings),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def _count(plant: Plant, prefix: str) -> int:
    return int(await plant.scalar("SELECT count(*) FROM assets WHERE code LIKE :p", p=f"{prefix}%"))


async def test_import_creates_and_updates(
    settings: Settings, plant: Plant, tech: Api, tmp_path: Path
) -> None:
    await plant.scalar(
        "INSERT INTO assets (code, name, location_id, category_id, active)"
        " VALUES (:c, 'Nombre viejo', :loc, :cat, false) RETURNING id",
        c=f"{TAG}-0",
        loc=plant.locations["other"],
        cat=plant.category_id,
    )
    register = tmp_path / "activos.csv"
    register.write_text(
        "\ufeffname,code,location_code,category\n"
        f"Bomba nueva,{TAG}-1,PLT-A-L1,Bombas\n"
        f'"Compresor, tornillo",{TAG}-2,PLT-A,Bombas\n'
        "\n"
        f"Nombre nuevo,{TAG}-0,PLT-A-L1,Bombas\n",
        encoding="utf-8",
    )
    code, out, err = await _run(settings, register)
    assert code == 0, err
    assert "2 created, 1 updated, 0 unchanged" in out

    found = await tech.get("/activos/", q=TAG)
    assets = {a["code"]: a for a in found.body}
    assert sorted(assets) == [f"{TAG}-0", f"{TAG}-1", f"{TAG}-2"]
    assert assets[f"{TAG}-2"]["name"] == "Compresor, tornillo"
    assert assets[f"{TAG}-2"]["location"]["code"] == "PLT-A"
    updated = assets[f"{TAG}-0"]
    assert updated["name"] == "Nombre nuevo"
    assert updated["location"]["id"] == plant.locations["line"]
    assert updated["active"] is False  # re-importing does not change `active`
    assert assets[f"{TAG}-1"]["active"] is True

    code, out, err = await _run(settings, register)
    assert code == 0, err
    assert "0 created, 0 updated, 3 unchanged" in out


async def test_bad_rows_are_all_reported_and_nothing_is_imported(
    settings: Settings, plant: Plant, tmp_path: Path
) -> None:
    bad = tmp_path / "malo.csv"
    bad.write_text(
        "code,name,location_code,category\n"
        f"{BAD}-1,Bien,PLT-A,Bombas\n"  # 2: good
        f"{BAD}-2,,PLT-A,Bombas\n"  # 3: empty name
        f"{BAD}-3,Sin ubicación,NO-EXISTE,Bombas\n"  # 4: unknown location
        f"{BAD}-4,Sin categoría,PLT-A,Turbinas\n"  # 5: unknown category
        f"{BAD}-1,Repetido,PLT-A,Bombas\n"  # 6: duplicate code
        f"{BAD}-6,Corto,PLT-A\n"  # 7: a field short
        f"{BAD} 7,Espacio,PLT-A,Bombas\n"  # 8: a code with a space
        f"{BAD}-8,Bien también,PLT-A-L1,Bombas\n",  # 9: good
        encoding="utf-8",
    )
    code, out, err = await _run(settings, bad)
    assert code == 1
    assert out == ""
    lines = [line for line in err.splitlines() if "line " in line]
    assert [line.split("line ")[1].split(",")[0].split(":")[0] for line in lines] == [
        "3",
        "4",
        "5",
        "6",
        "7",
        "8",
    ]
    assert "name" in lines[0] and "NO-EXISTE" in lines[1] and "Turbinas" in lines[2]
    assert "repeats line 2" in lines[3]
    assert "nothing imported" in err
    assert await _count(plant, BAD) == 0


async def test_unreadable_files_are_refused(
    settings: Settings, plant: Plant, tmp_path: Path
) -> None:
    header = tmp_path / "cabecera.csv"
    header.write_text(f"code,nombre,location_code,category\n{BAD}-1,X,PLT-A,Bombas\n")
    code, _, err = await _run(settings, header)
    assert code == 1 and "line 1" in err and "missing name" in err and "nombre" in err

    latin = tmp_path / "latin1.csv"
    latin.write_bytes(
        f"code,name,location_code,category\n{BAD}-1,Año,PLT-A,Bombas\n".encode("latin-1")
    )
    code, _, err = await _run(settings, latin)
    assert code == 1 and "line 2" in err and "UTF-8" in err

    code, _, err = await _run(settings, tmp_path / "no-existe.csv")
    assert code == 1 and "no-existe.csv" in err
    assert await _count(plant, BAD) == 0
