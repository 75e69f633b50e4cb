// Legal bases for disclosing client data between Kela and the counties, the
// data categories, and which basis allows which categories. The server refuses
// a disclosure whose basis does not cover what is shared; the client app uses
// the same table to offer only bases that fit.
import { z } from 'zod';
import { hetuSchema, naturalId } from './directory.ts';

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

type Names = { fi: string; sv: string; en: string };

/**
 * Names of the shipped legal bases and data categories. Finnish and Swedish are
 * seeded into the database, where admins may change them; English is read from
 * here (a basis or category an admin adds reads in Finnish in English).
 */
export const SHIPPED_NAMES: Record<LegalBasis | DataCategory, Names> = {
  consent_present: { fi: 'Suostumus (asiakas paikalla)', sv: 'Samtycke (klienten närvarande)', en: 'Consent (client present)' },
  consent_written: { fi: 'Kirjallinen suostumus', sv: 'Skriftligt samtycke', en: 'Written consent' },
  consent_oral: { fi: 'Suullinen suostumus', sv: 'Muntligt samtycke', en: 'Oral consent' },
  totul_18: { fi: 'Toimeentulotukilaki 18 §', sv: 'Lagen om utkomststöd 18 §', en: 'Social Assistance Act, section 18' },
  totul_15_statement: { fi: 'Toimeentulotukilaki 15 §, lausunto', sv: 'Lagen om utkomststöd 15 §, utlåtande', en: 'Social Assistance Act, section 15, statement' },
  shl_35: { fi: 'Sosiaalihuoltolaki 35 §', sv: 'Socialvårdslagen 35 §', en: 'Social Welfare Act, section 35' },
  lsl_25: { fi: 'Lastensuojelulaki 25 §', sv: 'Barnskyddslagen 25 §', en: 'Child Welfare Act, section 25' },
  power_of_attorney: { fi: 'Valtakirja', sv: 'Fullmakt', en: 'Power of attorney' },
  guardian: { fi: 'Edunvalvoja tai huoltaja', sv: 'Intressebevakare eller vårdnadshavare', en: 'Guardian or custodian' },
  identity: { fi: 'Henkilöllisyys ja asian vireilläolo', sv: 'Identitet och att ett ärende är anhängigt', en: 'Identity and that a matter is pending' },
  application_status: { fi: 'Hakemuksen tila', sv: 'Ansökans status', en: 'Application status' },
  decision: { fi: 'Päätös', sv: 'Beslut', en: 'Decision' },
  income_assets: { fi: 'Tulot ja varat', sv: 'Inkomster och tillgångar', en: 'Income and assets' },
  expenses: { fi: 'Menot', sv: 'Utgifter', en: 'Expenses' },
  housing: { fi: 'Asuminen', sv: 'Boende', en: 'Housing' },
  health: { fi: 'Terveys', sv: 'Hälsa', en: 'Health' },
  substance_use: { fi: 'Päihteet', sv: 'Rusmedel', en: 'Substance use' },
  children: { fi: 'Taloudessa asuvat lapset', sv: 'Barn i hushållet', en: 'Children in the household' },
  statement: { fi: 'Lausunto', sv: 'Utlåtande', en: 'Statement' },
  attachment: { fi: 'Liite', sv: 'Bilaga', en: 'Attachment' },
};

/** A legal basis's or data category's name in a language: the database's names (fi, sv), English from the shipped set. */
export function catalogueName(code: string, stored: { nameFi: string; nameSv: string } | undefined, language: ReportLanguage): string {
  const shipped = Object.hasOwn(SHIPPED_NAMES, code) ? SHIPPED_NAMES[code as keyof typeof SHIPPED_NAMES] : undefined;
  if (language === 'en' && shipped) return shipped.en;
  if (stored) return language === 'sv' ? stored.nameSv : stored.nameFi;
  return shipped ? shipped[language] : code;
}

