/**
 * The lab's SASL server side (RFC 4954), pure: PLAIN (RFC 4616) and LOGIN,
 * each step a base64 line, checked against the one lab account. The
 * exchange is data the Conversation keeps between lines, so its
 * continuation lines never reach the command parser.
 */

/** LAB_AUTH_USER, LAB_AUTH_PASSWORD: the lab's one account, a test fixture known to everyone: hosts that offer AUTH accept it and nothing else. */
export const LAB_AUTH_USER = 'lab-user';
export const LAB_AUTH_PASSWORD = 'lab-password';

/** SaslMechanism: the mechanisms the lab implements. */
export type SaslMechanism = 'PLAIN' | 'LOGIN';

/** SaslState: an exchange waiting for the client's next response; LOGIN's `user` once given. */
export type SaslState = { mech: 'PLAIN' } | { mech: 'LOGIN'; user?: string };

/**
 * SaslOutcome: the next step: a challenge (334, its text already base64),
 * the end (`user`: who authenticated, null for wrong credentials), or a
 * response that ended the exchange (`*`, RFC 4954 §4; bad base64).
 */
export type SaslOutcome =
  | { challenge: string; next: SaslState }
  | { user: string | null }
  | { refused: 'aborted' | 'undecodable' };

// LOGIN's prompts, "Username:" and "Password:" in base64, as every server sends them.
const USERNAME = 'VXNlcm5hbWU6';
const PASSWORD = 'UGFzc3dvcmQ6';

/** decode: a response's text; null when it is not base64 (RFC 4648 §4, padded); "=" is the empty initial response (RFC 4954 §4). */
function decode(response: string): string | null {
  if (response === '=') return '';
  if (response.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(response)) return null;
  return Buffer.from(response, 'base64').toString('utf8');
}

const valid = (user: string, password: string): string | null =>
  user === LAB_AUTH_USER && password === LAB_AUTH_PASSWORD ? user : null;

/** plain: RFC 4616 §2's message: authzid NUL authcid NUL passwd; an authzid other than the user is refused. */
function plain(message: string): string | null {
  const parts = message.split('\0');
  if (parts.length !== 3) return null;
  const [authzid, user, password] = parts as [string, string, string];
  return authzid === '' || authzid === user ? valid(user, password) : null;
}

/** saslStart: AUTH `mech` with its initial response, if any. */
export function saslStart(mech: SaslMechanism, initial: string | undefined): SaslOutcome {
  if (initial === undefined)
    return mech === 'PLAIN'
      ? { challenge: '', next: { mech } }
      : { challenge: USERNAME, next: { mech } };
  return saslStep({ mech }, initial);
}

/** saslStep: the client's response to the last challenge (or the initial response). */
export function saslStep(state: SaslState, response: string): SaslOutcome {
  if (response === '*') return { refused: 'aborted' };
  const text = decode(response);
  if (text === null) return { refused: 'undecodable' };
  if (state.mech === 'PLAIN') return { user: plain(text) };
  if (state.user === undefined) return { challenge: PASSWORD, next: { mech: 'LOGIN', user: text } };
  return { user: valid(state.user, text) };
}
