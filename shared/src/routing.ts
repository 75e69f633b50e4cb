// The routing rule format, shared by the server (validation, evaluation,
// OpenAPI) and the admin console (editing, as-you-type validation). Rule sets
// are declarative JSON: no expressions, no code strings. Zod v4, strict objects
// everywhere so a misspelt key is an error rather than a silently ignored rule.
import { z } from 'zod';
import { NAMED_WORKER_KINDS, ROLES, accessReason, hetuSchema, languageCode, municipalityCode, naturalId, segment } from './directory.ts';

/** Structured request types (Finnish codes are the stored values; labels are i18n keys). */
export const REQUEST_TYPES = [
  'lisaselvityspyynto',
  'lausuntopyynto',
  'konsultaatio',
  'huoli_ilmoituksen_palaute',
  'paatostieto',
  'kiireellinen',
  'vapaa_neuvottelu',
] as const;
export type RequestType = (typeof REQUEST_TYPES)[number];

export const URGENCIES = ['urgent', 'normal'] as const;
export type Urgency = (typeof URGENCIES)[number];

export const RELATIONS = ['application_handler', 'named_worker', 'municipality_liaison', 'county_contacts'] as const;
export type Relation = (typeof RELATIONS)[number];

export const STRATEGIES = ['simultaneous', 'serial', 'round_robin', 'longest_idle'] as const;
export type Strategy = (typeof STRATEGIES)[number];

/** Why a person selected by a step will not ring. Each is an i18n key `routing.excluded.<reason>`. */
export const EXCLUSION_REASONS = [
  'requester',
  'already_listed',
  'inactive',
  'absent',
  'outside_hours',
  'language',
  'offline',
  'away',
  'busy',
] as const;
export type ExclusionReason = (typeof EXCLUSION_REASONS)[number];

/** A rule set's region: a county or Kela district organisation id, or the fallback. */
export const DEFAULT_REGION = 'default';
export const regionId = z.union([z.literal(DEFAULT_REGION), naturalId]);

const nonEmpty = <T extends z.ZodType>(item: T) => z.array(item).min(1).max(200);

export const filterMatch = z.strictObject({
  requestTypes: nonEmpty(z.enum(REQUEST_TYPES)).optional(),
  urgency: z.enum(URGENCIES).optional(),
  /** Counties of the client's municipality of residence. */
  counties: nonEmpty(naturalId).optional(),
  municipalities: nonEmpty(municipalityCode).optional(),
  /** Matches the client's language or the request's preferred language. */
  languages: nonEmpty(languageCode).optional(),
  /** Non-disclosure clients are routed only by filters that say `nonDisclosure: true`. */
  nonDisclosure: z.boolean().optional(),
  requesterOrganisationKind: z.enum(['kela', 'county']).optional(),
  /** The request's issue segment (medication, international, ...). */
  segments: nonEmpty(segment).optional(),
});
export type FilterMatch = z.infer<typeof filterMatch>;

/**
 * Whom a step selects. Relations read the client record; named_worker means the
 * named worker on the other side from the requester. Role and segment without
 * an organisation mean "the other side": the client's county for a Kela
 * requester, all of Kela for a county requester.
 */
export const stepSelect = z.union([
  z.strictObject({ relation: z.enum(RELATIONS) }),
  z.strictObject({ team: naturalId }),
  z.strictObject({ role: z.enum(ROLES), organisation: naturalId.optional() }),
  z.strictObject({ segment, organisation: naturalId.optional() }),
]);
export type StepSelect = z.infer<typeof stepSelect>;

export const stepConstraints = z.strictObject({
  /** 'client': the client's language; 'request': the requester's preferred language (else the client's); or a code. */
  language: z.union([z.literal('client'), z.literal('request'), languageCode]).optional(),
  /** Default true: a person whose teams are all closed, or a closed team, is skipped. */
  requireOpenHours: z.boolean().optional(),
  /** Default false: people who set themselves busy are not rung. */
  ringBusy: z.boolean().optional(),
});
export type StepConstraints = z.infer<typeof stepConstraints>;

