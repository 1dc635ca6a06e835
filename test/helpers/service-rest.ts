/** The hub's REST APIs as curl would call them: a SAS token and one plain HTTPS request. */
import https from 'node:https';
import iothub from 'azure-iothub';

/** IoT Hub's error body; a success's body is the resource. */
export type ErrorBody = { Message?: string; ExceptionMessage?: string } & Record<string, unknown>;

export interface RestReply<B = ErrorBody> {
  status: number;
  headers: Record<string, unknown>;
  /** The JSON body; `{}` when the reply has none. */
  body: B;
}

/** A service SAS token for `policy` on `hub`, valid for an hour (made by the service SDK's own code). */
export function serviceToken(hub: string, policy: string, key: string): string {
  return iothub.SharedAccessSignature.create(hub, policy, key, String(Math.floor(Date.now() / 1000) + 3600)).toString();
}

/** One HTTPS request to the hub on 127.0.0.1, with the hub's name as SNI and Host; the reply's JSON body parsed. */
export function hubRequest<B = ErrorBody>(o: {
  port: number;
  hub: string;
  ca: string;
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}): Promise<RestReply<B>> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: o.port,
        servername: o.hub,
        ca: o.ca,
        method: o.method,
        path: o.path,
        headers: { host: o.hub, ...o.headers },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? JSON.parse(text) : {} }),
        );
      },
    );
    req.on('error', reject);
    req.end(o.body);
  });
}

export interface RestRequest {
  port: number;
  /** The hub's name: SNI and Host. */
  hub: string;
  ca: string;
  method: string;
  /** The path; api-version is appended. */
  path: string;
  auth: string;
  body?: string;
  headers?: Record<string, string>;
}

export function serviceRequest<B = ErrorBody>(o: RestRequest): Promise<RestReply<B>> {
  return hubRequest<B>({
    ...o,
    path: `${o.path}${o.path.includes('?') ? '&' : '?'}api-version=2021-04-12`,
    headers: { authorization: o.auth, 'content-type': 'application/json; charset=utf-8', ...o.headers },
  });
}
