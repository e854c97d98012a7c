// OTLP/HTTP trace receiver for tacit's exporter tests. Every request is decoded with the
// official OpenTelemetry protobuf definitions (@opentelemetry/otlp-transformer's generated
// protobufjs root) and written to a text log the C++ test reads with GET /log.
//
//   node receiver.mjs            listens on 127.0.0.1, random port; prints "PORT <n>" first
//   node receiver.mjs --tls CERT.pem KEY.pem    the same over HTTPS
//   node receiver.mjs --count    decode every request as usual, but keep only totals (for
//                                throughput runs: no per-span log to grow without bound)
//
//   POST <any>/v1/traces, POST /custom/traces   an export; answered per the fault queue
//   POST /control   body: one mode per line, queued for the next requests:
//                   ok | 503 | 502 | 504 | 429:<retry-after> | 400 | partial:<n>:<message>
//                   | reset (destroy the socket) | slow:<ms> (answer ok after ms)
//                   | garbage (200 with a body that is neither protobuf nor JSON)
//   GET  /log       the decoded log (text, see describe())
//   GET  /stats     JSON totals: requests, spans decoded, decode errors, and busy_ms, the time
//                   spent handling complete requests (decoding, checking, answering)
//   POST /reset     clears log, queue and totals
//
// It exits when its stdin closes (its parent died) or after 300 s, whichever comes first.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import zlib from 'node:zlib';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const root = require('@opentelemetry/otlp-transformer/build/src/generated/root.js');
const collector = root.opentelemetry.proto.collector.trace.v1;
const Request = collector.ExportTraceServiceRequest;
const Response = collector.ExportTraceServiceResponse;
const trace = root.opentelemetry.proto.trace.v1;
const common = root.opentelemetry.proto.common.v1;
const resource = root.opentelemetry.proto.resource.v1;

let log = [];
let queue = [];
let count = 0;
const counting = process.argv.includes('--count');
let totals = { requests: 0, spans: 0, decode_errors: 0, busy_ms: 0 };

const hex = (b) => (b && b.length ? Buffer.from(b).toString('hex') : '-');
const str = (v) => (v === null || v === undefined ? '0' : v.toString());

function typed(v) {
  if (!v) return 'none';
  if (v.stringValue !== null && v.stringValue !== undefined) return 'string:' + JSON.stringify(v.stringValue);  // quoted: one log line per value
  if (v.boolValue !== null && v.boolValue !== undefined) return 'bool:' + v.boolValue;
  if (v.intValue !== null && v.intValue !== undefined) return 'int:' + v.intValue.toString();
  if (v.doubleValue !== null && v.doubleValue !== undefined) return 'double:' + v.doubleValue;
  if (v.arrayValue) return 'array:[' + (v.arrayValue.values || []).map(typed).join(',') + ']';
  return 'other';
}

function describe(msg, out) {
  for (const rs of msg.resourceSpans || []) {
    for (const a of (rs.resource && rs.resource.attributes) || []) out.push(`resource ${a.key}=${typed(a.value)}`);
    for (const ss of rs.scopeSpans || []) {
      out.push(`scope ${ss.scope ? ss.scope.name : '-'} ${ss.scope ? ss.scope.version : '-'}`);
      for (const s of ss.spans || []) {
        const st = s.status ? `${str(s.status.code)}:${s.status.message || ''}` : 'none';
        out.push(`span ${s.name} trace=${hex(s.traceId)} span=${hex(s.spanId)} parent=${hex(s.parentSpanId)}` +
          ` kind=${str(s.kind)} start=${str(s.startTimeUnixNano)} end=${str(s.endTimeUnixNano)}` +
          ` flags=${str(s.flags)} status=${st} dropped_attrs=${str(s.droppedAttributesCount)}` +
          ` dropped_events=${str(s.droppedEventsCount)} trace_state=${JSON.stringify(s.traceState || '')}` +
          ` links=${(s.links || []).length} dropped_links=${str(s.droppedLinksCount)}`);
        for (const a of s.attributes || []) out.push(`attr ${s.name} ${a.key} ${typed(a.value)}`);
        for (const e of s.events || []) {
          out.push(`event ${s.name} ${e.name} ${str(e.timeUnixNano)}`);
          for (const a of e.attributes || []) out.push(`eattr ${s.name} ${e.name} ${a.key} ${typed(a.value)}`);
        }
        (s.links || []).forEach((l, i) => {
          out.push(`link ${s.name} ${i} trace=${hex(l.traceId)} span=${hex(l.spanId)}` +
            ` trace_state=${JSON.stringify(l.traceState || '')} flags=${str(l.flags)} dropped_attrs=${str(l.droppedAttributesCount)}`);
          for (const a of l.attributes || []) out.push(`lattr ${s.name} ${i} ${a.key} ${typed(a.value)}`);
        });
      }
    }
  }
}

