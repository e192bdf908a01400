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
