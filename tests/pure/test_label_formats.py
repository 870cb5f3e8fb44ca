import io
import json
import re
import zipfile

import pytest

from annotations import label_formats
from annotations.label_formats import ExportRow, LabelFileError, ParsedRow, ParseError

AUDIO_ID = "0b9d6c1e-3a8f-4d5e-9a7b-1c2d3e4f5a6b"
ROWS = [
    ExportRow(AUDIO_ID, "take 1.wav", "click", 100, 250, 0.75, '=HYPERLINK("x")'),
    ExportRow(AUDIO_ID, "take 1.wav", "dropout", 1005, 2000, 1.0, 'a, "quoted"\nsecond line'),
    ExportRow(AUDIO_ID, "ünïcode ß.wav", "click", 0, 1, 0.5, "'tis"),
]


def text(chunks):
    return "".join(chunks).encode("utf-8")


def simple(parsed):
    return [(r.filename, r.artifact_type, r.start_ms, r.end_ms) for r in parsed.rows]


def fields_by_line(parsed):
    return [(e.line, e.field) for e in parsed.errors]


# --- seconds


@pytest.mark.parametrize(
    ("ms", "expected"), [(0, "0.000"), (1, "0.001"), (1005, "1.005"), (3_600_000, "3600.000")]
)
def test_milliseconds_are_written_as_seconds_with_three_decimals(ms, expected):
    assert label_formats.seconds_text(ms) == expected


@pytest.mark.parametrize(
    ("seconds", "ms"),
    [
        ("1.005", 1005),
        ("1.0005", 1001),  # half a millisecond rounds up
        ("1.00049", 1000),
        ("2", 2000),
        (".5", 500),
        (" 0.25 ", 250),
        ("1e-3", 1),
        ("0.123456", 123),
    ],
)
def test_seconds_are_read_to_the_nearest_millisecond(seconds, ms):
    assert label_formats.ms_from_seconds(seconds) == ms


@pytest.mark.parametrize("seconds", ["", "abc", "1,5", "nan", "inf", "1_000", "0x10", "-0.5"])
def test_bad_seconds_are_refused(seconds):
    with pytest.raises(ValueError, match="must be"):
        label_formats.ms_from_seconds(seconds)


def test_absurdly_large_seconds_are_refused_without_building_a_huge_number():
    with pytest.raises(ValueError, match="too large"):
        label_formats.ms_from_seconds("1e999999")


# --- CSV


def test_csv_round_trips_every_field_including_formula_like_and_multiline_notes():
    parsed = label_formats.parse_csv(text(label_formats.render_csv(ROWS)), max_rows=10)

    assert parsed.errors == []
    assert [
        (r.filename, r.audio_file_id, r.artifact_type, r.start_ms, r.end_ms, r.confidence, r.note)
        for r in parsed.rows
    ] == [
        (r.filename, r.audio_file_id, r.artifact_type, r.start_ms, r.end_ms, r.confidence, r.note)
        for r in ROWS
    ]


def test_csv_export_defuses_cells_a_spreadsheet_would_run_as_formulas():
    rows = [ExportRow(AUDIO_ID, "-x.wav", "+type", 1, 2, 1.0, "@SUM(A1)")]

    lines = text(label_formats.render_csv(rows)).decode().splitlines()

    assert lines[1].split(",") == ["'-x.wav", AUDIO_ID, "'+type", "1", "2", "1.0", "'@SUM(A1)"]


def test_csv_reports_the_line_where_a_row_starts_after_a_multiline_cell():
    data = (
        b"filename,artifact_type,start_ms,end_ms,note\r\n"
        b'a.wav,click,1,2,"two\r\nlines"\r\n'
        b"a.wav,click,5,x,\r\n"
    )

    parsed = label_formats.parse_csv(data, max_rows=10)

    assert fields_by_line(parsed) == [(4, "end_ms")]
    assert parsed.rows[0].note == "two\r\nlines"


def test_csv_accepts_a_byte_order_mark_blank_lines_and_header_case():
    data = "\ufeffFilename, Artifact_Type ,START_MS,end_ms\n\n a.wav ,click,1,2\n\n".encode()

    parsed = label_formats.parse_csv(data, max_rows=10)

    assert parsed.errors == []
    assert [(r.line, r.artifact_type, r.start_ms, r.confidence) for r in parsed.rows] == [
        (3, "click", 1, None)
    ]


