// A conference: the end-to-end encrypted timeline (decrypted here, in the
// browser), who is in it, typing and read receipts, and the composer.
import { useEffect, useRef, useState } from 'preact/hooks';
import { EventType, MsgType, type Room } from 'matrix-js-sdk';
import { t } from '../i18n/index.ts';
import { requestTypeName } from '../i18n/words.ts';
import { REQUEST_TYPES } from '../../../shared/src/routing.ts';
import { matrix, matrixState, matrixTick } from '../matrix/session.ts';
import { timeline } from '../matrix/rooms.ts';
import { navigate } from '../state.ts';
import { ItemComposer } from '../conference/ItemComposer.tsx';
import { MessageBody } from '../conference/ItemView.tsx';
import { clientLabel, clientOfRoom, staffIdOf } from '../conference/identity.ts';
import { directoryTick, personLine } from '../api/directory.ts';
import { verifyDevices } from '../conference/Verification.tsx';
import { ErrorText } from '../components/common.tsx';
import { errorMessage } from '../api/http.ts';

/** Conference rooms are named by request type code (never client data): show it in the reader's language. */
export function conferenceName(room: Room): string {
  return REQUEST_TYPES.some((rt) => rt === room.name) ? requestTypeName(room.name) : room.name || t('conference.title');
}

export function ConferenceView({ roomId }: { roomId: string }) {
  void matrixTick.value;
  void directoryTick.value;
  const c = matrix();
  const room = c?.getRoom(roomId);
  const [text, setText] = useState('');
  const [sending, setSending] = useState(false);
  const [error, setError] = useState('');
  const listRef = useRef<HTMLOListElement>(null);
  const items = room ? timeline(room) : [];
  const last = items[items.length - 1];

  // Read receipt for the newest message while the conference is open.
  useEffect(() => {
    if (!c || !room || !last || last.mine) return;
    const event = room.findEventById(last.id);
    if (event) void c.sendReadReceipt(event).catch(() => undefined);
  }, [last?.id]);
  useEffect(() => {
    listRef.current?.lastElementChild?.scrollIntoView({ block: 'end' });
  }, [items.length]);

  if (!c || matrixState.value !== 'ready' || !room) {
    return (
      <>
        <h1 tabIndex={-1}>{t('conference.title')}</h1>
        <p role="status">{matrixState.value === 'ready' ? t('conference.notFound') : t('conference.joining')}</p>
        <button type="button" onClick={() => navigate({ name: 'home' })}>
          {t('conference.back')}
        </button>
      </>
    );
  }

  const me = c.getUserId();
  const subject = clientOfRoom(room);
  const members = room.getJoinedMembers();
  const typing = members.filter((m) => m.typing && m.userId !== me).map((m) => m.name);
  const lastMine = [...items].reverse().find((i) => i.mine);
  const readBy = lastMine ? room.getUsersReadUpTo(room.findEventById(lastMine.id)!).filter((u) => u !== me).map((u) => room.getMember(u)?.name ?? u) : [];

  const send = async (e: Event) => {
    e.preventDefault();
    const body = text.trim();
    if (!body) return;
    setSending(true);
    setError('');
    try {
      await c.sendEvent(roomId, EventType.RoomMessage, { msgtype: MsgType.Text, body });
      setText('');
      void c.sendTyping(roomId, false, 0).catch(() => undefined);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setSending(false);
    }
  };
  const close = async () => {
    await c.leave(roomId).catch(() => undefined);
    navigate({ name: 'home' });
  };

  return (
    <>
      <h1 tabIndex={-1}>{conferenceName(room)}</h1>
      <p class="muted">
        <span aria-hidden="true">🔒</span> {t('conference.encrypted')}
      </p>
      <p class="client-line">{subject ? t('client.in', { id: clientLabel(subject) }) : t('client.unknown')}</p>
      <section aria-labelledby="members-title">
        <h2 id="members-title" class="visually-hidden">
          {t('conference.members')}
        </h2>
        <p>{t('conference.members')}:</p>
        <ul class="members">
          {members.map((m) => (
            <li key={m.userId}>
              {m.name}
              {m.userId !== me && (
                <>
                  {' '}
                  <button type="button" class="small" onClick={() => void verifyDevices(m.userId, m.name).catch((err: unknown) => setError(errorMessage(err)))}>
                    {t('verify.start')}
                  </button>
                </>
              )}
            </li>
          ))}
        </ul>
      </section>
      <section aria-labelledby="timeline-title" class="timeline">
        <h2 id="timeline-title" class="visually-hidden">
          {t('conference.timeline')}
        </h2>
        {items.length === 0 ? (
          <p class="empty">{t('conference.empty')}</p>
        ) : (
          <ol ref={listRef} aria-live="polite" class="messages">
            {items.map((i) => (
              <li key={i.id} class={i.mine ? 'mine' : ''} data-event-id={i.id}>
                <div class="meta">
                  <strong>{i.senderName}</strong>
                  {(() => {
                    const who = personLine(staffIdOf(i.sender));
                    return who ? <span class="muted"> · {[who.organisation, who.title].filter(Boolean).join(' · ')}</span> : null;
                  })()}{' '}
                  <time dateTime={new Date(i.at).toISOString()}>{new Date(i.at).toLocaleTimeString()}</time>
                </div>
                {i.content ? <MessageBody client={c} content={i.content} /> : <p class="muted">{i.failed ? t('conference.undecryptable') : '…'}</p>}
              </li>
            ))}
          </ol>
        )}
        <p class="muted" aria-live="polite">
          {typing.length > 0 && t('conference.typing', { names: typing.join(', ') })}
          {typing.length === 0 && readBy.length > 0 && t('conference.read', { names: readBy.join(', ') })}
        </p>
      </section>
      <ErrorText message={error} />
      <form class="composer" onSubmit={send}>
        <label for="message">{t('conference.message')}</label>
        <textarea
          id="message"
          rows={3}
          value={text}
          onInput={(e) => {
            const value = e.currentTarget.value;
            setText(value);
            void c.sendTyping(roomId, value.length > 0, value.length > 0 ? 5_000 : 0).catch(() => undefined);
          }}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey) {
              e.preventDefault();
              (e.currentTarget.form as HTMLFormElement).requestSubmit();
            }
          }}
        />
        <button type="submit" class="primary" disabled={sending}>
          {sending ? t('conference.sending') : t('conference.send')}
        </button>
      </form>
      <ItemComposer client={c} room={room} />
      <div class="actions">
        <button type="button" onClick={() => navigate({ name: 'home' })}>
          {t('conference.back')}
        </button>
        <button type="button" onClick={close}>
          {t('conference.close')}
        </button>
      </div>
    </>
  );
}
