"""The codec benchmark runs and reports (no speed threshold: figures are for people)."""

from __future__ import annotations

import pytest

from bench import codec_bench


def test_bench_reports(capsys: pytest.CaptureFixture[str]) -> None:
    assert codec_bench.main(["--iterations", "20"]) == 0
    out = capsys.readouterr().out
    assert "DossierSubmitted" in out
    assert "ratio" in out
    results = codec_bench.run(records=("DossierOverdue",), iterations=5)
    assert results[0].encode_ratio > 0
    assert results[0].decode_ratio > 0


def test_bench_medians_over_runs(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--iterations", "3", "--rounds", "2", "--runs", "3", "--records", "all"]
    assert codec_bench.main(argv) == 0
    out = capsys.readouterr().out
    assert "run 3/3" in out
    assert "median of 3 runs" in out
    assert "SupportClosed" in out
