/**
 * A program of the launcher tests: prints `app NAME rank R/N appnum A args [...] env X cwd D` for its rank,
 * after an allgather over COMM_WORLD that shows that every program's ranks share one world.
 */
import process from "node:process";
import { MPI } from "mpirun-deno";

const [name = "?", ...rest] = process.argv.slice(2);
const names = await MPI.COMM_WORLD.allgather(name);
console.log(
  `app ${name} rank ${MPI.COMM_WORLD.rank}/${MPI.COMM_WORLD.size} appnum ${MPI.APPNUM} ` +
    `env ${process.env.MPIRUN_DENO_APPNUM} world ${names.join(",")} args ${JSON.stringify(rest)} ` +
    `x ${process.env.LAUNCHER_TEST_X ?? "-"} cwd ${process.cwd()}`,
);
