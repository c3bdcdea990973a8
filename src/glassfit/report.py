"""The campaign's final products: best parameter sets, a LAMMPS potential file, figures and a summary."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from glassfit import campaign as gc, layout, learn, potential, validation  # noqa: E402
from glassfit.chemistry import axis_label, composition_axis  # noqa: E402
from glassfit.files import read_json, write_csv, write_text  # noqa: E402
from glassfit.learn.objective import pareto_targets, term_column  # noqa: E402
from glassfit.learn.settings import inert_glasses  # noqa: E402
from glassfit.model import Campaign  # noqa: E402

START = "i00c00"  # the initial design's first candidate is the start set


@dataclass(frozen=True)
class FinalInputs:
    """Every file rule final reads (each declared as its input): the last dataset and its ranking and proposal, the
    initial design, and every iteration's ranking and predictions."""

    dataset: Path
    ranking: Path
    proposal: Path
    design: Path
    rankings: tuple[Path, ...]
    predictions: tuple[Path, ...]


def history(dataset: pd.DataFrame, campaign: Campaign, rankings: Sequence[str | Path] = ()) -> pd.DataFrame:
    """Per iteration: MD runs so far, the best observed objective so far, and the set recommended after it.

    The recommendation after iteration NN (best posterior-mean objective among the sets evaluated so far) is the
    first row of iter-(NN+1)/ranking.csv, when ``rankings`` has it.
    """
    objective = learn.objective(dataset, campaign)
    by_iteration = {layout.iteration_of(Path(r).parent): Path(r) for r in rankings}
    rows, runs, best = [], 0, np.inf
    for it, group in dataset.groupby("iteration", sort=True):
        runs += int(group["n_ok"].sum() + group["n_failed"].sum())
        best = min(best, float(objective.loc[group["candidate"].astype(str).unique()].min()))
        row = {"iteration": int(it), "md_runs": runs, "candidates": int(group["candidate"].nunique()), "best_objective": best}
        ranking = by_iteration.get(int(it) + 1)
        if ranking is not None and ranking.exists():
            top = pd.read_csv(ranking).iloc[0]
            row.update(recommended=str(top["candidate"]), recommended_predicted=float(top["predicted_objective"]),
                       recommended_observed=float(top["objective"]))
        rows.append(row)
    return pd.DataFrame(rows)


def prediction_accuracy(dataset: pd.DataFrame, predictions: Sequence[str | Path], campaign: Campaign) -> pd.DataFrame:
    """Per iteration from 1 on: RMSE of the targets the surrogate predicted for its candidates vs their MD.

    The honest test of a surrogate: predictions.csv was written before the candidates were simulated.
    """
    rows = []
    for path in map(Path, predictions):
        if not path.is_file() or (predicted := pd.read_csv(path)).empty:
            continue
        merged = predicted.merge(dataset.assign(candidate=dataset["candidate"].astype(str)), on=["candidate", "glass"],
                                 suffixes=("_predicted", ""))
        row = {"iteration": layout.iteration_of(path.parent)}
        for prop in (t.name for t in campaign.targets):
            if f"{prop}_mean_predicted" in merged.columns:
                err = (merged[f"{prop}_mean_predicted"] - merged[f"{prop}_mean"]).dropna()
                row[f"{prop}_rmse"] = float(np.sqrt((err**2).mean())) if len(err) else None
        rows.append(row)
    return pd.DataFrame(rows)


def plot_convergence(dataset: pd.DataFrame, campaign: Campaign, out: str | Path, rankings: Sequence[str | Path] = ()) -> None:
    """Objective of every evaluated set against MD runs spent, the best observed so far and the recommended set."""
    hist = history(dataset, campaign, rankings)
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
    ax.set_title(f"{campaign.name}: convergence ({campaign.learn.proposer.kind})")
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)