def test_csv_reports_every_bad_field_of_every_row_by_line():
    data = (
        b"filename,artifact_type,start_ms,end_ms,confidence\n"
        b"a.wav,click,1.5,-2,high\n"
        b"a.wav,click,10,10,\n"
        b",,3,4,\n"
    )

    parsed = label_formats.parse_csv(data, max_rows=10)

    assert fields_by_line(parsed) == [
        (2, "start_ms"),
        (2, "end_ms"),
        (2, "confidence"),
        (3, "end_ms"),
        (4, "filename"),
        (4, "artifact_type"),
    ]
    assert parsed.errors[1] == ParseError(
        2, "end_ms", "end_ms must be 0 or more (got -2)", "", "value_error.min_value"
    )
    assert parsed.errors[3].error_type == "value_error.order"


def test_csv_rows_with_the_wrong_number_of_cells_are_reported():
    data = b"filename,artifact_type,start_ms,end_ms\na.wav,click,1,2,extra\n"

    parsed = label_formats.parse_csv(data, max_rows=10)

    assert fields_by_line(parsed) == [(2, "row")]


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (b"file,type,start,end\n", "Unknown CSV column(s) 'file', 'type', 'start', 'end'"),
        (b"filename,artifact_type,start_ms\n", "lacks end_ms"),
        (b"artifact_type,start_ms,end_ms\n", "lacks filename or audio_file_id"),
        (b"filename,artifact_type,start_ms,end_ms,end_ms\n", "repeats end_ms"),
        (b"a.wav,click,1,2\n", "Unknown CSV column(s)"),
        (b"\n\n", "The file is empty"),
    ],
)
def test_csv_needs_a_header_of_known_columns(header, message):
    with pytest.raises(LabelFileError, match=re.escape(message)):
        label_formats.parse_csv(header, max_rows=10)


def test_csv_with_an_unclosed_quote_is_unreadable():
    with pytest.raises(LabelFileError, match="malformed") as caught:
        label_formats.parse_csv(b'filename,artifact_type,start_ms,end_ms\n"a.wav,c', max_rows=5)

    assert caught.value.error_type == "value_error.csv"


def test_a_file_that_is_not_utf8_is_unreadable():
    with pytest.raises(LabelFileError, match="not UTF-8") as caught:
        label_formats.parse_csv("filename\nkäse".encode("latin-1"), max_rows=5)

    assert caught.value.error_type == "value_error.encoding"


def test_a_file_over_the_row_limit_is_refused():
    data = b"filename,artifact_type,start_ms,end_ms\n" + b"a.wav,click,1,2\n" * 4

    with pytest.raises(LabelFileError, match="more than 3 rows") as caught:
        label_formats.parse_csv(data, max_rows=3)

    assert caught.value.error_type == "value_error.max_rows"


# --- DCASE


def test_dcase_round_trips_with_the_sed_eval_header():
    data = text(label_formats.render_dcase(ROWS))

    parsed = label_formats.parse_dcase(data, max_rows=10)

    assert data.startswith(b"filename\tonset\toffset\tevent_label\n")
    assert simple(parsed) == [(r.filename, r.artifact_type, r.start_ms, r.end_ms) for r in ROWS]


def test_dcase_without_a_header_with_crlf_bom_blank_and_event_free_lines():
    data = (
        "\ufeffa b.wav\t0.5\t1.25\tclick\r\n\r\n"
        "silent.wav\r\nquiet.wav\t\t\t\r\nc.wav\t2\t3\tpop\r\n"
    )

    parsed = label_formats.parse_dcase(data.encode(), max_rows=10)

    assert parsed.errors == []
    assert [(r.line, r.filename, r.start_ms, r.end_ms) for r in parsed.rows] == [
        (1, "a b.wav", 500, 1250),
        (5, "c.wav", 2000, 3000),
    ]


def test_dcase_reports_bad_numbers_negative_times_and_onsets_not_before_offsets():
    data = b"a.wav\tsoon\t1.0\tclick\na.wav\t-1\t1.0\tclick\na.wav\t2.0\t2.0\tclick\na.wav\t1\n"

    parsed = label_formats.parse_dcase(data, max_rows=10)

    assert fields_by_line(parsed) == [(1, "start_ms"), (2, "start_ms"), (3, "end_ms"), (4, "row")]
    assert parsed.errors[0].message == "onset must be a number of seconds, like 1.25 (got 'soon')"
    assert parsed.errors[2].message == "offset must be after the start"


def test_dcase_times_that_round_to_the_same_millisecond_are_not_an_event():
    parsed = label_formats.parse_dcase(b"a.wav\t1.0001\t1.0002\tclick\n", max_rows=10)

    assert fields_by_line(parsed) == [(1, "end_ms")]


