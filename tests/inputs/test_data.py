"""Data errors: a DataError naming the file, line and column; dates parsed or refused."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from mmmcli.errors import DataError
from mmmcli.inputs.data import load_data
from mmmcli.spec.config import load_config
from tests.helpers import EXAMPLE, SAMPLE, edit_config, example_config


def _data(tmp_path: Path, edit) -> Path:
    lines = (SAMPLE / "weekly.csv").read_text().splitlines()
    lines = edit(lines)
    csv = tmp_path / "d.csv"
    csv.write_text("\n".join(lines) + "\n")
    cfg = yaml.safe_load(EXAMPLE.read_text())
    cfg["data"]["path"] = str(csv)
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def _replace_cell(lines, row, col, value):
    cells = lines[row].split(",")
    cells[col] = value
    lines[row] = ",".join(cells)
    return lines


@pytest.mark.parametrize(
    "edit, pattern",
    [
        (lambda ls: ls[:5] + ls[6:], r"missing period|irregular|do not follow"),
        (lambda ls: ls[:5] + [ls[4]] + ls[5:], r"line 6: duplicate period"),
        (lambda ls: _replace_cell(ls, 7, 2, "abc"), r"line 8: column 'tv_spend' is not a number"),
        (lambda ls: _replace_cell(ls, 7, 3, ""), r"line 8: column 'radio_spend' is missing"),
        (
            lambda ls: _replace_cell(ls, 9, 4, "-5"),
            r"line 10: column 'social_spend'.*negative spend",
        ),
        (
            lambda ls: _replace_cell(ls, 3, 0, "not-a-date"),
            r"line 4: column 'date': cannot parse date",
        ),
        (
            lambda ls: [ls[0].replace("search_spend", "search_cost")] + ls[1:],
            r"column 'search_spend' not found \(did you mean 'search_cost'\?\)",
        ),
        (lambda ls: ls[:1], r"no data rows"),
    ],
    ids=[
        "gap",
        "duplicate",
        "non-numeric",
        "missing-value",
        "negative",
        "bad-date",
        "column",
        "empty",
    ],
)
def test_data_errors(tmp_path, edit, pattern):
    cfg = load_config(_data(tmp_path, edit))
    with pytest.raises(DataError, match=pattern) as err:
        load_data(cfg)
    assert "d.csv" in str(err.value)


def _with_dates(tmp_path, dates) -> object:
    frame = pd.read_csv(SAMPLE / "weekly.csv")
    frame["date"] = dates(frame)
    frame.to_csv(tmp_path / "d.csv", index=False)
    path = edit_config(
        example_config(tmp_path), lambda raw: raw["data"].update(path=str(tmp_path / "d.csv"))
    )
    return load_config(path)


def test_timezone_dates_are_accepted(tmp_path):
    cfg = _with_dates(tmp_path, lambda f: f["date"] + "T00:00:00+00:00")
    data = load_data(cfg)
    assert data.dates.tz is None and data.freq == "W-MON"


def test_numeric_date_column_refused(tmp_path):
    cfg = _with_dates(tmp_path, lambda f: np.arange(len(f)))
    with pytest.raises(DataError, match="holds numbers, not dates"):
        load_data(cfg)
