import { useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { AgentsQuery, CreateAgentMutation } from '../../api/operations';
import { Field } from '../../components/Field';
import { apiFieldErrors } from '../../components/form-errors';
import { Empty, ErrorNotice, Loading } from '../../components/State';
import { Time } from '../../components/Time';

export function AgentsPage() {
  const [{ data, fetching, error }, reread] = useQuery({ query: AgentsQuery });
  return (
    <section aria-labelledby="agents-title">
      <h2 id="agents-title">Agents</h2>
      {fetching && !data ? <Loading what="agents" /> : null}
      {error ? <ErrorNotice error={error} title="Agents could not be loaded" /> : null}
      {data && data.agents.length === 0 ? <Empty>No agent yet: create one below.</Empty> : null}
      {data && data.agents.length > 0 ? (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Status</th>
                <th scope="col">Version</th>
                <th scope="col">Policy</th>
                <th scope="col">Last seen</th>
              </tr>
            </thead>
            <tbody>
              {data.agents.map((agent) => (
                <tr key={agent.id}>
                  <td>
                    {agent.name}
                    {agent.hostname ? <span className="muted"> on {agent.hostname}</span> : null}
                  </td>
                  <td>
                    <span className={`badge badge-${agent.status.toLowerCase()}`}>{agent.status}</span>
                  </td>
                  <td>{agent.version ?? '—'}</td>
                  <td>
                    {agent.policyVersion ?? '—'}
                    {agent.policyBehind === null || agent.policyBehind === undefined
                      ? ''
                      : agent.policyBehind === 0
                        ? ' (up to date)'
                        : ` (${agent.policyBehind} behind)`}
                  </td>
                  <td>
                    <Time value={agent.lastSeenAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <CreateAgentForm onCreated={() => reread({ requestPolicy: 'network-only' })} />
    </section>
  );
}

function CreateAgentForm({ onCreated }: { onCreated: () => void }) {
  const [name, setName] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<string | null>(null);
  const [state, create] = useMutation(CreateAgentMutation);
  const enrollment = state.data?.createAgent.enrollment;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = await create({ input: { name: name.trim() } });
    if (result.error) {
      const { byField, rest } = apiFieldErrors(result.error, ['name']);
      setErrors(byField);
      setProblem(rest);
      return;
    }
    setErrors({});
    setProblem(null);
    setName('');
    onCreated();
  };

  return (
    <form className="form" aria-label="new agent" onSubmit={(e) => void submit(e)} noValidate>
      <h3>New agent</h3>
      <Field label="Agent name" error={errors['name']}>
        <input value={name} onChange={(e) => setName(e.target.value)} placeholder="edge-eu-1" />
      </Field>
      {problem ? (
        <p role="alert" className="state-error">
          {problem}
        </p>
      ) : null}
      <button type="submit" disabled={state.fetching}>
        Create agent
      </button>
      {enrollment ? (
        <div role="status" className="credential">
          <p>
            Enrollment token for {state.data?.createAgent.agent.name}, valid until <Time value={enrollment.expiresAt} />
            . It is shown only now: give it to the agent as <code>POSTERN_ENROLLMENT_TOKEN</code>.
          </p>
          <pre aria-label="enrollment token">{enrollment.token}</pre>
        </div>
      ) : null}
    </form>
  );
}