export const step = z.strictObject({
  id: naturalId,
  select: stepSelect,
  constraints: stepConstraints.optional(),
  strategy: z.enum(STRATEGIES),
  ringTimeoutSeconds: z.number().int().min(5).max(600),
});
export type Step = z.infer<typeof step>;

const localisedText = z.strictObject({
  fi: z.string().trim().min(1).max(500),
  sv: z.string().trim().min(1).max(500),
  en: z.string().trim().min(1).max(500),
});

export const finalAction = z.discriminatedUnion('action', [
  z
    .strictObject({
      action: z.literal('callback'),
      dueHours: z.number().int().min(1).max(720).optional(),
      dueWorkingDays: z.number().int().min(1).max(30).optional(),
      ownerTeamId: naturalId.optional(),
    })
    .refine((f) => f.dueHours === undefined || f.dueWorkingDays === undefined, {
      path: ['dueWorkingDays'],
      message: 'give dueHours or dueWorkingDays, not both',
    }),
  z.strictObject({ action: z.literal('urgent_queue') }),
  z.strictObject({ action: z.literal('refuse'), reason: localisedText }),
]);
export type FinalAction = z.infer<typeof finalAction>;

export const filter = z.strictObject({
  id: naturalId,
  name: z.string().trim().min(1).max(200),
  match: filterMatch,
  steps: z.array(step).max(50),
  /** When every step is exhausted. Without one, a callback request with default due time. */
  final: finalAction.optional(),
});
export type Filter = z.infer<typeof filter>;

export const ruleSet = z.strictObject({
  region: regionId,
  filters: z.array(filter).max(500),
});
export type RuleSet = z.infer<typeof ruleSet>;

// ---- validation results ----

export interface RuleIssue {
  /** JSON path in the rule set, e.g. `filters[2].steps[0].select.team`. */
  path: string;
  /** i18n key, `routing.rule.<code>` */
  code: string;
  message: string;
  severity: 'error' | 'warning';
}

export const ruleIssue = z.object({
  path: z.string(),
  code: z.string(),
  message: z.string(),
  severity: z.enum(['error', 'warning']),
});

// ---- stored versions ----

export const RULE_SET_STATUSES = ['draft', 'published', 'archived'] as const;
export type RuleSetStatus = (typeof RULE_SET_STATUSES)[number];

export const ruleSetVersionView = z.object({
  region: z.string(),
  version: z.number().int(),
  status: z.enum(RULE_SET_STATUSES),
  body: ruleSet,
  createdBy: z.string().nullable(),
  createdAt: z.string(),
  publishedBy: z.string().nullable(),
  publishedAt: z.string().nullable(),
  comment: z.string().nullable(),
});
export type RuleSetVersionView = z.infer<typeof ruleSetVersionView>;

export const ruleDiffEntry = z.object({
  path: z.string(),
  op: z.enum(['added', 'removed', 'changed']),
  from: z.unknown().optional(),
  to: z.unknown().optional(),
});
export type RuleDiffEntry = z.infer<typeof ruleDiffEntry>;

export const ruleChangeView = z.object({
  id: z.number(),
  at: z.string(),
  actorId: z.string().nullable(),
  region: z.string(),
  version: z.number().nullable(),
  action: z.string(),
  comment: z.string().nullable(),
  /** published / rolled_back: the version replaced and the JSON-path diff from it. */
  details: z.record(z.string(), z.unknown()),
});
export type RuleChangeView = z.infer<typeof ruleChangeView>;

// ---- REST bodies ----

export const draftInput = z.strictObject({ body: ruleSet, comment: z.string().max(1000).optional() });
export const validateInput = z.strictObject({ body: ruleSet });
export const publishInput = z.strictObject({ comment: z.string().max(1000).optional() });
export const rollbackInput = z.strictObject({ version: z.number().int().min(1), comment: z.string().max(1000).optional() });
export const diffQuery = z.strictObject({
  from: z.coerce.number().int().min(1),
  to: z.coerce.number().int().min(1),
});

