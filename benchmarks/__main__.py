"""Run every case for ember and PyTorch, alternating fresh processes, and print ratios.

    python -m benchmarks                 # all cases, 3 rounds
    python -m benchmarks --cases overhead train_sgd_b64 --rounds 5 --json results.json

Each (case, framework) pair runs in its own process with 2 BLAS/OpenMP threads; rounds
alternate the order (ember, torch, torch, ember, ...) so machine drift hits both alike.
Within a process a timing is the fastest of many short batches of calls (see
``cases._timeit``); the table reports the median over the rounds of each figure, and
"ember speed / torch speed" (above 1 means ember is faster; for memory, "torch / ember"),
with the target of the performance issue where there is one. The seed network's training
steps and batch-1 inference also run a hand-written NumPy version of the network
(``benchmarks/numpy_loop.py``), the reference for what NumPy itself allows.

Timings are only meaningful on an otherwise idle machine: with 2 threads on 2 busy cores,
BLAS and OpenMP thread pools stall. The load average is recorded before and after the run
and a warning is printed when other work was running. A virtual machine also slows down by
up to 2x for minutes at a time with nothing running on it: every case process therefore
times a fixed NumPy workload before its case (``cases.machine_probe``), and a
measurement whose probe ran more than 15 % slower than the fastest probe of the whole run
is taken again (``--reruns`` at most), for either framework alike.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

from .cases import CASES, NUMPY_CASES, bytecode_env

HERE = Path(__file__).resolve().parent
THREADS = "2"
SLOW_PROBE = 1.15  # a probe this much slower than the run's fastest marks a slow spell
SPELL_PAUSE_S = 10.0  # a slow spell lasts minutes: wait a little before measuring again

# (case, metric) -> the least acceptable "ember / PyTorch" ratio (speed, or torch/ember for
# times and memory). Per-op overhead: "at most 1.5x torch's time" is a ratio of 1 / 1.5.
TARGETS = {
    ("train_sgd_b64", "samples_per_s"): 1.2,
    ("train_adam_b64", "samples_per_s"): 1.2,
    ("train_sgd_b512", "samples_per_s"): 1.0,
    ("inference_b1", "seconds"): 1.5,
    ("import", "seconds"): 10.0,
    ("import", "rss_bytes"): 5.0,
    ("epoch_fashion_mnist", "peak_rss_bytes"): 1.0,
    ("overhead", "add"): 1 / 1.5,
    ("overhead", "mul"): 1 / 1.5,
    ("overhead", "add_autograd"): 1 / 1.5,
    ("overhead", "mul_autograd"): 1 / 1.5,
    ("cnn_train_adam_b64", "samples_per_s"): 0.7,
}


def _env(threads: str) -> dict:
    env = bytecode_env()  # both libraries imported from compiled bytecode, as installed
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = threads
    env["PYTHONPATH"] = str(HERE.parent) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def run_once(case: str, fw: str, threads: str = THREADS) -> dict:
    proc = subprocess.run([sys.executable, str(HERE / "cases.py"), case, fw],
                          capture_output=True, text=True, env=_env(threads), timeout=900)
    if proc.returncode != 0:
        raise RuntimeError(f"{case}/{fw} failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def collect(cases: list, rounds: int, threads: str = THREADS, reruns: int = 0) -> dict:
    results: dict = {c: {fw: [] for fw in frameworks(c)} for c in cases}
    for r in range(rounds):
        for case in cases:
            order = frameworks(case)
            for fw in order if r % 2 == 0 else order[::-1]:
                results[case][fw].append(run_once(case, fw, threads))
                print(f"  round {r + 1}/{rounds} {case:22s} {fw}", file=sys.stderr)
    retake_slow(results, threads, reruns)
    return results


def frameworks(case: str) -> tuple:
    """Who runs ``case``: ember and PyTorch, and for the seed network's training steps and
    batch-1 inference the hand-written NumPy reference too."""
    return ("ember", "torch", "numpy") if case in NUMPY_CASES else ("ember", "torch")


def retake_slow(results: dict, threads: str, reruns: int, pause: float = SPELL_PAUSE_S) -> int:
    """Measure again, up to ``reruns`` times in all and ``pause`` seconds apart, the runs
    whose machine probe says the machine was in a slow spell; returns how many were."""
    taken = 0
    while taken < reruns:
        runs = [(case, fw, i) for case, per_fw in results.items()
                for fw, rs in per_fw.items() for i in range(len(rs))]
        fastest = min(results[c][f][i]["_probe_s"] for c, f, i in runs)
        slow = [(c, f, i) for c, f, i in runs
                if results[c][f][i]["_probe_s"] > SLOW_PROBE * fastest]
        if not slow:
            break
        case, fw, i = max(slow, key=lambda k: results[k[0]][k[1]][k[2]]["_probe_s"])
        time.sleep(pause)
        results[case][fw][i] = run_once(case, fw, threads)
        taken += 1
        print(f"  again (slow spell)     {case:22s} {fw}", file=sys.stderr)
    return taken


def medians(runs: list) -> dict:
    return {k: statistics.median(r[k] for r in runs) for k in runs[0] if not k.startswith("_")}


def summarize(results: dict) -> list:
    rows = []
    for case, per_fw in results.items():
        em, to = medians(per_fw["ember"]), medians(per_fw["torch"])
        ref = medians(per_fw["numpy"]) if per_fw.get("numpy") else None
        for metric in em:
            e, t = em[metric], to[metric]
            rows.append({"case": case, "metric": metric, "ember": e, "torch": t,
                         "ratio": _ratio(metric, e, t), "target": TARGETS.get((case, metric)),
                         "numpy": ref[metric] if ref else None,
                         "numpy_ratio": _ratio(metric, e, ref[metric]) if ref else None})
    return rows


def _ratio(metric: str, ember: float, other: float) -> float:
    """ember's speed over the other's: for rates their quotient, for times and memory the
    other's figure over ember's (above 1: ember is better)."""
    if metric.endswith("_per_s"):
        return ember / other
    return other / ember if ember else float("inf")


def _fmt(metric: str, v: float) -> str:
    if metric.endswith("bytes"):
        return f"{v / 2**20:.1f} MiB"
    if metric.endswith("_per_s"):
        return f"{v:,.0f}/s"
    if v < 1e-3:
        return f"{v * 1e6:.2f} µs"
    if v < 1:
        return f"{v * 1e3:.2f} ms"
    return f"{v:.2f} s"


def machine(threads: str = THREADS) -> dict:
    import numpy as np
    info = {"python": platform.python_version(), "numpy": np.__version__,
            "machine": platform.machine(), "cpus": os.cpu_count(), "threads": int(threads)}
    try:
        info["cpu"] = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                           if line.startswith("model name"))
    except (OSError, StopIteration):
        info["cpu"] = platform.processor()
    try:
        cfg = np.show_config(mode="dicts")
        blas = cfg["Build Dependencies"]["blas"]
        info["blas"] = f"{blas['name']} {blas['version']}"
    except Exception:  # noqa: BLE001 - informational only
        info["blas"] = "unknown"
    proc = subprocess.run([sys.executable, "-c", "import torch; print(torch.__version__)"],
                          capture_output=True, text=True)
    info["torch"] = proc.stdout.strip() or "not installed"
    return info


def _verdict(row: dict) -> str:
    target = row.get("target")
    if target is None:
        return ""
    shown = f">= {target:.2f}"
    return f"{shown} met" if row["ratio"] >= target else f"{shown} missed"


def table(rows: list) -> str:
    lines = ["| case | metric | ember | PyTorch | ember / PyTorch | target | NumPy loop "
             "| ember / NumPy loop |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        ref = ("| | |" if r.get("numpy") is None
               else f"| {_fmt(r['metric'], r['numpy'])} | {r['numpy_ratio']:.2f} |")
        lines.append(f"| {r['case']} | {r['metric']} | {_fmt(r['metric'], r['ember'])} | "
                     f"{_fmt(r['metric'], r['torch'])} | {r['ratio']:.2f} | {_verdict(r)} "
                     + ref)
    return "\n".join(lines)


def main(argv: list | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", nargs="*", default=list(CASES), choices=list(CASES))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", default=THREADS, help="BLAS/OpenMP threads (default 2)")
    parser.add_argument("--json", type=Path, help="also write results to this file")
    parser.add_argument("--reruns", type=int, default=None,
                        help="measurements taken again after a slow spell, at most "
                             "(default: half as many as there are measurements)")
    args = parser.parse_args(argv)
    load_before = os.getloadavg()
    reruns = args.rounds * len(args.cases) if args.reruns is None else args.reruns
    results = collect(args.cases, args.rounds, args.threads, reruns)
    load_after = os.getloadavg()
    rows = summarize(results)
    info = machine(args.threads)
    info["load_average_before"], info["load_average_after"] = load_before, load_after
    print(f"Machine: {info['cpu']}, {info['cpus']} CPUs, {info['threads']} threads; "
          f"Python {info['python']}, NumPy {info['numpy']} ({info['blas']}), "
          f"PyTorch {info['torch']}; medians of {args.rounds} alternated rounds; "
          f"load average {load_before[0]:.2f} before, {load_after[0]:.2f} after\n")
    if max(load_before[0], load_after[0]) > 0.5:
        print("Warning: other work was running (load average above 0.5); timings are "
              "unreliable.\n", file=sys.stderr)
    print(table(rows))
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "rows": rows, "raw": results},
                                        indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
