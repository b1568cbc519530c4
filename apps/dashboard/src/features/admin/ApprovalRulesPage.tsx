import { useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { ApprovalRulesQuery, CreateApprovalRuleMutation, SimulateApprovalQuery } from '../../api/operations';
import { Field } from '../../components/Field';
import { apiFieldErrors } from '../../components/form-errors';
import { Empty, ErrorNotice, Loading, errorMessage } from '../../components/State';
import type { CreateApprovalRuleInput } from '../../generated/graphql/graphql';

const FIELDS = [
  'name',
  'statementKinds',
  'relations',
  'approverGroups',
  'groups',
  'requiredApprovals',
  'timeoutSeconds',
];
const WEEK_MS = 7 * 24 * 3600 * 1000;

const list = (value: string): string[] =>
  value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);

export function approvalRuleInput(values: {
  name: string;
  statementKinds: string;
  relations: string;
  missingWhere: boolean;
  approverGroups: string;
  groups: string;
  requiredApprovals: string;
  timeoutSeconds: string;
}): CreateApprovalRuleInput {
  const kinds = list(values.statementKinds).map((kind) => kind.toUpperCase());
  const relations = list(values.relations);
  return {
    name: values.name.trim(),
    approverGroups: list(values.approverGroups),
    groups: list(values.groups),
    requiredApprovals: Number(values.requiredApprovals) || 1,
    timeoutSeconds: Number(values.timeoutSeconds) || 300,
    match: {
      ...(kinds.length > 0 ? { statementKinds: kinds } : {}),
      ...(relations.length > 0 ? { relations } : {}),
      ...(values.missingWhere ? { missingWhere: true } : {}),
    },
  };
}

export function ApprovalRulesPage() {
  const [{ data, fetching, error }, reread] = useQuery({ query: ApprovalRulesQuery });
  return (
    <section aria-labelledby="approval-rules-title">
      <h2 id="approval-rules-title">Approval rules</h2>
      {fetching && !data ? <Loading what="approval rules" /> : null}
      {error ? <ErrorNotice error={error} title="Approval rules could not be loaded" /> : null}
      {data && data.approvalRules.length === 0 ? <Empty>No approval rule yet.</Empty> : null}
      {data && data.approvalRules.length > 0 ? (
        <ul className="rules" aria-label="approval rules">
          {data.approvalRules.map((rule) => (
            <li key={rule.id}>
              <strong>{rule.name}</strong> {rule.enabled ? '' : '(disabled)'} —{' '}
              {[...(rule.match.statementKinds ?? []), ...(rule.match.relations ?? [])].join(', ')}
              {rule.match.missingWhere ? ' without WHERE' : ''} · {rule.requiredApprovals} of{' '}
              {rule.approverGroups.join(', ')} · {rule.timeoutSeconds} s
            </li>
          ))}
        </ul>
      ) : null}
      <ApprovalRuleForm onCreated={() => reread({ requestPolicy: 'network-only' })} />
    </section>
  );
}

function ApprovalRuleForm({ onCreated }: { onCreated: () => void }) {
  const [values, setValues] = useState({
    name: '',
    statementKinds: 'UPDATE, DELETE',
    relations: '',
    missingWhere: false,
    approverGroups: 'approvers',
    groups: '',
    requiredApprovals: '1',
    timeoutSeconds: '300',
  });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<string | null>(null);
  const [preview, setPreview] = useState<CreateApprovalRuleInput | null>(null);
  const [window] = useState(() => ({
    from: new Date(Date.now() - WEEK_MS).toISOString(),
    to: new Date().toISOString(),
  }));
  const [simulation] = useQuery({
    query: SimulateApprovalQuery,
    variables: { input: { ...window, approvalRules: preview ? [preview] : [] } },
    pause: preview === null,
    requestPolicy: 'network-only',
  });
  const [state, create] = useMutation(CreateApprovalRuleMutation);
  const set = (key: keyof typeof values) => (e: { target: { value: string } }) =>
    setValues({ ...values, [key]: e.target.value });

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = await create({ input: approvalRuleInput(values) });
    if (result.error) {
      const { byField, rest } = apiFieldErrors(result.error, FIELDS);
      setErrors(byField);
      setProblem(rest);
      return;
    }
    setErrors({});
    setProblem(null);
    setPreview(null);
    onCreated();
  };
  const simulated = simulation.data?.simulatePolicy.approvalRules[0];

  return (
    <form className="form" aria-label="new approval rule" onSubmit={(e) => void submit(e)} noValidate>
      <h3>New approval rule</h3>
      <Field label="Name" error={errors['name']}>
        <input value={values.name} onChange={set('name')} />
      </Field>
      <Field label="Statement kinds" error={errors['statementKinds']}>
        <input value={values.statementKinds} onChange={set('statementKinds')} />
      </Field>
      <Field label="Relations" error={errors['relations']}>
        <input value={values.relations} onChange={set('relations')} placeholder="public.orders, audit.*" />
      </Field>
      <label className="check">
        <input
          type="checkbox"
          checked={values.missingWhere}
          onChange={(e) => setValues({ ...values, missingWhere: e.target.checked })}
        />
        Only UPDATE/DELETE without WHERE
      </label>
      <Field label="Approver groups" error={errors['approverGroups']}>
        <input value={values.approverGroups} onChange={set('approverGroups')} />
      </Field>
      <Field label="Whose statements (groups; empty: everyone)" error={errors['groups']}>
        <input value={values.groups} onChange={set('groups')} />
      </Field>
      <Field label="Approvals required" error={errors['requiredApprovals']}>
        <input value={values.requiredApprovals} onChange={set('requiredApprovals')} inputMode="numeric" />
      </Field>
      <Field label="Timeout (seconds)" error={errors['timeoutSeconds']}>
        <input value={values.timeoutSeconds} onChange={set('timeoutSeconds')} inputMode="numeric" />
      </Field>
      <button type="button" onClick={() => setPreview(approvalRuleInput(values))}>
        Preview on last week
      </button>
      {preview && simulation.fetching ? <p role="status">Replaying last week’s statements…</p> : null}
      {preview && simulation.error ? <p role="alert">{errorMessage(simulation.error)}</p> : null}
      {preview && simulated ? (
        <section aria-label="simulation" className="verdict">
          This rule would have held {simulated.statements} of last week’s{' '}
          {simulation.data?.simulatePolicy.statements ?? 0} statements, in {simulated.sessions} sessions
          {simulation.data?.simulatePolicy.truncated ? ' (replay cut short by its limits)' : ''}.
          {simulated.examples.length > 0 ? (
            <ul>
              {simulated.examples.map((example) => (
                <li key={`${example.at}-${example.sql}`}>
                  <code className="sql">{example.sql}</code>
                </li>
              ))}
            </ul>
          ) : null}
        </section>
      ) : null}
      {problem ? (
        <p role="alert" className="state-error">
          {problem}
        </p>
      ) : null}
      <button type="submit" disabled={state.fetching}>
        Create approval rule
      </button>
    </form>
  );
}
