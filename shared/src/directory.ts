// The directory's shapes, shared by the server (validation at the edge, OpenAPI)
// and the browser (forms, as-you-type validation). Zod v4.
import { z } from 'zod';
import { containsHetuShape, validateHetu } from './hetu.ts';

export const ORGANISATION_KINDS = ['kela', 'kela_district', 'county'] as const;
export const ROLES = ['caseworker', 'liaison', 'supervisor', 'on_call', 'admin', 'auditor'] as const;
/** The roles that work with clients (docs/access-model.md): only they read client records or start requests. */
export const CLIENT_WORK_ROLES: readonly (typeof ROLES)[number][] = ['caseworker', 'liaison', 'supervisor', 'on_call'];
export const CONTACT_KINDS = ['liaison', 'contact'] as const;
export const ABSENCE_REASONS = ['leave', 'sick', 'training', 'other'] as const;
export const NAMED_WORKER_KINDS = ['omatyontekija', 'vastuutyontekija', 'asiakkuusvastaava'] as const;
export const APPLICATION_STATUSES = ['pending', 'decided', 'withdrawn'] as const;
export const WEEKDAY_KEYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAY_KEYS)[number];

/**
 * Why a client record is read: every read is logged with one of these. The
 * purpose must be one the reader's task relation allows (docs/access-model.md);
 * 'emergency' is the break-the-glass read without a relation, with a reason.
 */
export const ACCESS_PURPOSES = ['routing', 'case_handling', 'callback', 'audit', 'emergency'] as const;
export type AccessPurpose = (typeof ACCESS_PURPOSES)[number];

/** An emergency read's reason is at least this long: a sentence, not a checkbox. */
export const EMERGENCY_REASON_MIN = 20;

export const IMPORT_KINDS = ['organisations', 'municipalities', 'teams', 'staff', 'clients'] as const;
export type ImportKind = (typeof IMPORT_KINDS)[number];

/** Natural ids of organisations, teams, staff, applications: stable across imports. */
export const naturalId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/, 'letters, digits and . _ : - (at most 64)');
export const municipalityCode = z.string().regex(/^[0-9]{3}$/, 'three digits');
/** ISO 639 code: fi, sv, en, se (Northern Sámi), smn, sms, ... */
export const languageCode = z.string().regex(/^[a-z]{2,3}$/, 'ISO 639 language code');
export const segment = z.string().regex(/^[a-z0-9_-]{1,40}$/, 'lowercase letters, digits, _ and -');
const name = z.string().trim().min(1).max(200);

export const hetuSchema = z.string().superRefine((s, ctx) => {
  const r = validateHetu(s);
  if (!r.valid) ctx.addIssue({ code: 'custom', message: r.message });
});

const clock = z.string().regex(/^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$/, 'HH:MM');
export const interval = z
  .tuple([clock, clock])
  .refine(([a, b]) => a < b, 'start must be before end');
const intervals = z.array(interval).max(12);
export const weeklyHours = z.strictObject(Object.fromEntries(WEEKDAY_KEYS.map((d) => [d, intervals.optional()])) as Record<Weekday, z.ZodOptional<typeof intervals>>);
export type WeeklyHours = Partial<Record<Weekday, [string, string][]>>;
export const hourExceptions = z.record(z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'YYYY-MM-DD'), intervals);
export type HourExceptions = Record<string, [string, string][]>;

export const roleGrant = z.strictObject({ role: z.enum(ROLES), organisationId: naturalId });

// ---- inputs (REST bodies and import rows) ----

export const organisationInput = z.strictObject({
  id: naturalId,
  kind: z.enum(ORGANISATION_KINDS),
  parentId: naturalId.optional(),
  nameFi: name,
  nameSv: name,
});
export type OrganisationInput = z.infer<typeof organisationInput>;

export const municipalityInput = z.strictObject({
  code: municipalityCode,
  nameFi: name,
  nameSv: name,
  countyId: naturalId,
  /** The Kela insurance district serving the municipality. */
  kelaDistrictId: naturalId.optional(),
});
export type MunicipalityInput = z.infer<typeof municipalityInput>;

export const teamInput = z.strictObject({
  id: naturalId,
  organisationId: naturalId,
  nameFi: name,
  nameSv: name,
  segments: z.array(segment).default([]),
  languages: z.array(languageCode).default([]),
  hours: weeklyHours.default({}),
  hourExceptions: hourExceptions.default({}),
  closedOnHolidays: z.boolean().default(true),
  supervisorId: naturalId.optional(),
});
export type TeamInput = z.infer<typeof teamInput>;
/** PUT /api/teams/:id: the id comes from the path. */
export const teamUpdate = teamInput.omit({ id: true });

