"""The campaign's final products: best parameter sets, a LAMMPS potential file, figures and a summary."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from glassfit import config as cfg, learn, potential, validation  # noqa: E402
from glassfit.learn.settings import inert_glasses  # noqa: E402
from glassfit.files import read_json, write_csv, write_text  # noqa: E402

START = "i00c00"  # the initial design's first candidate is the start set


def history(dataset: pd.DataFrame, campaign: dict, results: str | Path | None = None) -> pd.DataFrame:
    """Per iteration: MD runs so far, the best observed objective so far, and the set recommended after it.

    The recommendation after iteration NN (best posterior-mean objective among the sets evaluated so far) is the
    first row of iter-(NN+1)/ranking.csv, when `results` is given and that file exists.
    """
    objective = learn.objective(dataset, campaign)
    rows, runs, best = [], 0, np.inf
    for it, group in dataset.groupby("iteration", sort=True):
        runs += int(group["n_ok"].sum() + group["n_failed"].sum())
        best = min(best, float(objective.loc[group["candidate"].astype(str).unique()].min()))
        row = {"iteration": int(it), "md_runs": runs, "candidates": int(group["candidate"].nunique()), "best_objective": best}
        ranking = Path(results) / f"iter-{int(it) + 1:02d}" / "ranking.csv" if results else None
        if ranking is not None and ranking.exists():
            top = pd.read_csv(ranking).iloc[0]
            row.update(recommended=str(top["candidate"]), recommended_predicted=float(top["predicted_objective"]),
                       recommended_observed=float(top["objective"]))
        rows.append(row)
    return pd.DataFrame(rows)


def prediction_accuracy(dataset: pd.DataFrame, results: str | Path) -> pd.DataFrame:
    """Per iteration from 1 on: RMSE of the properties the surrogate predicted for its candidates vs their MD.

    The honest test of a surrogate: predictions.csv was written before the candidates were simulated.
    """
    rows = []
    for path in sorted(Path(results).glob("iter-[0-9][0-9]/predictions.csv")):
        predicted = pd.read_csv(path)
        if predicted.empty:
            continue
        merged = predicted.merge(dataset.assign(candidate=dataset["candidate"].astype(str)), on=["candidate", "glass"],
                                 suffixes=("_predicted", ""))
        row = {"iteration": int(path.parent.name[5:])}
        for prop in ("density_g_cm3", "B4"):
            if f"{prop}_mean_predicted" in merged.columns:
                err = (merged[f"{prop}_mean_predicted"] - merged[f"{prop}_mean"]).dropna()
                row[f"{prop}_rmse"] = float(np.sqrt((err**2).mean())) if len(err) else None
        rows.append(row)
    return pd.DataFrame(rows)


def plot_convergence(dataset: pd.DataFrame, campaign: dict, out: str | Path, results: str | Path | None = None) -> None:
    """Objective of every evaluated set against MD runs spent, the best observed so far and the recommended set."""
    hist = history(dataset, campaign, results)
    objective = learn.objective(dataset, campaign)
    per_candidate = dataset.groupby("candidate", sort=False).agg(iteration=("iteration", "first"))
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    runs_before = dict(zip(hist["iteration"], hist["md_runs"].shift(fill_value=0)))
    runs_after = dict(zip(hist["iteration"], hist["md_runs"]))
    for it, group in per_candidate.groupby("iteration"):
        x = np.full(len(group), runs_after[it])
        ax.scatter(x, objective.loc[group.index.astype(str)], s=14, color="0.6", zorder=2,
                   label="evaluated sets (observed)" if it == hist["iteration"].min() else None)
    ax.step(hist["md_runs"], hist["best_objective"], where="post", color="C0", lw=2, label="best observed so far", zorder=3)
    if "recommended_predicted" in hist.columns:
        known = hist.dropna(subset=["recommended_predicted"])
        ax.plot(known["md_runs"], known["recommended_predicted"], "D-", color="C3", ms=5, zorder=4,
                label="reported best (posterior mean)")
    for x in runs_before.values():
        ax.axvline(x, color="0.9", lw=0.8, zorder=1)
    ax.set_yscale("log")
    ax.set_xlabel("MD runs (candidate × glass × replica)")
    ax.set_ylabel("objective (lower is better)")
    ax.set_title(f"{campaign['campaign']}: convergence ({learn.settings(campaign)['proposer']['kind']})")
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)


def plot_pareto(front: pd.DataFrame, kinds: pd.Series, campaign: dict, out: str | Path) -> None:
    """Density term vs B4 term (posterior means) of every usable set, the Pareto front, and the named sets."""
    usable = front[front["usable"]]
    optimal = usable[usable["pareto_optimal"]].sort_values("predicted_density_term")
    fig, ax = plt.subplots(figsize=(6, 4.5))
    ax.scatter(usable["predicted_density_term"], usable["predicted_B4_term"], s=14, color="0.6", label="evaluated sets")
    ax.step(optimal["predicted_density_term"], optimal["predicted_B4_term"], where="post", color="C0", lw=1.5)
    ax.scatter(optimal["predicted_density_term"], optimal["predicted_B4_term"], s=30, color="C0", zorder=3, label="Pareto front")
    for cand, kind in kinds.items():
        if (kind == "start" or str(kind).startswith("set:")) and cand in set(front["candidate"]):
            row = front.set_index("candidate").loc[cand]
            name = campaign["potential"]["start"] if kind == "start" else str(kind)[4:]
            ax.scatter(row["predicted_density_term"], row["predicted_B4_term"], marker="*", s=120, color="C3", zorder=4)
            ax.annotate(name, (row["predicted_density_term"], row["predicted_B4_term"]), fontsize=8,
                        xytext=(4, 4), textcoords="offset points")
    ax.set_xscale("symlog", linthresh=1)
    ax.set_yscale("symlog", linthresh=1)
    ax.set_xlabel("density terms (posterior mean)")
    ax.set_ylabel("B4 terms (posterior mean)")
    ax.set_title(f"{campaign['campaign']}: density vs B4 trade-off (named sets: stars)")
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)


def plot_properties(dataset: pd.DataFrame, campaign: dict, best: str, out: str | Path) -> None:
    """Density and B4 against B2O3 content: experiment, the start set and the reported set."""
    b2o3 = {g["id"]: g["composition"].get("B2O3", 0.0) for g in campaign["glasses"]}
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    exp = pd.DataFrame(campaign["glasses"]).assign(B2O3=lambda t: t["id"].map(b2o3)).sort_values("B2O3")
    reference = dataset[dataset["glass"].isin(inert_glasses(campaign))]  # glasses no tuned pair acts on: run once
    for ax, prop, label in ((axes[0], "density_g_cm3", "density (g/cm³)"), (axes[1], "B4", "B4 (fraction of four-fold B)")):
        known = exp[exp[prop].notna()]
        ax.plot(known["B2O3"], known[prop], "ks-", label="experiment", zorder=3)
        for cand, style, name in ((START, "C1o--", "start set"), (best, "C0o-", f"reported ({best})")):
            own = dataset[dataset["candidate"] == cand]
            rows = pd.concat([own, reference[~reference["glass"].isin(own["glass"])]])
            rows = rows.assign(B2O3=lambda t: t["glass"].map(b2o3)).sort_values("B2O3")
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
    p = campaign["potential"]
    return potential.include_file(potential.read_species(p["species"]), pairs, p["cutoff_A"], p["kspace_accuracy"], header, p["kspace_order"])


def summary(dataset: pd.DataFrame, ranking: pd.DataFrame, campaign: dict, stop_reason: str | None, results: str | Path) -> str:
    names = [t["name"] for t in campaign["tunable"]]
    start = {t["name"]: t["start"] for t in campaign["tunable"]}
    best = ranking.iloc[0]
    by_id = ranking.set_index("candidate")
    hist = history(dataset, campaign, results)
    errors = learn.glass_errors(dataset, campaign)  # the whole dataset: inert glasses take their reference runs
    errors = errors[errors["candidate"] == str(best["candidate"])]
    observed_best = learn.objective(dataset, campaign).idxmin()
    lines = [
        f"# glassfit campaign `{campaign['campaign']}`",
        "",
        f"- iterations: {len(hist)} (0–{int(hist['iteration'].max())}); MD runs: {int(hist['md_runs'].iloc[-1])} "
        f"({int(dataset['n_failed'].sum())} failed); candidates: {dataset['candidate'].nunique()}; "
        f"engine: {learn.settings(campaign)['proposer']['kind']}",
        f"- stopped because: {stop_reason or 'n/a'}",
        f"- reported best: **{best['candidate']}** (iteration {int(best['iteration'])}), the evaluated set with the best "
        f"posterior-mean objective {best['predicted_objective']:.4g} (observed {best['objective']:.4g})"
        + (f"; start set: posterior mean {by_id.loc[START, 'predicted_objective']:.4g}, observed {by_id.loc[START, 'objective']:.4g}"
           if START in by_id.index else ""),
        f"- best observed objective: {observed_best} ({learn.objective(dataset, campaign)[observed_best]:.4g}); the "
        "posterior mean discounts replica noise, so the reported set need not be the observed minimum",
        "",
        "## Reported parameter set",
        "",
        "| parameter | start | best | change |",
        "| --- | --- | --- | --- |",
        *(f"| {n} | {start[n]:.6g} | {best[n]:.6g} | {100 * (best[n] / start[n] - 1):+.2f} % |" for n in names),
        "",
        "## Reported set per glass (MD mean over replicas vs experiment)",
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
        "Prediction RMSE: the surrogate's predictions for an iteration's candidates (written before their MD ran) "
        "against the MD.",
        "",
        "| iteration | MD runs so far | best observed | reported after it (posterior mean) | prediction RMSE density | prediction RMSE B4 |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    accuracy = prediction_accuracy(dataset, results)
    accuracy = accuracy.set_index("iteration") if len(accuracy) else pd.DataFrame()

    def fmt(v, spec):
        return "—" if v is None or (isinstance(v, float) and np.isnan(v)) else format(v, spec)

    for r in hist.to_dict("records"):
        acc = accuracy.loc[r["iteration"]] if r["iteration"] in accuracy.index else {}
        reported = (f"{r['recommended']} {r['recommended_predicted']:.4g}" if isinstance(r.get("recommended"), str) else "—")
        lines.append(f"| {r['iteration']} | {r['md_runs']} | {r['best_objective']:.4g} | {reported} | "
                     f"{fmt(acc.get('density_g_cm3_rmse'), '.4f')} | {fmt(acc.get('B4_rmse'), '.4f')} |")
    files = "`best.csv` (every set, reported first), `potential.lammps` (include file), `convergence.png`, `properties_vs_B2O3.png`"
    if learn.settings(campaign)["mode"] == "pareto":
        files += ", `pareto.csv` and `pareto.png` (density vs B4 trade-off)"
    lines += ["", f"Files: {files}.", ""]
    if validation.validates(campaign):
        lines += [
            f"Validation ({', '.join(validation.labels(campaign))} side by side on {', '.join(validation.glass_ids(campaign))}; "
            "written after its MD): `validation/properties.md` (density and B4 vs experiment, RMSE and objective per set), "
            "`validation/*_vs_B2O3.png`, `structure/` (structure per glass, every set on one plot), `pictures/` (final structures).",
            "",
        ]
    return "\n".join(lines)


def write_final(dataset_file: str | Path, ranking_file: str | Path, campaign: dict, outputs: dict[str, str]) -> learn.Recommendation:
    """Write every final product from the last dataset and its ranking (iter-NN/ranking.csv); returns the recommendation."""
    dataset = pd.read_csv(dataset_file)
    results = Path(dataset_file).parent.parent
    ranking = pd.read_csv(ranking_file)
    best = learn.recommendation(ranking, campaign)
    write_csv(outputs["best"], ranking)
    write_text(outputs["potential"], best_potential_file(campaign, best.parameters, best.candidate))
    plot_convergence(dataset, campaign, outputs["convergence"], results)
    plot_properties(dataset, campaign, best.candidate, outputs["properties"])
    if "pareto" in outputs:
        kinds = pd.read_csv(results / "iter-00" / "candidates.csv").set_index("candidate")["kind"]
        front = learn.pareto_flags(ranking).assign(kind=lambda t: t["candidate"].map(kinds).fillna("proposed"))
        write_csv(outputs["pareto"], front.sort_values(["pareto_optimal", "predicted_density_term"], ascending=[False, True]))
        plot_pareto(front, kinds, campaign, outputs["pareto_plot"])
    stop = read_json(Path(ranking_file).with_name("proposal.json")).get("stop_reason")
    write_text(outputs["summary"], summary(dataset, ranking, campaign, stop, results))
    return best