/** What each access-log action means, for the 11 § report. */
const ACCESS_ACTION_NAMES: Record<string, Names> = {
  'client.read': { fi: 'Asiakastietojen luku', sv: 'Läsning av klientuppgifter', en: 'Client record read' },
  'client.read.refused': { fi: 'Estetty lukuyritys', sv: 'Förhindrat läsförsök', en: 'Refused attempt to read' },
  'client.read.emergency': { fi: 'Hätäkäyttö', sv: 'Nödåtkomst', en: 'Emergency access' },
  'client.read.rule_verification': { fi: 'Ohjaussääntöjen tarkistus', sv: 'Kontroll av styrningsregler', en: 'Routing rule verification' },
  'client.report': { fi: 'Asiakasraportin laadinta', sv: 'Klientrapport', en: 'Client report' },
  'client.export': { fi: 'Luovutuslokin vienti', sv: 'Export av utlämnandeloggen', en: 'Disclosure log export' },
  'client.import': { fi: 'Asiakastietojen tuonti', sv: 'Import av klientuppgifter', en: 'Client data import' },
  'client.import.refused': { fi: 'Estetty tuonti', sv: 'Förhindrad import', en: 'Refused import' },
  'log.search': { fi: 'Lokihaku', sv: 'Loggsökning', en: 'Log search' },
};
const OTHER_ACTION: Names = { fi: 'Muu käsittely', sv: 'Annan behandling', en: 'Other processing' };

/** What each access purpose means; an exceptional read's purpose is "code: the reader's reason". */
const ACCESS_PURPOSE_NAMES: Record<string, Names> = {
  routing: { fi: 'Yhteydenotto oikeaan työntekijään', sv: 'Kontakt med rätt arbetstagare', en: 'Reaching the right worker' },
  case_handling: { fi: 'Asian käsittely', sv: 'Handläggning av ärendet', en: 'Handling the matter' },
  callback: { fi: 'Takaisinsoitto', sv: 'Återuppringning', en: 'Callback' },
  audit: { fi: 'Valvonta', sv: 'Tillsyn', en: 'Audit' },
  emergency: { fi: 'Hätäkäyttö', sv: 'Nödåtkomst', en: 'Emergency' },
  rule_verification: { fi: 'Ohjaussääntöjen tarkistus', sv: 'Kontroll av styrningsregler', en: 'Routing rule verification' },
  directory_import: { fi: 'Hakemiston ylläpito', sv: 'Underhåll av katalogen', en: 'Directory upkeep' },
};
const OTHER_PURPOSE: Names = { fi: 'Muu tarkoitus', sv: 'Annat ändamål', en: 'Other purpose' };

export function accessActionName(action: string, language: ReportLanguage): string {
  return (Object.hasOwn(ACCESS_ACTION_NAMES, action) ? ACCESS_ACTION_NAMES[action] : OTHER_ACTION)[language];
}

/** The purpose's name, with the reader's reason after it for an exceptional read. */
export function accessPurposeName(purpose: string, language: ReportLanguage): string {
  const split = purpose.indexOf(': ');
  const code = split < 0 ? purpose : purpose.slice(0, split);
  const name = (Object.hasOwn(ACCESS_PURPOSE_NAMES, code) ? ACCESS_PURPOSE_NAMES[code] : OTHER_PURPOSE)[language];
  return split < 0 ? name : `${name}: ${purpose.slice(split + 2)}`;
}
/** Codes are checked against the legal bases and categories in force (admin-editable), not a fixed list. */
export const legalBasis = z.string().regex(/^[a-z0-9_]{1,60}$/, 'a legal basis code');
export const dataCategory = z.string().regex(/^[a-z0-9_]{1,60}$/, 'a data category code');

export const legalBasisInput = z.strictObject({
  requiresConsent: z.boolean(),
  allows: z.array(dataCategory).min(1).max(50),
  nameFi: z.string().trim().min(1).max(200),
  nameSv: z.string().trim().min(1).max(200),
  /** From when this version applies; default: now. */
  effectiveFrom: z.iso.datetime({ offset: true }).optional(),
});
export const dataCategoryInput = z.strictObject({ nameFi: z.string().trim().min(1).max(200), nameSv: z.string().trim().min(1).max(200) });

/** Why a disclosure is refused; each an i18n key `disclosure.refused.<reason>`. */
export type DisclosureRefusal = 'unknown_basis' | 'category_not_allowed' | 'consent_missing' | 'consent_expired' | 'consent_withdrawn' | 'consent_scope';

// ---- REST inputs and views ----

const clientRef = z.union([z.strictObject({ hetu: hetuSchema }), z.strictObject({ applicationId: naturalId })]);
const instant = z.iso.datetime({ offset: true });

export const consentInput = z
  .strictObject({
    client: clientRef,
    givenBy: z.enum(['client', 'guardian', 'attorney']),
    method: z.enum(['present', 'written', 'oral']),
    givenAt: instant,
    categories: z.array(dataCategory).min(1),
    expiresAt: instant.optional(),
  })
  .refine((c) => c.expiresAt === undefined || Date.parse(c.expiresAt) > Date.parse(c.givenAt), { path: ['expiresAt'], message: 'must be after givenAt' });
export type ConsentInput = z.infer<typeof consentInput>;

