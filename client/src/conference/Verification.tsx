// Emoji (SAS) verification of a participant's device: start it from the
// member list, or accept one another person started; both compare the same
// emoji and confirm. matrix-js-sdk's Rust crypto does the protocol.
import { useEffect, useState } from 'preact/hooks';
import {
  CryptoEvent,
  VerificationPhase,
  VerificationRequestEvent,
  VerifierEvent,
  type ShowSasCallbacks,
  type VerificationRequest,
  type Verifier,
} from 'matrix-js-sdk/lib/crypto-api/index.js';
import type { MatrixClient } from 'matrix-js-sdk';
import { signal } from '@preact/signals';
import { t } from '../i18n/index.ts';
import { matrix } from '../matrix/session.ts';

type Stage = 'waiting' | 'incoming' | 'compare' | 'done' | 'cancelled';
interface Active {
  request: VerificationRequest;
  otherName: string;
  stage: Stage;
  emoji: [string, string][];
  sas?: ShowSasCallbacks;
}
const active = signal<Active | undefined>(undefined);
let listening: MatrixClient | undefined;

function update(patch: Partial<Active>): void {
  if (active.value) active.value = { ...active.value, ...patch };
}

function follow(request: VerificationRequest): void {
  const onVerifier = (verifier: Verifier) => {
    const show = (sas: ShowSasCallbacks) => update({ stage: 'compare', emoji: sas.sas.emoji ?? [], sas });
    const shown = verifier.getShowSasCallbacks();
    if (shown) show(shown);
    else verifier.once(VerifierEvent.ShowSas, show);
    verifier.verify().then(
      () => update({ stage: 'done' }),
      () => update({ stage: 'cancelled' }),
    );
  };
  request.on(VerificationRequestEvent.Change, () => {
    if (request.phase === VerificationPhase.Cancelled) update({ stage: 'cancelled' });
    else if (request.phase === VerificationPhase.Ready && request.initiatedByMe && !request.verifier) void request.startVerification('m.sas.v1').then(onVerifier);
    else if (request.verifier && active.value?.stage !== 'compare' && active.value?.stage !== 'done' && !request.initiatedByMe) onVerifier(request.verifier);
  });
}

/** Listens for verification requests from others (once per Matrix client). */
export function useIncomingVerification(): void {
  useEffect(() => {
    const c = matrix();
    if (!c || listening === c) return;
    listening = c;
    c.on(CryptoEvent.VerificationRequestReceived, (request: VerificationRequest) => {
      const name = c.getUser(request.otherUserId)?.displayName ?? request.otherUserId;
      active.value = { request, otherName: name, stage: 'incoming', emoji: [] };
      follow(request);
    });
  }, [matrix()]);
}

export async function verifyDevices(userId: string, name: string): Promise<void> {
  const c = matrix()!;
  const crypto = c.getCrypto()!;
  const devices = (await crypto.getUserDeviceInfo([userId], true)).get(userId);
  const deviceId = devices ? [...devices.keys()][0] : undefined;
  if (!deviceId) throw new Error('no device');
  const request = await crypto.requestDeviceVerification(userId, deviceId);
  active.value = { request, otherName: name, stage: 'waiting', emoji: [] };
  follow(request);
}

export function VerificationPanel() {
  const [busy, setBusy] = useState(false);
  const a = active.value;
  if (!a) return null;
  const close = () => (active.value = undefined);
  return (
    <section class="verification" aria-labelledby="verify-title" role="dialog" aria-modal="false">
      <h2 id="verify-title">{t('verify.title')}</h2>
      {a.stage === 'waiting' && <p role="status">{t('verify.waiting', { name: a.otherName })}</p>}
      {a.stage === 'incoming' && (
        <>
          <p>{t('verify.incoming', { name: a.otherName })}</p>
          <div class="actions">
            <button
              type="button"
              class="primary"
              disabled={busy}
              onClick={() => {
                setBusy(true);
                void a.request.accept().finally(() => setBusy(false));
                update({ stage: 'waiting' });
              }}
            >
              {t('verify.accept')}
            </button>
            <button type="button" onClick={() => void a.request.cancel().finally(close)}>
              {t('item.cancel')}
            </button>
          </div>
        </>
      )}
      {a.stage === 'compare' && (
        <>
          <p>{t('verify.compare')}</p>
          <ol class="emoji" aria-label={t('verify.title')}>
            {a.emoji.map(([emoji, name]) => (
              <li>
                <span class="glyph" aria-hidden="true">
                  {emoji}
                </span>
                <span class="name">{name}</span>
              </li>
            ))}
          </ol>
          <div class="actions">
            <button type="button" class="primary" onClick={() => void a.sas?.confirm()}>
              {t('verify.match')}
            </button>
            <button
              type="button"
              onClick={() => {
                a.sas?.mismatch();
                update({ stage: 'cancelled' });
              }}
            >
              {t('verify.mismatch')}
            </button>
          </div>
        </>
      )}
      {a.stage === 'done' && <p role="status">{t('verify.done')}</p>}
      {a.stage === 'cancelled' && <p role="status">{t('verify.cancelled')}</p>}
      {(a.stage === 'done' || a.stage === 'cancelled') && (
        <button type="button" onClick={close}>
          {t('app.dismiss')}
        </button>
      )}
    </section>
  );
}
