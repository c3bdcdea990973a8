"""Structural analysis of glass trajectories: coordination, partial PDFs, bond angles, rings, S(Q).

Entry points: :func:`run_suite` (one run's dump → one file per analysis) and :func:`gather`
(replicas → mean ± std). Settings keys and defaults: :data:`DEFAULT_SETTINGS`, derived from the config
schema's analysis section (workflow/schemas/analysis.schema.yaml). What the campaign's rules need (per-run
settings, the final validation, figures and tables): :mod:`glassfit.analysis.workflow`.
"""

from .core import DEFAULT_SETTINGS, AnalysisSettingsError, resolve_settings
from .suite import analyse_frames, gather, run_suite, summarize

__all__ = ["DEFAULT_SETTINGS", "AnalysisSettingsError", "resolve_settings", "analyse_frames", "gather", "run_suite", "summarize"]
