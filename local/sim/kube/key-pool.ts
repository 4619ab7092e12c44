/**
 * RSA-2048 key pairs made ahead of need. kubeadm makes several (the CA, the API server's
 * serving key, the service-account key), each a blink on a real host but tens to hundreds of
 * milliseconds here — seconds of simulated time at a time scale of ten, on the way to the API
 * server. A few are made in advance on the thread pool (off the event loop, on a core the
 * simulation leaves idle); each is handed out once, and another is started in its place.
 */
import { RSA_2048, newKeyPair, type CryptoKeyPair } from '../../../shared/pki/x509';

const AHEAD = 4;
const ready: Promise<CryptoKeyPair>[] = [];

function refill(): void {
  while (ready.length < AHEAD) {
    const made = newKeyPair(RSA_2048);
    // Awaited by whoever takes it; a failure there is theirs, not an unhandled rejection now.
    made.catch(() => undefined);
    ready.push(made);
  }
}

/** A fresh RSA-2048 key pair (RSASSA-PKCS1-v1_5, SHA-256: X.509 and RS256 alike), never handed out twice. */
export function rsaKeyPair(): Promise<CryptoKeyPair> {
  refill();
  const next = ready.shift()!;
  refill();
  return next;
}

refill();
