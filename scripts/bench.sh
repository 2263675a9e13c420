#!/usr/bin/env bash
# Runs the benchmarks of issue #14 side by side with their peers, by hand (not in CI):
# installs what is missing — mdBook 0.5.4 (cargo install --locked) and Graphviz's dot (apt) —
# then runs every bench in release mode and prints medians and ratios to the peers.
#   bash scripts/bench.sh              # every bench
#   bash scripts/bench.sh serve book-500   # only the rows of benches/site.rs matching a name
# On a shared machine compare CPU time (user + sys), which the rows print beside wall time.
# GRADBOOK_BENCH_MDBOOK_GUIDE=/path/to/mdBook-checkout adds mdBook's own guide to the
# `mdbook-books` row (issue #12); GRADBOOK_BENCH_RUNS sets the samples per figure.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v mdbook >/dev/null || ! mdbook --version | grep -q "v0.5.4"; then
    echo "bench: installing mdBook 0.5.4"
    cargo install --locked mdbook --version 0.5.4
fi
if ! command -v dot >/dev/null; then
    echo "bench: installing graphviz"
    apt-get update
    apt-get install -y --no-install-recommends graphviz
fi
command -v node >/dev/null || echo "bench: node not found; the search query row is skipped" >&2

echo "== site: book sizes, default book, serve, search (benches/site.rs)"
cargo bench --bench site -- "$@"
if [ $# -eq 0 ]; then
    echo "== rebuild: edit → rebuilt page in memory (benches/rebuild.rs)"
    cargo bench --bench rebuild
    echo "== graph_render (benches/graph_render.rs)"
    cargo bench --bench graph_render
    echo "== compute: Q1 sweep per evaluation, Q2 study, cold and warm builds (benches/compute.rs)"
    cargo bench --bench compute
    echo "== layout against Graphviz dot: crossings, edge length, time (benches/layout_vs_dot.rs)"
    cargo bench --bench layout_vs_dot
fi