const staffFields = {
  id: naturalId,
  organisationId: naturalId,
  displayName: name,
  titleFi: z.string().max(200).optional(),
  titleSv: z.string().max(200).optional(),
  email: z.email().optional(),
  username: z.string().regex(/^[a-z0-9._-]{3,64}$/, 'lowercase letters, digits and . _ - (3–64)').optional(),
  languages: z.array(languageCode).min(1).default(['fi']),
  segments: z.array(segment).default([]),
  callbackPhone: z.string().regex(/^\+?[0-9 ()-]{5,20}$/, 'phone number').optional(),
  active: z.boolean().default(true),
  roles: z.array(roleGrant).default([]),
  teamIds: z.array(naturalId).default([]),
};
export const staffInput = z.strictObject(staffFields);
export type StaffInput = z.infer<typeof staffInput>;
export const staffUpdate = staffInput.omit({ id: true });
/**
 * An import row may set a local account's password (hashed on import, never
 * stored in clear). Fields a row leaves out keep the stored value (new people
 * get the defaults), so they have no defaults here.
 */
export const staffImportRow = z
  .strictObject({
    ...staffFields,
    languages: staffFields.languages.unwrap().optional(),
    segments: staffFields.segments.unwrap().optional(),
    active: staffFields.active.unwrap().optional(),
    roles: staffFields.roles.unwrap().optional(),
    teamIds: staffFields.teamIds.unwrap().optional(),
    password: z.string().min(8).max(200).optional(),
  })
  .refine((s) => !s.password || s.username, { path: ['password'], message: 'a password needs a username (local account)' });
export type StaffImportRow = z.infer<typeof staffImportRow>;

export const absenceInput = z
  .strictObject({
    staffId: naturalId,
    startsAt: z.iso.datetime({ offset: true }),
    endsAt: z.iso.datetime({ offset: true }),
    standInId: naturalId.optional(),
    reason: z.enum(ABSENCE_REASONS).optional(),
  })
  .refine((a) => Date.parse(a.endsAt) > Date.parse(a.startsAt), { path: ['endsAt'], message: 'must be after startsAt' })
  .refine((a) => a.standInId !== a.staffId, { path: ['standInId'], message: 'cannot stand in for oneself' });
export type AbsenceInput = z.infer<typeof absenceInput>;

export const municipalityContactInput = z.strictObject({ staffId: naturalId, kind: z.enum(CONTACT_KINDS) });

export const applicationInput = z.strictObject({
  id: naturalId,
  benefit: z.string().regex(/^[a-z_]{1,60}$/).default('perustoimeentulotuki'),
  status: z.enum(APPLICATION_STATUSES).default('pending'),
  handlerId: naturalId.optional(),
  submittedAt: z.iso.datetime({ offset: true }),
  urgent: z.boolean().default(false),
});

/**
 * A client row. Language, non-disclosure and named workers a row leaves out
 * keep the stored value (a new client gets fi, false, none): an import clears
 * them only when the row says so.
 */
export const clientImportRow = z.strictObject({
  hetu: hetuSchema,
  municipalityCode,
  language: languageCode.optional(),
  nonDisclosure: z.boolean().optional(),
  namedWorkers: z.array(z.strictObject({ staffId: naturalId, kind: z.enum(NAMED_WORKER_KINDS) })).optional(),
  applications: z.array(applicationInput).default([]),
});
export type ClientImportRow = z.infer<typeof clientImportRow>;

export const IMPORT_ROW_SCHEMAS = {
  organisations: organisationInput,
  municipalities: municipalityInput,
  teams: teamInput,
  staff: staffImportRow,
  clients: clientImportRow,
} as const;

export const importQuery = z.strictObject({
  format: z.enum(['json', 'csv']).default('json'),
  kind: z.enum(IMPORT_KINDS).optional(),
  dryRun: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
});

export interface ImportIssue {
  kind: ImportKind;
  /** CSV line (header is line 1), or JSON array index + 1 */
  line: number;
  path: string;
  message: string;
}

export interface ImportReport {
  dryRun: boolean;
  ok: boolean;
  /**
   * Rows created and updated per kind. An admin's dry run of client rows gives
   * only how many rows were checked: whether a code is already a client is not
   * for the importer to learn before the real run.
   */
  counts: Partial<Record<ImportKind, { created: number; updated: number } | { checked: number }>>;
  issues: ImportIssue[];
}

// ---- client lookup ----

/** A reason written for the access log: never an identity code. */
export const accessReason = z
  .string()
  .trim()
  .min(EMERGENCY_REASON_MIN, `at least ${EMERGENCY_REASON_MIN} characters`)
  .max(1000)
  .refine((s) => !containsHetuShape(s), 'must not contain an identity code');

