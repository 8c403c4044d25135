/**
 * MISBEHAVIOURS: the catalogue of named ways the hostile server breaks SMTP,
 * every family in one list, for the hostile tier to run each probe against.
 */
import { EHLO_MISBEHAVIOURS } from './hostile-ehlo.js';
import { FRAMING_MISBEHAVIOURS } from './hostile-framing.js';
import { HANG_UP_MISBEHAVIOURS } from './hostile-hang-ups.js';
import { OUT_OF_TURN_MISBEHAVIOURS } from './hostile-out-of-turn.js';
import { PIPELINING_MISBEHAVIOURS } from './hostile-pipelining.js';
import type { Misbehaviour } from './hostile-server.js';
import { TLS_MISBEHAVIOURS } from './hostile-tls.js';

/** MISBEHAVIOURS: every named way the hostile server breaks SMTP (see each `what`). */
export const MISBEHAVIOURS: Misbehaviour[] = [
  ...FRAMING_MISBEHAVIOURS,
  ...HANG_UP_MISBEHAVIOURS,
  ...TLS_MISBEHAVIOURS,
  ...OUT_OF_TURN_MISBEHAVIOURS,
  ...PIPELINING_MISBEHAVIOURS,
  ...EHLO_MISBEHAVIOURS,
];
