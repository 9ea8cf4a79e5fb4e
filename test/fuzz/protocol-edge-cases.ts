/**
 * Requests Node's HTTP parser or Fastify reject before any route runs. Each once answered outside the
 * Alibaba envelope (or not at all); rpc-protocol §9.3 wants a JSON gateway failure with a RequestId.
 */
export interface EdgeCase {
  readonly name: string;
  bytes(host: string): Buffer;
  readonly status: number;
  readonly code: string;
}

const text = (s: string) => Buffer.from(s, 'latin1');

export const PROTOCOL_EDGE_CASES: readonly EdgeCase[] = [
  {
    name: 'CONNECT (Node closes the socket unless someone listens)',
    bytes: (host) => text(`CONNECT ${host} HTTP/1.1\r\nhost: ${host}\r\nconnection: close\r\n\r\n`),
    status: 400,
    code: 'UnsupportedHTTPMethod',
  },
  {
    name: 'a method llhttp does not know',
    bytes: (host) => text(`FOO /?Format=JSON HTTP/1.1\r\nhost: ${host}\r\nconnection: close\r\n\r\n`),
    status: 400,
    code: 'InvalidParameter',
  },
  {
    name: 'raw invalid UTF-8 bytes in the request target',
    bytes: (host) => text(`GET /?Action=\xff\xfe\x80 HTTP/1.1\r\nhost: ${host}\r\nconnection: close\r\n\r\n`),
    status: 400,
    code: 'InvalidParameter',
  },
  {
    name: 'an unknown HTTP version',
    bytes: (host) => text(`GET / HTTP/9.9\r\nhost: ${host}\r\n\r\n`),
    status: 400,
    code: 'InvalidParameter',
  },
  {
    name: 'broken chunked framing',
    bytes: (host) => text(`POST / HTTP/1.1\r\nhost: ${host}\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\nzz\r\n`),
    status: 400,
    code: 'InvalidParameter',
  },
  {
    name: 'HTTP/1.1 without a Host header',
    bytes: () => text('GET /?Format=JSON HTTP/1.1\r\nconnection: close\r\n\r\n'),
    status: 400,
    code: 'MissingAction',
  },
  {
    name: 'a path Fastify cannot decode',
    bytes: (host) => text(`GET /%zz/x HTTP/1.1\r\nhost: ${host}\r\nconnection: close\r\n\r\n`),
    status: 404,
    code: 'InvalidApi.NotFound',
  },
  {
    name: 'a malformed content type with a body (Fastify: 415)',
    bytes: (host) => text(`POST /?Format=JSON HTTP/1.1\r\nhost: ${host}\r\ncontent-type: ;;;\r\ncontent-length: 3\r\nconnection: close\r\n\r\nabc`),
    status: 400,
    code: 'InvalidParameter',
  },
  {
    name: 'a malformed content type on /healthz (root context)',
    bytes: (host) => text(`POST /healthz HTTP/1.1\r\nhost: ${host}\r\ncontent-type: ;;;\r\ncontent-length: 3\r\nconnection: close\r\n\r\nabc`),
    status: 400,
    code: 'InvalidParameter',
  },
  {
    name: 'an application/json body that is not JSON (bodies are opaque bytes to the RPC layer)',
    bytes: (host) => text(`POST /?Format=JSON HTTP/1.1\r\nhost: ${host}\r\ncontent-type: application/json\r\ncontent-length: 3\r\nconnection: close\r\n\r\n{x:`),
    status: 400,
    code: 'MissingAction',
  },
  {
    name: 'an empty application/json body',
    bytes: (host) => text(`POST /?Format=JSON HTTP/1.1\r\nhost: ${host}\r\ncontent-type: application/json\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`),
    status: 400,
    code: 'MissingAction',
  },
  {
    name: 'a form body over the 4 MiB ceiling',
    bytes: (host) => {
      const body = Buffer.alloc(4 * 1024 * 1024 + 1, 'a');
      return Buffer.concat([
        text(`POST /?Format=JSON HTTP/1.1\r\nhost: ${host}\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n`),
        body,
      ]);
    },
    status: 400,
    code: 'InvalidParameter',
  },
];
