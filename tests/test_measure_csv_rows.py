"""Reading a measure's CSV file, line by line, for a site's values and for a national series:
the same rules for blank lines, too many rows, periods and lines the reader cannot read."""

from datetime import date

from imroc.models import Measure
from imroc.services.measures import reference_csv, values_csv


def _measure(kind: str = "count", frequency: str = "monthly") -> Measure:
    return Measure(name="Seclusion hours", kind=kind, direction="down", frequency=frequency,
                   starts_on=date(2024, 1, 1))


def _reasons(problems) -> list[tuple[int, str, str]]:
    return [(p.row, p.column, p.reason) for p in problems]


def test_blank_lines_are_skipped_and_each_point_keeps_its_line():
    raw = b"Period,Value,Note\n2024-01,3,\n\n , \n2024-02,4,after the <b>change</b>\n"
    points, lines, problems = values_csv.read(_measure(), raw)
    assert problems == [] and lines == [2, 5]
    assert [p.value for p in points] == [3, 4]
    assert points[1].annotation == "after the <b>change</b>"  # kept as text, escaped when shown


def test_a_bad_period_and_a_bad_number_are_named_and_the_rest_still_read():
    raw = b"period,value\n2024-13,3\n2024-02,lots\n2024-03,5\n"
    points, lines, problems = values_csv.read(_measure(), raw)
    assert lines == [4] and [p.value for p in points] == [5]
    assert [(r, c) for r, c, _ in _reasons(problems)] == [(2, "period"), (3, "value")]


def test_too_many_rows_stop_both_kinds_of_file():
    body = "2024-01,1\n" * (values_csv.MAX_ROWS + 3)  # duplicates are checked later
    raw = ("period,value\n" + body).encode()
    for read in (values_csv.read, reference_csv.read):
        measure = _measure()
        points, _lines, problems = read(measure, raw)
        assert len(points) == values_csv.MAX_ROWS
        assert _reasons(problems) == [(values_csv.MAX_ROWS + 2, "",
                                       f"The file has more than {values_csv.MAX_ROWS} rows")]


def test_a_line_the_reader_cannot_read_is_named():
    raw = b'period,value\n2024-01,1\n2024-02,"' + b"x" * 200_000 + b'"\n'
    points, _lines, problems = reference_csv.read(_measure(frequency="monthly"), raw)
    assert [p.value for p in points] == [1]
    [problem] = problems
    assert problem.reason.startswith("The line cannot be read")


def test_a_national_line_without_its_value_is_named_once():
    raw = b"period,value,lower,upper\n2024,,1,2\n2025,7.1,six,8\n2026,7.3,7,8\n"
    points, lines, problems = reference_csv.read(_measure(frequency="yearly"), raw)
    assert lines == [4] and points[0].value == 7.3
    assert _reasons(problems) == [(2, "value", "Enter the national value"),
                                  (3, "lower", "must be a number")]


def test_a_missing_column_stops_the_file_before_any_line():
    points, lines, problems = values_csv.read(_measure(kind="ratio"), b"period,value\n2024-01,1\n")
    assert points == [] and lines == []
    assert {(p.row, p.column) for p in problems} == {(1, "numerator"), (1, "denominator")}
