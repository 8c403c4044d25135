/** Sink: an in-memory writable stream that keeps what was written, for renderers and the in-process CLI. */
import { Writable } from 'node:stream';

/** SinkOptions: how the sink looks to code that asks whether it is a terminal. */
export interface SinkOptions {
  isTTY?: boolean;
  columns?: number;
}

/** Sink: collects every chunk as UTF-8 text in `text`; `isTTY` and `columns` imitate a terminal when set. */
export class Sink extends Writable {
  text = '';
  isTTY?: boolean;
  columns?: number;

  constructor(opts: SinkOptions = {}) {
    super({ decodeStrings: false });
    if (opts.isTTY !== undefined) this.isTTY = opts.isTTY;
    if (opts.columns !== undefined) this.columns = opts.columns;
  }

  override _write(
    chunk: Buffer | string,
    _encoding: BufferEncoding,
    callback: (err?: Error | null) => void,
  ): void {
    this.text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    callback();
  }
}

/** ANSI_ESCAPE: any ESC byte; a sink with colour off (or a safe renderer) must never hold one it was not meant to. */
export const ANSI_ESCAPE = /\u001b/;
