"""Structural analysis of glass trajectories: coordination, partial PDFs, bond angles, rings, S(Q).

Entry points: :func:`run_suite` (one run's dump → one file per analysis) and :func:`gather`
(replicas → mean ± std). Settings keys and defaults: :data:`DEFAULT_SETTINGS`.
"""

from .core import DEFAULT_SETTINGS, AnalysisSettingsError, resolve_settings
from .suite import analyse_frames, gather, run_suite, summarize

__all__ = ["DEFAULT_SETTINGS", "AnalysisSettingsError", "resolve_settings", "analyse_frames", "gather", "run_suite", "summarize"]