export const routingRequestInput = z.strictObject({
  type: z.enum(REQUEST_TYPES),
  urgency: z.enum(URGENCIES).default('normal'),
  /** Urgency criteria codes (urgent issue defines them). */
  criteria: z.array(z.string().regex(/^[a-z0-9_]{1,60}$/)).max(20).optional(),
  language: languageCode.optional(),
  segment: segment.optional(),
});
export type RoutingRequestInput = z.infer<typeof routingRequestInput>;

/**
 * A made-up client for a simulation: no client record is read. The relations
 * say who would be found: the handler of a pending application, named workers.
 */
export const simulatedClientProfile = z.strictObject({
  kind: z.literal('profile'),
  municipalityCode,
  language: languageCode.default('fi'),
  /** Issue segments of the client's matter: the request's segment when it names none. */
  segments: z.array(segment).max(20).default([]),
  nonDisclosure: z.boolean().default(false),
  applicationHandlerId: naturalId.optional(),
  namedWorkers: z.array(z.strictObject({ staffId: naturalId, kind: z.enum(NAMED_WORKER_KINDS) })).max(20).default([]),
});
export type SimulatedClientProfile = z.infer<typeof simulatedClientProfile>;

/** A real client, only to verify the rules for them: the read is logged with the reason and listed to the auditor. */
export const simulatedRealClient = z
  .strictObject({
    kind: z.literal('real'),
    hetu: hetuSchema.optional(),
    applicationId: naturalId.optional(),
    purpose: z.literal('rule_verification'),
    reason: accessReason,
  })
  .refine((c) => (c.hetu === undefined) !== (c.applicationId === undefined), { path: ['hetu'], message: 'give exactly one of hetu or applicationId' });

export const simulateInput = z.strictObject({
  client: z.discriminatedUnion('kind', [simulatedClientProfile, simulatedRealClient]),
  request: routingRequestInput,
  /** A stored version of this region to simulate (a draft too); default: the published one. */
  version: z.number().int().min(1).optional(),
  /** Simulate as if someone of this organisation asked; default: the admin's own organisation. */
  requesterOrganisationId: naturalId.optional(),
  /** Evaluate at this instant (hours, absences); default: now. */
  at: z.iso.datetime({ offset: true }).optional(),
});
export type SimulateInput = z.infer<typeof simulateInput>;

// ---- decisions and their explanation (stored, shown to the requester) ----

/** Text a user reads is an i18n key plus parameters; never prose built in code. */
export const i18nText = z.object({ key: z.string(), params: z.record(z.string(), z.unknown()).optional() });
export type I18nText = z.infer<typeof i18nText>;

const personBrief = z.object({ staffId: z.string(), displayName: z.string(), organisationId: z.string() });
export type PersonBrief = z.infer<typeof personBrief>;

export const candidateView = personBrief.extend({
  /** Present when this person rings in place of an absent one. */
  standInFor: z
    .object({ staffId: z.string(), displayName: z.string(), absenceReason: z.string().nullable() })
    .optional(),
});
export type CandidateView = z.infer<typeof candidateView>;

export const exclusionView = personBrief.extend({
  reason: z.enum(EXCLUSION_REASONS),
  explanation: i18nText,
});
export type ExclusionView = z.infer<typeof exclusionView>;

export const stepDecisionView = z.object({
  stepId: z.string(),
  select: stepSelect,
  strategy: z.enum(STRATEGIES),
  ringTimeoutSeconds: z.number(),
  candidates: z.array(candidateView),
  excluded: z.array(exclusionView),
  /** True when nobody qualifies: the step is skipped at once. */
  skipped: z.boolean(),
  explanation: i18nText,
});
export type StepDecisionView = z.infer<typeof stepDecisionView>;

export const finalDecisionView = z.object({
  action: z.enum(['callback', 'urgent_queue', 'refuse']),
  /** callback: when it is due, and which team owns it (null: the requester's choice or the ring's last team). */
  dueAt: z.string().optional(),
  ownerTeamId: z.string().nullable().optional(),
  /** refuse: the region's reason, in each language. */
  reason: localisedText.optional(),
  explanation: i18nText,
});
export type FinalDecisionView = z.infer<typeof finalDecisionView>;

