"""tests/python/test_report.py - ringsweep.report() on a real sweep's real
store: the page's embedded data against what sqlite3 reads from the
store, bad input named, and the page rendered by a real browser (Debian's
chromium, headless) into a PNG that this file decodes (zlib: no imaging
library) to find the heatmap's colours in it."""
import json
import os
import re
import shutil
import sqlite3
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

import ringsweep as rs

SERIES = ["DAX", "SMI", "CAC"]


def backtest(fast, slow, sec):
    if fast == 3:
        raise rs.Infeasible()
    if slow == 13:
        raise ValueError("no data for slow=13")
    return {"value": -((fast - 8) ** 2) - ((slow - 25) / 3) ** 2 + SERIES.index(sec) * 7,
            "trades": fast + slow}


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    db = tmp_path_factory.mktemp("report") / "study.db"
    rs.sweep(backtest, rs.Space(fast=rs.Int(2, 20), slow=rs.Int(5, 40), sec=rs.Cat(SERIES)),
             constraints=["fast < slow"], metrics=["trades"], maximize=True, n_jobs=2,
             db=str(db))
    return db


def page_data(path):
    text = Path(path).read_text()
    m = re.search(r'<script type="application/json" id="rsw-report-data">(.*?)</script>',
                  text, re.S)
    assert m, "no data block"
    return text, json.loads(m.group(1))


def test_the_page_says_what_the_store_holds(study, tmp_path):
    page = tmp_path / "r.html"
    assert rs.report(study, page) == str(page)
    text, data = page_data(page)
    with sqlite3.connect(study) as c:
        counts = dict(c.execute("SELECT status, count(*) FROM results GROUP BY status"))
        best = c.execute("SELECT seq, value, fast, slow, sec, trades FROM results WHERE "
                         "status = 'ok' ORDER BY value DESC, seq LIMIT 1").fetchone()
        per_sec = {s: c.execute("SELECT seq, value FROM results WHERE sec = ? AND status "
                                "= 'ok' ORDER BY value DESC, seq LIMIT 1", (s,)).fetchone()
                   for s in SERIES}
        cell_best = c.execute("SELECT max(value) FROM results WHERE status = 'ok' AND "
                              "fast = 10 AND slow = 30").fetchone()[0]
    assert data["status"] == counts and set(counts) == {"ok", "infeasible", "error"}
    assert (data["best"]["seq"], data["best"]["value"]) == best[:2]
    row = data["best"]["row"]
    assert (row["fast"], row["slow"], row["sec"], row["trades"]) == best[2:]
    assert [(r["sec"], r["seq"], r["value"]) for r in data["best_by"]["rows"]] == \
        [(s, *per_sec[s]) for s in SERIES]
    hm = data["heatmap"]
    assert (hm["x"]["param"], hm["y"]["param"], hm["x"]["kind"]) == ("fast", "slow", "exact")
    xs = [b["lo"] for b in hm["x"]["bins"]]
    ys = [b["lo"] for b in hm["y"]["bins"]]
    cell = [c for c in hm["cells"] if (xs[c[0]], ys[c[1]]) == (10, 30)]
    assert len(cell) == 1 and cell[0][2] == cell_best
    assert data["study"]["description"]["constraints"] == ["fast < slow"]
    assert "fast &lt; slow" in text


def test_axes_and_bins_are_chosen_by_name(study, tmp_path):
    page = tmp_path / "r.html"
    rs.report(study, page, "slow", "sec", bins=6)
    _, data = page_data(page)
    hm = data["heatmap"]
    assert (hm["x"]["param"], hm["x"]["kind"], len(hm["x"]["bins"])) == ("slow", "int", 6)
    assert (hm["y"]["param"], hm["y"]["bins"]) == ("sec", SERIES)


