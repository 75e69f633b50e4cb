// Who is making a request. Resolved once per request from a session cookie or
// a bearer token (auth/tokens.ts); policies (auth/policies.ts) decide on it.
export const ROLES = ['caseworker', 'liaison', 'supervisor', 'on_call', 'admin', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

export interface RoleGrant {
  role: Role;
  /** The organisation (or Kela district) the role is scoped to. */
  organisationId: string;
}

export interface Actor {
  staffId: string;
  displayName: string;
  /** The unit the person belongs to: a county, or a Kela district. */
  organisationId: string;
  /** The top-level organisation: Kela, or the county itself. */
  rootOrganisationId: string;
  organisationKind: 'kela' | 'county';
  roles: RoleGrant[];
  /** How the request authenticated: cookie sessions need a CSRF token on writes. */
  via: 'cookie' | 'bearer';
  tokenKind: 'web' | 'api' | 'matrix' | 'login';
  tokenHash: Buffer;
}
