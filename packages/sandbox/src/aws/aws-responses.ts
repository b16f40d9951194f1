/**
 * What STS and the EKS control-plane API answer, in the encodings their clients read: the query
 * protocol's XML (the SDK's STS client), JSON for a GetCallerIdentity that asks for it (EKS's
 * authenticator sends Accept: application/json), and REST-JSON for EKS DescribeCluster.
 */
import type { ServerResponse } from 'node:http';

const STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/';

export function xmlEscape(value: string): string {
  return value.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** `{ A: 'x', B: { C: 'y' } }` → `<A>x</A><B><C>y</C></B>`. */
function xml(fields: Record<string, unknown>): string {
  return Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(
      ([k, v]) =>
        `<${k}>${typeof v === 'object' ? xml(v as Record<string, unknown>) : xmlEscape(String(v))}</${k}>`,
    )
    .join('');
}

export function sendStsResult(
  res: ServerResponse,
  action: string,
  result: Record<string, unknown>,
  requestId: string,
  json: boolean,
): void {
  if (json) {
    const body = {
      [`${action}Response`]: { [`${action}Result`]: result, ResponseMetadata: { RequestId: requestId } },
    };
    res
      .writeHead(200, { 'content-type': 'application/json', 'x-amzn-requestid': requestId })
      .end(JSON.stringify(body));
    return;
  }
  const body = `<${action}Response xmlns="${STS_NS}"><${action}Result>${xml(result)}</${action}Result><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`;
  res.writeHead(200, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId }).end(body);
}

export function sendStsError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  requestId: string,
  json: boolean,
): void {
  const type = status >= 500 ? 'Receiver' : 'Sender';
  if (json) {
    const body = { Error: { Code: code, Message: message, Type: type }, RequestId: requestId };
    res
      .writeHead(status, { 'content-type': 'application/json', 'x-amzn-requestid': requestId })
      .end(JSON.stringify(body));
    return;
  }
  const body = `<ErrorResponse xmlns="${STS_NS}"><Error><Type>${type}</Type><Code>${xmlEscape(code)}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
  res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId }).end(body);
}

export function sendRestJson(res: ServerResponse, status: number, body: unknown, errorType?: string): void {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (errorType) headers['x-amzn-errortype'] = errorType;
  res.writeHead(status, headers).end(JSON.stringify(body));
}
