import { useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { AgentsQuery, ConnectionsQuery, CreateConnectionMutation } from '../../api/operations';
import { Field } from '../../components/Field';
import { apiFieldErrors } from '../../components/form-errors';
import { Empty, ErrorNotice, Loading } from '../../components/State';
import { httpOptionLines } from './http-options';
import type { ConnectionProtocol, CreateConnectionInput } from '../../generated/graphql/graphql';

const PROTOCOLS: ConnectionProtocol[] = ['POSTGRES', 'MYSQL', 'SSH', 'KUBERNETES', 'HTTP'];
const FIELDS = [
  'name',
  'agentId',
  'targetHost',
  'targetPort',
  'targetDatabase',
  'targetUser',
  'secretRef',
  'tlsMode',
  'url',
];

export function ConnectionsPage() {
  const [{ data, fetching, error }, reread] = useQuery({ query: ConnectionsQuery });
  return (
    <section aria-labelledby="connections-title">
      <h2 id="connections-title">Connections</h2>
      {fetching && !data ? <Loading what="connections" /> : null}
      {error ? <ErrorNotice error={error} title="Connections could not be loaded" /> : null}
      {data && data.connections.length === 0 ? <Empty>No connection yet.</Empty> : null}
      {data && data.connections.length > 0 ? (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Protocol</th>
                <th scope="col">Target</th>
                <th scope="col">TLS</th>
                <th scope="col">Recording</th>
              </tr>
            </thead>
            <tbody>
              {data.connections.map((c) => (
                <tr key={c.id}>
                  <td>{c.name}</td>
                  <td>{c.protocol}</td>
                  <td>
                    {c.url ?? (
                      <>
                        {c.targetUser ? `${c.targetUser}@` : ''}
                        {c.targetHost}:{c.targetPort}
                        {c.targetDatabase ? `/${c.targetDatabase}` : ''}
                      </>
                    )}
                    {c.http ? (
                      <ul className="muted" aria-label={`HTTP options of ${c.name}`}>
                        {httpOptionLines(c.http).map((line) => (
                          <li key={line}>{line}</li>
                        ))}
                      </ul>
                    ) : null}
                  </td>
                  <td>{c.tlsMode}</td>
                  <td>{c.recordingMode}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <ConnectionForm onCreated={() => reread({ requestPolicy: 'network-only' })} />
    </section>
  );
}

export function ConnectionForm({ onCreated }: { onCreated?: () => void }) {
  const [{ data: agents }] = useQuery({ query: AgentsQuery });
  const [values, setValues] = useState({
    name: '',
    protocol: 'POSTGRES' as ConnectionProtocol,
    agentId: '',
    targetHost: '',
    targetPort: '',
    targetDatabase: '',
    targetUser: '',
    secretRef: '',
    tlsMode: '',
    url: '',
  });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<string | null>(null);
  const [created, setCreated] = useState<string | null>(null);
  const [state, create] = useMutation(CreateConnectionMutation);
  const set = (key: keyof typeof values) => (e: { target: { value: string } }) =>
    setValues({ ...values, [key]: e.target.value });
  const byUrl = values.protocol === 'KUBERNETES' || values.protocol === 'HTTP';

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setCreated(null);
    const input: CreateConnectionInput = { name: values.name.trim(), protocol: values.protocol };
    if (values.agentId) input.agentId = values.agentId;
    if (byUrl) {
      if (values.url.trim()) input.url = values.url.trim();
    } else {
      if (values.targetHost.trim()) input.targetHost = values.targetHost.trim();
      if (values.targetPort.trim()) input.targetPort = Number(values.targetPort);
      if (values.targetDatabase.trim()) input.targetDatabase = values.targetDatabase.trim();
      if (values.targetUser.trim()) input.targetUser = values.targetUser.trim();
    }
    if (values.secretRef.trim()) input.secretRef = values.secretRef.trim();
    if (values.tlsMode) input.tlsMode = values.tlsMode;
    const result = await create({ input });
    if (result.error) {
      const { byField, rest } = apiFieldErrors(result.error, FIELDS);
      setErrors(byField);
      setProblem(rest);
      return;
    }
    setErrors({});
    setProblem(null);
    setCreated(result.data?.createConnection.name ?? null);
    onCreated?.();
  };

  return (
    <form className="form" aria-label="new connection" onSubmit={(e) => void submit(e)} noValidate>
      <h3>New connection</h3>
      <Field label="Name (what clients ask for)" error={errors['name']}>
        <input value={values.name} onChange={set('name')} />
      </Field>
      <Field label="Protocol">
        <select value={values.protocol} onChange={set('protocol')}>
          {PROTOCOLS.map((p) => (
            <option key={p}>{p}</option>
          ))}
        </select>
      </Field>
      <Field label="Agent" error={errors['agentId']}>
        <select value={values.agentId} onChange={set('agentId')}>
          <option value="">choose an agent</option>
          {(agents?.agents ?? []).map((a) => (
            <option key={a.id} value={a.id}>
              {a.name} ({a.status})
            </option>
          ))}
        </select>
      </Field>
      {byUrl ? (
        <Field label="URL" error={errors['url']}>
          <input value={values.url} onChange={set('url')} placeholder="https://…" />
        </Field>
      ) : (
        <>
          <Field label="Target host" error={errors['targetHost']}>
            <input value={values.targetHost} onChange={set('targetHost')} />
          </Field>
          <Field label="Target port" error={errors['targetPort']}>
            <input value={values.targetPort} onChange={set('targetPort')} inputMode="numeric" placeholder="default" />
          </Field>
          <Field label="Target database" error={errors['targetDatabase']}>
            <input value={values.targetDatabase} onChange={set('targetDatabase')} />
          </Field>
          <Field label="Target user" error={errors['targetUser']}>
            <input value={values.targetUser} onChange={set('targetUser')} />
          </Field>
        </>
      )}
      <Field label="Secret reference (env:NAME or file:/path, on the agent)" error={errors['secretRef']}>
        <input value={values.secretRef} onChange={set('secretRef')} />
      </Field>
      <Field label="TLS mode" error={errors['tlsMode']}>
        <select value={values.tlsMode} onChange={set('tlsMode')}>
          <option value="">default</option>
          {['disable', 'prefer', 'require', 'verify-ca', 'verify-full'].map((m) => (
            <option key={m}>{m}</option>
          ))}
        </select>
      </Field>
      {problem ? (
        <p role="alert" className="state-error">
          {problem}
        </p>
      ) : null}
      {created ? <p role="status">Connection “{created}” created.</p> : null}
      <button type="submit" disabled={state.fetching}>
        Create connection
      </button>
    </form>
  );
}
