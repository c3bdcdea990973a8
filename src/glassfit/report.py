"""The campaign's final products: best parameter sets, a LAMMPS potential file, figures and a summary."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from glassfit import config as cfg, learn, potential  # noqa: E402
from glassfit.files import write_csv, write_text  # noqa: E402

START = "i00c00"  # the initial design's first candidate is the start set


def history(dataset: pd.DataFrame, campaign: dict) -> pd.DataFrame:
    """Per iteration: MD runs so far and the best observed objective so far."""
    objective = learn.objective(dataset, campaign)
    rows, runs, best = [], 0, np.inf
    for it, group in dataset.groupby("iteration", sort=True):
        runs += int(group["n_ok"].sum() + group["n_failed"].sum())
        best = min(best, float(objective.loc[group["candidate"].astype(str).unique()].min()))
        rows.append({"iteration": int(it), "md_runs": runs, "candidates": int(group["candidate"].nunique()), "best_objective": best})
    return pd.DataFrame(rows)


def plot_convergence(dataset: pd.DataFrame, campaign: dict, out: str | Path) -> None:
    hist = history(dataset, campaign)
    objective = learn.objective(dataset, campaign)
    per_candidate = dataset.groupby("candidate", sort=False).agg(iteration=("iteration", "first"), runs=("n_ok", "size"))
    fig, ax = plt.subplots(figsize=(6, 4))
    runs_before = dict(zip(hist["iteration"], hist["md_runs"].shift(fill_value=0)))
    runs_after = dict(zip(hist["iteration"], hist["md_runs"]))
    for it, group in per_candidate.groupby("iteration"):
        x = np.full(len(group), runs_after[it])
        ax.scatter(x, objective.loc[group.index.astype(str)], s=14, color="0.6", zorder=2, label="candidates" if it == hist["iteration"].min() else None)
    ax.step(hist["md_runs"], hist["best_objective"], where="post", color="C0", lw=2, label="best so far", zorder=3)
    for it, x in runs_before.items():
        ax.axvline(x, color="0.9", lw=0.8, zorder=1)
    ax.set_yscale("log")
    ax.set_xlabel("MD runs (candidate × glass × replica)")
    ax.set_ylabel("objective (lower is better)")
    ax.set_title(f"{campaign['campaign']}: convergence")
    ax.legend(frameon=False)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)


def plot_properties(dataset: pd.DataFrame, campaign: dict, best: str, out: str | Path) -> None:
    """Density and B4 against B2O3 content: experiment, the start set and the best set."""
    b2o3 = {g["id"]: g["composition"].get("B2O3", 0.0) for g in campaign["glasses"]}
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    exp = pd.DataFrame(campaign["glasses"]).assign(B2O3=lambda t: t["id"].map(b2o3)).sort_values("B2O3")
    for ax, prop, label in ((axes[0], "density_g_cm3", "density (g/cm³)"), (axes[1], "B4", "B4 (fraction of four-fold B)")):
        known = exp[exp[prop].notna()]
        ax.plot(known["B2O3"], known[prop], "ks-", label="experiment", zorder=3)
        for cand, style, name in ((START, "C1o--", "start set"), (best, "C0o-", f"best ({best})")):
            rows = dataset[dataset["candidate"] == cand].assign(B2O3=lambda t: t["glass"].map(b2o3)).sort_values("B2O3")
            if len(rows):
                ax.errorbar(rows["B2O3"], rows[f"{prop}_mean"], yerr=rows[f"{prop}_std"].fillna(0), fmt=style, capsize=3, label=name)
        ax.set_xlabel("B2O3 (mol %)")
        ax.set_ylabel(label)
    axes[0].legend(frameon=False)
    fig.suptitle(f"{campaign['campaign']}: MD vs experiment")
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)


def best_potential_file(campaign: dict, values: dict[str, float], candidate: str) -> str:
    """LAMMPS include file of the complete potential with the fitted values."""
    sets = potential.read_parameter_sets(campaign["potential"]["table"])
    pairs = potential.apply_values(potential.complete_set(sets, campaign["potential"]["start"]), cfg.tunables(campaign), values)
    header = [
        f"Fitted by glassfit, campaign '{campaign['campaign']}', candidate {candidate}, {datetime.now(timezone.utc):%Y-%m-%d}.",
        f"Start set '{campaign['potential']['start']}' and fixed pairs from {campaign['potential']['table']}; charges and masses from {campaign['potential']['species']}.",
        "Fitted: " + ", ".join(f"{k} = {v:.6g}" for k, v in values.items()),
        "Use: after read_data with these atom types, 'include potential.lammps'.",
    ]
    return potential.include_file(potential.read_species(campaign["potential"]["species"]), pairs, campaign["potential"]["cutoff_A"], campaign["potential"]["kspace_accuracy"], header)


def summary(dataset: pd.DataFrame, ranking: pd.DataFrame, campaign: dict, stop_reason: str | None, metrics: list[dict]) -> str:
    names = [t["name"] for t in campaign["tunable"]]
    start = {t["name"]: t["start"] for t in campaign["tunable"]}
    best = ranking.iloc[0]
    hist = history(dataset, campaign)
    errors = learn.glass_errors(dataset[dataset["candidate"] == best["candidate"]], campaign)
    lines = [
        f"# glassfit campaign `{campaign['campaign']}`",
        "",
        f"- iterations: {len(hist)} (0–{int(hist['iteration'].max())}); MD runs: {int(hist['md_runs'].iloc[-1])} "
        f"({int(dataset['n_failed'].sum())} failed); candidates: {dataset['candidate'].nunique()}",
        f"- stopped because: {stop_reason or 'n/a'}",
        f"- best candidate: **{best['candidate']}** (iteration {int(best['iteration'])}), objective {best['objective']:.4g} "
        f"(start set: {ranking.set_index('candidate').loc[START, 'objective']:.4g})" if START in set(ranking["candidate"]) else "",
        "",
        "## Best parameter set",
        "",
        "| parameter | start | best | change |",
        "| --- | --- | --- | --- |",
        *(f"| {n} | {start[n]:.6g} | {best[n]:.6g} | {100 * (best[n] / start[n] - 1):+.2f} % |" for n in names),
        "",
        "## Best set per glass (MD mean over replicas vs experiment)",
        "",
        "| glass | density MD | density exp | B4 MD | B4 exp |",
        "| --- | --- | --- | --- | --- |",
        *(
            f"| {r.glass} | {r.density_g_cm3_sim:.4f} | {r.density_g_cm3_exp:.4f} | "
            f"{'—' if np.isnan(r.B4_sim) else f'{r.B4_sim:.3f}'} | {'—' if np.isnan(r.B4_exp) else f'{r.B4_exp:.3f}'} |"
            for r in errors.itertuples()
        ),
        "",
        "## Convergence",
        "",
        "| iteration | MD runs so far | best objective | surrogate RMSE density (val) | surrogate RMSE B4 (val) |",
        "| --- | --- | --- | --- | --- |",
    ]
    by_iteration = {m["iteration"]: m for m in metrics}
    for r in hist.itertuples():
        m = by_iteration.get(r.iteration, {})
        rmse = [m.get(k) for k in ("density_g_cm3_rmse_val", "B4_rmse_val")]
        rmse = ["—" if v is None else f"{v:.4f}" for v in rmse]  # None: no candidate was held out for validation
        lines.append(f"| {r.iteration} | {r.md_runs} | {r.best_objective:.4g} | {rmse[0]} | {rmse[1]} |")
    lines += ["", "Files: `best.csv` (ranked sets), `potential.lammps` (include file), `convergence.png`, `properties_vs_B2O3.png`.", ""]
    return "\n".join(l for l in lines if l is not None)


def write_final(dataset_file: str | Path, campaign: dict, outputs: dict[str, str]) -> pd.DataFrame:
    """Write every final product from the last dataset; returns the ranking (best first)."""
    dataset = pd.read_csv(dataset_file)
    results = Path(dataset_file).parent.parent
    ranking = learn.best_observed(dataset, campaign)
    write_csv(outputs["best"], ranking)
    best = ranking.iloc[0]
    values = {t["name"]: float(best[t["name"]]) for t in campaign["tunable"]}
    write_text(outputs["potential"], best_potential_file(campaign, values, best["candidate"]))
    plot_convergence(dataset, campaign, outputs["convergence"])
    plot_properties(dataset, campaign, best["candidate"], outputs["properties"])
    last = int(dataset["iteration"].max())
    proposal = results / f"iter-{last + 1:02d}" / "proposal.json"
    stop = json.loads(proposal.read_text())["stop_reason"] if proposal.exists() else None
    metrics = [json.loads(p.read_text()) for p in sorted(results.glob("iter-*/surrogate/metrics.json"))]
    write_text(outputs["summary"], summary(dataset, ranking, campaign, stop, metrics))
    return ranking
