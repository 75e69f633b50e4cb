// Structured conference items: forms, not free text. Each travels as an
// end-to-end encrypted m.room.message with msgtype fi.rinki.item (a plain
// body for other Matrix clients) and names the disclosure record it was sent under.
import { t } from '../i18n/index.ts';
import { CONCERN_STATUSES } from '../../../shared/src/urgent.ts';
import type { AttachmentRef } from './attachments.ts';

export const ITEM_MSGTYPE = 'fi.rinki.item';

/** The choices of each choice field: values travel in the message, labels are texts. */
export const CHOICES = { outcome: ['positive', 'negative', 'partial'], status: CONCERN_STATUSES } as const;
export type ChoiceField = keyof typeof CHOICES;
export type FieldName = 'asked' | 'expectedAttachments' | 'dueDate' | 'purpose' | 'reasons' | 'conclusion' | 'question' | 'decisionDate' | 'summary' | 'note' | ChoiceField;
export type FieldSpec = { name: Exclude<FieldName, ChoiceField>; kind: 'text' | 'textarea' | 'date'; required?: boolean } | { name: ChoiceField; kind: 'choice'; required?: boolean };
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
      { name: 'outcome', kind: 'choice', required: true },
      { name: 'decisionDate', kind: 'date', required: true },
      { name: 'summary', kind: 'textarea' },
    ],
    categories: ['identity', 'decision'],
    attachments: false,
  },
  huoli_ilmoituksen_palaute: {
    kind: 'huoli_ilmoituksen_palaute',
    fields: [
      { name: 'status', kind: 'choice', required: true },
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

export const itemName = (kind: ItemKind) => t(`item.${kind}`);
export const fieldName = (name: FieldName) => t(`field.${name}`);

/** A choice's label; a value this app does not know (another client sent it) reads as unknown, never as a code. */
export function choiceName(field: ChoiceField, value: string): string {
  if (field === 'outcome') {
    const known = CHOICES.outcome.find((c) => c === value);
    return known ? t(`choice.outcome.${known}`) : t('choice.unknown');
  }
  const known = CHOICES.status.find((c) => c === value);
  return known ? t(`choice.status.${known}`) : t('choice.unknown');
}
