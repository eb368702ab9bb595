"""The benchmark runner's bookkeeping (no timing is asserted): measurements taken during a
slow spell of the machine are taken again, and the probe figure stays out of the table."""

from pathlib import Path

import pytest


@pytest.fixture
def runner(monkeypatch):
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1]))  # the repository
    import benchmarks.__main__ as runner
    return runner


def test_runs_from_a_slow_spell_are_taken_again(runner, monkeypatch):
    # Round one of "a" ran in a slow spell for torch (probe 2x the fastest); its retake is fast.
    results = {"a": {"ember": [{"seconds": 1.0, "_probe_s": 1.0}],
                     "torch": [{"seconds": 9.0, "_probe_s": 2.0}]}}
    calls = []

    def fake_run_once(case, fw, threads):
        calls.append((case, fw))
        return {"seconds": 1.1, "_probe_s": 1.05}

    monkeypatch.setattr(runner, "run_once", fake_run_once)
    assert runner.retake_slow(results, "2", reruns=5, pause=0) == 1
    assert calls == [("a", "torch")]
    assert results["a"]["torch"] == [{"seconds": 1.1, "_probe_s": 1.05}]


def test_retakes_stop_at_the_limit(runner, monkeypatch):
    results = {"a": {"ember": [{"seconds": 1.0, "_probe_s": 1.0}],
                     "torch": [{"seconds": 9.0, "_probe_s": 2.0}]}}
    monkeypatch.setattr(runner, "run_once", lambda *a: {"seconds": 9.0, "_probe_s": 2.0})
    assert runner.retake_slow(results, "2", reruns=3, pause=0) == 3  # still slow: gives up after 3


def test_probe_is_not_a_metric(runner):
    rows = runner.summarize({"a": {"ember": [{"seconds": 1.0, "_probe_s": 1.0}],
                                   "torch": [{"seconds": 2.0, "_probe_s": 1.0}]}})
    assert [(r["metric"], r["ratio"]) for r in rows] == [("seconds", 2.0)]


def test_machine_probe_times_its_workload(runner):
    from benchmarks.cases import machine_probe
    assert 0 < machine_probe() < float("inf")


def test_numpy_reference_gets_its_own_ratio_and_columns(runner):
    rows = runner.summarize({
        "a": {"ember": [{"samples_per_s": 120.0}], "torch": [{"samples_per_s": 100.0}],
              "numpy": [{"samples_per_s": 150.0}]},
        "b": {"ember": [{"seconds": 2.0}], "torch": [{"seconds": 3.0}]},
    })
    assert [(r["ratio"], r["numpy_ratio"]) for r in rows] == [(1.2, 0.8), (1.5, None)]
    lines = runner.table(rows).splitlines()
    assert all(line.count("|") == 9 for line in lines)  # eight columns on every line
    assert lines[2].endswith("| 150/s | 0.80 |") and lines[3].endswith("| | |")


def test_numpy_reference_runs_only_the_seed_network_cases(runner):
    assert runner.frameworks("train_sgd_b64") == ("ember", "torch", "numpy")
    assert runner.frameworks("inference_b1") == ("ember", "torch", "numpy")
    assert runner.frameworks("import") == ("ember", "torch")
