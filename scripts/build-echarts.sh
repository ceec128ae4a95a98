#!/usr/bin/env bash
# Builds crates/web/static/echarts.min.js: ECharts with only the charts and parts the dashboards
# draw (scripts/echarts/entry.js), about half the size of the full build. Needs Node.js and npm;
# the result is committed, so building or testing Frontline does not need them.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$here/echarts/package.json" "$here/echarts/package-lock.json" "$here/echarts/entry.js" "$work/"
cd "$work"
npm ci --silent --no-audit --no-fund
version="$(node -p 'require("echarts/package.json").version')"
npx esbuild entry.js --bundle --minify --format=iife --target=es2017 --legal-comments=none --outfile=echarts.js
out="$here/../crates/web/static/echarts.min.js"
{
  printf '/*! ECharts %s (Apache-2.0, see echarts.LICENSE and echarts.NOTICE): pie, bar and line charts with title, tooltip, legend and grid on canvas; built by scripts/build-echarts.sh */\n' "$version"
  cat echarts.js
} > "$out"
echo "wrote $out ($(wc -c < "$out") bytes, $(gzip -9 -c "$out" | wc -c) gzipped)"
