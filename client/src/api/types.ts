// Views the server sends, as the shared schemas define them.
export type { RingOfferView, RingRequestView, RingEventView } from '../../../shared/src/ringing.ts';
export type { CallbackView } from '../../../shared/src/callbacks.ts';
export type { ConcernView, UrgentItemView, UrgencyCriterionView } from '../../../shared/src/urgent.ts';

export interface UserSummary {
  id: string;
  displayName: string;
  organisationId: string;
  rootOrganisationId: string;
  organisationKind: 'kela' | 'county';
  roles: { role: string; organisationId: string }[];
}

export interface SignedIn {
  user: UserSummary;
  csrfToken?: string;
}

export interface LegalBasisView {
  code: string;
  nameFi: string;
  nameSv: string;
  requiresConsent: boolean;
  allows: string[];
}