def plot_pareto(front: pd.DataFrame, kinds: pd.Series, campaign: Campaign, out: str | Path) -> None:
    """First target's terms vs second's (posterior means; density and B4) of every usable set, the Pareto front, named sets."""
    first, second = pareto_targets(campaign)
    x, y = f"predicted_{term_column(first)}", f"predicted_{term_column(second)}"
    usable = front[front["usable"]]
    optimal = usable[usable["pareto_optimal"]].sort_values(x)
    fig, ax = plt.subplots(figsize=(6, 4.5))
    ax.scatter(usable[x], usable[y], s=14, color="0.6", label="evaluated sets")
    ax.step(optimal[x], optimal[y], where="post", color="C0", lw=1.5)
    ax.scatter(optimal[x], optimal[y], s=30, color="C0", zorder=3, label="Pareto front")
    for cand, kind in kinds.items():
        if (kind == "start" or str(kind).startswith("set:")) and cand in set(front["candidate"]):
            row = front.set_index("candidate").loc[cand]
            name = campaign.potential.start if kind == "start" else str(kind)[4:]
            ax.scatter(row[x], row[y], marker="*", s=120, color="C3", zorder=4)
            ax.annotate(name, (row[x], row[y]), fontsize=8,
                        xytext=(4, 4), textcoords="offset points")
    ax.set_xscale("symlog", linthresh=1)
    ax.set_yscale("symlog", linthresh=1)
    ax.set_xlabel(f"{first.symbol} terms (posterior mean)")
    ax.set_ylabel(f"{second.symbol} terms (posterior mean)")
    ax.set_title(f"{campaign.name}: {first.symbol} vs {second.symbol} trade-off (named sets: stars)")
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)


def plot_properties(dataset: pd.DataFrame, campaign: Campaign, best: str, out: str | Path) -> None:
    """Every target against composition (B2O3, or the oxide that varies most): experiment, the start set and the reported set."""
    axis = composition_axis(g.composition for g in campaign.glasses)
    x_of = {g.id: g.composition.get(axis, 0.0) for g in campaign.glasses}
    fig, axes = plt.subplots(1, len(campaign.targets), figsize=(5 * len(campaign.targets), 4), squeeze=False)
    exp = pd.DataFrame([{"id": g.id, "x": x_of[g.id], **{t.name: g.value(t.column) for t in campaign.targets}} for g in campaign.glasses]).sort_values("x")
    reference = dataset[dataset["glass"].isin(inert_glasses(campaign))]  # glasses no tuned pair acts on: run once
    for ax, target in zip(axes[0], campaign.targets):
        prop, label = target.name, target.label
        known = exp[exp[prop].notna()]
        ax.plot(known["x"], known[prop], "ks-", label="experiment", zorder=3)
        for cand, style, name in ((START, "C1o--", "start set"), (best, "C0o-", f"reported ({best})")):
            own = dataset[dataset["candidate"] == cand]
            rows = pd.concat([own, reference[~reference["glass"].isin(own["glass"])]])
            rows = rows.assign(x=lambda t: t["glass"].map(x_of)).sort_values("x")
            if len(rows):
                ax.errorbar(rows["x"], rows[f"{prop}_mean"], yerr=rows[f"{prop}_std"].fillna(0), fmt=style, capsize=3, label=name)
        ax.set_xlabel(axis_label(axis))
        ax.set_ylabel(label)
    axes[0][0].legend(frameon=False)
    fig.suptitle(f"{campaign.name}: MD vs experiment")
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)


