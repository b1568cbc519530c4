/** What an HTTP connection's options are, as a line each (secret references, never secrets). */
export interface HttpOptionsView {
  authScheme: string;
  authQueryParam?: string | null;
  extraHeaders: { name: string; secretRef: string }[];
  credentialHeader?: string | null;
  credentialCookie?: string | null;
  approvalHoldSeconds: number;
  identityAssertion: boolean;
}

export function httpOptionLines(http: HttpOptionsView): string[] {
  const lines = [`secret written as ${http.authScheme}`];
  if (http.authQueryParam) lines.push(`secret in query parameter ${http.authQueryParam}`);
  for (const header of http.extraHeaders) lines.push(`header ${header.name} from ${header.secretRef}`);
  if (http.credentialHeader) lines.push(`callers’ credential also in header ${http.credentialHeader}`);
  if (http.credentialCookie) lines.push(`callers’ credential also in cookie ${http.credentialCookie}`);
  lines.push(`held requests wait ${http.approvalHoldSeconds} s`);
  if (http.identityAssertion) lines.push('identity assertion sent');
  return lines;
}
