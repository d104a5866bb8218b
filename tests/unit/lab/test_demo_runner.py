"""The demo's step runner (lab/demo/runner.py) with fake steps: a step whose check fails stops
the demo, is named, and makes the exit code 1; skipped steps are shown as skipped, never ok."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from netwarden.lab.demo import __main__ as demo_main
from netwarden.lab.demo.runner import Step, StepFailed, StepSkipped, run_steps
from netwarden.lab.demo.shell import wait_for


def _clock(ticks: list[float]) -> Iterator[float]:
    yield from ticks


def test_a_failing_check_stops_the_demo_and_names_the_step() -> None:
    ran: list[str] = []

    def check_fails() -> None:
        ran.append("page")
        raise StepFailed("the people's notification: not seen within 60 s (last: [])")

    steps = [
        Step("cut the link", lambda: ran.append("cut")),
        Step("people get one notification", check_fails),
        Step("never reached", lambda: ran.append("after")),
    ]
    out = io.StringIO()
    ticks = _clock([0.0, 1.5, 10.0, 70.0])
    timeline = run_steps(steps, out, clock=lambda: next(ticks))

    assert ran == ["cut", "page"]
    failed = timeline.failed
    assert failed is not None
    assert failed.title == "people get one notification"
    assert failed.note == "the people's notification: not seen within 60 s (last: [])"
    assert [o.status for o in timeline.outcomes] == ["ok", "FAILED"]
    assert [o.seconds for o in timeline.outcomes] == [1.5, 60.0]
    assert "step 2 'people get one notification' failed" in out.getvalue()
    rendered = timeline.render()
    assert "people get one notification" in rendered
    assert "FAILED" in rendered
    assert "total 61.5 s" in rendered


def test_steps_are_numbered_as_the_timeline_numbers_them_after_the_set_up() -> None:
    out = io.StringIO()
    steps = [Step("cut the link", lambda: None), Step("the page", lambda: None)]
    run_steps(steps, out, done_before=1)
    assert "== step 2/3: cut the link" in out.getvalue()
    assert "== step 3/3: the page" in out.getvalue()


def test_an_unexpected_error_is_a_failed_step_with_its_type() -> None:
    def broken() -> None:
        raise KeyError("agents")

    timeline = run_steps([Step("fleet status", broken)], io.StringIO())
    assert timeline.failed is not None
    assert timeline.failed.note == "KeyError: 'agents'"


def test_a_skipped_step_is_not_done_and_does_not_stop_the_demo() -> None:
    def missing() -> None:
        raise StepSkipped("playbooks (issue 18) are not merged yet")

    steps = [Step("playbook", missing), Step("report", lambda: None)]
    timeline = run_steps(steps, io.StringIO())
    assert [(o.title, o.status) for o in timeline.outcomes] == [
        ("playbook", "skipped"),
        ("report", "ok"),
    ]
    assert timeline.failed is None
    assert "skipped" in timeline.render()
    assert "playbooks (issue 18) are not merged yet" in timeline.render()


def test_the_demo_exits_1_naming_the_step_whose_check_failed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def fake_steps(_demo: object) -> list[Step]:
        def no_incident() -> None:
            raise StepFailed("the incident link/tsl-so-khcn in the collector: not seen")

        return [Step("cut link", lambda: None), Step("the incident", no_incident)]

    monkeypatch.setattr(demo_main, "FOLDER", tmp_path / "demo")
    monkeypatch.setattr(demo_main, "demo_steps", fake_steps)
    code = demo_main.main(["--setup-seconds", "3.0"])
    captured = capsys.readouterr()
    assert code == 1
    assert "FAILED at 'the incident'" in captured.err
    assert "the incident link/tsl-so-khcn in the collector: not seen" in captured.err
    assert "set up (Debian packages, .venv, netwarden)" in captured.out
    assert "demo timeline:" in captured.out


def test_the_demo_exits_0_when_every_step_held(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(demo_main, "FOLDER", tmp_path / "demo")
    monkeypatch.setattr(demo_main, "demo_steps", lambda _d: [Step("one", lambda: None)])
    assert demo_main.main([]) == 0
    assert "total" in capsys.readouterr().out


def test_wait_for_is_bounded_and_names_what_it_waited_for() -> None:
    now = [0.0]
    calls: list[float] = []

    def never() -> bool:
        calls.append(now[0])
        return False

    def sleep(seconds: float) -> None:
        now[0] += seconds

    with pytest.raises(StepFailed, match=r"^the page: not seen within 5 s \(last: False\)$"):
        wait_for("the page", never, 5, every=1, clock=lambda: now[0], sleep=sleep)
    assert len(calls) <= 5 / 1 + 2
    assert now[0] >= 5


def test_wait_for_returns_the_first_truthy_value_and_passes_step_failures_through() -> None:
    values = iter([None, [], ["alert"]])
    assert wait_for("x", lambda: next(values), 5, every=0, sleep=lambda _s: None) == ["alert"]

    def dead() -> bool:
        raise StepFailed("collector exited 1: boom")

    with pytest.raises(StepFailed, match="collector exited 1: boom"):
        wait_for("collector ready", dead, 60, every=0, sleep=lambda _s: None)
