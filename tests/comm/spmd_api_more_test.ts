/**
 * The point-to-point and collective calls of issue 16 (buffered, ready, matched-probe, composite and
 * persistent point to point; non-blocking v-collectives, Alltoallw, persistent collectives) as SPMD scripts
 * on 1 to 5 ranks through the real launcher (see run_ranks.ts for which one).
 */

import { spmdSuite } from "../_helpers/run_ranks.ts";

/** Self-checking scripts: each prints `<name> ok on rank R of N` on every rank. */
spmdSuite(["p2p_more", "cco_more"]);
