import { Time } from '../../components/Time';
import { byteSize, httpCallsOf, type HttpCall } from './http-calls';
import type { RecordedEvent } from './timeline';

/**
 * HTTP sessions replay as the list of their calls: method, path, status, duration and sizes; a
 * call expands to its headers (secrets already `[redacted]` by the agent) and its bodies as
 * recorded — masked as the caller saw them, up to the agent's recording cap.
 */
export function HttpCallsReplay({ events }: { events: readonly RecordedEvent[] }) {
  const calls = httpCallsOf(events);
  if (calls.length === 0) return <p className="muted">No HTTP calls recorded.</p>;
  const failed = calls.filter((c) => c.status === 0 || c.status >= 400).length;
  return (
    <section aria-label="HTTP calls" className="replay">
      <p className="replay-summary">
        {calls.length} {calls.length === 1 ? 'call' : 'calls'} · {failed} refused or failed
      </p>
      <ol className="timeline http-calls">
        {calls.map((call) => (
          <li
            key={call.key}
            className={`timeline-item${call.status === 0 || call.status >= 400 ? ' call-failed' : ''}`}
          >
            <details>
              <summary aria-label={`${call.method} ${call.path} ${call.status}`}>
                <Time value={call.at} /> <strong>{call.method}</strong> <code>{call.path}</code>{' '}
                <span className="badge">{call.status === 0 ? 'no answer' : call.status}</span>{' '}
                <span className="muted">
                  {call.durationMs} ms · {byteSize(call.requestBytes)} sent · {byteSize(call.responseBytes)} received
                </span>
                {call.error ? <span className="muted"> · {call.error}</span> : null}
              </summary>
              <CallDetail call={call} />
            </details>
          </li>
        ))}
      </ol>
    </section>
  );
}

function CallDetail({ call }: { call: HttpCall }) {
  return (
    <div className="call-detail">
      <Headers title="Request headers" headers={call.requestHeaders} />
      <Body title="Request body" body={call.requestBody} base64={call.base64} />
      <Headers title="Response headers" headers={call.responseHeaders} />
      <Body title="Response body" body={call.responseBody} base64={call.base64} />
      {call.truncated ? <p className="muted">Bodies past the recording cap were cut.</p> : null}
    </div>
  );
}

function Headers({ title, headers }: { title: string; headers: Record<string, string> }) {
  const entries = Object.entries(headers);
  if (entries.length === 0) return null;
  return (
    <>
      <h4>{title}</h4>
      <dl className="headers">
        {entries.map(([name, value]) => (
          <div key={name}>
            <dt>{name}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
    </>
  );
}

function Body({ title, body, base64 }: { title: string; body: string | null; base64: boolean }) {
  if (body === null) return null;
  return (
    <>
      <h4>{title}</h4>
      {base64 ? <p className="muted">Binary, shown as base64.</p> : null}
      <pre aria-label={title}>{body}</pre>
    </>
  );
}