/**
 * Exactly one of hetu or applicationId, in the body: never in a URL, which gets
 * logged. An emergency read ("break the glass") needs a reason; the reason is
 * written to the access log and shown to the auditor.
 */
export const clientLookupRequest = z
  .strictObject({
    hetu: hetuSchema.optional(),
    applicationId: naturalId.optional(),
    purpose: z.enum(ACCESS_PURPOSES),
    reason: accessReason.optional(),
  })
  .refine((b) => (b.hetu === undefined) !== (b.applicationId === undefined), {
    path: ['hetu'],
    message: 'give exactly one of hetu or applicationId',
  })
  .refine((b) => b.purpose !== 'emergency' || b.reason !== undefined, { path: ['reason'], message: 'an emergency read needs a reason' });
export type ClientLookupRequest = z.infer<typeof clientLookupRequest>;

const personRef = z.object({
  staffId: z.string(),
  displayName: z.string(),
  organisationId: z.string(),
  organisationNameFi: z.string(),
  organisationNameSv: z.string(),
});
export type PersonRef = z.infer<typeof personRef>;

export const clientRecord = z.object({
  id: z.string(),
  municipality: z.object({ code: z.string(), nameFi: z.string(), nameSv: z.string() }),
  county: z.object({ id: z.string(), nameFi: z.string(), nameSv: z.string() }),
  language: z.string(),
  /** Turvakielto: handled centrally; no address data is ever returned (none is stored). */
  nonDisclosure: z.boolean(),
  namedWorkers: z.array(personRef.extend({ kind: z.enum(NAMED_WORKER_KINDS) })),
  pendingApplications: z.array(
    z.object({
      id: z.string(),
      benefit: z.string(),
      submittedAt: z.string(),
      urgent: z.boolean(),
      handler: personRef.nullable(),
    }),
  ),
  openConcernNotifications: z.array(
    z.object({ id: z.string(), fromOrganisationId: z.string(), toOrganisationId: z.string(), status: z.string(), createdAt: z.string() }),
  ),
});
export type ClientRecord = z.infer<typeof clientRecord>;

/**
 * The record as the lookup answers it. For a non-disclosure (turvakielto)
 * client, municipality and county are null for everyone outside the central
 * non-disclosure team: nothing that locates the client leaves the server.
 */
export const clientRecordView = clientRecord.extend({
  municipality: clientRecord.shape.municipality.nullable(),
  county: clientRecord.shape.county.nullable(),
});
export type ClientRecordView = z.infer<typeof clientRecordView>;

// ---- directory views ----

export const organisationView = z.object({
  id: z.string(),
  kind: z.enum(ORGANISATION_KINDS),
  parentId: z.string().nullable(),
  nameFi: z.string(),
  nameSv: z.string(),
});
export type OrganisationView = z.infer<typeof organisationView>;

export const municipalityView = z.object({
  code: z.string(),
  nameFi: z.string(),
  nameSv: z.string(),
  countyId: z.string(),
  contacts: z.array(z.object({ staffId: z.string(), displayName: z.string(), kind: z.enum(CONTACT_KINDS) })).optional(),
});
export type MunicipalityView = z.infer<typeof municipalityView>;

export const teamView = z.object({
  id: z.string(),
  organisationId: z.string(),
  nameFi: z.string(),
  nameSv: z.string(),
  segments: z.array(z.string()),
  languages: z.array(z.string()),
  hours: z.record(z.string(), z.array(z.tuple([z.string(), z.string()]))),
  hourExceptions: z.record(z.string(), z.array(z.tuple([z.string(), z.string()]))),
  closedOnHolidays: z.boolean(),
  supervisorId: z.string().nullable(),
  memberIds: z.array(z.string()),
});
export type TeamView = z.infer<typeof teamView>;

export const staffView = z.object({
  id: z.string(),
  organisationId: z.string(),
  displayName: z.string(),
  titleFi: z.string().nullable(),
  titleSv: z.string().nullable(),
  email: z.string().nullable(),
  languages: z.array(z.string()),
  segments: z.array(z.string()),
  active: z.boolean(),
  roles: z.array(roleGrant),
  teamIds: z.array(z.string()),
  /** Only for admins of the person's organisation. */
  username: z.string().nullable().optional(),
  callbackPhone: z.string().nullable().optional(),
});
export type StaffView = z.infer<typeof staffView>;

export const absenceView = z.object({
  id: z.string(),
  staffId: z.string(),
  startsAt: z.string(),
  endsAt: z.string(),
  standInId: z.string().nullable(),
  reason: z.enum(ABSENCE_REASONS).nullable(),
});
export type AbsenceView = z.infer<typeof absenceView>;