export const decisionView = z.object({
  ruleSet: z.object({ region: z.string(), version: z.number().nullable() }),
  filter: z.object({ id: z.string(), name: z.string(), index: z.number() }).nullable(),
  /** What the decision was made on; the municipality only for clients without non-disclosure. */
  basis: z.object({
    requestType: z.enum(REQUEST_TYPES),
    urgency: z.enum(URGENCIES),
    requesterOrganisationKind: z.enum(['kela', 'county']),
    /** Both left out for a non-disclosure client: nothing locates them. */
    countyId: z.string().optional(),
    municipalityCode: z.string().optional(),
    clientLanguage: z.string(),
    nonDisclosure: z.boolean(),
    at: z.string(),
  }),
  steps: z.array(stepDecisionView),
  /** Index of the first step with candidates; null when nobody would ring. */
  firstRingingStep: z.number().nullable(),
  /** What happens first: ring a step, or the final action at once. */
  outcome: z.enum(['ring', 'callback', 'urgent_queue', 'refuse']),
  final: finalDecisionView,
  explanation: i18nText,
});
export type DecisionView = z.infer<typeof decisionView>;

// ---- texts for explanations and rule problems ----

type Text = { fi: string; sv: string; en: string };

/**
 * What the browser shows for each i18n key a decision or a validation issue
 * carries; `{name}` is replaced by the param of that name.
 */