def test_dcase_with_an_unknown_header_is_unreadable():
    with pytest.raises(LabelFileError, match="Unknown header") as caught:
        label_formats.parse_dcase(b"file\tstart\tend\tlabel\na.wav\t1\t2\tclick\n", max_rows=10)

    assert caught.value.error_type == "value_error.header"


# --- Audacity


def audacity_zip(members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_audacity_member_names_are_stems_made_unique_when_they_collide():
    names = label_formats.audacity_member_names(
        [
            ("1", "take 1.wav"),
            ("2", "a.wav"),
            ("3", "a.flac"),
            ("4", "dup.wav"),
            ("5", "dup.wav"),
            ("6", "../evil/name.wav"),
        ]
    )

    assert names == {
        "1": "take 1.txt",
        "2": "a.wav.txt",
        "3": "a.flac.txt",
        "4": "dup.wav (4).txt",
        "5": "dup.wav (5).txt",
        "6": ".._evil_name.txt",
    }


def test_audacity_zip_round_trips_one_track_per_audio_file():
    rows = [
        ExportRow("a", "take 1.wav", "click", 100, 250, 1.0, ""),
        ExportRow("a", "take 1.wav", "dropout", 1000, 1500, 1.0, ""),
        ExportRow("b", "ünïcode ß.wav", "click", 5, 6, 1.0, ""),
    ]
    names = label_formats.audacity_member_names([("a", "take 1.wav"), ("b", "ünïcode ß.wav")])
    out = io.BytesIO()

    label_formats.write_audacity_zip(rows, member_names=names, out=out)
    with zipfile.ZipFile(out) as archive:
        members = {name: archive.read(name).decode() for name in archive.namelist()}
    parsed = label_formats.parse_audacity(
        out.getvalue(), name="labels.zip", max_rows=10, max_text_bytes=10_000
    )

    assert members == {
        "take 1.txt": "0.100\t0.250\tclick\n1.000\t1.500\tdropout\n",
        "ünïcode ß.txt": "0.005\t0.006\tclick\n",
    }
    assert [
        (r.member, r.line, r.filename, r.artifact_type, r.start_ms, r.end_ms) for r in parsed.rows
    ] == [
        ("take 1.txt", 1, "take 1", "click", 100, 250),
        ("take 1.txt", 2, "take 1", "dropout", 1000, 1500),
        ("ünïcode ß.txt", 1, "ünïcode ß", "click", 5, 6),
    ]
    assert all(row.match_stem for row in parsed.rows)


def test_an_audacity_track_skips_spectral_lines_and_reads_crlf():
    data = b"0.5\t1.5\tclick\r\n\\\t100.0\t8000.0\r\n\r\n2.000000\t2.500000\tlong pause\r\n"

    parsed = label_formats.parse_audacity(
        data, name="folder/take1.txt", max_rows=10, max_text_bytes=10_000
    )

    assert parsed.errors == []
    assert [(r.line, r.filename, r.artifact_type, r.start_ms) for r in parsed.rows] == [
        (1, "take1", "click", 500),
        (4, "take1", "long pause", 2000),
    ]


def test_an_audacity_track_reports_point_labels_empty_labels_and_bad_lines():
    data = b"1.0\t1.0\tclick\n2.0\t3.0\t\njunk\n-1\t2\tclick\n"

    parsed = label_formats.parse_audacity(data, name="a.txt", max_rows=10, max_text_bytes=100)

    assert fields_by_line(parsed) == [
        (1, "end_ms"),
        (2, "artifact_type"),
        (3, "row"),
        (4, "start_ms"),
    ]


def test_an_audacity_member_named_with_an_audio_id_carries_that_id():
    data = audacity_zip({f"dup.wav ({AUDIO_ID}).txt": "1\t2\tclick\n"})

    parsed = label_formats.parse_audacity(data, name="x.zip", max_rows=10, max_text_bytes=100)

    assert (parsed.rows[0].filename, parsed.rows[0].audio_file_id) == ("dup.wav", AUDIO_ID)


def test_an_audacity_zip_ignores_folders_and_mac_metadata_and_names_members_in_errors():
    data = audacity_zip(
        {
            "labels/": "",
            "labels/take1.txt": "1\t2\tclick\n1\tx\tclick\n",
            "__MACOSX/labels/._take1.txt": "junk",
            "readme.md": "hello",
        }
    )

    parsed = label_formats.parse_audacity(data, name="x.zip", max_rows=10, max_text_bytes=1000)

    assert [(r.member, r.line, r.filename) for r in parsed.rows] == [
        ("take1.txt", 1, "take1"),
        ("take1.txt", 2, "take1"),
    ]
    assert [(e.member, e.line, e.field) for e in parsed.errors] == [("take1.txt", 2, "end_ms")]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"PK\x03\x04 this is no zip", "damaged"),
        (audacity_zip({"readme.md": "x"}), "no .txt label files"),
        (audacity_zip({"a.txt": "1\t2\tclick\n" * 100}), "more than 500 bytes"),
    ],
)
def test_an_unusable_audacity_zip_is_unreadable(data, message):
    with pytest.raises(LabelFileError, match=message):
        label_formats.parse_audacity(data, name="x.zip", max_rows=1000, max_text_bytes=500)


