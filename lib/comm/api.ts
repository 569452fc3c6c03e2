/**
 * Everything public, in one place: `mod.ts` re-exports it both as named exports and as the `MPI` namespace.
 *
 * @module
 */

export {
  ANY_SOURCE,
  ANY_TAG,
  COMM_TYPE_SHARED,
  CONGRUENT,
  IDENT,
  IN_PLACE,
  PROC_NULL,
  ROOT,
  SIMILAR,
  TAG_UB,
  UNDEFINED,
  UNEQUAL,
  VERSION,
} from "../constants.ts";
import { ErrorCode } from "../errors.ts";
export { ErrorCode, errorCodeName, MPIError } from "../errors.ts";
export const {
  SUCCESS,
  ERR_BUFFER,
  ERR_COUNT,
  ERR_TYPE,
  ERR_TAG,
  ERR_COMM,
  ERR_RANK,
  ERR_ROOT,
  ERR_GROUP,
  ERR_OP,
  ERR_ARG,
  ERR_TRUNCATE,
  ERR_OTHER,
  ERR_INTERN,
  ERR_PEER_LOST,
  ERR_ABORTED,
} = ErrorCode;
export { Request } from "../p2p/request.ts";
export { Status } from "../p2p/status.ts";
export { Comm } from "./comm.ts";
export {
  COMM_SELF,
  COMM_WORLD,
  Finalize,
  Get_library_version,
  Get_local_rank,
  Get_local_size,
  Get_processor_name,
  Get_version,
  Init,
  Is_finalized,
  Is_initialized,
  Wtick,
  Wtime,
} from "./environment.ts";
