"""Reading an asset register CSV: every problem the file shows by itself, with its line."""

from __future__ import annotations

from shared.asset_import import parse

HEADER = "code,name,location_code,category\n"


def _errors(content: str) -> list[str]:
    return [str(error) for error in parse(content).errors]


def test_rows_keep_their_line_numbers_across_blank_and_multiline_rows() -> None:
    parsed = parse(HEADER + 'A1,"Bomba\nprincipal",L1,Bombas\n\n,,,\n A2 , Motor ,L2,Motores\n')
    assert parsed.errors == []
    assert [(line, row.code, row.name) for line, row in parsed.rows] == [
        (2, "A1", "Bomba\nprincipal"),
        (6, "A2", "Motor"),
    ]


def test_columns_may_come_in_any_order() -> None:
    parsed = parse("category,location_code,name,code\nBombas,L1,Bomba,A1\n")
    assert parsed.rows[0][1].model_dump() == {
        "code": "A1",
        "name": "Bomba",
        "location_code": "L1",
        "category": "Bombas",
    }


def test_every_bad_row_is_reported() -> None:
    content = (
        HEADER + "A1,Bien,L1,Bombas\nA2,,L1,Bombas\nA1,Otra,L1,Bombas\nA 4,x,L1,Bombas\nA5,x\n"
    )
    assert _errors(content) == [
        "line 3, name: String should have at least 1 character",
        "line 4, code: 'A1' repeats line 2",
        "line 5, code: String should match pattern '^\\S+$'",
        "line 6: 2 fields, expected 4",
    ]
    assert [line for line, _ in parse(content).rows] == [2]


def test_a_wrong_header_refuses_the_file() -> None:
    assert _errors("code,name,location,category,extra\nA1,x,L1,B,1\n") == [
        "line 1: the header must be code,name,location_code,category:"
        " missing location_code; unexpected or repeated extra, location"
    ]
    assert _errors("") == [
        "line 1: the header must be code,name,location_code,category:"
        " missing code, name, location_code, category"
    ]
