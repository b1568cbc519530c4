export interface User {
  id: string;
  issuer: string;
  subject: string;
  email: string | null;
  displayName: string | null;
  groups: string[];
  disabledAt: Date | null;
  createdAt: Date;
}

/** Issuer of users created in Postern itself rather than synchronised from an OIDC provider. */
export const LOCAL_ISSUER = 'postern:local';
