import { useId, useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { ConnectionsQuery, CreateMaskingRuleMutation, SimulateMaskingQuery } from '../../api/operations';
import { errorMessage, fieldErrorOf } from '../../components/State';
import type { CreateMaskingRuleInput } from '../../generated/graphql/graphql';

export const DETECTORS = ['email', 'payment_card', 'iban', 'phone', 'national_id', 'secret'] as const;
export const STYLES = ['redact', 'partial', 'hash'] as const;
const WEEK_MS = 7 * 24 * 3600 * 1000;

const list = (value: string): string[] =>
  value
    .split(/[,\n]/)
    .map((part) => part.trim())
    .filter(Boolean);

/** The input the API takes, from the form's fields. */
export function maskingRuleInput(fields: {
  name: string;
  columns: string;
  detectors: string[];
  style: string;
  exemptGroups: string;
  connectionIds: string[];
  enabled: boolean;
}): CreateMaskingRuleInput {
  const columns = list(fields.columns);
  return {
    name: fields.name.trim(),
    enabled: fields.enabled,
    connectionIds: fields.connectionIds,
    exemptGroups: list(fields.exemptGroups),
    spec: {
      style: fields.style,
      ...(columns.length > 0 ? { columns } : {}),
      ...(fields.detectors.length > 0 ? { detectors: fields.detectors } : {}),
    },
  };
}

/** Which form field an API message names ("spec.columns[0]: …" → columns). */
function formFieldOf(apiField: string): string {
  const leaf = apiField.startsWith('spec.') ? apiField.slice(5) : apiField;
  return leaf.split('.')[0] ?? leaf;
}

export function MaskingRuleForm({ onCreated }: { onCreated?: (id: string) => void }) {
  const ids = {
    name: useId(),
    columns: useId(),
    style: useId(),
    exempt: useId(),
    connections: useId(),
    enabled: useId(),
  };
  const [name, setName] = useState('');
  const [columns, setColumns] = useState('');
  const [detectors, setDetectors] = useState<string[]>([]);
  const [style, setStyle] = useState<string>('redact');
  const [exemptGroups, setExemptGroups] = useState('');
  const [connectionIds, setConnectionIds] = useState<string[]>([]);
  const [enabled, setEnabled] = useState(true);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [{ data: connections }] = useQuery({ query: ConnectionsQuery });
  const [preview, setPreview] = useState<CreateMaskingRuleInput | null>(null);
  const [window] = useState(() => ({
    from: new Date(Date.now() - WEEK_MS).toISOString(),
    to: new Date().toISOString(),
  }));
  const [simulation] = useQuery({
    query: SimulateMaskingQuery,
    variables: { input: { ...window, maskingRules: preview ? [preview] : [] } },
    pause: preview === null,
    requestPolicy: 'network-only',
  });
  const simulated = simulation.data?.simulatePolicy.maskingRules[0];
  const [state, create] = useMutation(CreateMaskingRuleMutation);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSaved(null);
    const local: Record<string, string> = {};
    if (name.trim() === '') local['name'] = 'A name is required.';
    if (list(columns).length === 0 && detectors.length === 0) {
      local['columns'] = 'Name at least one column or choose a detector.';
    }
    setFieldErrors(local);
    setFormError(null);
    if (Object.keys(local).length > 0) return;
    const result = await create({
      input: maskingRuleInput({ name, columns, detectors, style, exemptGroups, connectionIds, enabled }),
    });
    if (result.error) {
      const fromApi: Record<string, string> = {};
      const rest: string[] = [];
      for (const error of result.error.graphQLErrors) {
        const located = fieldErrorOf(error.message);
        if (located) fromApi[formFieldOf(located.field)] = located.problem;
        else rest.push(error.message);
      }
      setFieldErrors(fromApi);
      setFormError(rest.length > 0 || result.error.networkError ? rest.join('; ') || errorMessage(result.error) : null);
      return;
    }
    if (result.data) {
      setSaved(result.data.createMaskingRule.name);
      setPreview(null);
      setName('');
      setColumns('');
      setDetectors([]);
      onCreated?.(result.data.createMaskingRule.id);
    }
  };

  const errorFor = (field: string) =>
    fieldErrors[field] ? (
      <span className="field-error" id={`${field}-error`} role="alert">
        {fieldErrors[field]}
      </span>
    ) : null;

  return (
    <form className="form" onSubmit={(e) => void submit(e)} aria-label="new masking rule" noValidate>
      <h3>New masking rule</h3>
      <div className="field">
        <label htmlFor={ids.name}>Name</label>
        <input
          id={ids.name}
          value={name}
          onChange={(e) => setName(e.target.value)}
          aria-invalid={fieldErrors['name'] ? true : undefined}
          aria-describedby={fieldErrors['name'] ? 'name-error' : undefined}
        />
        {errorFor('name')}
      </div>
      <div className="field">
        <label htmlFor={ids.columns}>Columns</label>
        <input
          id={ids.columns}
          value={columns}
          placeholder="customers.email, *_token"
          onChange={(e) => setColumns(e.target.value)}
          aria-invalid={fieldErrors['columns'] ? true : undefined}
          aria-describedby={fieldErrors['columns'] ? 'columns-error' : undefined}
        />
        {errorFor('columns')}
      </div>
      <fieldset className="field">
        <legend>Detectors</legend>
        {DETECTORS.map((detector) => (
          <label key={detector} className="check">
            <input
              type="checkbox"
              checked={detectors.includes(detector)}
              onChange={(e) =>
                setDetectors(e.target.checked ? [...detectors, detector] : detectors.filter((d) => d !== detector))
              }
            />
            {detector}
          </label>
        ))}
        {errorFor('detectors')}
      </fieldset>
      <div className="field">
        <label htmlFor={ids.style}>Style</label>
        <select id={ids.style} value={style} onChange={(e) => setStyle(e.target.value)}>
          {STYLES.map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
        {errorFor('style')}
      </div>
      <div className="field">
        <label htmlFor={ids.exempt}>Exempt groups</label>
        <input id={ids.exempt} value={exemptGroups} onChange={(e) => setExemptGroups(e.target.value)} />
        {errorFor('exemptGroups')}
      </div>
      <div className="field">
        <label htmlFor={ids.connections}>Connections (none: every connection)</label>
        <select
          id={ids.connections}
          multiple
          value={connectionIds}
          onChange={(e) => setConnectionIds([...e.target.selectedOptions].map((o) => o.value))}
        >
          {(connections?.connections ?? []).map((c) => (
            <option key={c.id} value={c.id}>
              {c.name}
            </option>
          ))}
        </select>
        {errorFor('connectionIds')}
      </div>
      <label className="check">
        <input id={ids.enabled} type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} />
        Enabled
      </label>
      <button
        type="button"
        onClick={() =>
          setPreview(maskingRuleInput({ name, columns, detectors, style, exemptGroups, connectionIds, enabled }))
        }
      >
        Preview on last week
      </button>
      {preview && simulation.fetching ? <p role="status">Replaying last week’s sessions…</p> : null}
      {preview && simulation.error ? <p role="alert">{errorMessage(simulation.error)}</p> : null}
      {preview && simulated ? (
        <section aria-label="simulation" className="verdict">
          This rule would have applied to {simulated.sessions} of last week’s{' '}
          {simulation.data?.simulatePolicy.sessions ?? 0} sessions ({simulated.statements} statements). Result values
          are not recorded, so what it would have masked in them cannot be shown.
        </section>
      ) : null}
      {formError ? (
        <p role="alert" className="state-error">
          {formError}
        </p>
      ) : null}
      {saved ? <p role="status">Masking rule “{saved}” created.</p> : null}
      <button type="submit" disabled={state.fetching}>
        Create masking rule
      </button>
    </form>
  );
}
