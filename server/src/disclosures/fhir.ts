// The disclosure log as FHIR R4 AuditEvents following IHE BALP's Privacy
// Disclosure (source) profile: type DICOM 110106 Export, subtype ISO 21089
// "disclose", the discloser as source and each recipient as destination, the
// client as the patient entity (by Rinki's internal id: the henkilötunnus
// never leaves the server), the legal basis as the purpose of the event.
export interface DisclosureRecordRow {
  id: string;
  at: Date;
  discloser_id: string;
  discloser_organisation_id: string;
  recipients: { staffId?: string; organisationId: string }[];
  client_id: string;
  categories: string[];
  basis: string;
  consent_id: string | null;
  chain_seq: number;
}

const BALP_SOURCE = 'https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PrivacyDisclosure.Source';
const DCM = 'http://dicom.nema.org/resources/ontology/DCM';
const RINKI = 'urn:rinki';

export function disclosureBundle(rows: DisclosureRecordRow[], generatedAt: Date): Record<string, unknown> {
  return {
    resourceType: 'Bundle',
    type: 'collection',
    timestamp: generatedAt.toISOString(),
    entry: rows.map((r) => ({ fullUrl: `urn:uuid:${r.id}`, resource: auditEvent(r) })),
  };
}

function auditEvent(r: DisclosureRecordRow): Record<string, unknown> {
  return {
    resourceType: 'AuditEvent',
    id: r.id,
    meta: { profile: [BALP_SOURCE] },
    type: { system: DCM, code: '110106', display: 'Export' },
    subtype: [{ system: 'http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle', code: 'disclose', display: 'Disclose Record Lifecycle Event' }],
    action: 'R',
    recorded: new Date(r.at).toISOString(),
    outcome: '0',
    purposeOfEvent: [{ coding: [{ system: `${RINKI}:legal-basis`, code: r.basis }] }],
    agent: [
      {
        type: { coding: [{ system: DCM, code: '110153', display: 'Source Role ID' }] },
        who: { identifier: { system: `${RINKI}:staff`, value: r.discloser_id } },
        requestor: true,
        extension: [{ url: `${RINKI}:organisation`, valueString: r.discloser_organisation_id }],
      },
      ...r.recipients.map((p) => ({
        type: { coding: [{ system: DCM, code: '110152', display: 'Destination Role ID' }] },
        who: p.staffId ? { identifier: { system: `${RINKI}:staff`, value: p.staffId } } : { identifier: { system: `${RINKI}:organisation`, value: p.organisationId } },
        requestor: false,
        extension: [{ url: `${RINKI}:organisation`, valueString: p.organisationId }],
      })),
    ],
    source: { observer: { display: 'Rinki' }, type: [{ system: 'http://terminology.hl7.org/CodeSystem/security-source-type', code: '4', display: 'Application Server' }] },
    entity: [
      {
        what: { identifier: { system: `${RINKI}:client`, value: r.client_id } },
        type: { system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type', code: '1', display: 'Person' },
        role: { system: 'http://terminology.hl7.org/CodeSystem/object-role', code: '1', display: 'Patient' },
      },
      {
        what: { identifier: { system: `${RINKI}:disclosure-log`, value: String(r.chain_seq) } },
        type: { system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type', code: '4', display: 'Other' },
        detail: [
          { type: 'categories', valueString: r.categories.join(' ') },
          ...(r.consent_id ? [{ type: 'consent', valueString: r.consent_id }] : []),
        ],
      },
    ],
  };
}

const cell = (v: string) => (/[",\n;]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

export function disclosureCsv(rows: DisclosureRecordRow[]): string {
  const lines = ['at,chain_seq,discloser,discloser_organisation,recipients,client,categories,basis,consent'];
  for (const r of rows)
    lines.push(
      [new Date(r.at).toISOString(), String(r.chain_seq), r.discloser_id, r.discloser_organisation_id, r.recipients.map((p) => p.staffId ?? p.organisationId).join(' '), r.client_id, r.categories.join(' '), r.basis, r.consent_id ?? '']
        .map(cell)
        .join(','),
    );
  return `${lines.join('\n')}\n`;
}
