// Structured conference items: forms, not free text. Each travels as an
// end-to-end encrypted m.room.message with msgtype fi.rinki.item (a plain
// body for other Matrix clients) and names the disclosure record it was sent under.
import type { TextKey } from '../i18n/fi.ts';
import type { AttachmentRef } from './attachments.ts';

export const ITEM_MSGTYPE = 'fi.rinki.item';

export type FieldKind = 'text' | 'textarea' | 'date' | 'choice';
export interface FieldSpec {
  name: string;
  kind: FieldKind;
  required?: boolean;
  choices?: readonly string[];
}
export interface ItemSpec {
  kind: ItemKind;
  fields: FieldSpec[];
  /** Data categories ticked by default in the disclosure prompt. */
  categories: string[];
  attachments: boolean;
}

export const ITEM_KINDS = ['lisaselvityspyynto', 'lausunto', 'konsultaatio', 'paatostieto', 'huoli_ilmoituksen_palaute'] as const;
export type ItemKind = (typeof ITEM_KINDS)[number];

export const ITEM_SPECS: Record<ItemKind, ItemSpec> = {
  lisaselvityspyynto: {
    kind: 'lisaselvityspyynto',
    fields: [
      { name: 'asked', kind: 'textarea', required: true },
      { name: 'expectedAttachments', kind: 'text' },
      { name: 'dueDate', kind: 'date', required: true },
    ],
    categories: ['identity', 'application_status'],
    attachments: false,
  },
  lausunto: {
    kind: 'lausunto',
    fields: [
      { name: 'purpose', kind: 'text', required: true },
      { name: 'reasons', kind: 'textarea', required: true },
      { name: 'conclusion', kind: 'textarea', required: true },
    ],
    categories: ['identity', 'statement'],
    attachments: true,
  },
  konsultaatio: {
    kind: 'konsultaatio',
    fields: [{ name: 'question', kind: 'textarea', required: true }],
    categories: ['identity'],
    attachments: false,
  },
  paatostieto: {
    kind: 'paatostieto',
    fields: [
      { name: 'outcome', kind: 'choice', required: true, choices: ['positive', 'negative', 'partial'] },
      { name: 'decisionDate', kind: 'date', required: true },
      { name: 'summary', kind: 'textarea' },
    ],
    categories: ['identity', 'decision'],
    attachments: false,
  },
  huoli_ilmoituksen_palaute: {
    kind: 'huoli_ilmoituksen_palaute',
    fields: [
      { name: 'status', kind: 'choice', required: true, choices: ['received', 'client_reached', 'client_not_reached', 'taken_charge', 'closed'] },
      { name: 'note', kind: 'textarea' },
    ],
    categories: ['identity'],
    attachments: false,
  },
};

export interface ItemContent {
  kind: ItemKind | 'client';
  fields: Record<string, string>;
  attachments?: AttachmentRef[];
  /** The disclosure record this item was shared under. */
  disclosureId?: string;
  /** kind 'client': who the conference is about (sent by the requester once the counterpart joined). */
  client?: { hetu: string } | { applicationId: string };
}

export const itemLabel = (kind: ItemKind) => `item.${kind}` as TextKey;
export const fieldLabel = (name: string) => `field.${name}` as TextKey;
export const choiceLabel = (name: string, value: string) => `choice.${name}.${value}` as TextKey;
