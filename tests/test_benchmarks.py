"""`make bench` in miniature: the benchmark code runs end to end with tiny counts (its timings are not checked)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from benchmarks.__main__ import main
from benchmarks.report import BEGIN, END, Target, replace_generated
from benchmarks.timing import FLOOR, interleaved


def test_a_quick_run_writes_every_section_the_targets_and_a_chart(tmp_path: Path) -> None:
    (tmp_path / "benchmarks.md").write_text("# Benchmarks\n\n## Notes written by hand\n\nkept\n", encoding="utf-8")
    assert main(["--quick", "--write", "--docs", str(tmp_path)]) == 0
    doc = (tmp_path / "benchmarks.md").read_text(encoding="utf-8")
    headings = ("## Targets", "## Verification", "## Issuance", "## Issuer over HTTP", "## The sweep at city scale",
                "## Status lists at city scale", "## QR sizes")
    for heading in headings:
        assert heading in doc
    for row in ("| floor |", "verifier.verify from CK2: QR text", "peer sd-jwt / verifier.verify",
                "| 100,000 | 1.0% |", "| resident, age_over_65 | residency |", "| SQLite | 2 |",
                "| SQLite | 1,000 |", "| PostgreSQL | 1,000 |"):
        assert row in doc
    assert doc.index(END) < doc.index("## Notes written by hand")
    svg = ET.fromstring((tmp_path / "benchmarks.svg").read_text(encoding="utf-8"))  # noqa: S314 - written by this run
    assert svg.tag.endswith("svg")
    assert any("QR" in (t.text or "") for t in svg.iter() if t.tag.endswith("text"))


def test_only_the_generated_part_is_replaced() -> None:
    first = replace_generated("# Title\n\nintro\n\n## By hand\n", "figures 1")
    assert first.startswith("# Title\n")
    assert "figures 1" in first
    assert "## By hand" in first
    second = replace_generated(first, "figures 2")
    assert "figures 2" in second
    assert "figures 1" not in second
    assert second.count(BEGIN) == second.count(END) == 1
    assert "intro" in second
    assert "## By hand" in second


def test_a_missed_target_is_reported_as_missed() -> None:
    assert Target("ratio", 1.5, 1.3, at_most=True).met is False
    assert Target("ratio", 1.2, 1.3, at_most=True).met is True
    assert Target("speed-up", 2.4, 2.5, at_most=False).met is False
    assert "**missed**" in Target("ratio", 1.5, 1.3, at_most=True).row()


def test_interleaved_ratios_are_each_candidate_over_its_floor() -> None:
    results = interleaved({FLOOR: lambda: sum(range(50)), "ten times": lambda: [sum(range(50)) for _ in range(10)]},
                          rounds=3, batch_seconds=0.002)
    assert results[FLOOR].ratio == 1.0
    assert results["ten times"].ratio > 2  # ten times the work; loose, for a busy machine
