"""The suite writes nothing into the repository: `git status --porcelain` at the end is what it was at the start.

conftest.py takes the snapshot when the session starts; this file's name sorts last, so it runs after every other test.
"""
from __future__ import annotations

import conftest


def test_the_suite_left_the_work_tree_as_it_found_it():
    assert conftest.worktree_status() == conftest.WORKTREE_AT_START
