"""How big a tree becomes once its non-threshold splits (zero bands, category sets) are written
as interval chains (frontends/builder), counted before anything is built: a chain copies its
children once per segment, so a few splits over many categories can multiply a tree's size
by millions. Frontends refuse such a model in one line with the numbers."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from codegen.errors import UserError

# Above this many nodes (and twice the model's own) a model is refused: far more than any
# microcontroller's flash holds, and the Python build itself would take minutes and gigabytes.
MAX_EXPANDED_NODES = 200_000
MAX_DEPTH = 400  # levels of a tree as the library stores it: the builder recurses a few frames per level


def expanded_size(root: int, children: Callable[[int], tuple[int, int] | None],
                  shape: Callable[[int], tuple[int, int, int]]) -> tuple[int, int]:
    """(threshold nodes, depth) of the tree at `root` once built. `children(node)` is None for a
    leaf; `shape(node)` is builder.interval_split_shape of the node's split. No recursion."""
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    stack = [root]
    while stack:
        node = stack[-1]
        pair = children(node)
        if pair is None:
            size[node], depth[node] = 0, 0
            stack.pop()
            continue
        pending = [child for child in pair if child not in size]
        if pending:
            stack.extend(pending)
            continue
        stack.pop()
        chain, left_copies, right_copies = shape(node)
        size[node] = chain + left_copies * size[pair[0]] + right_copies * size[pair[1]]
        depth[node] = 1 + max(depth[pair[0]], depth[pair[1]])
    return size[root], depth[root]


def check_expanded_sizes(library: str, sizes: Iterable[tuple[int, int]], file_nodes: int, advice: str) -> None:
    """Refuse when the trees' built sizes (in order) pass the limit, or one is too deep."""
    limit = max(MAX_EXPANDED_NODES, 2 * file_nodes)
    total = 0
    for index, (nodes, depth) in enumerate(sizes):
        total += nodes
        if total > limit:
            raise UserError(f"{library} tree {index} would become {nodes:,} threshold nodes (the model so far "
                            f"{total:,}; it holds {file_nodes:,}; limit {limit:,}): its category sets become interval "
                            f"chains that copy their subtrees; {advice}")
        if depth > MAX_DEPTH:
            raise UserError(f"{library} tree {index} is {depth} levels deep (mcugen converts at most {MAX_DEPTH}); "
                            "train with a max_depth")
