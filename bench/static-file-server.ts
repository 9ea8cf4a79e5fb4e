import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream';

/**
 * The baseline of bench/download.ts (shared/BENCHMARKS.md "Downloads … vs a minimal node:http static file
 * server"): `GET|HEAD /<name>` for the files of one directory, with a single `bytes=a-b` / `a-` / `-n` range,
 * Content-Length and nothing else. Its own process, like Flotilla.
 *
 *   node --import tsx bench/static-file-server.ts <dir>
 */
const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: static-file-server.ts <dir>');

const server = createServer((req, res) => {
  const name = basename(decodeURIComponent((req.url ?? '/').split('?', 1)[0]!));
  let size: number;
  try {
    size = statSync(join(dir, name)).size;
  } catch {
    res.writeHead(404, { 'content-length': '0' }).end();
    return;
  }
  let start = 0;
  let end = size - 1;
  let status = 200;
  const m = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
  if (m !== null && (m[1] !== '' || m[2] !== '')) {
    if (m[1] === '') start = Math.max(0, size - Number(m[2]));
    else {
      start = Number(m[1]);
      if (m[2] !== '') end = Math.min(Number(m[2]), size - 1);
    }
    if (start >= size || end < start) {
      res.writeHead(416, { 'content-range': `bytes */${size}`, 'content-length': '0' }).end();
      return;
    }
    status = 206;
  }
  const headers: Record<string, string> = { 'content-type': 'application/octet-stream', 'content-length': String(end - start + 1), 'accept-ranges': 'bytes' };
  if (status === 206) headers['content-range'] = `bytes ${start}-${end}/${size}`;
  res.writeHead(status, headers);
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  pipeline(createReadStream(join(dir, name), { start, end }), res, () => undefined);
});

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  process.stdout.write(`static listening on http://127.0.0.1:${port}\n`);
});
const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
