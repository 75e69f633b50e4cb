// One structured item or file in the timeline, decrypted: its fields under
// their labels, its attachments to open (downloaded, checked and decrypted here).
import { useState } from 'preact/hooks';
import type { MatrixClient } from 'matrix-js-sdk';
import { t } from '../i18n/index.ts';
import { downloadAndDecrypt, type AttachmentRef } from './attachments.ts';
import { clientLabel } from './identity.ts';
import { choiceName, fieldName, ITEM_MSGTYPE, ITEM_SPECS, itemName, type ItemContent } from './items.ts';

export function MessageBody({ client, content }: { client: MatrixClient; content: Record<string, unknown> }) {
  if (content.msgtype === ITEM_MSGTYPE && content[ITEM_MSGTYPE]) return <ItemBody client={client} item={content[ITEM_MSGTYPE] as ItemContent} />;
  if (content.msgtype === 'm.file' && content.file) {
    const info = (content.info ?? {}) as { mimetype?: string; size?: number };
    const ref: AttachmentRef = { name: String(content.body ?? 'file'), mimetype: info.mimetype ?? 'application/octet-stream', size: info.size ?? 0, file: content.file as AttachmentRef['file'] };
    return (
      <div class="body">
        <Attachment client={client} attachment={ref} />
        {typeof content['fi.rinki.disclosure_id'] === 'string' && <span class="tag">{t('disclose.recorded')}</span>}
      </div>
    );
  }
  return <p class="body">{String(content.body ?? '')}</p>;
}

function ItemBody({ client, item }: { client: MatrixClient; item: ItemContent }) {
  if (item.kind === 'client')
    return <p class="body client-ref">{item.client ? t('client.in', { id: clientLabel(item.client) }) : t('item.client')}</p>;
  const spec = ITEM_SPECS[item.kind];
  if (!spec) return <p class="body">{t('item.client')}</p>;
  return (
    <div class="body item">
      <h3>{itemName(item.kind)}</h3>
      <dl>
        {spec.fields
          .filter((f) => item.fields[f.name])
          .map((f) => (
            <>
              <dt>{fieldName(f.name)}</dt>
              <dd>{f.kind === 'choice' ? choiceName(f.name, item.fields[f.name]) : item.fields[f.name]}</dd>
            </>
          ))}
      </dl>
      {item.attachments && item.attachments.length > 0 && (
        <ul class="attachments" aria-label={t('attach.label')}>
          {item.attachments.map((a) => (
            <li>
              <Attachment client={client} attachment={a} />
            </li>
          ))}
        </ul>
      )}
      {item.disclosureId && <span class="tag">{t('disclose.recorded')}</span>}
    </div>
  );
}

function Attachment({ client, attachment }: { client: MatrixClient; attachment: AttachmentRef }) {
  const [error, setError] = useState('');
  const open = async () => {
    setError('');
    try {
      const blob = await downloadAndDecrypt(client, attachment);
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = attachment.name;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (err) {
      setError(t('attach.failed', { message: (err as Error).message }));
    }
  };
  return (
    <>
      <button type="button" class="link" onClick={open}>
        {t('attach.open', { name: attachment.name })}
      </button>{' '}
      <span class="muted">({Math.ceil(attachment.size / 1024)} kB)</span>
      {error && (
        <span class="error" role="alert">
          {' '}
          {error}
        </span>
      )}
    </>
  );
}