export const ROUTING_MESSAGES: Record<string, Text> = {
  'routing.decision.ring': { fi: 'Sääntö "{filterName}" valitsi vastaanottajat.', sv: 'Regeln "{filterName}" valde mottagarna.', en: 'Rule "{filterName}" chose whom to ring.' },
  'routing.decision.callback': { fi: 'Kukaan ei ole nyt tavoitettavissa: pyynnöstä tehdään takaisinsoittopyyntö.', sv: 'Ingen kan nås just nu: begäran blir en återuppringningsbegäran.', en: 'Nobody is reachable now: the request becomes a callback request.' },
  'routing.decision.urgent_queue': { fi: 'Pyyntö ohjataan kiireellisten jonoon.', sv: 'Begäran går till kön för brådskande ärenden.', en: 'The request goes to the urgent queue.' },
  'routing.decision.refuse': { fi: 'Alue ei ota tätä pyyntöä vastaan tässä kanavassa.', sv: 'Området tar inte emot denna begäran i denna kanal.', en: 'The region does not take this request in this channel.' },
  'routing.decision.no_filter_matched': { fi: 'Mikään sääntö ei koskenut pyyntöä: siitä tehdään takaisinsoittopyyntö.', sv: 'Ingen regel gällde begäran: den blir en återuppringningsbegäran.', en: 'No rule applied: the request becomes a callback request.' },
  'routing.step.ring': { fi: 'Soitetaan {count} henkilölle ({ringTimeoutSeconds} s).', sv: 'Ringer {count} personer ({ringTimeoutSeconds} s).', en: 'Ringing {count} people ({ringTimeoutSeconds} s).' },
  'routing.step.team_closed': { fi: 'Tiimi ei ole nyt palvelussa.', sv: 'Teamet har stängt just nu.', en: 'The team is closed now.' },
  'routing.step.nobody_available': { fi: 'Kukaan ei ole tavoitettavissa tässä vaiheessa.', sv: 'Ingen kan nås i detta steg.', en: 'Nobody is reachable at this step.' },
  'routing.step.nobody_selected': { fi: 'Vaihe ei löytänyt ketään.', sv: 'Steget hittade ingen.', en: 'This step found nobody.' },
  'routing.step.no_pending_application': { fi: 'Asiakkaalla ei ole vireillä olevaa hakemusta, jolla on käsittelijä.', sv: 'Klienten har ingen anhängig ansökan med handläggare.', en: 'The client has no pending application with a handler.' },
  'routing.step.no_named_worker': { fi: 'Asiakkaalla ei ole nimettyä työntekijää toisella puolella.', sv: 'Klienten har ingen namngiven arbetstagare på andra sidan.', en: 'The client has no named worker on the other side.' },
  'routing.step.no_liaison': { fi: 'Kunnalle ei ole nimetty Kelan yhteyshenkilöä.', sv: 'Kommunen har ingen kontaktperson vid FPA.', en: 'The municipality has no Kela liaison.' },
  'routing.step.no_county_contacts': { fi: 'Hyvinvointialueella ei ole nimettyjä yhteyshenkilöitä.', sv: 'Välfärdsområdet har inga namngivna kontaktpersoner.', en: 'The county has no named contact persons.' },
  'routing.excluded.requester': { fi: '{displayName} on pyynnön tekijä.', sv: '{displayName} har gjort begäran.', en: '{displayName} made the request.' },
  'routing.excluded.already_listed': { fi: '{displayName} on jo aiemmassa vaiheessa.', sv: '{displayName} finns redan i ett tidigare steg.', en: '{displayName} is already in an earlier step.' },
  'routing.excluded.inactive': { fi: '{displayName} ei ole enää käyttäjänä.', sv: '{displayName} är inte längre användare.', en: '{displayName} is no longer active.' },
  'routing.excluded.absent': { fi: '{displayName} on poissa; sijainen: {standInName}.', sv: '{displayName} är frånvarande; ersättare: {standInName}.', en: '{displayName} is absent; stand-in: {standInName}.' },
  'routing.excluded.outside_hours': { fi: '{displayName}: tiimi ei ole palvelussa.', sv: '{displayName}: teamet har stängt.', en: '{displayName}: the team is closed.' },
  'routing.excluded.language': { fi: '{displayName} ei palvele kielellä {language}.', sv: '{displayName} betjänar inte på språket {language}.', en: '{displayName} does not serve in language {language}.' },
  'routing.excluded.offline': { fi: '{displayName} ei ole paikalla.', sv: '{displayName} är inte inloggad.', en: '{displayName} is offline.' },
  'routing.excluded.away': { fi: '{displayName} on poissa koneelta.', sv: '{displayName} är borta.', en: '{displayName} is away.' },
  'routing.excluded.busy': { fi: '{displayName} on varattu.', sv: '{displayName} är upptagen.', en: '{displayName} is busy.' },
  'routing.final.callback': { fi: 'Takaisinsoittopyyntö, määräaika {dueAt}.', sv: 'Återuppringningsbegäran, senast {dueAt}.', en: 'Callback request, due {dueAt}.' },
  'routing.final.default_callback': { fi: 'Takaisinsoittopyyntö, määräaika {dueAt}.', sv: 'Återuppringningsbegäran, senast {dueAt}.', en: 'Callback request, due {dueAt}.' },
  'routing.final.urgent_queue': { fi: 'Kiireellisten jono.', sv: 'Kön för brådskande ärenden.', en: 'Urgent queue.' },
  'routing.final.refuse': { fi: 'Alueen ohje: katso syy.', sv: 'Områdets anvisning: se orsaken.', en: 'The region’s instruction: see the reason.' },
  'routing.rule.schema': { fi: 'Sääntö ei ole oikeaa muotoa.', sv: 'Regeln har fel format.', en: 'The rule is not in the right format.' },
  'routing.rule.unknown_organisation': { fi: 'Tuntematon organisaatio.', sv: 'Okänd organisation.', en: 'Unknown organisation.' },
  'routing.rule.bad_region': { fi: 'Alue on hyvinvointialue tai Kelan vakuutuspiiri.', sv: 'Ett område är ett välfärdsområde eller ett av FPA:s försäkringsdistrikt.', en: 'A region is a county or a Kela insurance district.' },
  'routing.rule.region_mismatch': { fi: 'Sääntö on toisen alueen.', sv: 'Regeln gäller ett annat område.', en: 'The rule set belongs to another region.' },
  'routing.rule.duplicate_id': { fi: 'Tunniste on jo käytössä.', sv: 'Identifieraren används redan.', en: 'The id is already used.' },
  'routing.rule.unknown_municipality': { fi: 'Tuntematon kunta.', sv: 'Okänd kommun.', en: 'Unknown municipality.' },
  'routing.rule.unknown_team': { fi: 'Tuntematon tiimi.', sv: 'Okänt team.', en: 'Unknown team.' },
  'routing.rule.empty_selector': { fi: 'Valinta ei löydä ketään.', sv: 'Urvalet hittar ingen.', en: 'The selector finds nobody.' },
  'routing.rule.empty_filter': { fi: 'Säännöllä ei ole vaiheita eikä lopputoimenpidettä.', sv: 'Regeln har varken steg eller slutåtgärd.', en: 'The filter has no steps and no final action.' },
  'routing.rule.unreachable': { fi: 'Aiempi sääntö kattaa jo kaikki tämän säännön pyynnöt.', sv: 'En tidigare regel täcker redan alla begäranden för denna regel.', en: 'An earlier filter already matches every request this one matches.' },
  'routing.rule.unreachable_step': { fi: 'Aiempi vaihe valitsee samat henkilöt samoin ehdoin.', sv: 'Ett tidigare steg väljer samma personer med samma villkor.', en: 'An earlier step selects the same people under the same constraints.' },
  'routing.rule.non_disclosure_location': { fi: 'Turvakieltoasiakkaan ohjaus ei saa paljastaa hänen hyvinvointialuettaan (alueen yhteyshenkilöt, alueen kiireellisten jono).', sv: 'Styrningen av en klient med spärrmarkering får inte avslöja klientens välfärdsområde (områdets kontaktpersoner, områdets kö för brådskande ärenden).', en: 'Routing a non-disclosure client must not reveal their county (the county’s contact persons, the county’s urgent queue).' },
  'routing.rule.non_disclosure_municipality': { fi: 'Turvakieltoasiakkaan ohjaus ei saa riippua kunnasta.', sv: 'Styrningen av en klient med spärrmarkering får inte bero på kommunen.', en: 'Routing a non-disclosure client must not depend on the municipality.' },
};