def test_bad_input_is_named_and_writes_nothing(study, tmp_path):
    page = tmp_path / "r.html"
    with pytest.raises(FileNotFoundError):
        rs.report(tmp_path / "missing.db", page)
    with pytest.raises(ValueError, match=r"x='nope': not a parameter of the sweep"):
        rs.report(study, page, x="nope")
    with pytest.raises(ValueError, match=r"x and y both name 'fast'"):
        rs.report(study, page, x="fast", y="fast")
    with pytest.raises(ValueError, match=r"best_by='w'"):
        rs.report(study, page, best_by="w")
    with pytest.raises(ValueError, match="bins"):
        rs.report(study, page, bins=0)
    with pytest.raises(TypeError):
        rs.report(study, page, x=3)
    foreign = tmp_path / "notes.txt"
    foreign.write_text("not a store\n")
    with pytest.raises(ValueError, match="not a ringsweep results file"):
        rs.report(foreign, page)
    with pytest.raises(OSError, match="cannot write it"):
        rs.report(study, tmp_path / "no-such-dir" / "r.html")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def decode_png(path):
    """(width, height, channels, rows of bytes) of an 8-bit RGB or RGBA,
    non-interlaced PNG (what chromium writes)."""
    data = Path(path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, []
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        assert zlib.crc32(kind + body) == struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])[0]
        pos += 12 + n
        if kind == b"IHDR":
            width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and ctype in (2, 6) and interlace == 0, "an unexpected PNG"
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    raw = zlib.decompress(b"".join(idat))
    stride, rows, prev, at = width * bpp, [], bytearray(width * bpp), 0
    for _ in range(height):
        kind, line = raw[at], bytearray(raw[at + 1:at + 1 + stride])
        at += 1 + stride
        if kind == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif kind == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, prev))
        elif kind == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
        elif kind == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b, c = prev[i], prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        else:
            assert kind == 0, f"PNG filter {kind}"
        rows.append(bytes(line))
        prev = line
    return width, height, bpp, rows


def screenshot_dir(tmp_path):
    """The build directory (where the module was built: build/python/ringsweep),
    so that the picture can be looked at after the run; else tmp_path."""
    build = Path(rs.__file__).resolve().parents[2]
    return build if os.access(build, os.W_OK) and (build / "CMakeCache.txt").exists() \
        else tmp_path


def test_a_browser_renders_the_heatmap(study, tmp_path, capsys):
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("chromium is not installed (tools/install-deps.sh installs it where "
                    "Debian has it): the page is not rendered")
    out = screenshot_dir(tmp_path)
    page, shot = out / "report-screenshot.html", out / "report-screenshot.png"
    shot.unlink(missing_ok=True)
    rs.report(study, page)
    _, data = page_data(page)
    # Not the sanitizers' runtime (the tests' LD_PRELOAD) in the browser.
    env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "ASAN_OPTIONS")}
    run = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                          "--hide-scrollbars", "--force-color-profile=srgb",
                          f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}",
                          "--window-size=1200,2400", page.resolve().as_uri()],
                         env=env, capture_output=True, text=True, timeout=180)
    assert run.returncode == 0 and shot.exists(), run.stderr[-2000:]
    with capsys.disabled():
        print(f"\n[report screenshot: {shot} (page {page})]")
    width, height, bpp, rows = decode_png(shot)
    assert (width, height) == (1200, 2400)
    pixels = {}
    for row in rows:
        for i in range(0, len(row), bpp):
            key = row[i:i + 3]
            pixels[key] = pixels.get(key, 0) + 1
    assert len(pixels) > 100, "a blank page"
    assert sum(n for c, n in pixels.items() if c != b"\xff\xff\xff") > 0.1 * width * height
    # The colours of cells across the value range, each painted over at
    # least half a cell's area (one cell: 700/19 x 460/36 pixels; the
    # legend's stripes are a fifth of that).
    cells = sorted((c for c in data["heatmap"]["cells"] if c[5] is not None),
                   key=lambda c: c[2])
    picked = [cells[k * (len(cells) - 1) // 4] for k in range(5)]
    for c in picked:
        rgb = bytes.fromhex(c[5][1:])
        assert pixels.get(rgb, 0) >= 700 / 19 * 460 / 36 / 2, \
            f"cell {c[:3]}'s colour {c[5]} is not on the page ({shot})"
    # An empty cell (infeasible fast = 3, failed slow = 13) is white.
    assert any(c[2] is None for c in data["heatmap"]["cells"])
