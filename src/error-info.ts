/** errorInfo: a ProbeError as the data every output carries (ErrorInfoSchema). */
import { type ProbeError, causeText } from './errors.js';
import type { ErrorInfo } from './schema/envelope.js';

/** errorInfo: code, stage, message, hint, and target, elapsed time and cause when known. */
export function errorInfo(err: ProbeError): ErrorInfo {
  const info: ErrorInfo = {
    code: err.code,
    stage: err.stage,
    message: err.message,
    hint: err.hint,
  };
  if (err.target !== undefined) info.target = err.target;
  if (err.elapsedMs !== undefined) info.elapsedMs = Math.round(err.elapsedMs * 10) / 10;
  const cause = causeText(err);
  if (cause !== undefined) info.cause = cause;
  return info;
}