def best_potential_file(campaign: Campaign, values: dict[str, float], candidate: str) -> potential.Rendered:
    """LAMMPS include file of the complete potential with the fitted values (charges of the first fitted glass when they vary)."""
    p = campaign.potential
    pairs = potential.apply_values(p.complete_set(p.start), campaign.tunables, values)
    glass = campaign.glasses[0].id
    charges = {s.element: s.charge_e for s in gc.glass_species(campaign, glass, values=values)}
    header = [
        f"Fitted by glassfit, campaign '{campaign.name}', candidate {candidate}, {datetime.now(timezone.utc):%Y-%m-%d}.",
        f"Start set '{p.start}' and fixed pairs from {p.table}; charges and masses from {p.species_table}.",
        "Fitted: " + ", ".join(f"{k} = {v:.6g}" for k, v in values.items()),
        *([f"Charges as in glass {glass}: the {p.charge_balance} charge depends on the composition (set it per glass)."] if p.charge_balance else []),
        "Use: after read_data with these atom types, 'include potential.lammps'.",
    ]
    return potential.include_file(p, pairs, charges, gc.elements(campaign), header, "potential.table")


def summary(dataset: pd.DataFrame, ranking: pd.DataFrame, campaign: Campaign, stop_reason: str | None, inputs: FinalInputs) -> str:
    names = [t.name for t in campaign.tunables]
    start = {t.name: t.start for t in campaign.tunables}
    best = ranking.iloc[0]
    by_id = ranking.set_index("candidate")
    hist = history(dataset, campaign, inputs.rankings)
    errors = learn.glass_errors(dataset, campaign)  # the whole dataset: inert glasses take their reference runs
    errors = errors[errors["candidate"] == str(best["candidate"])]
    observed_best = learn.objective(dataset, campaign).idxmin()
    lines = [
        f"# glassfit campaign `{campaign.name}`",
        "",
        f"- iterations: {len(hist)} (0–{int(hist['iteration'].max())}); MD runs: {int(hist['md_runs'].iloc[-1])} "
        f"({int(dataset['n_failed'].sum())} failed); candidates: {dataset['candidate'].nunique()}; "
        f"engine: {campaign.learn.proposer.kind}",
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
        *(f"| {n} | {start[n]:.6g} | {best[n]:.6g} | {_change(start[n], best[n])} |" for n in names),
        "",
        "## Reported set per glass (MD mean over replicas vs experiment)",
        "",
        "| glass | " + " | ".join(f"{t.symbol} MD | {t.symbol} exp" for t in campaign.targets) + " |",
        "| --- " * (1 + 2 * len(campaign.targets)) + "|",
        *(
            f"| {r['glass']} | " + " | ".join(f"{_value(r[f'{t.name}_sim'])} | {_value(r[f'{t.name}_exp'])}" for t in campaign.targets) + " |"
            for r in errors.to_dict("records")
        ),
        "",
        "## Convergence",
        "",
        "Prediction RMSE: the surrogate's predictions for an iteration's candidates (written before their MD ran) "
        "against the MD.",
        "",
        "| iteration | MD runs so far | best observed | reported after it (posterior mean) | "
        + " | ".join(f"prediction RMSE {t.symbol}" for t in campaign.targets) + " |",
        "| --- " * (4 + len(campaign.targets)) + "|",
    ]
    accuracy = prediction_accuracy(dataset, inputs.predictions, campaign)
    accuracy = accuracy.set_index("iteration") if len(accuracy) else pd.DataFrame()

    def fmt(v, spec):
        return "—" if v is None or (isinstance(v, float) and np.isnan(v)) else format(v, spec)

    for r in hist.to_dict("records"):
        acc = accuracy.loc[r["iteration"]] if r["iteration"] in accuracy.index else {}
        reported = (f"{r['recommended']} {r['recommended_predicted']:.4g}" if isinstance(r.get("recommended"), str) else "—")
        lines.append(f"| {r['iteration']} | {r['md_runs']} | {r['best_objective']:.4g} | {reported} | "
                     + " | ".join(fmt(acc.get(f"{t.name}_rmse"), ".4f") for t in campaign.targets) + " |")
    files = "`best.csv` (every set, reported first), `potential.lammps` (include file), `convergence.png`, `properties_vs_B2O3.png`"
    if campaign.learn.mode == "pareto":
        first, second = pareto_targets(campaign)
        files += f", `pareto.csv` and `pareto.png` ({first.symbol} vs {second.symbol} trade-off)"
    lines += ["", f"Files: {files}.", ""]
    if validation.validates(campaign):
        lines += [
            f"Validation ({', '.join(validation.labels(campaign))} side by side on {', '.join(validation.glass_ids(campaign))}; "
            f"written after its MD): `validation/properties.md` ({', '.join(t.symbol for t in campaign.targets)} vs experiment, RMSE and objective per set), "
            "`validation/*_vs_B2O3.png`, `structure/` (structure per glass, every set on one plot), `pictures/` (final structures).",
            "",
        ]
    return "\n".join(lines)


