/**
 * The transcript: every line in both directions, timestamped, recorded at the
 * I/O boundary (the session writes here exactly what it sends and receives).
 * AUTH payloads are redacted as they are recorded, so no secret is ever kept.
 */
import { isAuthCommand } from '../smtp/command.js';
import { type Clock, systemClock } from '../time/clock.js';

/** Direction: client to server, server to client, or a note about the connection itself. */
export type Direction = 'send' | 'recv' | 'note';

/** TranscriptEntry: one line with its time in ms since the transcript began. */
export interface TranscriptEntry {
  atMs: number;
  dir: Direction;
  line: string;
}

/** Transcript: append-only record of a session. `onEntry` lets --transcript stream it live. */
export class Transcript {
  readonly entries: TranscriptEntry[] = [];
  private readonly t0: number;
  private authInProgress = false;
  private readonly secrets: string[] = [];

  constructor(
    private readonly onEntry?: (entry: TranscriptEntry) => void,
    private readonly clock: Clock = systemClock,
  ) {
    this.t0 = clock.now();
  }

  /** sent: a line the client wrote. AUTH arguments and lines answering a 334 challenge become "<redacted>". */
  sent(line: string): void {
    if (isAuthCommand(line)) {
      const [verb, mech] = line.split(/\s+/);
      this.add(
        'send',
        `${verb} ${mech ?? ''}${line.split(/\s+/).length > 2 ? ' <redacted>' : ''}`.trim(),
      );
      this.authInProgress = true;
    } else if (this.authInProgress) {
      this.add('send', '<redacted>');
    } else {
      this.add('send', line);
    }
  }

  /** received: a line the server wrote. A non-334 line ends an AUTH exchange. */
  received(line: string): void {
    if (this.authInProgress && !line.startsWith('334')) this.authInProgress = false;
    this.add('recv', line);
  }

  /**
   * hide: from now on `secret` (a password, or its encoded forms) becomes "<redacted>" wherever it
   * appears — a hostile server may echo it back, and its reply would carry it into the record.
   */
  hide(...secrets: string[]): void {
    this.secrets.push(...secrets.filter((s) => s !== ''));
  }

  /** scrub: `text` with every hidden secret replaced (for replies and errors kept outside the transcript). */
  scrub(text: string): string {
    return this.secrets.reduce((t, s) => t.replaceAll(s, '<redacted>'), text);
  }

  /** note: a connection event (connected, TLS established, closed). */
  note(text: string): void {
    this.add('note', text);
  }

  private add(dir: Direction, line: string): void {
    const entry = { atMs: this.clock.now() - this.t0, dir, line: this.scrub(line) };
    this.entries.push(entry);
    this.onEntry?.(entry);
  }
}
