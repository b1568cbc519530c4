import { useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { AccessRulesQuery, CreateAccessRuleMutation } from '../../api/operations';
import { Field } from '../../components/Field';
import { apiFieldErrors } from '../../components/form-errors';
import { Empty, ErrorNotice, Loading } from '../../components/State';
import { formatDuration } from '../../components/Time';
import type { CreateAccessRuleInput } from '../../generated/graphql/graphql';

const OPERATIONS = ['read', 'write', 'admin', 'exec'] as const;
const FIELDS = ['connectionId', 'groups', 'operations', 'approverGroups', 'maxSessionSeconds'];

const list = (value: string): string[] =>
  value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);

/** Access rules: which groups may use a connection for what, standing or just in time. */
export function AccessRulesPage() {
  const [{ data, fetching, error }, reread] = useQuery({ query: AccessRulesQuery });
  const names = new Map((data?.connections ?? []).map((c) => [c.id, c.name]));
  return (
    <section aria-labelledby="access-rules-title">
      <h2 id="access-rules-title">Access rules</h2>
      {fetching && !data ? <Loading what="access rules" /> : null}
      {error ? <ErrorNotice error={error} title="Access rules could not be loaded" /> : null}
      {data && data.accessRules.length === 0 ? <Empty>No access rule yet: nobody reaches anything.</Empty> : null}
      {data && data.accessRules.length > 0 ? (
        <ul className="rules" aria-label="access rules">
          {data.accessRules.map((rule) => (
            <li key={rule.id}>
              <strong>{rule.groups.join(', ')}</strong> → {names.get(rule.connectionId) ?? rule.connectionId}:{' '}
              {rule.operations.join(', ')}
              {rule.requiresApproval ? ` · just in time, approved by ${rule.approverGroups.join(', ')}` : ' · standing'}
              {rule.maxSessionSeconds ? ` · sessions up to ${formatDuration(rule.maxSessionSeconds)}` : ''}
            </li>
          ))}
        </ul>
      ) : null}
      <AccessRuleForm
        connections={data?.connections ?? []}
        onCreated={() => reread({ requestPolicy: 'network-only' })}
      />
    </section>
  );
}

function AccessRuleForm({
  connections,
  onCreated,
}: {
  connections: ReadonlyArray<{ id: string; name: string }>;
  onCreated: () => void;
}) {
  const [connectionId, setConnectionId] = useState('');
  const [groups, setGroups] = useState('');
  const [operations, setOperations] = useState<string[]>(['read']);
  const [requiresApproval, setRequiresApproval] = useState(false);
  const [approverGroups, setApproverGroups] = useState('');
  const [maxMinutes, setMaxMinutes] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<string | null>(null);
  const [state, create] = useMutation(CreateAccessRuleMutation);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const input: CreateAccessRuleInput = { connectionId, groups: list(groups), operations, requiresApproval };
    if (requiresApproval) input.approverGroups = list(approverGroups);
    if (maxMinutes.trim()) input.maxSessionSeconds = Math.round(Number(maxMinutes) * 60);
    const result = await create({ input });
    if (result.error) {
      const { byField, rest } = apiFieldErrors(result.error, FIELDS);
      setErrors(byField);
      setProblem(rest);
      return;
    }
    setErrors({});
    setProblem(null);
    setGroups('');
    onCreated();
  };

  return (
    <form className="form" aria-label="new access rule" onSubmit={(e) => void submit(e)} noValidate>
      <h3>New access rule</h3>
      <Field label="Connection" error={errors['connectionId']}>
        <select value={connectionId} onChange={(e) => setConnectionId(e.target.value)}>
          <option value="">choose a connection</option>
          {connections.map((c) => (
            <option key={c.id} value={c.id}>
              {c.name}
            </option>
          ))}
        </select>
      </Field>
      <Field label="Groups" error={errors['groups']}>
        <input value={groups} onChange={(e) => setGroups(e.target.value)} placeholder="engineers" />
      </Field>
      <fieldset className="field">
        <legend>Operations</legend>
        {OPERATIONS.map((operation) => (
          <label key={operation} className="check">
            <input
              type="checkbox"
              checked={operations.includes(operation)}
              onChange={(e) =>
                setOperations(e.target.checked ? [...operations, operation] : operations.filter((o) => o !== operation))
              }
            />
            {operation}
          </label>
        ))}
        {errors['operations'] ? <span className="field-error">{errors['operations']}</span> : null}
      </fieldset>
      <label className="check">
        <input type="checkbox" checked={requiresApproval} onChange={(e) => setRequiresApproval(e.target.checked)} />
        Just in time: members must request access and be approved
      </label>
      {requiresApproval ? (
        <Field label="Approver groups" error={errors['approverGroups']}>
          <input value={approverGroups} onChange={(e) => setApproverGroups(e.target.value)} />
        </Field>
      ) : null}
      <Field label="Longest session (minutes; empty: no limit)" error={errors['maxSessionSeconds']}>
        <input value={maxMinutes} onChange={(e) => setMaxMinutes(e.target.value)} inputMode="numeric" />
      </Field>
      {problem ? (
        <p role="alert" className="state-error">
          {problem}
        </p>
      ) : null}
      <button type="submit" disabled={state.fetching}>
        Create access rule
      </button>
    </form>
  );
}
