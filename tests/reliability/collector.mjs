// A minimal OTLP/HTTP collector for the reliability tests: answers POST /v1/traces with an
// empty ExportTraceServiceResponse and prints one line per request, so the test can count them.
//   node collector.mjs http|https|silent [KEY CERT]
// Prints "listening PORT" first. "silent" accepts connections and never answers.
// Listens on 127.0.0.1 only, on a port the kernel picks; the test kills it, or it leaves after 120 s.
import http from 'node:http';
import https from 'node:https';
import fs from 'node:fs';

const [mode, key, cert] = process.argv.slice(2);
const handler = (req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    process.stdout.write(`request ${req.method} ${req.url} ${body.length}\n`);
    if (mode === 'silent') return;  // never answer
    res.writeHead(200, { 'content-type': 'application/x-protobuf' });
    res.end();
  });
};
let server;
if (mode === 'https') server = https.createServer({ key: fs.readFileSync(key), cert: fs.readFileSync(cert) }, handler);
else if (mode === 'http' || mode === 'silent') server = http.createServer(handler);
else {
  process.stderr.write('usage: collector.mjs http|https|silent [KEY CERT]\n');
  process.exit(2);
}
server.on('tlsClientError', (e) => process.stdout.write(`tls-error ${e.code || e.message}\n`));
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${server.address().port}\n`));
setTimeout(() => process.exit(0), 120000).unref();
