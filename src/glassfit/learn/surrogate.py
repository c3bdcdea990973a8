"""Composition-aware MLP ensemble predicting every target (density, B4) from tunable parameters and glass composition.

The ensemble models the targets on their physical scale (Target.transform is the GPs' modelling scale).
"""
from __future__ import annotations

import json
import math
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from glassfit.model import LearningProblem

from .settings import bounds, mol_fractions, oxides, param_names

STATE_FILE = "surrogate.pt"
META_FILE = "surrogate.json"


@contextmanager
def single_thread():
    """Run torch on one thread: the networks are tiny, so threads only add overhead and nondeterminism."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class EnsembleMLP(torch.nn.Module):
    """M independent MLPs evaluated together with batched matrix products (fast on CPU)."""

    def __init__(self, n_members: int, n_in: int, hidden: list[int], n_out: int,
                 generator: torch.Generator | None = None):
        """Create the member weights with torch.nn.Linear's default init, drawn from `generator`."""
        super().__init__()
        sizes = [n_in, *hidden, n_out]
        self.weights = torch.nn.ParameterList()
        self.biases = torch.nn.ParameterList()
        for a, b in zip(sizes[:-1], sizes[1:]):
            bound = 1.0 / math.sqrt(a)
            w = (torch.rand(n_members, a, b, generator=generator) * 2 - 1) * bound
            c = (torch.rand(n_members, 1, b, generator=generator) * 2 - 1) * bound
            self.weights.append(torch.nn.Parameter(w))
            self.biases.append(torch.nn.Parameter(c))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map inputs (n, n_in) or (M, n, n_in) to outputs (M, n, n_out)."""
        m = self.weights[0].shape[0]
        if x.dim() == 2:
            x = x.unsqueeze(0).expand(m, -1, -1)
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            x = torch.baddbmm(b, x, w)
            if i < last:
                x = torch.nn.functional.silu(x)
        return x


@dataclass
class Surrogate:
    """Trained ensemble plus everything needed to build its inputs and undo the output scaling."""

    param_names: list[str]
    outputs: list[str]  # the target names the outputs are, in problem.targets order
    low: list[float]
    high: list[float]
    oxides: list[str]
    compositions: dict[str, list[float]]  # glass id -> mol fractions of `oxides`
    hidden_layers: list[int]
    n_members: int
    out_mean: list[float]
    out_std: list[float]
    net: EnsembleMLP
    metrics: dict = field(default_factory=dict)

    def features(self, unit: np.ndarray, glasses: list[str]) -> torch.Tensor:
        """Inputs for every (point, glass) pair, point-major: normalised parameters then mol fractions."""
        unknown = [g for g in glasses if g not in self.compositions]
        if unknown:
            raise KeyError(f"surrogate knows no composition for glasses {unknown}")
        unit = np.atleast_2d(np.asarray(unit, dtype=np.float32))
        comp = np.array([self.compositions[g] for g in glasses], dtype=np.float32)
        n, g = unit.shape[0], comp.shape[0]
        x = np.concatenate([np.repeat(unit, g, axis=0), np.tile(comp, (n, 1))], axis=1)
        return torch.from_numpy(x)

    def predict_members(self, unit: np.ndarray, glasses: list[str]) -> np.ndarray:
        """Physical-unit predictions of every member, shape (members, points, glasses, outputs)."""
        unit = np.atleast_2d(unit)
        with torch.no_grad(), single_thread():
            y = self.net(self.features(unit, glasses)).numpy().astype(float)
        y = y * np.asarray(self.out_std) + np.asarray(self.out_mean)
        return y.reshape(self.n_members, unit.shape[0], len(glasses), len(self.outputs))

    def normalise(self, params: pd.DataFrame) -> np.ndarray:
        """Absolute parameter columns of a frame mapped to the [0,1] box of the bounds."""
        missing = [n for n in self.param_names if n not in params.columns]
        if missing:
            raise KeyError(f"parameter columns missing: {missing}")
        low, high = np.asarray(self.low), np.asarray(self.high)
        return (params[self.param_names].to_numpy(dtype=float) - low) / (high - low)

    def predict(self, params: pd.DataFrame, glasses: list[str]) -> pd.DataFrame:
        """Rows candidate x glass with <target>_mean and <target>_std per output (std = ensemble spread).

        The candidate column is copied from params['candidate'] when present, else from the index.
        """
        glasses = [str(g) for g in glasses]
        y = self.predict_members(self.normalise(params), glasses)
        mean, std = y.mean(axis=0), y.std(axis=0)
        ids = params["candidate"] if "candidate" in params.columns else params.index
        out = pd.DataFrame({
            "candidate": np.repeat(np.asarray(ids).astype(str), len(glasses)),
            "glass": np.tile(glasses, len(params)),
        })
        for j, name in enumerate(self.outputs):
            out[f"{name}_mean"] = mean[..., j].ravel()
            out[f"{name}_std"] = std[..., j].ravel()
        return out

    def save(self, directory: str | Path) -> None:
        """Write surrogate.pt (weights) and surrogate.json (everything else), each complete or absent."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        meta = {k: getattr(self, k) for k in ("param_names", "outputs", "low", "high", "oxides", "compositions",
                                             "hidden_layers", "n_members", "out_mean", "out_std", "metrics")}
        tmp = directory / (STATE_FILE + ".tmp")
        torch.save(self.net.state_dict(), tmp)
        tmp.replace(directory / STATE_FILE)
        tmp = directory / (META_FILE + ".tmp")
        tmp.write_text(json.dumps(meta, indent=1))
        tmp.replace(directory / META_FILE)

    @classmethod
    def load(cls, directory: str | Path) -> "Surrogate":
        """Read a surrogate written by save()."""
        directory = Path(directory)
        meta = json.loads((directory / META_FILE).read_text())
        net = EnsembleMLP(meta["n_members"], len(meta["param_names"]) + len(meta["oxides"]),
                          meta["hidden_layers"], len(meta["outputs"]))
        net.load_state_dict(torch.load(directory / STATE_FILE, weights_only=True))
        net.eval()
        return cls(net=net, **meta)


