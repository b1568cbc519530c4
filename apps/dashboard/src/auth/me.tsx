import { createContext, useContext, type ReactNode } from 'react';
import type { MeQuery } from '../generated/graphql/graphql';

export type Me = MeQuery['me'];
export type Role = 'admin' | 'approver' | 'auditor' | 'user';

const MeContext = createContext<Me | null>(null);

export function MeProvider({ me, children }: { me: Me; children: ReactNode }) {
  return <MeContext.Provider value={me}>{children}</MeContext.Provider>;
}

export function useMe(): Me {
  const me = useContext(MeContext);
  if (!me) throw new Error('useMe outside a signed-in view');
  return me;
}

/** The API's rule: admins hold every role. The API still refuses what the UI hides. */
export function hasRole(me: Pick<Me, 'roles'>, role: Role): boolean {
  return me.roles.includes('admin') || me.roles.includes(role);
}

/** Is this review the caller's own request (which they may never decide)? */
export function isOwnRequest(
  me: Pick<Me, 'id'>,
  review: { requesterId?: string | null; requesterPrincipalId: string },
): boolean {
  return review.requesterId === me.id || review.requesterPrincipalId === me.id;
}

export function displayNameOf(me: Me): string {
  return me.user?.displayName ?? me.user?.email ?? me.id;
}

/** Sends the browser through the control plane's sign-in (code + PKCE), back to `path`. */
export function signInUrl(path: string): string {
  return `/auth/login?redirect=${encodeURIComponent(path)}`;
}
