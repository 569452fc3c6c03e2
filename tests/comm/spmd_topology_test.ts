/**
 * The process-topology SPMD scripts (Cartesian grids, graphs, neighbourhood collectives) through the real
 * launcher (see run_ranks.ts for which one), on 1, 2, 4, 5 and 6 ranks: 1-, 2- and 3-D grids come out
 * differently on each (6 is 3 x 2 and 3 x 2 x 1; 5 is prime).
 */

import { spmdSuite } from "../_helpers/run_ranks.ts";

/** Self-checking scripts: each prints `<name> ok on rank R of N` on every rank. */
spmdSuite(["topo_cart"], undefined, { label: "topology", env: {}, sizes: [1, 2, 4, 5, 6] });
