"""Reading import data: limits, header rules, list separators, BOM, JSON shapes."""

from __future__ import annotations

import pytest

from domain.content.import_parsing import MAX_DATA_BYTES, ImportFormat, RawRow, parse
from domain.errors import ValidationFailed


def problems(data_format: ImportFormat, data: str) -> list[tuple[str | None, str, str]]:
    with pytest.raises(ValidationFailed) as caught:
        parse(data_format, data)
    return [(p.field, p.code.value, p.message) for p in caught.value.problems]


def test_data_over_5_mb_is_refused_before_parsing():
    row = "hi,acct0\n"
    data = "body,channels\n" + row * (MAX_DATA_BYTES // len(row))
    assert len(data.encode()) > MAX_DATA_BYTES
    [(field, code, _)] = problems(ImportFormat.CSV, data)
    assert (field, code) == ("data", "TOO_LARGE")
    # Counted in bytes, not characters.
    wide = '[{"body": "' + "é" * (MAX_DATA_BYTES // 2) + '", "channels": "a"}]'
    assert len(wide) < MAX_DATA_BYTES < len(wide.encode())
    assert problems(ImportFormat.JSON, wide)[0][1] == "TOO_LARGE"


def test_csv_lists_are_pipe_separated_and_blank_cells_are_absent():
    [row] = parse(
        ImportFormat.CSV,
        "\ufeffBody,Channels,firstComment,MEDIA_IDS,tags,at\nhi, @a | b ||,,m1|m2, x |y,\n",
    )
    assert row == RawRow(
        index=1,
        body="hi",
        channels=("@a", "b"),
        media_ids=("m1", "m2"),
        tags=("x", "y"),
    )


def test_csv_quoting_keeps_commas_quotes_and_newlines():
    [row] = parse(ImportFormat.CSV, 'channels,body\r\na,"one, ""two""\r\nthree"\r\n')
    assert row.body == 'one, "two"\r\nthree'


def test_every_header_problem_is_listed():
    found = problems(ImportFormat.CSV, "body,colour,body,size\nx,y,z,w\n")
    messages = " / ".join(message for _, _, message in found)
    assert len(found) == 4  # colour, size, body twice, no channels
    assert "colour" in messages and "size" in messages and "twice" in messages
    assert "channels column" in messages


def test_a_nul_byte_in_csv_is_malformed():
    assert problems(ImportFormat.CSV, "body,channels\nhi\x00,a\n")[0][1] == "INVALID"


def test_json_rows_keep_their_index_and_accept_both_list_forms():
    rows = parse(
        ImportFormat.JSON,
        '[{"channels": "a|b", "tags": ["t"]}, {"channels": ["c"], "body": null, "at": " "}]',
    )
    assert rows == [
        RawRow(index=1, channels=("a", "b"), tags=("t",)),
        RawRow(index=2, channels=("c",)),
    ]


def test_a_number_too_long_for_python_is_malformed_not_a_crash():
    assert problems(ImportFormat.JSON, "[" + "9" * 10_000 + "]")[0][1] == "INVALID"


def test_a_json_escaped_nul_is_malformed_too():
    found = problems(
        ImportFormat.JSON, '[{"channels": "a"}, {"channels": "a", "tags": ["\\u0000"]}]'
    )
    assert found == [("data", "INVALID", "row 2 contains a NUL character")]
