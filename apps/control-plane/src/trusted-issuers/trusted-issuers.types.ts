import type { ClaimMappingRule } from '@postern/oidc';

/** A token issuer trusted for machine identities, with its claim mapping rules. */
export interface TrustedIssuer {
  id: string;
  name: string;
  issuer: string;
  jwksUri: string | null;
  audiences: string[];
  allowedAlgorithms: string[];
  enabled: boolean;
  rules: ClaimMappingRule[];
  createdAt: Date;
  updatedAt: Date;
}

export type TrustedIssuerSpec = Pick<
  TrustedIssuer,
  'name' | 'issuer' | 'jwksUri' | 'audiences' | 'allowedAlgorithms' | 'enabled' | 'rules'
>;

/** The `issuer` of users that stand for machine identities mapped from a trusted issuer's tokens. */
export function machineIssuer(issuer: string): string {
  return `postern:workload:${issuer}`;
}
