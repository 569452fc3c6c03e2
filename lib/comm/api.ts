/**
 * Everything public, in one place: `mod.ts` re-exports it both as named exports and as the `MPI` namespace.
 *
 * @module
 */

export {
  ANY_SOURCE,
  ANY_TAG,
  CART,
  COMM_TYPE_SHARED,
  CONGRUENT,
  DIST_GRAPH,
  GRAPH,
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
/** `ErrorCode.SUCCESS`, as mpi4py's `MPI.SUCCESS`. */
export const SUCCESS: number = ErrorCode.SUCCESS;
/** `ErrorCode.ERR_BUFFER`, as mpi4py's `MPI.ERR_BUFFER`. */
export const ERR_BUFFER: number = ErrorCode.ERR_BUFFER;
/** `ErrorCode.ERR_COUNT`, as mpi4py's `MPI.ERR_COUNT`. */
export const ERR_COUNT: number = ErrorCode.ERR_COUNT;
/** `ErrorCode.ERR_TYPE`, as mpi4py's `MPI.ERR_TYPE`. */
export const ERR_TYPE: number = ErrorCode.ERR_TYPE;
/** `ErrorCode.ERR_TAG`, as mpi4py's `MPI.ERR_TAG`. */
export const ERR_TAG: number = ErrorCode.ERR_TAG;
/** `ErrorCode.ERR_COMM`, as mpi4py's `MPI.ERR_COMM`. */
export const ERR_COMM: number = ErrorCode.ERR_COMM;
/** `ErrorCode.ERR_RANK`, as mpi4py's `MPI.ERR_RANK`. */
export const ERR_RANK: number = ErrorCode.ERR_RANK;
/** `ErrorCode.ERR_ROOT`, as mpi4py's `MPI.ERR_ROOT`. */
export const ERR_ROOT: number = ErrorCode.ERR_ROOT;
/** `ErrorCode.ERR_GROUP`, as mpi4py's `MPI.ERR_GROUP`. */
export const ERR_GROUP: number = ErrorCode.ERR_GROUP;
/** `ErrorCode.ERR_OP`, as mpi4py's `MPI.ERR_OP`. */
export const ERR_OP: number = ErrorCode.ERR_OP;
/** `ErrorCode.ERR_ARG`, as mpi4py's `MPI.ERR_ARG`. */
export const ERR_ARG: number = ErrorCode.ERR_ARG;
/** `ErrorCode.ERR_TRUNCATE`, as mpi4py's `MPI.ERR_TRUNCATE`. */
export const ERR_TRUNCATE: number = ErrorCode.ERR_TRUNCATE;
/** `ErrorCode.ERR_OTHER`, as mpi4py's `MPI.ERR_OTHER`. */
export const ERR_OTHER: number = ErrorCode.ERR_OTHER;
/** `ErrorCode.ERR_INTERN`, as mpi4py's `MPI.ERR_INTERN`. */
export const ERR_INTERN: number = ErrorCode.ERR_INTERN;
/** `ErrorCode.ERR_PEER_LOST`, as mpi4py's `MPI.ERR_PEER_LOST`. */
export const ERR_PEER_LOST: number = ErrorCode.ERR_PEER_LOST;
/** `ErrorCode.ERR_ABORTED`, as mpi4py's `MPI.ERR_ABORTED`. */
export const ERR_ABORTED: number = ErrorCode.ERR_ABORTED;
/** `ErrorCode.ERR_CANCELLED`: a call's `AbortSignal` cancelled it. */
export const ERR_CANCELLED: number = ErrorCode.ERR_CANCELLED;
export {
  BAND,
  BOR,
  BXOR,
  LAND,
  LOR,
  LXOR,
  MAX,
  MAXLOC,
  MIN,
  MINLOC,
  Op,
  type OpLike,
  PROD,
  SUM,
} from "../collectives/ops.ts";
export { Request } from "../p2p/request.ts";
export type { WaitOptions } from "../p2p/request.ts";
export type { Cancellable } from "../p2p/cancellation.ts";
export * from "../datatypes/basic.ts";
export { Datatype, ORDER_C, ORDER_F, ORDER_FORTRAN } from "../datatypes/datatype.ts";
export { Prequest } from "../p2p/prequest.ts";
export type {
  BufferArg,
  BufferMemory,
  DatatypeArg,
  InPlace,
  TypedArray,
  VBufferArg,
  WBufferArg,
} from "./buffer_types.ts";
export { Attach_buffer, BSEND_OVERHEAD, Detach_buffer } from "./bsend.ts";
export { Message } from "./message.ts";
export { Status } from "../p2p/status.ts";
export { Comm, COMM_NULL } from "./comm.ts";
export { CollectiveComm } from "./collective_comm.ts";
export { Group, GROUP_EMPTY } from "./group.ts";
export { Topocomm } from "./topology/topocomm.ts";
export { Cartcomm } from "./topology/cartcomm.ts";
export { Distgraphcomm, Graphcomm } from "./topology/graphcomm.ts";
export type { CartOptions, DistGraphOptions, GraphOptions } from "./topology/hooks.ts";
export { Compute_dims } from "./topology/dims.ts";
export {
  APPNUM,
  argv,
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
