#!/usr/bin/env python3
"""Fails if the folders (Bazel packages) depend on each other in a cycle.

Reads the direct dependencies of every non-test target with `bazel query`,
folds them into a graph of packages (third_party left out), and prints each
group of packages that reach each other, with the edges that close the loop.
Test targets are left out: a test may sit next to its code and use helpers
from tests/. Exits 0 when the graph is acyclic, 1 when it is not, 2 when the
query fails. Run from the repository root (tools/test.sh does).
"""
import collections
import subprocess
import sys

QUERY = ("deps(attr(testonly, 0, kind('cc_library|cc_binary|genrule', //...)), 1)"
         " intersect attr(testonly, 0, //...)")


def package_graph():
    result = subprocess.run(["bazel", "query", "--output=graph", QUERY],
                            capture_output=True, text=True)
    if result.returncode != 0:
        sys.stderr.write(result.stderr)
        sys.exit(2)
    graph = collections.defaultdict(set)
    for line in result.stdout.splitlines():
        if "->" not in line:
            continue
        source, target = (part.strip().strip('"') for part in line.split("->"))
        source, target = source.split(":")[0], target.split(":")[0]
        if source != target and target.startswith("//") and \
                not target.startswith("//third_party"):
            graph[source].add(target)
    return graph


def cycles(graph):
    """Strongly connected components with more than one package (Tarjan)."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph.get(node, ())):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                other = stack.pop()
                on_stack.discard(other)
                component.append(other)
                if other == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def main():
    sys.setrecursionlimit(10000)
    graph = package_graph()
    found = cycles(graph)
    if not found:
        print(f"layers: {len(graph)} packages, no dependency cycle between them")
        return 0
    for component in found:
        members = set(component)
        print("layers: these packages depend on each other in a cycle:")
        for source in component:
            for target in sorted(graph[source] & members):
                print(f"  {source} -> {target}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