# --- Raven


def test_raven_round_trips_with_standard_columns_and_begin_file():
    data = text(label_formats.render_raven(ROWS))

    parsed = label_formats.parse_raven(data, max_rows=10)

    assert data.decode().splitlines()[0].split("\t") == list(label_formats.RAVEN_COLUMNS)
    assert parsed.errors == []
    assert simple(parsed) == [(r.filename, r.artifact_type, r.start_ms, r.end_ms) for r in ROWS]


def test_raven_reads_a_selection_listed_once_per_view_once_and_uses_file_offsets():
    data = (
        b"Selection\tView\tChannel\tBegin Time (s)\tEnd Time (s)\tBegin File\tFile Offset (s)"
        b"\tAnnotation\n"
        b"1\tWaveform 1\t1\t10.0\t10.5\tb.wav\t0.25\tclick\n"
        b"1\tSpectrogram 1\t1\t10.0\t10.5\tb.wav\t0.25\tclick\n"
        b"2\tSpectrogram 1\t1\t1.0\t0.5\tb.wav\t\t\n"
    )

    parsed = label_formats.parse_raven(data, max_rows=10)

    assert simple(parsed) == [("b.wav", "click", 250, 750), ("b.wav", None, 1000, 500)]
    assert fields_by_line(parsed) == [(4, "end_ms"), (4, "artifact_type")]


def test_a_table_without_ravens_columns_is_unreadable():
    with pytest.raises(LabelFileError, match="lacks Begin File, Annotation"):
        label_formats.parse_raven(b"Selection\tBegin Time (s)\tEnd Time (s)\n1\t1\t2\n", max_rows=5)


# --- JSON


def test_json_round_trips_every_field():
    data = text(label_formats.render_json(ROWS, annotation_set={"name": "Gold"}))

    parsed = label_formats.parse_json(data, max_rows=10)

    assert json.loads(data)["annotation_set"] == {"name": "Gold"}
    assert parsed.errors == []
    assert [
        ParsedRow(
            i + 1,
            r.filename,
            r.audio_file_id,
            r.artifact_type,
            r.start_ms,
            r.end_ms,
            r.confidence,
            r.note,
        )
        for i, r in enumerate(ROWS)
    ] == parsed.rows


def test_json_reports_bad_items_by_position():
    document = {
        "annotations": [
            {"filename": "a.wav", "artifact_type": "click", "start_ms": 1, "end_ms": 2},
            "nope",
            {"filename": 3, "artifact_type": "click", "start_ms": 1.5, "end_ms": True},
            {"audio_file_id": AUDIO_ID, "artifact_type": "click", "start_ms": 5, "end_ms": 4},
        ]
    }

    parsed = label_formats.parse_json(json.dumps(document).encode(), max_rows=10)

    assert fields_by_line(parsed) == [
        (2, "row"),
        (3, "filename"),
        (3, "filename"),
        (3, "start_ms"),
        (3, "end_ms"),
        (4, "end_ms"),
    ]


@pytest.mark.parametrize(
    "data", [b"[1, 2]", b"{not json", b'{"annotations": {}}', b'{"annotations": [NaN]}']
)
def test_json_without_an_annotations_list_is_unreadable(data):
    with pytest.raises(LabelFileError) as caught:
        label_formats.parse_json(data, max_rows=10)

    assert caught.value.error_type == "value_error.json"


def test_parse_dispatches_on_the_format_name():
    data = text(label_formats.render_dcase(ROWS))

    parsed = label_formats.parse("dcase", data, name="x.tsv", max_rows=10, max_text_bytes=10)

    assert len(parsed.rows) == 3
