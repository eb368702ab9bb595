"""Run every case for ember and PyTorch, alternating fresh processes, and print ratios.

    python -m benchmarks                 # all cases, 3 rounds
    python -m benchmarks --cases overhead train_sgd_b64 --rounds 5 --json results.json

Each (case, framework) pair runs in its own process with 2 BLAS/OpenMP threads; rounds
alternate the order (ember, torch, torch, ember, ...) so machine drift hits both alike.
The table reports medians and "ember speed / torch speed" (above 1 means ember is faster;
for memory, "torch / ember").
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

from .cases import CASES

HERE = Path(__file__).resolve().parent
THREADS = "2"


def _env() -> dict:
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = THREADS
    env["PYTHONPATH"] = str(HERE.parent) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def run_once(case: str, fw: str) -> dict:
    proc = subprocess.run([sys.executable, str(HERE / "cases.py"), case, fw],
                          capture_output=True, text=True, env=_env(), timeout=900)
    if proc.returncode != 0:
        raise RuntimeError(f"{case}/{fw} failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def collect(cases: list, rounds: int) -> dict:
    results: dict = {c: {"ember": [], "torch": []} for c in cases}
    for r in range(rounds):
        order = ("ember", "torch") if r % 2 == 0 else ("torch", "ember")
        for case in cases:
            for fw in order:
                results[case][fw].append(run_once(case, fw))
                print(f"  round {r + 1}/{rounds} {case:22s} {fw}", file=sys.stderr)
    return results


def medians(runs: list) -> dict:
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def summarize(results: dict) -> list:
    rows = []
    for case, per_fw in results.items():
        em, to = medians(per_fw["ember"]), medians(per_fw["torch"])
        for metric in em:
            e, t = em[metric], to[metric]
            higher_is_better = metric.endswith("_per_s")
            ratio = (e / t) if higher_is_better else (t / e if e else float("inf"))
            rows.append({"case": case, "metric": metric, "ember": e, "torch": t,
                         "ratio": ratio})
    return rows


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


def machine() -> dict:
    import numpy as np
    info = {"python": platform.python_version(), "numpy": np.__version__,
            "machine": platform.machine(), "cpus": os.cpu_count(), "threads": int(THREADS)}
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


def table(rows: list) -> str:
    lines = ["| case | metric | ember | PyTorch | ember / PyTorch |", "|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['case']} | {r['metric']} | {_fmt(r['metric'], r['ember'])} | "
                     f"{_fmt(r['metric'], r['torch'])} | {r['ratio']:.2f} |")
    return "\n".join(lines)


def main(argv: list | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", nargs="*", default=list(CASES), choices=list(CASES))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write results to this file")
    args = parser.parse_args(argv)
    results = collect(args.cases, args.rounds)
    rows = summarize(results)
    info = machine()
    print(f"Machine: {info['cpu']}, {info['cpus']} CPUs, {info['threads']} threads; "
          f"Python {info['python']}, NumPy {info['numpy']} ({info['blas']}), "
          f"PyTorch {info['torch']}; medians of {args.rounds} alternated rounds\n")
    print(table(rows))
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "rows": rows, "raw": results},
                                        indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
