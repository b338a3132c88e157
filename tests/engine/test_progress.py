"""Progress: a bar on a terminal; off a terminal, lines of the logger ``qheat`` at the start, every 10 % or
30 s, a heartbeat in a long silent stretch, and at the end; ``--quiet`` silences both."""

from __future__ import annotations

import io
import logging
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from qheat.core.progress import HoldBack, Progress, duration


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def lines(caplog):
    caplog.set_level(logging.INFO, logger="qheat")

    def messages() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.name == "qheat"]

    return messages


def test_durations_read_as_people_write_them():
    assert [duration(s) for s in (0, 8.4, 59.6, 125, 3600 + 3 * 60 + 9)] == [
        "0 s",
        "8 s",
        "1 min 00 s",
        "2 min 05 s",
        "1 h 03 min",
    ]


def test_a_known_total_logs_every_tenth_and_the_time_left(lines):
    clock = Clock()
    with Progress("sweep", bar=False, clock=clock, heartbeat=False) as progress:
        for done in range(1, 21):  # 20 points, 2 s each: a line at every second point (10 %)
            clock.now += 2.0
            progress("sweep points", done, 20)
    got = lines()
    assert len(got) == 10 + 1, got  # ten tenths, then "finished"
    assert [int(re.search(r"\((\d+) %\)", line).group(1)) for line in got[:-1]] == list(range(10, 101, 10))
    # after 4 of 20 points in 8 s, 16 points at 2 s each remain: 32 s
    assert "sweep points 4/20 (20 %), 8 s elapsed, about 32 s left" in got[1]
    assert "left" not in got[9] and got[-1] == "sweep: finished in 40 s"


def test_a_slow_run_logs_every_30_s_between_tenths(lines):
    clock = Clock()
    with Progress("big", bar=False, clock=clock, heartbeat=False) as progress:
        for done in range(1, 101):  # 100 points, 0.5 s each: tenths every 5 s, never 30 s apart
            clock.now += 0.5
            progress("sweep points", done, 100)
        assert len(lines()) == 10
    clock2 = Clock()
    with Progress("batches", bar=False, clock=clock2, heartbeat=False) as progress:
        for done in range(1, 7):  # unknown total: one line per 30 s, not one per batch
            clock2.now += 12.0
            progress("steps 0-2", done, 0)
    got = [line for line in lines() if line.startswith("batches")]
    assert got == [
        "batches: 3 batches done (last: steps 0-2), 36 s elapsed",
        "batches: 6 batches done (last: steps 0-2), 1 min 12 s elapsed",
        "batches: finished in 1 min 12 s",
    ]


def test_a_long_silent_batch_gets_a_heartbeat(lines):
    with Progress("long", bar=False, interval=0.2) as progress:
        progress("measurement channels", 1, 0)
        time.sleep(0.7)
    beats = [line for line in lines() if "still running" in line]
    assert beats and beats[0].startswith("long: still running, 1 batch done (last: measurement channels)")


def test_the_bar_draws_in_place_after_its_delay_and_logs_nothing(lines):
    clock, stream = Clock(), io.StringIO()
    with Progress("bar", bar=True, clock=clock, heartbeat=False, stream=stream) as progress:
        progress("sweep points", 1, 4)  # within the first 3 s: nothing drawn
        assert stream.getvalue() == ""
        clock.now += 10.0
        progress("sweep points", 2, 4)
    text = stream.getvalue()
    assert text.startswith("\rbar: sweep points [###############...............] 2/4 10 s, ~10 s left")
    assert text.endswith("\n") and not [line for line in lines() if line.startswith("bar")]


def test_holdback_drops_a_short_commands_lines_and_releases_a_long_ones():
    logger = logging.getLogger("qheat")
    old_level = logger.level
    logger.setLevel(logging.INFO)

    def handler(clock: Clock, stream: io.StringIO) -> HoldBack:
        made = HoldBack(stream, delay=10.0, clock=clock)  # the command starts
        made.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(made)
        return made

    clock, stream = Clock(), io.StringIO()
    short = handler(clock, stream)
    try:
        with Progress("short", bar=False, clock=clock, heartbeat=False):
            logger.info("short: starts")
            clock.now += 3.0
        assert stream.getvalue() == ""  # over within 10 s: only the result line, printed elsewhere
        logger.warning("a warning is never held")
        assert stream.getvalue() == "a warning is never held\n"
    finally:
        logger.removeHandler(short)
    clock, stream = Clock(), io.StringIO()
    long = handler(clock, stream)
    try:
        clock.now += 4.0  # imports and checks before the run
        with Progress("long", bar=False, clock=clock, heartbeat=False) as progress:
            logger.info("long: starts")
            clock.now += 7.0
            long.tick()  # what the heartbeat thread does every second: 11 s after the command started
            assert stream.getvalue() == "long: starts\n"
            progress("sweep points", 1, 2)
        assert stream.getvalue().splitlines()[-2:] == [
            "long: sweep points 1/2 (50 %), 7 s elapsed, about 7 s left",
            "long: finished in 7 s",
        ]
    finally:
        logger.removeHandler(long)
        logger.setLevel(old_level)