export const consentView = z.object({
  id: z.string(),
  givenBy: z.string(),
  method: z.string(),
  givenAt: z.string(),
  categories: z.array(z.string()),
  expiresAt: z.string().nullable(),
  withdrawnAt: z.string().nullable(),
});
export type ConsentView = z.infer<typeof consentView>;

export const disclosureInput = z.strictObject({
  client: clientRef,
  recipients: z.array(z.strictObject({ staffId: naturalId })).min(1).max(20),
  categories: z.array(dataCategory).min(1),
  basis: legalBasis,
  consentId: z.uuid().optional(),
  /** The conference (Matrix room) where the data is shared. */
  conferenceId: z.string().min(1).max(255).optional(),
});
export type DisclosureInputBody = z.infer<typeof disclosureInput>;

export const REPORT_LANGUAGES = ['fi', 'sv', 'en'] as const;
export type ReportLanguage = (typeof REPORT_LANGUAGES)[number];
export const clientReportInput = z
  .strictObject({
    client: clientRef,
    /** Default: two years back from `to`. */
    from: instant.optional(),
    /** Default: now. */
    to: instant.optional(),
    format: z.enum(['json', 'csv', 'html']).default('json'),
    language: z.enum(REPORT_LANGUAGES).default('fi'),
  })
  .refine((r) => !r.from || !r.to || Date.parse(r.from) < Date.parse(r.to), { path: ['from'], message: 'must be before to' });
export type ClientReportInput = z.infer<typeof clientReportInput>;

const reportPerson = z.object({ staffId: z.string(), displayName: z.string(), organisationId: z.string(), organisationNameFi: z.string(), organisationNameSv: z.string() });
export const clientReportView = z.object({
  period: z.object({ from: z.string(), to: z.string() }),
  generatedAt: z.string(),
  /** Each code with its name in the report's language (the request's `language`). */
  accesses: z.array(z.object({ at: z.string(), actor: reportPerson, action: z.string(), actionName: z.string(), purpose: z.string(), purposeName: z.string() })),
  disclosures: z.array(
    z.object({
      at: z.string(),
      discloser: reportPerson,
      recipients: z.array(reportPerson),
      categories: z.array(z.string()),
      categoryNames: z.array(z.string()),
      basis: z.string(),
      basisName: z.string(),
      consentId: z.string().nullable(),
    }),
  ),
});
export type ClientReportView = z.infer<typeof clientReportView>;

/** The disclosure log for a period, optionally for one client: a FHIR R4 Bundle of BALP AuditEvents, or CSV. */
export const disclosureExportInput = z
  .strictObject({
    client: clientRef.optional(),
    from: instant,
    to: instant,
    format: z.enum(['fhir', 'csv']).default('fhir'),
  })
  .refine((r) => Date.parse(r.from) < Date.parse(r.to), { path: ['from'], message: 'must be before to' });
export type DisclosureExportInput = z.infer<typeof disclosureExportInput>;

/** The auditor's search of the logs: by client, person, organisation and period (at least one filter). */
export const logSearchInput = z
  .strictObject({
    log: z.enum(['access', 'disclosure']),
    client: clientRef.optional(),
    staffId: naturalId.optional(),
    organisationId: naturalId.optional(),
    from: instant.optional(),
    to: instant.optional(),
  })
  .refine((r) => !r.from || !r.to || Date.parse(r.from) < Date.parse(r.to), { path: ['from'], message: 'must be before to' });
export type LogSearchInput = z.infer<typeof logSearchInput>;

export const logSearchRow = z.object({
  at: z.string(),
  /** The client's pseudonymous id in Rinki (never the identity code). */
  clientId: z.string(),
  person: reportPerson,
  recipients: z.array(reportPerson).optional(),
  action: z.string().optional(),
  purpose: z.string().optional(),
  categories: z.array(z.string()).optional(),
  basis: z.string().optional(),
});
export type LogSearchRow = z.infer<typeof logSearchRow>;

/** GET /api/audit/emergency-access: the emergency reads ("break the glass") of the auditor's own organisation, newest first. */
export const emergencyAccessQuery = z.strictObject({ from: instant.optional(), to: instant.optional() });
export const emergencyAccessRow = z.object({
  at: z.string(),
  /** The client's pseudonymous id in Rinki (never the identity code). */
  clientId: z.string(),
  reader: reportPerson,
  /** client.read.emergency, or client.read.rule_verification (an admin's simulation with a real client). */
  action: z.string(),
  reason: z.string(),
});
export type EmergencyAccessRow = z.infer<typeof emergencyAccessRow>;