// OTLP/JSON is strict about key spelling and value forms; fromObject is lenient, so check first.
const known = {
  req: ['resourceSpans'], rs: ['resource', 'scopeSpans', 'schemaUrl'], res: ['attributes', 'droppedAttributesCount'],
  ss: ['scope', 'spans', 'schemaUrl'], scope: ['name', 'version', 'attributes', 'droppedAttributesCount'],
  span: ['traceId', 'spanId', 'traceState', 'parentSpanId', 'flags', 'name', 'kind', 'startTimeUnixNano',
    'endTimeUnixNano', 'attributes', 'droppedAttributesCount', 'events', 'droppedEventsCount', 'links',
    'droppedLinksCount', 'status'],
  event: ['timeUnixNano', 'name', 'attributes', 'droppedAttributesCount'], status: ['message', 'code'],
  link: ['traceId', 'spanId', 'traceState', 'attributes', 'droppedAttributesCount', 'flags'],
  kv: ['key', 'value'], any: ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue'],
};
function keys(o, kind, where) {
  for (const k of Object.keys(o)) if (!known[kind].includes(k)) throw new Error(`unknown key ${k} in ${where}`);
}
function checkAny(v, where) {
  keys(v, 'any', where);
  if ('intValue' in v && typeof v.intValue !== 'string') throw new Error(`intValue not a string in ${where}`);
  if ('arrayValue' in v) for (const x of v.arrayValue.values || []) checkAny(x, where);
}
function checkKvs(list, where) {
  for (const a of list || []) { keys(a, 'kv', where); checkAny(a.value, `${where}.${a.key}`); }
}
function checkJson(o) {
  keys(o, 'req', 'request');
  for (const rs of o.resourceSpans) {
    keys(rs, 'rs', 'resourceSpans');
    keys(rs.resource, 'res', 'resource');
    checkKvs(rs.resource.attributes, 'resource');
    for (const ss of rs.scopeSpans) {
      keys(ss, 'ss', 'scopeSpans');
      keys(ss.scope, 'scope', 'scope');
      for (const s of ss.spans) {
        keys(s, 'span', 'span');
        if (!/^[0-9a-f]{32}$/.test(s.traceId)) throw new Error(`traceId ${s.traceId} is not 32 lowercase hex`);
        if (!/^[0-9a-f]{16}$/.test(s.spanId)) throw new Error(`spanId ${s.spanId} is not 16 lowercase hex`);
        if ('parentSpanId' in s && !/^[0-9a-f]{16}$/.test(s.parentSpanId)) throw new Error('bad parentSpanId');
        if (typeof s.kind !== 'number') throw new Error('kind is not an integer');
        for (const f of ['startTimeUnixNano', 'endTimeUnixNano'])
          if (typeof s[f] !== 'string' || !/^[0-9]+$/.test(s[f])) throw new Error(`${f} is not a decimal string`);
        if (s.status) { keys(s.status, 'status', 'status'); if (typeof s.status.code !== 'number') throw new Error('status.code is not an integer'); }
        checkKvs(s.attributes, `span ${s.name}`);
        for (const e of s.events || []) {
          keys(e, 'event', 'event');
          if (typeof e.timeUnixNano !== 'string') throw new Error('event timeUnixNano is not a string');
          checkKvs(e.attributes, `event ${e.name}`);
        }
        if ('traceState' in s && typeof s.traceState !== 'string') throw new Error('traceState is not a string');
        if ('droppedLinksCount' in s && typeof s.droppedLinksCount !== 'number') throw new Error('droppedLinksCount is not an integer');
        for (const l of s.links || []) {
          keys(l, 'link', 'link');
          if (!/^[0-9a-f]{32}$/.test(l.traceId)) throw new Error(`link traceId ${l.traceId} is not 32 lowercase hex`);
          if (!/^[0-9a-f]{16}$/.test(l.spanId)) throw new Error(`link spanId ${l.spanId} is not 16 lowercase hex`);
          if ('traceState' in l && typeof l.traceState !== 'string') throw new Error('link traceState is not a string');
          if (typeof l.flags !== 'number') throw new Error('link flags is not an integer');
          checkKvs(l.attributes, `link of ${s.name}`);
          l.traceId = Buffer.from(l.traceId, 'hex').toString('base64');
          l.spanId = Buffer.from(l.spanId, 'hex').toString('base64');
        }
        // protobufjs reads JSON bytes fields as base64: translate OTLP's hex first.
        s.traceId = Buffer.from(s.traceId, 'hex').toString('base64');
        s.spanId = Buffer.from(s.spanId, 'hex').toString('base64');
        if (s.parentSpanId) s.parentSpanId = Buffer.from(s.parentSpanId, 'hex').toString('base64');
      }
    }
  }
}