@pytest.fixture
def toy(monkeypatch):
    """The example protocol of ``toy_protocol.py`` (one RY rotation, one batch), registered for the test."""
    from qheat.protocols import registry

    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parent))
    monkeypatch.setitem(registry.PACKAGES, "toy", "toy_protocol")
    registry._load.cache_clear()
    yield
    registry._load.cache_clear()


def _qheat(capsys, *args: str) -> tuple[int, str, str]:
    from qheat.cli import main

    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def toy_spec(tmp_path, toy):
    path = tmp_path / "toy.toml"
    path.write_text(
        'protocol = "toy"\nname = "toy"\n[rotation]\ntheta = 1.0\nshots = 500\n[sweep]\n'
        'parameter = "rotation.theta"\nvalues = [0.5, 1.0, 1.5, 2.0]\n'
    )
    return path


def test_qheat_run_off_a_terminal_logs_what_runs_on_stderr(toy_spec, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(HoldBack, "DELAY", 0.0)  # show even this short run's lines (10 s in use)
    code, out, err = _qheat(capsys, "run", str(toy_spec), "--backend", "aer", "--output", str(tmp_path / "t.json"))
    assert code == 0, err
    lines = [line.split(" ", 1)[1] for line in err.splitlines()]  # without the time stamps
    assert lines[0].startswith("qheat: toy: protocol toy on backend aer, 4 sweep points one by one; estimated ")
    assert "qheat: toy[rotation.theta=0.5]: batch 1: 1 circuits, 500 shots" in lines
    points = [line for line in lines if "sweep points" in line and "%" in line]
    assert [line.split("(")[1].split(")")[0] for line in points] == ["25 %", "50 %", "75 %", "100 %"]
    assert re.fullmatch(r"qheat: toy: finished in \d+ s", lines[-1])
    assert "qheat:" not in out and "toy" in out  # the result line stays on stdout


def test_a_short_run_prints_only_its_result_and_quiet_prints_nothing(toy_spec, tmp_path, capsys):
    code, out, err = _qheat(capsys, "run", str(toy_spec), "--backend", "aer", "--output", str(tmp_path / "t.json"))
    assert code == 0 and err == "" and "toy" in out  # shorter than HoldBack.DELAY
    code, out, err = _qheat(
        capsys, "run", str(toy_spec), "--backend", "aer", "--output", str(tmp_path / "q.json"), "--quiet"
    )
    assert (code, out, err) == (0, "", "")


def test_on_a_terminal_a_bar_and_no_log_lines(toy_spec, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(HoldBack, "DELAY", 0.0)
    monkeypatch.setattr(Progress, "BAR_DELAY", 0.0)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    code, _, err = _qheat(capsys, "run", str(toy_spec), "--backend", "aer", "--output", str(tmp_path / "t.json"))
    assert code == 0 and "qheat:" not in err
    assert re.search(r"\rtoy: sweep points \[#{30}\] 4/4 \d+ s", err) and err.endswith("\n")
    code, _, err = _qheat(
        capsys, "run", str(toy_spec), "--backend", "aer", "--output", str(tmp_path / "q.json"), "--quiet"
    )
    assert code == 0 and err == ""


def _run(tmp_path, *extra: str) -> subprocess.CompletedProcess:
    """A real ``qheat run`` off a terminal (stderr is a pipe) of a circuit spec that takes about 10-30 s."""
    cmd = [
        sys.executable,
        "-m",
        "qheat.cli",
        "run",
        "fig12-cascade",
        "--backend",
        "aer",
        "--output",
        str(tmp_path / "out.json"),
        *extra,
    ]
    return subprocess.run(
        cmd, capture_output=True, text=True, timeout=600, cwd=tmp_path, env={**os.environ, "MPLBACKEND": "Agg"}
    )


@pytest.mark.slow
def test_a_circuit_run_off_a_terminal_logs_on_stderr_and_quiet_silences_it(tmp_path):
    proc = _run(tmp_path)
    assert proc.returncode == 0, proc.stderr
    err = [line.split(" ", 1)[1] for line in proc.stderr.splitlines() if re.match(r"\d\d:\d\d:\d\d qheat: ", line)]
    assert any(
        line.startswith("qheat: fig12-cascade: protocol cascade on backend aer, one point; estimated ")
        for line in err[:2]
    )
    assert "qheat: fig12-cascade: batch 1 (measurement channels): 9 circuits (superop)" in err
    assert re.fullmatch(r"qheat: fig12-cascade: finished in \d+ s", err[-1])
    assert "fig12-cascade" in proc.stdout and "qheat:" not in proc.stdout  # the result line stays on stdout
    quiet = _run(tmp_path, "--quiet", "--force")
    assert quiet.returncode == 0 and quiet.stderr == "" and quiet.stdout == ""