def _split_candidates(candidates: np.ndarray, val_fraction: float,
                      rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Random candidate split into train and validation ids, keeping at least one for training."""
    n = len(candidates)
    n_val = min(int(round(val_fraction * n)), n - 1)
    order = rng.permutation(n)
    return candidates[order[n_val:]], candidates[order[:n_val]]


def _rmse(pred: np.ndarray, target: np.ndarray) -> float | None:
    """RMSE over the finite targets (None when there are none, so metrics stay valid JSON)."""
    ok = np.isfinite(target)
    return float(np.sqrt(np.mean((pred[ok] - target[ok]) ** 2))) if ok.any() else None


def train(dataset: pd.DataFrame, problem: LearningProblem, seed: int) -> tuple[Surrogate, dict]:
    """Train the ensemble on the data set's rows with values; return it and its RMSE metrics (physical units)."""
    with single_thread():
        return _train(dataset, problem, seed)


def _train(dataset: pd.DataFrame, problem: LearningProblem, seed: int) -> tuple[Surrogate, dict]:
    """Body of train(), run single-threaded."""
    cfg = problem.learn.surrogate
    names = param_names(problem)
    outputs = [t.name for t in problem.targets]
    low, high = bounds(problem)
    ox = oxides(problem)
    comps = {g.id: mol_fractions(g, ox) for g in problem.glasses}

    data = dataset.assign(candidate=dataset["candidate"].astype(str), glass=dataset["glass"].astype(str))
    unknown = sorted(set(data["glass"]) - set(comps))
    if unknown:
        raise ValueError(f"data set has glasses that are not glasses of the problem: {unknown}")
    y_all = data[[f"{o}_mean" for o in outputs]].to_numpy(dtype=float)
    data = data[np.isfinite(y_all).any(axis=1)].reset_index(drop=True)
    if data.empty:
        raise ValueError(f"no data set row has a value of {' or '.join(outputs)}: nothing to train the surrogate on")

    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng(seed)

    unit = (data[names].to_numpy(dtype=float) - low) / (high - low)
    comp = np.array([comps[g] for g in data["glass"]])
    x = torch.tensor(np.concatenate([unit, comp], axis=1), dtype=torch.float32)
    y_phys = data[[f"{o}_mean" for o in outputs]].to_numpy(dtype=float)
    mean = np.nanmean(y_phys, axis=0)
    std = np.nanstd(y_phys, axis=0)
    mean = np.where(np.isfinite(mean), mean, 0.0)
    std = np.where(np.isfinite(std) & (std > 1e-12), std, 1.0)
    y_std = (y_phys - mean) / std
    mask = torch.tensor(np.isfinite(y_std), dtype=torch.float32)
    y = torch.tensor(np.nan_to_num(y_std), dtype=torch.float32)

    candidates = pd.unique(data["candidate"])
    train_ids, val_ids = _split_candidates(np.asarray(candidates), cfg.val_fraction, rng)
    is_train = data["candidate"].isin(train_ids).to_numpy()
    tr, va = np.flatnonzero(is_train), np.flatnonzero(~is_train)

    m = cfg.ensemble_size
    # per-member row weights: bootstrap counts of training candidates (all glasses of a candidate together)
    cand_index = pd.Index(train_ids).get_indexer(data["candidate"].to_numpy()[tr])
    if cfg.bootstrap:
        counts = np.stack([np.bincount(rng.integers(0, len(train_ids), len(train_ids)),
                                       minlength=len(train_ids)) for _ in range(m)])
    else:
        counts = np.ones((m, len(train_ids)))
    # precision of each row: its mean rests on n_ok replicas (variance sigma^2 / n_ok), so a mean of 1 surviving
    # replica out of 6 weighs a sixth of a complete one
    n_ok = np.maximum(data["n_ok"].fillna(1).to_numpy(dtype=float), 1.0) if "n_ok" in data.columns else np.ones(len(data))
    precision = torch.tensor(n_ok[tr] / np.median(n_ok[tr]), dtype=torch.float32)[None, :, None]
    w_tr = torch.tensor(counts[:, cand_index], dtype=torch.float32).unsqueeze(-1) * mask[tr] * precision  # (M, n_tr, outputs)
    w_tr_sum = w_tr.sum(dim=(1, 2)).clamp_min(1.0)
    x_tr, y_tr = x[tr], y[tr]
    x_va, y_va, m_va = x[va], y[va], mask[va]
    use_val = len(va) > 0 and float(m_va.sum()) > 0

    net = EnsembleMLP(m, x.shape[1], list(cfg.hidden_layers), len(outputs), generator=gen)
    opt = torch.optim.AdamW(net.parameters(), lr=cfg.learning_rate, weight_decay=cfg.weight_decay, fused=True)
    best_loss = torch.full((m,), float("inf"))
    best_state = [p.detach().clone() for p in net.parameters()]
    stale = torch.zeros(m, dtype=torch.long)
    patience = cfg.patience
    epochs_run = 0
    batch = cfg.batch_size
    n_tr = len(tr)
    max_steps = cfg.max_steps
    steps_per_epoch = -(-n_tr // batch)
    max_epochs = max(1, max_steps // steps_per_epoch)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max_epochs * steps_per_epoch)
    for epoch in range(max_epochs):
        order = torch.randperm(n_tr, generator=gen) if n_tr > batch else torch.arange(n_tr)
        for start in range(0, n_tr, batch):
            rows = order[start:start + batch]
            w = w_tr[:, rows]
            opt.zero_grad(set_to_none=True)
            loss_m = ((net(x_tr[rows]) - y_tr[rows]) ** 2 * w).sum(dim=(1, 2)) / w.sum(dim=(1, 2)).clamp_min(1.0)
            loss_m.sum().backward()
            opt.step()
            sched.step()
        epochs_run = epoch + 1
        with torch.no_grad():
            if use_val:
                track = ((net(x_va) - y_va) ** 2 * m_va).sum(dim=(1, 2)) / m_va.sum()
            else:
                track = ((net(x_tr) - y_tr) ** 2 * w_tr).sum(dim=(1, 2)) / w_tr_sum
            improved = track < best_loss * (1 - 1e-4)
            best_loss = torch.where(improved, track, best_loss)
            stale = torch.where(improved, torch.zeros_like(stale), stale + 1)
            for keep, p in zip(best_state, net.parameters()):
                shape = (m,) + (1,) * (p.dim() - 1)
                keep.copy_(torch.where(improved.view(shape), p, keep))
        if bool((stale >= patience).all()):
            break
    with torch.no_grad():
        for keep, p in zip(best_state, net.parameters()):
            p.copy_(keep)
    net.eval()

    surrogate = Surrogate(param_names=names, outputs=outputs, low=low.tolist(), high=high.tolist(), oxides=ox,
                          compositions=comps, hidden_layers=list(cfg.hidden_layers), n_members=m,
                          out_mean=mean.tolist(), out_std=std.tolist(), net=net)
    with torch.no_grad():
        pred = net(x).mean(dim=0).numpy().astype(float) * std + mean
    metrics: dict = {}
    for j, name in enumerate(outputs):
        metrics[f"{name}_rmse_train"] = _rmse(pred[tr, j], y_phys[tr, j])
        metrics[f"{name}_rmse_val"] = _rmse(pred[va, j], y_phys[va, j])
    metrics.update({"n_train": int(len(tr)), "n_val": int(len(va)), "n_train_candidates": int(len(train_ids)),
                    "n_val_candidates": int(len(val_ids)), "epochs": int(epochs_run), "seed": int(seed)})
    surrogate.metrics = metrics
    return surrogate, metrics
