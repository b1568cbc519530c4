import { useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { CreateGuardrailMutation, GuardrailsQuery } from '../../api/operations';
import { Field } from '../../components/Field';
import { apiFieldErrors } from '../../components/form-errors';
import { Empty, ErrorNotice, Loading } from '../../components/State';
import type { CreateGuardrailInput } from '../../generated/graphql/graphql';

const FIELDS = ['name', 'statementKinds', 'relations', 'functions', 'groups'];

const list = (value: string): string[] =>
  value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);

export function guardrailInput(values: {
  name: string;
  statementKinds: string;
  relations: string;
  functions: string;
  missingWhere: boolean;
  groups: string;
}): CreateGuardrailInput {
  const kinds = list(values.statementKinds).map((kind) => kind.toUpperCase());
  const relations = list(values.relations);
  const functions = list(values.functions);
  return {
    name: values.name.trim(),
    groups: list(values.groups),
    match: {
      ...(kinds.length > 0 ? { statementKinds: kinds } : {}),
      ...(relations.length > 0 ? { relations } : {}),
      ...(functions.length > 0 ? { functions } : {}),
      ...(values.missingWhere ? { missingWhere: true } : {}),
    },
  };
}

/** Guardrails: statements they match are blocked with a protocol-native error; the session goes on. */
export function GuardrailsPage() {
  const [{ data, fetching, error }, reread] = useQuery({ query: GuardrailsQuery });
  return (
    <section aria-labelledby="guardrails-title">
      <h2 id="guardrails-title">Guardrails</h2>
      {fetching && !data ? <Loading what="guardrails" /> : null}
      {error ? <ErrorNotice error={error} title="Guardrails could not be loaded" /> : null}
      {data && data.guardrails.length === 0 ? <Empty>No guardrail yet.</Empty> : null}
      {data && data.guardrails.length > 0 ? (
        <ul className="rules" aria-label="guardrails">
          {data.guardrails.map((rule) => (
            <li key={rule.id}>
              <strong>{rule.name}</strong> {rule.enabled ? '' : '(disabled)'} —{' '}
              {[
                ...(rule.match.statementKinds ?? []),
                ...(rule.match.relations ?? []),
                ...(rule.match.functions ?? []),
              ].join(', ')}
              {rule.match.missingWhere ? ' without WHERE' : ''}
              {rule.groups.length > 0 ? ` · for ${rule.groups.join(', ')}` : ''}
            </li>
          ))}
        </ul>
      ) : null}
      <GuardrailForm onCreated={() => reread({ requestPolicy: 'network-only' })} />
    </section>
  );
}

function GuardrailForm({ onCreated }: { onCreated: () => void }) {
  const [values, setValues] = useState({
    name: '',
    statementKinds: '',
    relations: '',
    functions: '',
    missingWhere: false,
    groups: '',
  });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<string | null>(null);
  const [state, create] = useMutation(CreateGuardrailMutation);
  const set = (key: keyof typeof values) => (e: { target: { value: string } }) =>
    setValues({ ...values, [key]: e.target.value });

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = await create({ input: guardrailInput(values) });
    if (result.error) {
      const { byField, rest } = apiFieldErrors(result.error, FIELDS);
      setErrors(byField);
      setProblem(rest);
      return;
    }
    setErrors({});
    setProblem(null);
    onCreated();
  };

  return (
    <form className="form" aria-label="new guardrail" onSubmit={(e) => void submit(e)} noValidate>
      <h3>New guardrail</h3>
      <Field label="Name" error={errors['name']}>
        <input value={values.name} onChange={set('name')} />
      </Field>
      <Field label="Statement kinds" error={errors['statementKinds']}>
        <input value={values.statementKinds} onChange={set('statementKinds')} placeholder="DROP, TRUNCATE" />
      </Field>
      <Field label="Relations" error={errors['relations']}>
        <input value={values.relations} onChange={set('relations')} />
      </Field>
      <Field label="Functions" error={errors['functions']}>
        <input value={values.functions} onChange={set('functions')} placeholder="pg_read_file, dblink*" />
      </Field>
      <label className="check">
        <input
          type="checkbox"
          checked={values.missingWhere}
          onChange={(e) => setValues({ ...values, missingWhere: e.target.checked })}
        />
        UPDATE/DELETE without WHERE
      </label>
      <Field label="Whose statements (groups; empty: everyone)" error={errors['groups']}>
        <input value={values.groups} onChange={set('groups')} />
      </Field>
      {problem ? (
        <p role="alert" className="state-error">
          {problem}
        </p>
      ) : null}
      <button type="submit" disabled={state.fetching}>
        Create guardrail
      </button>
    </form>
  );
}
