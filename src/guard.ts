/**
 * The control-byte guard, the one definition of which bytes may never reach a
 * socket, a DNS packet or a terminal raw. It imports nothing of the project,
 * so every layer can take it from below.
 */

/**
 * CONTROL_BYTES: C0 controls, DEL and the C1 range. In a command line any of
 * them is injection (CR, LF) or a byte a server may mangle; on a terminal, the
 * start of an escape sequence.
 */
export const CONTROL_BYTES = /[\u0000-\u001f\u007f-\u009f]/;

const NAMES: Record<string, string> = {
  '\r': 'CR',
  '\n': 'LF',
  '\u0000': 'NUL',
  '\t': 'TAB',
  '\u007f': 'DEL',
};

/** findControlByte: the first control byte in `value` as a user reads it ("CR at offset 5"), or undefined. */
export function findControlByte(value: string): string | undefined {
  const m = CONTROL_BYTES.exec(value);
  if (!m) return undefined;
  const hex = m[0].charCodeAt(0).toString(16).padStart(2, '0');
  return `${NAMES[m[0]] ?? `control byte 0x${hex}`} at offset ${m.index}`;
}
