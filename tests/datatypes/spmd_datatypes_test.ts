/** Derived datatypes in point-to-point calls and collectives, on 1 to 4 ranks through the real launcher. */

import { spmdSuite } from "../_helpers/run_ranks.ts";

/** The self-checking script prints `datatypes ok on rank R of N` on every rank. */
spmdSuite(["datatypes"], undefined, { label: "datatypes", env: {}, sizes: [1, 2, 3, 4] });
