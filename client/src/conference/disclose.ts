// Recording a disclosure before client data is sent: the server judges the
// basis against the categories and refuses (422) what it does not allow.
import { api, ApiError } from '../api/http.ts';
import type { LegalBasisView } from '../api/types.ts';
import { t, textOr } from '../i18n/index.ts';
import type { ClientRef } from './identity.ts';

export interface DisclosureCatalogue {
  bases: LegalBasisView[];
  categories: { code: string; nameFi: string; nameSv: string }[];
}

let catalogue: Promise<DisclosureCatalogue> | undefined;
export function disclosureCatalogue(): Promise<DisclosureCatalogue> {
  catalogue ??= api<DisclosureCatalogue>('GET', '/api/legal-bases').catch((err: unknown) => {
    catalogue = undefined;
    throw err;
  });
  return catalogue;
}

export class DisclosureRefused extends Error {}

/** Records the disclosure; a refusal becomes DisclosureRefused with the reason in the reader's words. */
export async function recordDisclosure(
  input: { client: ClientRef; recipients: string[]; categories: string[]; basis: string; roomId: string },
  nameOf: (categoryCode: string) => string = (c) => c,
): Promise<string> {
  try {
    const r = await api<{ disclosureId: string }>('POST', '/api/disclosures', {
      client: input.client,
      recipients: input.recipients.map((staffId) => ({ staffId })),
      categories: input.categories,
      basis: input.basis,
      conferenceId: input.roomId,
    });
    return r.disclosureId;
  } catch (err) {
    if (err instanceof ApiError && err.status === 422) {
      const reason = (err.details as { message?: string }[] | undefined)?.[0]?.message ?? 'category_not_allowed';
      const codes = /\(([^)]*)\)/.exec(err.message)?.[1] ?? '';
      const categories = codes.split(', ').filter(Boolean).map(nameOf).join(', ');
      throw new DisclosureRefused(t('disclose.refused', { reason: textOr(`disclose.refused.${reason}`, 'disclose.refused.other', { categories }) }));
    }
    throw err;
  }
}
