import { useMutation, useQuery } from 'urql';
import { DeleteMaskingRuleMutation, MaskingRulesQuery } from '../../api/operations';
import { Empty, ErrorNotice, Loading } from '../../components/State';
import { MaskingRuleForm } from './MaskingRuleForm';

export function MaskingRulesPage() {
  const [{ data, fetching, error }] = useQuery({ query: MaskingRulesQuery });
  const [, remove] = useMutation(DeleteMaskingRuleMutation);
  return (
    <section aria-labelledby="masking-title">
      <h2 id="masking-title">Masking rules</h2>
      {fetching && !data ? <Loading what="masking rules" /> : null}
      {error ? <ErrorNotice error={error} title="Masking rules could not be loaded" /> : null}
      {data && data.maskingRules.length === 0 ? <Empty>No masking rule yet.</Empty> : null}
      {data && data.maskingRules.length > 0 ? (
        <ul className="rules" aria-label="masking rules">
          {data.maskingRules.map((rule) => (
            <li key={rule.id}>
              <strong>{rule.name}</strong> {rule.enabled ? '' : '(disabled)'} — {rule.spec.style}{' '}
              {[...(rule.spec.columns ?? []), ...(rule.spec.detectors ?? [])].join(', ')}
              {rule.exemptGroups.length > 0 ? ` · exempt: ${rule.exemptGroups.join(', ')}` : ''}{' '}
              <button
                type="button"
                className="link danger"
                aria-label={`delete masking rule ${rule.name}`}
                onClick={() => void remove({ id: rule.id })}
              >
                Delete
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      <MaskingRuleForm />
    </section>
  );
}
