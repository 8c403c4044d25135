/**
 * Line framing for SMTP replies, pure: bytes in, lines out. RFC 5321 §2.3.8
 * says lines end in CRLF, but real servers send bare LF, so LF ends a line
 * and a trailing CR is dropped.
 */

/** MAX_LINE_OCTETS: longest reply line accepted. RFC 5321 §4.5.3.1.5 allows 512; real servers exceed it, hostile ones never stop. */
export const MAX_LINE_OCTETS = 8192;

/** LineTooLongError: the peer sent more than MAX_LINE_OCTETS without a line end. */
export class LineTooLongError extends Error {
  constructor(readonly preview: string) {
    super(`reply line longer than ${MAX_LINE_OCTETS} octets: "${preview}…"`);
  }
}

/**
 * LineSplitter: turns arbitrary chunks into complete lines (without the line
 * end). Holds at most MAX_LINE_OCTETS of an unfinished line, so a server that
 * never sends LF cannot grow our memory.
 */
export class LineSplitter {
  private partial: Buffer[] = [];
  private partialLength = 0;

  /** push: feed a chunk; returns the lines it completed. Throws LineTooLongError. */
  push(chunk: Buffer): string[] {
    const lines: string[] = [];
    let start = 0;
    for (let lf = chunk.indexOf(0x0a); lf !== -1; lf = chunk.indexOf(0x0a, start)) {
      this.append(chunk.subarray(start, lf));
      lines.push(this.take());
      start = lf + 1;
    }
    this.append(chunk.subarray(start));
    return lines;
  }

  /** pending: octets of an unfinished line held right now. */
  get pending(): number {
    return this.partialLength;
  }

  /** reset: forget any unfinished line (RFC 3207 §6: nothing from before TLS survives it). */
  reset(): void {
    this.partial = [];
    this.partialLength = 0;
  }

  private append(piece: Buffer): void {
    if (piece.length === 0) return;
    if (this.partialLength + piece.length > MAX_LINE_OCTETS) {
      const preview = Buffer.concat([...this.partial, piece])
        .subarray(0, 60)
        .toString('utf8');
      this.reset();
      throw new LineTooLongError(preview);
    }
    this.partial.push(piece);
    this.partialLength += piece.length;
  }

  private take(): string {
    let line = Buffer.concat(this.partial, this.partialLength);
    this.reset();
    if (line.length > 0 && line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
    return line.toString('utf8');
  }
}
