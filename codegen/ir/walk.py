"""Level-order walks over a tree ensemble's node arrays, vectorised: every tree advances one
level per step, so the cost is numpy calls per level, not Python steps per node. Children are
node indices (>= 0) or encoded leaves (-leaf - 1)."""

from __future__ import annotations

import numpy as np


def levels(ir):
    """Yields (children, owner tree, depth) per level: the children reached at that depth
    (depth 0: the roots), with the tree each belongs to."""
    children = np.asarray(ir.roots, dtype=np.int64)
    owner = np.arange(len(children), dtype=np.int64)
    depth = 0
    while len(children):
        yield children, owner, depth
        inner = children >= 0
        nodes, owner = children[inner], owner[inner]
        children = np.concatenate([np.asarray(ir.left)[nodes], np.asarray(ir.right)[nodes]]).astype(np.int64)
        owner = np.concatenate([owner, owner])
        depth += 1


def reached_leaves(ir) -> tuple[np.ndarray, np.ndarray]:
    """(tree, leaf) of every leaf a tree reaches; a leaf shared by trees (compacted leaf
    tables) appears once per tree that reaches it."""
    trees, leaves = [], []
    for children, owner, _ in levels(ir):
        at_leaf = children < 0
        trees.append(owner[at_leaf])
        leaves.append(-children[at_leaf] - 1)
    return np.concatenate(trees), np.concatenate(leaves)


def leaf_trees(ir) -> np.ndarray:
    """The tree each leaf is reached in (-1 for a leaf no tree reaches)."""
    owner = np.full(ir.n_leaves, -1, dtype=np.int64)
    for children, trees, _ in levels(ir):
        leaves = children < 0
        owner[-children[leaves] - 1] = trees[leaves]
    return owner


def tree_depths(ir) -> np.ndarray:
    """Decisions on each tree's longest path."""
    depths = np.zeros(len(ir.roots), dtype=np.int64)
    for children, trees, depth in levels(ir):
        inner = children >= 0
        depths[trees[inner]] = depth + 1
    return depths


def leaf_depths(ir) -> tuple[np.ndarray, np.ndarray]:
    """Every reachable leaf's (tree, depth), in level order."""
    trees, depths = [], []
    for children, owner, depth in levels(ir):
        leaves = children < 0
        trees.append(owner[leaves])
        depths.append(np.full(int(leaves.sum()), depth, dtype=np.int64))
    return np.concatenate(trees), np.concatenate(depths)
