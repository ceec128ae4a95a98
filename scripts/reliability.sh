#!/usr/bin/env bash
# The long reliability runs of issue 9, one command each (the short versions run in CI):
#   scripts/reliability.sh crash [CYCLES]       SIGKILL the server CYCLES times (default 50) under
#                                               sign-offs and work-order updates, on SQLite and on
#                                               PostgreSQL; every acknowledged write checked
#   scripts/reliability.sh api [EXAMPLES]       schemathesis against /api/v1/openapi.json with
#                                               EXAMPLES cases per operation (default 100), both stores
#   scripts/reliability.sh fuzz [SECONDS]       every cargo-fuzz target for SECONDS each (default 600),
#                                               then the corpora minimised back into fuzz/corpus
#   scripts/reliability.sh soak [MINUTES]       mixed load (reads, sign-offs, order updates, an import)
#                                               on a release build for MINUTES (default 10)
#   scripts/reliability.sh access [ROUNDS]      the randomized access test with ROUNDS requests per user
#                                               (default 2000), both stores
set -euo pipefail
cd "$(dirname "$0")/.."

what="${1:-}"
shift || true
both_stores() {
  for store in sqlite postgres; do
    echo "==> $store"
    FRONTLINE_TEST_DB=$store "$@"
  done
}

case "$what" in
  crash)
    export FRONTLINE_CRASH_CYCLES="${1:-50}"
    both_stores cargo test --release -p frontline --test it crash:: -- --nocapture
    ;;
  api)
    export FRONTLINE_SCHEMATHESIS_EXAMPLES="${1:-100}"
    both_stores cargo test --release -p frontline --test it schemathesis:: -- --nocapture
    ;;
  fuzz)
    seconds="${1:-600}"
    command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked
    cd fuzz
    for target in $(cargo +nightly fuzz list); do
      echo "==> fuzzing $target for ${seconds}s"
      mkdir -p "corpus/$target" "artifacts/$target"
      cargo +nightly fuzz run --debug-assertions "$target" "corpus/$target" -- -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -timeout=10
      cargo +nightly fuzz cmin "$target" "corpus/$target"
    done
    ;;
  soak)
    cargo build --release -p frontline
    ./target/release/frontline bench soak --minutes "${1:-10}"
    ;;
  access)
    export FRONTLINE_ACCESS_ROUNDS="${1:-2000}"
    both_stores cargo test --release -p frontline --test it access:: -- --nocapture
    ;;
  *)
    sed -n '2,14p' "$0"
    exit 2
    ;;
esac
