"""Where a campaign stands, read from its files alone: iterations, MD runs, best set so far."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from glassfit import campaign as gc, layout, learn, proposal
from glassfit.files import read_json
from glassfit.model import Campaign, from_dict

SNAPSHOT = layout.CAMPAIGN_JSON


def status(results: str | Path) -> dict:
    """A JSON-ready summary of the campaign in ``results`` (``<results_dir>/<campaign>``)."""
    results = Path(results)
    if not (results / SNAPSHOT).exists():
        hint = "a validation-only campaign: `glassfit report --configfile <its config>`" if (results / "validation").is_dir() else "has the workflow started?"
        raise FileNotFoundError(f"{results}: no fitting campaign here ({SNAPSHOT} missing; {hint})")
    campaign = from_dict(Campaign, read_json(results / SNAPSHOT))
    runs = {"expected": 0, "ok": 0, "failed": 0}
    iterations, stop_reason, last_dataset = [], None, None
    for it in layout.iterations(results):
        d = layout.iteration_dir(results, it)
        if (d / layout.PROPOSAL).exists():
            stop_reason = read_json(d / layout.PROPOSAL).get("stop_reason") or stop_reason
        if not (d / layout.CANDIDATES).exists():
            continue
        table = pd.read_csv(d / layout.CANDIDATES)
        n_candidates = len(table)
        runs["expected"] += len(gc.iteration_runs(campaign, table, it, results))
        for f in layout.run_files(results, d.name):
            runs["ok" if read_json(f)["status"] == "ok" else "failed"] += 1
        done = (d / layout.DATASET).exists()
        iterations.append({"iteration": it, "candidates": n_candidates, "complete": done})
        if done:
            last_dataset = d / layout.DATASET
    runs["pending"] = runs["expected"] - runs["ok"] - runs["failed"]
    out = {
        "campaign": campaign.name,
        "results": str(results),
        "iterations_done": sum(i["complete"] for i in iterations),
        "iterations": iterations,
        "md_runs": runs,
        "stopped": stop_reason,
        "finished": (results / "final" / "summary.md").exists(),
        "best": None,
    }
    if last_dataset is not None:
        dataset = pd.read_csv(last_dataset)
        newest = proposal.latest(results)
        ranked = newest is not None and newest[1]["recommendation"]["from_dataset"] == f"{last_dataset.parent.name}/dataset.csv"
        ranking = newest[0] if ranked else learn.best_observed(dataset, campaign)
        best = ranking.iloc[0]
        errors = learn.glass_errors(dataset, campaign)  # the whole dataset: inert glasses take their reference runs
        errors = errors[errors["candidate"] == str(best["candidate"])]
        out["best"] = {
            "candidate": str(best["candidate"]),
            "basis": "posterior mean" if ranked else "observed",
            "predicted_objective": float(best["predicted_objective"]) if ranked else None,
            "objective": float(best["objective"]),
            "parameters": {t.name: float(best[t.name]) for t in campaign.tunables},
            "targets": [{"name": t.name, "symbol": t.symbol} for t in campaign.targets],
            "glasses": json.loads(
                errors[["glass", *(f"{t.name}_{c}" for t in campaign.targets for c in ("sim", "exp", "error"))]].to_json(orient="records")
            ),
        }
    return out


def _iteration_state(it: dict) -> str:
    if it["candidates"] == 0:
        return "no candidates (the campaign stopped)"
    return f"{it['candidates']} candidates" + ("" if it["complete"] else " (running)")


def format_status(s: dict) -> str:
    """``status()`` for people."""
    r = s["md_runs"]
    lines = [
        f"campaign {s['campaign']} ({s['results']})",
        f"  iterations done: {s['iterations_done']}" + "".join(f"\n    iter-{i['iteration']:02d}: {_iteration_state(i)}" for i in s["iterations"]),
        f"  MD runs: {r['ok']} done, {r['failed']} failed, {r['pending']} pending (of {r['expected']} known so far)",
        f"  state: {'finished' if s['finished'] else 'stopping: ' + s['stopped'] if s['stopped'] else 'in progress'}",
    ]
    if s["best"]:
        b = s["best"]
        if b["basis"] == "posterior mean":
            lines.append(f"  reported best so far: {b['candidate']}, posterior-mean objective {b['predicted_objective']:.4g} "
                         f"(observed {b['objective']:.4g}; the best posterior mean among evaluated sets)")
        else:
            lines.append(f"  best observed so far: {b['candidate']}, objective {b['objective']:.4g} (not yet ranked by the "
                         "surrogate: that happens when the next iteration is proposed)")
        lines.append("    " + ", ".join(f"{k} = {v:.6g}" for k, v in b["parameters"].items()))
        lines.append(f"    {'glass':6} " + "   ".join(f"{t['symbol'] + ' MD':>10} {'exp':>7} {'error':>8}" for t in b["targets"]))
        for g in b["glasses"]:
            def f(v):
                return "—" if v is None else f"{v:.4f}"
            lines.append(f"    {g['glass']:6} " + "   ".join(f"{f(g[t['name'] + '_sim']):>10} {f(g[t['name'] + '_exp']):>7} {f(g[t['name'] + '_error']):>8}" for t in b["targets"]))
    return "\n".join(lines)
