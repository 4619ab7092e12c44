/**
 * What of a command's output may leave the host's logs: the last lines, with anything that
 * looks like a secret masked. The scripts already keep secrets out of their output (join
 * data is read from Parameter Store and kubeadm's output goes to a root-only log); this is
 * the second line of defence, because step outputs land in Step Functions history and in
 * operation records that API callers read.
 */

import type { GetCommandInvocationCommandOutput } from '@aws-sdk/client-ssm';

const MASK = '[redacted]';
/** Lines of stderr quoted when a command fails. */
const ERROR_LINES = 6;

/** Patterns of values that must never be echoed back: bootstrap tokens, certificate keys, PEM keys, AWS keys. */
const SECRET_PATTERNS: RegExp[] = [
  // kubeadm bootstrap token: [a-z0-9]{6}.[a-z0-9]{16}
  /\b[a-z0-9]{6}\.[a-z0-9]{16}\b/g,
  // kubeadm certificate key (and any other bare 64-hex secret); `sha256:<hex>` CA hashes are public and kept.
  /(?<!sha256:)\b[0-9a-f]{64}\b/g,
  // AWS access key ids and secret-looking assignments.
  /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g,
  /((?:secret|password|token|certificate-key)\s*[=:]\s*)\S+/gi,
];

/** Lines that are dropped whole: PEM blocks and kubeadm's join command lines. */
const SECRET_LINE = /-----BEGIN [A-Z ]*PRIVATE KEY-----|--discovery-token-ca-cert-hash|--certificate-key|kubeadm join .*--token/;

/** Masks secret-looking values in one line of text. */
export function redact(text: string): string {
  let out = text;
  for (const pattern of SECRET_PATTERNS) {
    out = out.replace(pattern, (match: string, prefix?: string) => (typeof prefix === 'string' && match.startsWith(prefix) ? `${prefix}${MASK}` : MASK));
  }
  return out;
}

/**
 * The last `maxLines` non-empty lines of `text`, redacted, at most `maxChars` characters
 * (cut at the front: the end of the output is what explains a failure).
 */
export function tailLines(text: string | undefined, maxLines: number, maxChars = 4000): string[] {
  if (!text) return [];
  const lines = text
    .split(/\r?\n/)
    .map((line) => line.trimEnd())
    .filter((line) => line.trim() !== '');
  const kept: string[] = [];
  let inPem = false;
  for (const line of lines) {
    // Whole PEM blocks are dropped, not only their first line.
    if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(line)) inPem = true;
    if (!inPem && !SECRET_LINE.test(line)) kept.push(redact(line));
    if (/-----END [A-Z ]*PRIVATE KEY-----/.test(line)) inPem = false;
  }
  const tail = kept.slice(-maxLines);
  let total = 0;
  const out: string[] = [];
  for (let i = tail.length - 1; i >= 0; i--) {
    total += tail[i].length + 1;
    if (total > maxChars) break;
    out.unshift(tail[i]);
  }
  return out;
}

/** "<step> failed on <instance>[ (timed out|cancelled)]: <last lines of stderr>". */
export function failureMessage(step: string, instanceId: string, status: string, inv: Pick<GetCommandInvocationCommandOutput, 'StandardErrorContent' | 'StandardOutputContent' | 'ResponseCode' | 'StatusDetails'>): string {
  const why =
    status === 'TimedOut'
      ? ' (timed out)'
      : status === 'Cancelled'
        ? ' (cancelled)'
        : status === 'Failed'
          ? ''
          : ` (${inv.StatusDetails ?? status})`;
  // stderr explains a failure; without it, the end of stdout is the best we have.
  let lines = tailLines(inv.StandardErrorContent, ERROR_LINES, 1000);
  if (lines.length === 0) lines = tailLines(inv.StandardOutputContent, ERROR_LINES, 1000);
  const detail = lines.length > 0 ? lines.join('; ') : inv.ResponseCode !== undefined && inv.ResponseCode >= 0 ? `exit status ${inv.ResponseCode}` : 'no output';
  return `${step} failed on ${instanceId}${why}: ${detail}`;
}
