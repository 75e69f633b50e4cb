// Legal bases for disclosing client data between Kela and the counties, the
// data categories, and which basis allows which categories. The server refuses
// a disclosure whose basis does not cover what is shared; the client app uses
// the same table to offer only bases that fit.
import { z } from 'zod';

export const DATA_CATEGORIES = [
  'identity', // who the client is, and that a matter exists
  'application_status',
  'decision',
  'income_assets',
  'expenses',
  'housing',
  'health',
  'substance_use',
  'children',
  'statement',
  'attachment',
] as const;
export type DataCategory = (typeof DATA_CATEGORIES)[number];

const ALL = DATA_CATEGORIES;
const WITHOUT_SENSITIVE = DATA_CATEGORIES.filter((c) => c !== 'health' && c !== 'substance_use');

/**
 * Basis code → what it allows. `consent: true` bases need a recorded, valid
 * consent (who gave it, how, when, scope, expiry) naming the categories.
 */
export const LEGAL_BASES = {
  consent_present: { consent: true, allows: ALL },
  consent_written: { consent: true, allows: ALL },
  consent_oral: { consent: true, allows: ALL },
  // Toimeentulotukilaki 18 §: Kela and the county exchange what is needed to handle the benefit.
  totul_18: { consent: false, allows: WITHOUT_SENSITIVE },
  // Toimeentulotukilaki 15 §: Kela's request for the county's statement.
  totul_15_statement: { consent: false, allows: ['identity', 'application_status', 'statement'] },
  // Sosiaalihuoltolaki 35 §: a concern notification, without consent only identity and the concern's existence.
  shl_35: { consent: false, allows: ['identity'] },
  // Lastensuojelulaki 25 §: child welfare notification.
  lsl_25: { consent: false, allows: ['identity', 'children'] },
  power_of_attorney: { consent: true, allows: ALL },
  guardian: { consent: true, allows: ALL },
} as const satisfies Record<string, { consent: boolean; allows: readonly DataCategory[] }>;
export type LegalBasis = keyof typeof LEGAL_BASES;
export const LEGAL_BASIS_CODES = Object.keys(LEGAL_BASES) as [LegalBasis, ...LegalBasis[]];
export const legalBasis = z.enum(LEGAL_BASIS_CODES);
export const dataCategory = z.enum(DATA_CATEGORIES);

/** Why a disclosure is refused; each an i18n key `disclosure.refused.<reason>`. */
export type DisclosureRefusal = 'unknown_basis' | 'category_not_allowed' | 'consent_missing';

/** The categories the basis does not allow, or the refusal; undefined when allowed. */
export function checkBasis(basis: string, categories: readonly string[], hasConsent: boolean): { reason: DisclosureRefusal; categories?: string[] } | undefined {
  const rule = (LEGAL_BASES as Record<string, { consent: boolean; allows: readonly string[] }>)[basis];
  if (!rule) return { reason: 'unknown_basis' };
  const denied = categories.filter((c) => !rule.allows.includes(c));
  if (denied.length) return { reason: 'category_not_allowed', categories: denied };
  if (rule.consent && !hasConsent) return { reason: 'consent_missing' };
  return undefined;
}
