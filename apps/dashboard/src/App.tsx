import { useEffect, useState } from 'react';
import { NavLink, Navigate, Route, Routes } from 'react-router';
import { useQuery } from 'urql';
import { MeQuery } from './api/operations';
import { MeProvider, displayNameOf, hasRole, signInUrl, type Me } from './auth/me';
import { ErrorNotice, Loading } from './components/State';
import { AccessRulesPage } from './features/admin/AccessRulesPage';
import { AgentsPage } from './features/admin/AgentsPage';
import { ApprovalRulesPage } from './features/admin/ApprovalRulesPage';
import { ConnectionsPage } from './features/admin/ConnectionsPage';
import { GuardrailsPage } from './features/admin/GuardrailsPage';
import { MaskingRulesPage } from './features/admin/MaskingRulesPage';
import { AuditPage } from './features/audit/AuditPage';
import { MyAccessPage } from './features/access/MyAccessPage';
import { InboxPage } from './features/reviews/InboxPage';
import { ReviewPage } from './features/reviews/ReviewPage';
import { SessionDetailPage } from './features/sessions/SessionDetailPage';
import { SessionsPage } from './features/sessions/SessionsPage';

export interface AppProps {
  /** Ends the server-side session (POST /auth/logout) and leaves the app. */
  onSignOut: () => void;
  /** Registers a listener for the API refusing the session from now on; returns the unsubscribe. */
  onSessionEnded?: (listener: () => void) => () => void;
}

export function App({ onSignOut, onSessionEnded }: AppProps) {
  const [{ data, fetching, error }] = useQuery({ query: MeQuery, requestPolicy: 'network-only' });
  const [ended, setEnded] = useState(false);
  useEffect(() => onSessionEnded?.(() => setEnded(true)), [onSessionEnded]);
  if (fetching && !data) return <Loading what="your account" />;
  const unauthenticated = error?.graphQLErrors.some((e) => e.extensions?.['code'] === 'UNAUTHENTICATED');
  if (data && ended) return <SignedOut reason="Your session has ended: sign in again to go on." />;
  if (unauthenticated || (!data && !error)) return <SignedOut />;
  if (error && !data) return <ErrorNotice error={error} title="The dashboard could not start" />;
  const me = data!.me;
  return (
    <MeProvider me={me}>
      <Shell me={me} onSignOut={onSignOut} />
    </MeProvider>
  );
}

function SignedOut({ reason }: { reason?: string }) {
  const here = window.location.pathname + window.location.search;
  return (
    <main className="signed-out">
      <h1>Postern</h1>
      {reason ? <p role="status">{reason}</p> : null}
      <p>Sign in with your organisation's account to see reviews, sessions and your access.</p>
      <a className="button" href={signInUrl(here)}>
        Sign in
      </a>
    </main>
  );
}

function Shell({ me, onSignOut }: { me: Me; onSignOut: () => void }) {
  const approver = hasRole(me, 'approver');
  const auditor = hasRole(me, 'auditor');
  const admin = hasRole(me, 'admin');
  return (
    <>
      <header className="topbar">
        <h1>Postern</h1>
        <nav aria-label="main">
          {approver ? <NavLink to="/inbox">Inbox</NavLink> : null}
          <NavLink to="/access">My access</NavLink>
          {auditor ? <NavLink to="/sessions">Sessions</NavLink> : null}
          {auditor ? <NavLink to="/audit">Audit</NavLink> : null}
          {admin ? <NavLink to="/admin/connections">Connections</NavLink> : null}
          {admin ? <NavLink to="/admin/access-rules">Access rules</NavLink> : null}
          {admin ? <NavLink to="/admin/guardrails">Guardrails</NavLink> : null}
          {admin ? <NavLink to="/admin/approval-rules">Approval rules</NavLink> : null}
          {admin ? <NavLink to="/admin/masking-rules">Masking rules</NavLink> : null}
          {admin ? <NavLink to="/admin/agents">Agents</NavLink> : null}
        </nav>
        <div className="whoami" aria-label="signed in as">
          <span>{displayNameOf(me)}</span> <span className="muted">({me.roles.join(', ')})</span>{' '}
          <button type="button" onClick={onSignOut}>
            Sign out
          </button>
        </div>
      </header>
      <main>
        <Routes>
          <Route path="/" element={<Navigate to={approver ? '/inbox' : '/access'} replace />} />
          {approver ? <Route path="/inbox" element={<InboxPage />} /> : null}
          <Route path="/reviews/:id" element={<ReviewPage />} />
          <Route path="/access" element={<MyAccessPage />} />
          {auditor ? <Route path="/sessions" element={<SessionsPage />} /> : null}
          {auditor ? <Route path="/sessions/:id" element={<SessionDetailPage />} /> : null}
          {auditor ? <Route path="/audit" element={<AuditPage />} /> : null}
          {admin ? <Route path="/admin/masking-rules" element={<MaskingRulesPage />} /> : null}
          {admin ? <Route path="/admin/approval-rules" element={<ApprovalRulesPage />} /> : null}
          {admin ? <Route path="/admin/guardrails" element={<GuardrailsPage />} /> : null}
          {admin ? <Route path="/admin/access-rules" element={<AccessRulesPage />} /> : null}
          {admin ? <Route path="/admin/connections" element={<ConnectionsPage />} /> : null}
          {admin ? <Route path="/admin/agents" element={<AgentsPage />} /> : null}
          <Route path="*" element={<NotAvailable />} />
        </Routes>
      </main>
    </>
  );
}

function NotAvailable() {
  return (
    <section>
      <h2>Not available</h2>
      <p>This page does not exist, or your roles do not include it.</p>
    </section>
  );
}
