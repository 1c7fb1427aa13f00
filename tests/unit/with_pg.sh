#!/usr/bin/env bash
# with_pg.sh PROGRAM [ARGS...] -- runs a unit test with a throwaway PostgreSQL
# (tests/lib/pg.sh) named in OUTREACH_TEST_PG, so that its cases run against
# both backends; fails when PostgreSQL cannot be started.
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"
source "$(dirname "$0")/../lib/broker.sh"
source "$(dirname "$0")/../lib/pg.sh"
tmpdir_setup
pg_start
OUTREACH_TEST_PG=$PG_URI "$@"