// ---- an example, for the README and the admin console's "new rule set" ----

/**
 * A county's rules in the style the sources describe for Eksote: urgent
 * requests stay out of the channel and go to Kela's service numbers; Kela's
 * questions reach the client's named worker, then the county's named contacts,
 * then adult social work in office hours; nothing answered → a callback within
 * one working day owned by the adult social work team.
 */
export const EXAMPLE_RULE_SET: RuleSet = {
  region: 'eksote',
  filters: [
    {
      id: 'urgent-to-service-line',
      name: 'Kiireelliset Kelan palvelunumeroon',
      match: { urgency: 'urgent' },
      steps: [],
      final: {
        action: 'refuse',
        reason: {
          fi: 'Eksote ei käsittele kiireellisiä asioita tässä kanavassa: soita Kelan yhteistyökumppanien palvelunumeroon.',
          sv: 'Eksote behandlar inte brådskande ärenden i denna kanal: ring FPA:s servicenummer för samarbetspartner.',
          en: 'Eksote does not handle urgent matters in this channel: call Kela’s partner service line.',
        },
      },
    },
    {
      id: 'from-kela',
      name: 'Kelan yhteydenotot',
      match: { requesterOrganisationKind: 'kela' },
      steps: [
        { id: 'named-worker', select: { relation: 'named_worker' }, strategy: 'simultaneous', ringTimeoutSeconds: 45 },
        { id: 'contacts', select: { relation: 'county_contacts' }, strategy: 'serial', ringTimeoutSeconds: 30 },
        { id: 'adult-social-work', select: { team: 'eksote-aikuissosiaalityo' }, constraints: { requireOpenHours: true }, strategy: 'longest_idle', ringTimeoutSeconds: 60 },
      ],
      final: { action: 'callback', dueWorkingDays: 1, ownerTeamId: 'eksote-aikuissosiaalityo' },
    },
  ],
};
