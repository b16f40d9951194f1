/**
 * Status messages that echo a value. kube-apiserver builds some messages from the request: a
 * name or `apiVersion` that does not match quotes what the body said (`the name of the object
 * (<value>) does not match…`), and other API servers behind it are free to quote more. When the
 * request wrote values (write-values.ts), a Status answering it whose message or details contain
 * one of them gets a generic message instead — same code and reason, so the agent still learns
 * what kind of failure it was — and loses the cause messages and any name that quoted one.
 *
 * Decision, and its limit: the gateway can only recognise values it has seen. With JSON-patch
 * reads of value fields refused (json-patch-reads.ts), a write can no longer pull a stored value
 * into an error; what remains are the values of the request itself, which is what is checked
 * here. Values of protobuf bodies are not known (they are never decoded), so a Status answering
 * a protobuf write is not scrubbed.
 */
import { isJsonObject, type JsonObject, type JsonValue } from '../../src/masking/mask-core.ts';

function mentions(value: JsonValue | undefined, values: readonly string[]): boolean {
  if (typeof value === 'string') return values.some((v) => value.includes(v));
  if (Array.isArray(value)) return value.some((item) => mentions(item, values));
  if (isJsonObject(value)) return Object.values(value).some((item) => mentions(item, values));
  return false;
}

/** Rewrites `status` in place when it mentions one of `values`; returns whether it did. */
export function scrubStatus(status: JsonObject, values: readonly string[]): boolean {
  if (values.length === 0) return false;
  if (!mentions(status['message'], values) && !mentions(status['details'], values)) return false;
  const reason = typeof status['reason'] === 'string' ? status['reason'] : 'Failure';
  const code = typeof status['code'] === 'number' ? status['code'] : 0;
  status['message'] =
    `The cluster refused this request (${reason}, ${code}). Its message quoted a value from the ` +
    'request body that hoop-gateway masks, so the gateway withheld the message. Check the other ' +
    'fields of the request (name, apiVersion, kind) against the API reference and retry.';
  const details = status['details'];
  if (isJsonObject(details)) {
    if (mentions(details['name'], values)) delete details['name'];
    const causes = details['causes'];
    if (Array.isArray(causes)) {
      details['causes'] = causes.map((cause) => {
        if (!isJsonObject(cause)) return {};
        const kept: JsonObject = {};
        if (typeof cause['reason'] === 'string') kept['reason'] = cause['reason'];
        if (typeof cause['field'] === 'string' && !mentions(cause['field'], values))
          kept['field'] = cause['field'];
        return kept;
      });
    }
  }
  return true;
}