function respond(res, json, status, extra = {}, partial = null) {
  const headers = { 'content-type': json ? 'application/json' : 'application/x-protobuf', ...extra };
  let body;
  if (status === 200) {
    const obj = partial ? { partialSuccess: partial } : {};
    body = json ? JSON.stringify(partial ? { partialSuccess: { rejectedSpans: String(partial.rejectedSpans), errorMessage: partial.errorMessage } } : {})
      : Buffer.from(Response.encode(Response.fromObject(obj)).finish());
  } else {
    headers['content-type'] = 'text/plain';
    body = `receiver answered ${status}`;
  }
  res.writeHead(status, headers);
  res.end(body);
}

const tls = process.argv.indexOf('--tls');
const handler = (req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const raw = Buffer.concat(chunks);
    const url = req.url;
    if (req.method === 'POST' && url === '/control') {
      queue.push(...raw.toString().split('\n').map((s) => s.trim()).filter(Boolean));
      res.end('queued');
      return;
    }
    if (req.method === 'POST' && url === '/reset') {
      log = []; queue = []; count = 0; totals = { requests: 0, spans: 0, decode_errors: 0, busy_ms: 0 };
      res.end('reset'); return;
    }
    if (req.method === 'GET' && url === '/log') { res.end(log.join('\n') + '\n'); return; }
    if (req.method === 'GET' && url === '/stats') { res.end(JSON.stringify(totals)); return; }
    // A proxied request names the whole target URL; it still ends in /v1/traces.
    if (req.method !== 'POST' || !(url.endsWith('/v1/traces') || url === '/custom/traces')) {
      res.writeHead(404); res.end('not found'); return;
    }
    const began = process.hrtime.bigint();
    totals.requests++;
    const mode = queue.length ? queue.shift() : 'ok';
    const ct = req.headers['content-type'] || '-';
    const ce = req.headers['content-encoding'] || '-';
    const json = ct === 'application/json';
    const out = [`request ${count++} path=${url} content-type=${ct} content-encoding=${ce}` +
      ` remote-port=${req.socket.remotePort} bytes=${raw.length} mode=${mode}`,
      `user-agent ${req.headers['user-agent'] || '-'}`];
    for (const [k, v] of Object.entries(req.headers)) if (k.startsWith('x-')) out.push(`header ${k}=${v}`);
    try {
      const body = ce === 'gzip' ? zlib.gunzipSync(raw) : raw;
      let msg;
      if (json) {
        const obj = JSON.parse(body.toString('utf8'));
        checkJson(obj);
        msg = Request.fromObject(obj);
      } else if (ct === 'application/x-protobuf') {
        msg = Request.decode(body);
      } else {
        throw new Error(`unexpected content-type ${ct}`);
      }
      out.push('decode ok');
      for (const rs of msg.resourceSpans || []) for (const ss of rs.scopeSpans || []) totals.spans += (ss.spans || []).length;
      if (!counting) describe(msg, out);
    } catch (e) {
      totals.decode_errors++;
      out.push(`decode error ${String(e.message).replace(/\n/g, ' ')}`);
    }
    if (!counting || out[out.length - 1].startsWith('decode error')) log.push(...out);
    res.on('finish', () => { totals.busy_ms += Number(process.hrtime.bigint() - began) / 1e6; });

    if (mode === 'ok') return respond(res, json, 200);
    if (/^(400|502|503|504)$/.test(mode)) return respond(res, json, Number(mode));
    if (mode.startsWith('429:')) return respond(res, json, 429, { 'retry-after': mode.slice(4) });
    if (mode.startsWith('partial:')) {
      const [, n, ...m] = mode.split(':');
      return respond(res, json, 200, {}, { rejectedSpans: Number(n), errorMessage: m.join(':') });
    }
    if (mode === 'garbage') { res.writeHead(200, { 'content-type': ct }); res.end('\xff\xff not an OTLP response'); return; }
    if (mode === 'reset') { req.socket.destroy(); return; }
    if (mode.startsWith('slow:')) { setTimeout(() => respond(res, json, 200), Number(mode.slice(5))); return; }
    respond(res, json, 500);
  });
};
const server = tls > 0
  ? https.createServer({ cert: fs.readFileSync(process.argv[tls + 1]), key: fs.readFileSync(process.argv[tls + 2]) }, handler)
  : http.createServer(handler);

server.keepAliveTimeout = 30000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`PORT ${server.address().port}\n`);
});
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
setTimeout(() => process.exit(0), 300000).unref();
