/**
 * Events shaped like the ones AWS delivers (captured shapes, synthetic values): API Gateway HTTP
 * API payload format 2.0, EventBridge Scheduler (what sst.aws.CronV2 sends) and a classic
 * EventBridge "Scheduled Event".
 */
import { randomUUID } from 'node:crypto';

const API_ID = 'a1b2c3d4e5';
const DOMAIN = `${API_ID}.execute-api.us-east-1.amazonaws.com`;

export interface HttpRequest {
  method: string;
  /** Path with an optional query string: `/v1/pipelines?limit=1`. */
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** Send the body base64-encoded (API Gateway does so for binary media types). */
  base64?: boolean;
  /** Route key of the integration; `$default` by default, or e.g. `ANY /{proxy+}`. */
  routeKey?: string;
}

export function apiGatewayV2Event(req: HttpRequest) {
  const url = new URL(req.path, `https://${DOMAIN}`);
  const query: Record<string, string> = {};
  // API Gateway joins repeated query parameters with commas; rawQueryString keeps them apart.
  for (const [k, v] of url.searchParams) query[k] = k in query ? `${query[k]},${v}` : v;
  const now = new Date();
  const headers: Record<string, string> = {
    accept: '*/*',
    host: DOMAIN,
    'user-agent': 'curl/8.5.0',
    'x-amzn-trace-id': `Root=1-${Math.floor(now.getTime() / 1000).toString(16)}-${randomUUID().replace(/-/g, '').slice(0, 24)}`,
    'x-forwarded-for': '203.0.113.7',
    'x-forwarded-port': '443',
    'x-forwarded-proto': 'https',
    // HTTP APIs lower-case header names and join repeated ones with commas.
    ...Object.fromEntries(Object.entries(req.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
  };
  if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
  const routeKey = req.routeKey ?? '$default';
  const proxy = routeKey.includes('{proxy+}') ? { pathParameters: { proxy: url.pathname.slice(1) } } : {};
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(url.search ? { queryStringParameters: query } : {}),
    ...proxy,
    requestContext: {
      accountId: '123456789012',
      apiId: API_ID,
      domainName: DOMAIN,
      domainPrefix: API_ID,
      http: { method: req.method, path: url.pathname, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'curl/8.5.0' },
      requestId: `${randomUUID().slice(0, 13)}=`,
      routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(req.body === undefined
      ? { isBase64Encoded: false }
      : { body: req.base64 ? Buffer.from(req.body).toString('base64') : req.body, isBase64Encoded: Boolean(req.base64) }),
  };
}

/** The input infra/cleanup.ts gives its CronV2 schedule, after Scheduler filled in its placeholders. */
export function schedulerEvent(extra: Record<string, unknown> = {}) {
  return {
    source: 'pipestore.cleanup',
    scheduledTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    executionId: randomUUID(),
    scheduleArn: 'arn:aws:scheduler:us-east-1:123456789012:schedule/default/pipestore-production-CleanupSchedule',
    attemptNumber: '1',
    ...extra,
  };
}

/** What a classic EventBridge rule with a schedule expression delivers. */
export function eventBridgeScheduledEvent() {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '123456789012',
    time: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    region: 'us-east-1',
    resources: ['arn:aws:events:us-east-1:123456789012:rule/pipestore-cleanup'],
    detail: {},
  };
}
