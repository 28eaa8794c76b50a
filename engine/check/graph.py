"""The dependency graph of a program: who uses whom, cycles, and chain depth.

Used by `engine.check.checker` after typing: nodes are definition names (`fichier.nom` for an original
definition of an amended file), each edge carries the span where the name is used, so diagnostics
can point at it. Every walk here is iterative: a rule file may be long, and the checker must not
depend on Python's recursion limit to refuse it.
"""

from __future__ import annotations

from engine.base.source import Span
from engine.check import model

Graph = dict[str, list[tuple[str, Span]]]

def dependencies(definition: model.Definition) -> list[tuple[str, Span]]:
    """The definitions a definition uses, with where it uses them."""
    deps = []
    for expr in model.definition_exprs(definition):
        for node in model.walk(expr):
            if isinstance(node, (model.DefRef, model.TableCall, model.FuncCall)):
                name = node.name if node.origin is None else f"{node.origin}.{node.name}"
                deps.append((name, node.span))
            elif isinstance(node, model.TextOf):
                deps.append((node.name, node.span))
            elif isinstance(node, model.Member) and node.set_name is not None:
                deps.append((node.set_name, node.span))
    if definition.guard:
        deps.append((definition.guard.name, definition.guard.span))
    return deps


def elementary_cycles(graph: Graph) -> list[list[tuple[str, Span]]]:
    """Elementary cycles found by an iterative depth-first search, one per strongly connected part."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(graph.get(root, ())))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            advanced = False
            for target, _ in edges:
                if target not in graph:
                    continue
                if target not in index:
                    index[target] = low[target] = counter
                    counter += 1
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(graph.get(target, ()))))
                    advanced = True
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                self_loop = any(t == node for t, _ in graph.get(node, ()))
                if len(component) > 1 or self_loop:
                    components.append(component)
    return [_cycle_path(c, graph) for c in components]


def _cycle_path(component: list[str], graph: dict[str, list[tuple[str, Span]]]) -> list[tuple[str, Span]]:
    members = set(component)
    start = sorted(component)[0]
    path: list[tuple[str, Span]] = []
    node = start
    seen = set()
    while node not in seen:
        seen.add(node)
        nxt = next(((t, s) for t, s in graph[node] if t in members), None)
        if nxt is None:
            break
        path.append((node, nxt[1]))
        node = nxt[0]
    # Following one edge from each node ends on a node already visited: the cycle starts there (the
    # nodes before it lead into the cycle without being part of it).
    first = next((i for i, (n, _) in enumerate(path) if n == node), 0)
    return path[first:]


def chain_depths(graph: Graph) -> dict[str, int]:
    """For each node of an acyclic graph, the number of nodes on its longest chain of uses."""
    depth: dict[str, int] = {}
    for root in graph:
        stack = [(root, False)]
        while stack:
            node, done = stack.pop()
            if node in depth:
                continue
            targets = [t for t, _ in graph.get(node, ()) if t in graph]
            if done:
                depth[node] = 1 + max((depth[t] for t in targets), default=0)
                continue
            stack.append((node, True))
            stack.extend((t, False) for t in targets if t not in depth)
    return depth
