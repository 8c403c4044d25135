/** ProbeIo: the live side of a probe command, shared by run.ts and the flag sets. */
import type { TranscriptEntry } from '../src/session/transcript.js';

/** ProbeIo: what the probe gets from the command line besides its flags. */
export interface ProbeIo {
  signal: AbortSignal;
  /** With --transcript: each line as it happens; `label` names the session (host and number) when there are several. */
  onTranscript?: (entry: TranscriptEntry, label?: string) => void;
  /** With --format ndjson: one record per finished item (an address, a probe), printed at once. */
  emit?: (record: object) => void;
}
