// Structured logs. Never message content, a henkilötunnus, a password or a token:
// the redaction list is the safety net; the rule is not to log them at all.
import { pino, type Logger } from 'pino';

export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.hetu',
  '*.token',
  '*.access_token',
  '*.clientIdentifier',
];

export function createLogger(level: string, nodeName: string): Logger {
  return pino({ level, base: { node: nodeName }, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } });
}

export type { Logger };
