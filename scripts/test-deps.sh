#!/usr/bin/env bash
# Installs what the browser test (tests/browser.rs), the Graphviz check (tests/q3_order.rs) and
# the standalone-figure test (tests/standalone_figures.rs) need, and nothing when it is already
# there: Chromium, Graphviz (dot), rsvg-convert (librsvg2-bin) and pdfinfo (poppler-utils) from
# Debian's packages, the pinned playwright-core and axe-core (tests/accessibility.rs) from
# tests/browser/package-lock.json (playwright-core downloads no browser; the test drives
# /usr/bin/chromium), and mdBook 0.5.4 (cargo install) for the mdBook protocol and code-block
# tests.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ]; then
    echo "test-deps: installing chromium"
    apt-get update
    apt-get install -y --no-install-recommends chromium
fi

missing=()
command -v dot >/dev/null || missing+=(graphviz)
command -v rsvg-convert >/dev/null || missing+=(librsvg2-bin)
command -v pdfinfo >/dev/null || missing+=(poppler-utils)
if [ ${#missing[@]} -gt 0 ]; then
    echo "test-deps: installing ${missing[*]}"
    apt-get update
    apt-get install -y --no-install-recommends "${missing[@]}"
fi

# mdBook 0.5.4 for tests/mdbook_protocol.rs and tests/mdbook_code.rs (a few minutes to compile
# the first time; cargo keeps it in ~/.cargo/bin).
if ! "${HOME}/.cargo/bin/mdbook" --version 2>/dev/null | grep -q "v0\.5\.4" \
    && ! mdbook --version 2>/dev/null | grep -q "v0\.5\.4"; then
    echo "test-deps: installing mdbook 0.5.4"
    nice cargo install mdbook --locked --version 0.5.4
fi

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "test-deps: node and npm (Node.js 20 or newer) are needed for tests/browser" >&2
    exit 1
fi

lock=tests/browser/package-lock.json
installed=tests/browser/node_modules/.package-lock.json
if [ ! -f "$installed" ] || [ "$lock" -nt "$installed" ]; then
    echo "test-deps: npm ci in tests/browser"
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix tests/browser --no-audit --no-fund
fi
echo "test-deps: chromium $(/usr/bin/chromium --version 2>/dev/null | awk '{print $2}'), $(rsvg-convert --version), pdfinfo $(pdfinfo -v 2>&1 | awk 'NR==1{print $3}'), playwright-core $(node -p "require('./tests/browser/node_modules/playwright-core/package.json').version"), axe-core $(node -p "require('./tests/browser/node_modules/axe-core/package.json').version")"
