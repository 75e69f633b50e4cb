// Structured items and attachments: fill the form (or drop a file), then the
// disclosure prompt; attachments are encrypted and uploaded with progress, the
// disclosure is recorded, and only then is the encrypted item sent.
import { useState } from 'preact/hooks';
import { EventType, MsgType, type MatrixClient, type Room } from 'matrix-js-sdk';
import { t } from '../i18n/index.ts';
import { encryptAndUpload, type AttachmentRef } from './attachments.ts';
import { DisclosurePrompt, type DisclosureChoice } from './DisclosurePrompt.tsx';
import { DisclosureRefused, recordDisclosure } from './disclose.ts';
import { clientOfRoom, staffIdOf } from './identity.ts';
import { CHOICES, choiceName, fieldName, ITEM_KINDS, ITEM_MSGTYPE, ITEM_SPECS, itemName, type ItemContent, type ItemKind } from './items.ts';
import { ErrorText } from '../components/common.tsx';
import { errorMessage } from '../api/http.ts';

type Draft = { kind: ItemKind; fields: Record<string, string>; files: File[] } | { kind: 'file'; fields: Record<string, string>; files: File[] };

export function ItemComposer({ client, room }: { client: MatrixClient; room: Room }) {
  const [draft, setDraft] = useState<Draft>();
  const [stage, setStage] = useState<'form' | 'disclose'>('form');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const [progress, setProgress] = useState('');
  const [dragging, setDragging] = useState(false);

  const me = client.getUserId();
  const others = room.getJoinedMembers().filter((m) => m.userId !== me);
  const subject = clientOfRoom(room);
  const reset = () => {
    setDraft(undefined);
    setStage('form');
    setError('');
    setProgress('');
  };

  const toDisclose = (e: Event) => {
    e.preventDefault();
    if (!draft) return;
    if (draft.kind !== 'file') {
      const missing = ITEM_SPECS[draft.kind].fields.find((f) => f.required && !draft.fields[f.name]?.trim());
      if (missing) return setError(t('item.required', { field: fieldName(missing.name) }));
    }
    setError('');
    setStage('disclose');
  };

  const send = async (choice: DisclosureChoice, nameOf: (code: string) => string) => {
    if (!draft) return;
    if (!subject) return setError(t('disclose.noClient'));
    setBusy(true);
    setError('');
    try {
      // A file past the server's upload limit is refused here, before anything is encrypted, sent or recorded.
      const limit = draft.files.length ? (await client.getMediaConfig(true))['m.upload.size'] : undefined;
      if (limit !== undefined && draft.files.some((f) => f.size > limit)) return setError(t('error.too_large'));
      // Ciphertext first (harmless without its key), then the disclosure, then the message that carries the keys.
      const attachments: AttachmentRef[] = [];
      for (const file of draft.files)
        attachments.push(await encryptAndUpload(client, file, (f) => setProgress(t('attach.progress', { name: file.name, percent: Math.round(f * 100) }))));
      const disclosureId = await recordDisclosure({ client: subject, recipients: others.map((m) => staffIdOf(m.userId)), categories: choice.categories, basis: choice.basis, roomId: room.roomId }, nameOf);
      if (draft.kind === 'file') {
        const a = attachments[0];
        await client.sendEvent(room.roomId, EventType.RoomMessage, { msgtype: MsgType.File, body: a.name, file: a.file, info: { mimetype: a.mimetype, size: a.size }, 'fi.rinki.disclosure_id': disclosureId } as never);
      } else {
        const item: ItemContent = { kind: draft.kind, fields: draft.fields, attachments, disclosureId };
        const body = `${itemName(draft.kind)}: ${Object.values(draft.fields).filter(Boolean).join(' / ')}`;
        await client.sendEvent(room.roomId, EventType.RoomMessage, { msgtype: ITEM_MSGTYPE as MsgType, body, [ITEM_MSGTYPE]: item } as never);
      }
      reset();
    } catch (err) {
      setError(err instanceof DisclosureRefused ? err.message : errorMessage(err));
    } finally {
      setBusy(false);
      setProgress('');
    }
  };

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    const files = [...(e.dataTransfer?.files ?? [])];
    if (!files.length) return;
    if (draft && draft.kind !== 'file' && ITEM_SPECS[draft.kind].attachments) setDraft({ ...draft, files: [...draft.files, ...files] });
    else sendFile(files[0]);
  };
  /** A file on its own goes straight to the disclosure prompt. */
  const sendFile = (file: File) => {
    setDraft({ kind: 'file', fields: {}, files: [file] });
    setStage('disclose');
  };

  return (
    <section
      class={`items ${dragging ? 'dragging' : ''}`}
      aria-labelledby="items-title"
      onDragOver={(e) => {
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={onDrop}
    >
      <h2 id="items-title" class="visually-hidden">
        {t('item.add')}
      </h2>
      {!draft && (
        <div class="actions">
          <label class="inline" for="item-kind">
            {t('item.add')}
          </label>
          <select
            id="item-kind"
            value=""
            onChange={(e) => {
              const kind = ITEM_KINDS.find((k) => k === e.currentTarget.value);
              if (kind) setDraft({ kind, fields: {}, files: [] });
            }}
          >
            <option value="">—</option>
            {ITEM_KINDS.map((k) => (
              <option value={k}>{itemName(k)}</option>
            ))}
          </select>
          <label class="button" for="file-send">
            {t('attach.sendFile')}
          </label>
          <input
            id="file-send"
            class="visually-hidden"
            type="file"
            onChange={(e) => {
              const file = e.currentTarget.files?.[0];
              if (file) sendFile(file);
            }}
          />
          <span class="muted">{t('attach.drop')}</span>
        </div>
      )}
      {draft && stage === 'form' && draft.kind !== 'file' && (
        <form class="item-form" onSubmit={toDisclose}>
          <h3>{itemName(draft.kind)}</h3>
          {ITEM_SPECS[draft.kind].fields.map((f) => {
            const id = `item-${f.name}`;
            const value = draft.fields[f.name] ?? '';
            const set = (v: string) => setDraft({ ...draft, fields: { ...draft.fields, [f.name]: v } });
            return (
              <>
                <label for={id}>
                  {fieldName(f.name)}
                  {f.required && <span aria-hidden="true"> *</span>}
                </label>
                {f.kind === 'textarea' && <textarea id={id} rows={3} required={f.required} value={value} onInput={(e) => set(e.currentTarget.value)} />}
                {f.kind === 'text' && <input id={id} required={f.required} value={value} onInput={(e) => set(e.currentTarget.value)} />}
                {f.kind === 'date' && <input id={id} type="date" required={f.required} value={value} onInput={(e) => set(e.currentTarget.value)} />}
                {f.kind === 'choice' && (
                  <select id={id} required={f.required} value={value} onChange={(e) => set(e.currentTarget.value)}>
                    <option value="">—</option>
                    {CHOICES[f.name].map((c) => (
                      <option value={c}>{choiceName(f.name, c)}</option>
                    ))}
                  </select>
                )}
              </>
            );
          })}
          {ITEM_SPECS[draft.kind].attachments && (
            <>
              <label for="item-files">{t('attach.label')}</label>
              <input id="item-files" type="file" multiple onChange={(e) => setDraft({ ...draft, files: [...draft.files, ...(e.currentTarget.files ?? [])] })} />
              <p class="hint">{t('attach.drop')}</p>
              {draft.files.length > 0 && (
                <ul>
                  {draft.files.map((f) => (
                    <li>{f.name}</li>
                  ))}
                </ul>
              )}
            </>
          )}
          <ErrorText message={error} />
          <div class="actions">
            <button type="submit" class="primary">
              {t('item.send')}
            </button>
            <button type="button" onClick={reset}>
              {t('item.cancel')}
            </button>
          </div>
        </form>
      )}
      {draft && stage === 'disclose' && (
        <>
          {draft.kind === 'file' && <p>{draft.files[0]?.name}</p>}
          <DisclosurePrompt
            defaultCategories={draft.kind === 'file' ? ['identity', 'attachment'] : [...ITEM_SPECS[draft.kind].categories, ...(draft.files.length ? ['attachment'] : [])]}
            recipientNames={others.map((m) => m.name)}
            busy={busy}
            error={error}
            onConfirm={(choice, nameOf) => void send(choice, nameOf)}
            onCancel={reset}
          />
          {progress && (
            <p role="status" aria-live="polite">
              {progress}
            </p>
          )}
        </>
      )}
    </section>
  );
}