def _change(start: float, best: float) -> str:
    """The fitted value's change from the start, relative where the start is not 0."""
    return f"{100 * (best / start - 1):+.2f} %" if start else f"{best - start:+.6g}"


def _value(v) -> str:
    return "—" if v is None or (isinstance(v, float) and np.isnan(v)) else f"{v:.4f}"


def write_final(inputs: FinalInputs, campaign: Campaign, outputs: dict[str, str]) -> learn.Recommendation:
    """Write every final product from the last dataset and its ranking (iter-NN/ranking.csv); returns the recommendation."""
    dataset = pd.read_csv(inputs.dataset)
    ranking = pd.read_csv(inputs.ranking)
    best = learn.recommendation(ranking, campaign)
    write_csv(outputs["best"], ranking)
    include = best_potential_file(campaign, best.parameters, best.candidate)
    write_text(outputs["potential"], "\n".join(include.lines) + "\n")
    for text in include.files.values():  # the table the include file names (potential.table), when the potential has one
        write_text(outputs["potential_table"], text)
    plot_convergence(dataset, campaign, outputs["convergence"], inputs.rankings)
    plot_properties(dataset, campaign, best.candidate, outputs["properties"])
    if "pareto" in outputs:
        kinds = pd.read_csv(inputs.design).set_index("candidate")["kind"]
        front = learn.pareto_flags(ranking, campaign).assign(kind=lambda t: t["candidate"].map(kinds).fillna("proposed"))
        write_csv(outputs["pareto"], front.sort_values(["pareto_optimal", f"predicted_{term_column(pareto_targets(campaign)[0])}"], ascending=[False, True]))
        plot_pareto(front, kinds, campaign, outputs["pareto_plot"])
    stop = read_json(inputs.proposal).get("stop_reason")
    text = summary(dataset, ranking, campaign, stop, inputs)
    if "ensemble" in outputs:
        text += parameter_ensemble(dataset, campaign, outputs["ensemble"], outputs["ensemble_plot"])
    write_text(outputs["summary"], text)
    return best


def parameter_ensemble(dataset: pd.DataFrame, campaign: Campaign, table_file: str | Path, plot_file: str | Path) -> str:
    """Write the sets within the noise of the optimum and their corner plot; the summary's paragraph on them."""
    from glassfit.learn import ensemble, gp

    table = ensemble.ensemble(gp.build(dataset, campaign, campaign.seed), dataset, campaign, campaign.seed)
    write_csv(table_file, table)
    ensemble.plot_corner(table, campaign, plot_file)
    spread = ensemble.spread(table).sort_values("std", ascending=False)
    n = ensemble.supported_optima(table)
    widest = ", ".join(f"{r.quantity} {r.mean:.4g} ± {r.std:.2g}" for r in spread.head(3).itertuples())
    return (f"\n## Uncertainty of the fitted parameters\n\n{len(table)} sets lie within the noise of the optimum in at least half of "
            f"the posterior draws (`ensemble.csv`, `ensemble.png`): the data support {'one optimum' if n == 1 else f'{n} distinct optima'}. "
            f"Widest predicted spreads over them: {widest}.\n")
