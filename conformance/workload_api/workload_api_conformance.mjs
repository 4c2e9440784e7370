// SPIFFE Workload API conformance (CONFORMANCE.md section 5) checked from outside by an
// independent client: Node's @grpc/grpc-js with this folder's own workload.proto (typed in from
// shared/WIRE.md, not shared with the agent), Node's crypto for X.509 and jose for JWTs.
//
// Usage: node workload_api_conformance.mjs <path to workload_api_fixture>
// Starts the fixture (the real Workload API service on a fresh socket, see
// workload_api_fixture.cc), drives it through its command pipe, and prints one PASS/FAIL/SKIP
// line per check. Exits 1 if any check fails. Checks that need another uid run this script
// again in probe mode under setpriv (root only; skipped otherwise):
//   node workload_api_conformance.mjs --probe <socket> <method> <request JSON>
// Tokens and private keys are bearer secrets: nothing here prints one.
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

let grpc;
let protoLoader;
let jose;
try {
  grpc = require('@grpc/grpc-js');
  protoLoader = require('@grpc/proto-loader');
  jose = await import('jose');
} catch {
  console.error('FAIL: the npm packages @grpc/grpc-js, @grpc/proto-loader and jose are not ' +
                'installed (conformance/node_modules is missing or stale). Run `npm ci` in ' +
                'conformance/ (scripts/setup does this).');
  process.exit(1);
}

const LOAD_OPTIONS = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true };
const workloadProto = grpc.loadPackageDefinition(
  protoLoader.loadSync(join(here, 'workload.proto'), LOAD_OPTIONS));
const reflectionProto = grpc.loadPackageDefinition(
  protoLoader.loadSync(join(here, 'reflection.proto'), LOAD_OPTIONS));

const HEADER_MISSING = 'security header missing from request';
const NO_IDENTITY = 'no identity issued';
const TD = 'spiffe://conformance.test';
const FEDERATED = 'spiffe://federated.test';
const ID = (name) => `${TD}/workload/${name}`;

function metadata(headerValue = 'true') {
  const md = new grpc.Metadata();
  if (headerValue !== null) {
    md.set('workload.spiffe.io', headerValue);
  }
  return md;
}

function newClient(socket) {
  return new workloadProto.SpiffeWorkloadAPI(`unix://${socket}`,
                                            grpc.credentials.createInsecure());
}

function codeName(code) {
  return Object.keys(grpc.status).find((k) => grpc.status[k] === code) ?? String(code);
}

// A server stream read message by message: next() resolves to {message}, {error} or {end}.
class StreamReader {
  constructor(call) {
    this.call = call;
    this.items = [];
    this.waiters = [];
    call.on('data', (message) => this.push({ message }));
    call.on('error', (error) => this.push({ error }));
    call.on('end', () => this.push({ end: true }));
  }

  push(item) {
    const waiter = this.waiters.shift();
    if (waiter) {
      waiter(item);
    } else {
      this.items.push(item);
    }
  }

  next(timeoutMs = 15000) {
    if (this.items.length > 0) {
      return Promise.resolve(this.items.shift());
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve({ timeout: true });
      }, timeoutMs);
      const done = (item) => {
        clearTimeout(timer);
        resolve(item);
      };
      this.waiters.push(done);
    });
  }

  // Cancels the call; next() then yields its CANCELLED error.
  cancel() {
    this.call.cancel();
  }
}

function openStream(client, method, request = {}, md = metadata()) {
  return new StreamReader(client[method](request, md));
}

function unary(client, method, request, md = metadata()) {
  return new Promise((resolve) => {
    client[method](request, md, { deadline: Date.now() + 15000 }, (error, response) => {
      resolve(error ? { error } : { response });
    });
  });
}

// ---- probe mode: one call as whatever user runs this process ----
if (process.argv[2] === '--probe') {
  const [socket, method, requestJson] = process.argv.slice(3);
  const client = newClient(socket);
  const request = JSON.parse(requestJson ?? '{}');
  let result;
  if (method.startsWith('Fetch') && method !== 'FetchJWTSVID') {
    result = await openStream(client, method, request).next();
  } else {
    result = await unary(client, method, request);
    result = result.error ? result : { message: result.response };
  }
  const out = result.error
    ? { code: codeName(result.error.code), details: result.error.details }
    : result.message
      ? { code: 'OK', spiffe_ids: (result.message.svids ?? []).map((s) => s.spiffe_id) }
      : { code: result.timeout ? 'TIMEOUT' : 'END' };
  console.log(JSON.stringify(out));
  process.exit(0);
}

// ---- reporting ----
let failures = 0;
function report(name, ok, detail = '') {
  console.log(`${ok ? 'PASS' : 'FAIL'} ${name}${detail ? `: ${detail}` : ''}`);
  if (!ok) {
    failures += 1;
  }
}
function skip(name, why) {
  console.log(`SKIP ${name}: ${why}`);
}
function expectError(name, result, code, message) {
  if (!result.error) {
    report(name, false, `got ${result.timeout ? 'no answer' : 'a response'}, want ${code}`);
    return;
  }
  const got = codeName(result.error.code);
  const messageOk = message === undefined || result.error.details === message;
  report(name, got === code && messageOk,
         `${got} "${result.error.details}" (want ${code}${message ? ` "${message}"` : ''})`);
}
const sameList = (a, b) => JSON.stringify(a) === JSON.stringify(b);

// ---- X.509 helpers (Node crypto only) ----

// Splits concatenated DER certificates by walking each outer SEQUENCE's length.
function splitDer(buffer) {
  const certs = [];
  let offset = 0;
  while (offset < buffer.length) {
    if (buffer[offset] !== 0x30) {
      throw new Error(`byte ${offset} does not start a DER SEQUENCE`);
    }
    let length = buffer[offset + 1];
    let header = 2;
    if (length & 0x80) {
      const count = length & 0x7f;
      length = 0;
      for (let i = 0; i < count; i++) {
        length = length * 256 + buffer[offset + 2 + i];
      }
      header += count;
    }
    const end = offset + header + length;
    if (end > buffer.length) {
      throw new Error('DER certificate runs past the end of the field');
    }
    certs.push(new crypto.X509Certificate(buffer.subarray(offset, end)));
    offset = end;
  }
  return certs;
}

function pemCert(file) {
  return new crypto.X509Certificate(readFileSync(file));
}

// Problems with one X509SVID message, or '' (WAPI-24).
function svidProblems(svid, ca) {
  const chain = splitDer(svid.x509_svid);
  if (chain.length === 0) {
    return 'empty x509_svid';
  }
  const leaf = chain[0];
  const key = crypto.createPrivateKey({ key: svid.x509_svid_key, format: 'der', type: 'pkcs8' });
  if (!leaf.checkPrivateKey(key)) {
    return 'x509_svid_key is not the leaf key';
  }
  if (leaf.ca) {
    return 'leaf is a CA';
  }
  if (leaf.subjectAltName !== `URI:${svid.spiffe_id}`) {
    return `leaf SAN is ${leaf.subjectAltName}, want URI:${svid.spiffe_id}`;
  }
  const bundle = splitDer(svid.bundle);
  if (bundle.length !== 1 || !bundle[0].raw.equals(ca.raw)) {
    return 'bundle is not the trust domain CA';
  }
  if (!leaf.checkIssued(bundle[0]) || !leaf.verify(bundle[0].publicKey)) {
    return 'leaf does not verify against the bundle';
  }
  const now = Date.now();
  if (now < Date.parse(leaf.validFrom) || now > Date.parse(leaf.validTo)) {
    return 'leaf is not currently valid';
  }
  return '';
}

const serialOf = (svid) => splitDer(svid.x509_svid)[0].serialNumber.replace(/^0+/, '')
  .toLowerCase();

// ---- the fixture ----
function startFixture(binary) {
  const child = spawn(binary, [], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const pending = [];
  const queued = [];
  lines.on('line', (line) => {
    const waiter = pending.shift();
    if (waiter) {
      waiter(JSON.parse(line));
    } else {
      queued.push(JSON.parse(line));
    }
  });
  const nextLine = () => (queued.length > 0
    ? Promise.resolve(queued.shift())
    : new Promise((resolve) => pending.push(resolve)));
  return {
    child,
    nextLine,
    async command(text) {
      child.stdin.write(`${text}\n`);
      return nextLine();
    },
  };
}

async function waitFor(predicate, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate()) {
      return true;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

// ---- checks ----

async function checkReflection(socket) {
  const client = new reflectionProto.grpc.reflection.v1alpha.ServerReflection(
    `unix://${socket}`, grpc.credentials.createInsecure());
  const ask = (request) => new Promise((resolve) => {
    const call = client.ServerReflectionInfo(metadata(null));
    call.once('data', (response) => {
      resolve({ response });
      call.end();
    });
    call.once('error', (error) => resolve({ error }));
    call.write(request);
  });

  // WAPI-09, WAPI-14: reflection without the security header.
  const listed = await ask({ list_services: '' });
  const names = listed.response?.list_services_response?.service?.map((s) => s.name) ?? [];
  report('WAPI-14 reflection lists SpiffeWorkloadAPI (no header needed, WAPI-09)',
         names.includes('SpiffeWorkloadAPI'),
         listed.error ? codeName(listed.error.code) : names.join(','));

  // NOTE-04: the service lives in the root namespace, with the seven RPCs in order.
  const file = await ask({ file_containing_symbol: 'SpiffeWorkloadAPI' });
  const blobs = file.response?.file_descriptor_response?.file_descriptor_proto ?? [];
  const descriptor = require('protobufjs/ext/descriptor');
  let service;
  let pkg;
  for (const blob of blobs) {
    const fd = descriptor.FileDescriptorProto.decode(blob);
    const found = (fd.service ?? []).find((s) => s.name === 'SpiffeWorkloadAPI');
    if (found) {
      service = found;
      pkg = fd.package ?? '';
    }
  }
  const methods = service?.method?.map((m) => `${m.name}${m.serverStreaming ? '*' : ''}`) ?? [];
  const want = ['FetchX509SVID*', 'FetchX509Bundles*', 'FetchJWTSVID', 'FetchJWTBundles*',
                'ValidateJWTSVID', 'FetchWITSVID*', 'FetchWITBundles*'];
  report('NOTE-04 reflected proto has no package and the seven RPCs in order',
         service !== undefined && pkg === '' && sameList(methods, want),
         `package "${pkg}", methods ${methods.join(',')}`);
  client.close();
}

async function checkSecurityHeader(client) {
  const streams = ['FetchX509SVID', 'FetchX509Bundles', 'FetchJWTBundles', 'FetchWITSVID',
                   'FetchWITBundles'];
  for (const method of streams) {
    const result = await openStream(client, method, {}, metadata(null)).next();
    expectError(`WAPI-08 ${method} without the security header`, result, 'INVALID_ARGUMENT',
                HEADER_MISSING);
  }
  expectError('WAPI-08 FetchJWTSVID without the security header',
              await unary(client, 'FetchJWTSVID', { audience: ['a'] }, metadata(null)),
              'INVALID_ARGUMENT', HEADER_MISSING);
  expectError('WAPI-08 ValidateJWTSVID without the security header',
              await unary(client, 'ValidateJWTSVID', { audience: 'a', svid: 'x.y.z' },
                          metadata(null)),
              'INVALID_ARGUMENT', HEADER_MISSING);
  for (const value of ['TRUE', 'yes']) {
    expectError(`WAPI-08 security header "${value}" is refused`,
                await openStream(client, 'FetchX509SVID', {}, metadata(value)).next(),
                'INVALID_ARGUMENT', HEADER_MISSING);
  }
}

async function checkX509Svid(client, info, fixture) {
  const ca = pemCert(info.ca_pem);
  const federatedCa = pemCert(info.federated_ca_pem);

  const started = Date.now();
  const stream = openStream(client, 'FetchX509SVID');
  const first = await stream.next();
  const elapsed = Date.now() - started;
  if (!first.message) {
    report('WAPI-16 first FetchX509SVID message sent at once', false,
           first.error ? `${codeName(first.error.code)} ${first.error.details}` : 'no message');
    return;
  }
  report('WAPI-16 first FetchX509SVID message sent at once', elapsed < 5000, `${elapsed} ms`);
  const message = first.message;
  const ids = message.svids.map((s) => s.spiffe_id);
  // WAPI-27 default first; WAPI-26 the repeated hint's identity left out.
  report('WAPI-24/27 exactly the caller\'s identities, entry order',
         sameList(ids, [ID('default'), ID('second')]), ids.join(','));
  const hints = message.svids.map((s) => s.hint).filter((h) => h !== '');
  report('WAPI-26 hints are unique', new Set(hints).size === hints.length &&
         sameList(hints, ['default', 'second']), hints.join(','));
  for (const svid of message.svids) {
    let problem;
    try {
      problem = svidProblems(svid, ca);
    } catch (err) {
      problem = err.message;
    }
    report(`WAPI-24 ${svid.spiffe_id}: DER chain, PKCS#8 key and bundle that verify`,
           problem === '', problem);
  }
  const federated = message.federated_bundles;
  const federatedKeys = Object.keys(federated);
  let federatedOk = sameList(federatedKeys, [FEDERATED]);
  if (federatedOk) {
    const certs = splitDer(federated[FEDERATED]);
    federatedOk = certs.length === 1 && certs[0].raw.equals(federatedCa.raw);
  }
  report('WAPI-25 federated_bundles keyed by trust domain ID, DER CAs', federatedOk,
         federatedKeys.join(','));
  report('WAPI-24 no CRLs are invented', message.crl.length === 0);

  // WAPI-27: another stream orders the identities the same way.
  const other = openStream(client, 'FetchX509SVID');
  const again = await other.next();
  other.cancel();
  report('WAPI-27 a second stream presents the same order',
         again.message !== undefined &&
         sameList(again.message.svids.map((s) => s.spiffe_id), ids));

  // WAPI-18, WAPI-17: a rotation is pushed with the complete state.
  const rotated = await fixture.command('rotate e-second');
  const pushed = await stream.next();
  const pushedIds = pushed.message?.svids.map((s) => s.spiffe_id) ?? [];
  report('WAPI-18 a rotated SVID is pushed',
         pushed.message !== undefined && serialOf(pushed.message.svids[1]) === rotated.serial,
         pushed.message ? `serial ${serialOf(pushed.message.svids[1])}` : 'no message');
  report('WAPI-17 the pushed message carries the complete state',
         sameList(pushedIds, ids) && pushed.message.svids[0].x509_svid.equals(
           message.svids[0].x509_svid) && Object.keys(pushed.message.federated_bundles).length === 1);

  // WAPI-18: a federated bundle change is pushed.
  await fixture.command('rotate-federated');
  const bundlePush = await stream.next();
  report('WAPI-18 a federated bundle change is pushed',
         bundlePush.message !== undefined &&
         !bundlePush.message.federated_bundles[FEDERATED].equals(federated[FEDERATED]) &&
         bundlePush.message.svids.length === 2);
  stream.cancel();
}

async function checkBundles(client, info) {
  const ca = pemCert(info.ca_pem);
  const x509 = openStream(client, 'FetchX509Bundles');
  const x509First = await x509.next();
  x509.cancel();
  const keys = Object.keys(x509First.message?.bundles ?? {}).sort();
  report('WAPI-29 FetchX509Bundles: own and federated trust domains',
         sameList(keys, [TD, FEDERATED].sort()) &&
         splitDer(x509First.message.bundles[TD])[0].raw.equals(ca.raw), keys.join(','));

  const jwt = openStream(client, 'FetchJWTBundles');
  const jwtFirst = await jwt.next();
  jwt.cancel();
  const jwtKeys = Object.keys(jwtFirst.message?.bundles ?? {}).sort();
  report('WAPI-33 FetchJWTBundles keyed by trust domain ID', sameList(jwtKeys, [TD, FEDERATED]
    .sort()), jwtKeys.join(','));
  const jwks = jwtFirst.message ? JSON.parse(jwtFirst.message.bundles[TD].toString('utf8')) : {};
  const jwksKeys = jwks.keys ?? [];
  report('WAPI-33 JWKS keys carry kid and no use',
         jwksKeys.length > 0 && jwksKeys.every((k) => typeof k.kid === 'string' && k.kid !== '' &&
                                                       k.use === undefined));
  return jwks;
}

async function checkJwtSvid(client, jwks) {
  expectError('WAPI-30 FetchJWTSVID without audience',
              await unary(client, 'FetchJWTSVID', { audience: [] }), 'INVALID_ARGUMENT',
              'audience must be specified');

  const keySet = jose.createLocalJWKSet(jwks);
  const all = await unary(client, 'FetchJWTSVID', { audience: ['svc-a', 'svc-b'] });
  const svids = all.response?.svids ?? [];
  report('WAPI-31/32 one JWT-SVID per identity without spiffe_id',
         sameList(svids.map((s) => s.spiffe_id), [ID('default'), ID('second')]),
         all.error ? codeName(all.error.code) : svids.map((s) => s.spiffe_id).join(','));
  for (const svid of svids) {
    try {
      const { payload } = await jose.jwtVerify(svid.svid, keySet, { audience: 'svc-b' });
      report(`WAPI-30 ${svid.spiffe_id}: jose verifies it, sub and aud as requested`,
             payload.sub === svid.spiffe_id && sameList(payload.aud, ['svc-a', 'svc-b']));
    } catch (err) {
      report(`WAPI-30 ${svid.spiffe_id}: jose verifies it`, false, err.code ?? err.name);
    }
  }

  const one = await unary(client, 'FetchJWTSVID', { audience: ['svc-a'],
                                                   spiffe_id: ID('second') });
  report('WAPI-31 spiffe_id selects that identity only',
         sameList((one.response?.svids ?? []).map((s) => s.spiffe_id), [ID('second')]) &&
         one.response.svids[0].hint === 'second');
  expectError('WAPI-31 an invalid spiffe_id',
              await unary(client, 'FetchJWTSVID', { audience: ['a'], spiffe_id: 'not an id' }),
              'INVALID_ARGUMENT');
  expectError('WAPI-31 a spiffe_id the caller is not entitled to',
              await unary(client, 'FetchJWTSVID', { audience: ['a'], spiffe_id: ID('nobody') }),
              'PERMISSION_DENIED', NO_IDENTITY);
  return one.response?.svids?.[0]?.svid;
}

async function checkValidate(client, token) {
  expectError('WAPI-35 ValidateJWTSVID without audience',
              await unary(client, 'ValidateJWTSVID', { audience: '', svid: token ?? 'x' }),
              'INVALID_ARGUMENT', 'audience must be specified');
  expectError('WAPI-35 ValidateJWTSVID without svid',
              await unary(client, 'ValidateJWTSVID', { audience: 'svc-a', svid: '' }),
              'INVALID_ARGUMENT', 'svid must be specified');
  if (!token) {
    report('WAPI-36 ValidateJWTSVID of a fetched token', false, 'no token was fetched');
    return;
  }
  const valid = await unary(client, 'ValidateJWTSVID', { audience: 'svc-a', svid: token });
  report('WAPI-36 ValidateJWTSVID accepts a fetched token',
         valid.response?.spiffe_id === ID('second'),
         valid.error ? `${codeName(valid.error.code)} ${valid.error.details}` : '');
  const fields = valid.response?.claims?.fields ?? {};
  const aud = fields.aud?.listValue?.values?.map((v) => v.stringValue);
  report('WAPI-37 claims: sub, aud as a list even for one audience, numeric exp',
         fields.sub?.stringValue === ID('second') && sameList(aud, ['svc-a']) &&
         typeof fields.exp?.numberValue === 'number' && fields.exp.numberValue > Date.now() / 1000);

  const [header, payload, signature] = token.split('.');
  const flipped = signature[5] === 'A' ? 'B' : 'A';
  const tampered = [header, payload,
                    signature.slice(0, 5) + flipped + signature.slice(6)].join('.');
  expectError('WAPI-36 a tampered token is refused',
              await unary(client, 'ValidateJWTSVID', { audience: 'svc-a', svid: tampered }),
              'INVALID_ARGUMENT');
  expectError('WAPI-36 a token for another audience is refused',
              await unary(client, 'ValidateJWTSVID', { audience: 'svc-z', svid: token }),
              'INVALID_ARGUMENT');
}

async function checkWit(client) {
  expectError('WAPI-15 FetchWITSVID is unimplemented',
              await openStream(client, 'FetchWITSVID', {}).next(), 'UNIMPLEMENTED');
  expectError('WAPI-15 FetchWITBundles is unimplemented',
              await openStream(client, 'FetchWITBundles', {}).next(), 'UNIMPLEMENTED');
}

function probeAs(uid, socket, method, request = {}) {
  const run = spawnSync('setpriv', [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups',
                                    process.execPath, fileURLToPath(import.meta.url), '--probe',
                                    socket, method, JSON.stringify(request)],
                        { encoding: 'utf8', timeout: 30000 });
  try {
    return JSON.parse(run.stdout.trim().split('\n').pop());
  } catch {
    return { code: 'PROBE_FAILED', details: `${run.status} ${run.stderr}` };
  }
}

function checkOtherUsers(socket) {
  if (process.getuid() !== 0) {
    skip('WAPI-10/12 callers under other uids', 'needs root to run clients as other users');
    return;
  }
  const nobody = probeAs(65534, socket, 'FetchX509SVID');
  report('WAPI-10 a caller running as nobody gets exactly its identity',
         nobody.code === 'OK' && sameList(nobody.spiffe_ids, [ID('nobody')]),
         JSON.stringify(nobody));
  for (const [method, request] of [['FetchX509SVID', {}], ['FetchX509Bundles', {}],
                                   ['FetchJWTBundles', {}], ['FetchJWTSVID', { audience: ['a'] }]]) {
    const denied = probeAs(4321, socket, method, request);
    report(`WAPI-12 ${method} for a caller without identities: PERMISSION_DENIED`,
           denied.code === 'PERMISSION_DENIED' && denied.details === NO_IDENTITY,
           JSON.stringify(denied));
  }
}

async function checkCancel(client, fixture) {
  const stream = openStream(client, 'FetchX509SVID');
  await stream.next();
  stream.cancel();
  const ended = await stream.next();
  report('a cancelled stream ends with CANCELLED on the client',
         ended.error !== undefined && ended.error.code === grpc.status.CANCELLED);
  const released = await waitFor(async () => {
    const stats = await fixture.command('stats');
    return stats.open_streams === 0 && stats.subscribers === 0;
  });
  report('the server releases a cancelled stream', released);
}

async function checkIdentityLoss(client, fixture) {
  const stream = openStream(client, 'FetchX509SVID');
  await stream.next();
  await fixture.command('remove e-default');
  const after = await stream.next();
  // With e-default gone, e-dup's hint "default" is no longer a repeat (WAPI-26).
  report('WAPI-17 removing one identity pushes the remaining ones',
         sameList(after.message?.svids.map((s) => s.spiffe_id) ?? [], [ID('second'), ID('dup')]));
  await fixture.command('remove e-second');
  await stream.next();
  await fixture.command('remove e-dup');
  let end = await stream.next();
  while (end.message) {
    end = await stream.next();
  }
  expectError('WAPI-21 losing every identity ends the stream with PERMISSION_DENIED', end,
              'PERMISSION_DENIED', NO_IDENTITY);
  await fixture.command('restore');
}

async function checkShutdown(client, fixture) {
  const stream = openStream(client, 'FetchX509SVID');
  const first = await stream.next();
  fixture.child.stdin.write('shutdown\n');
  const end = await stream.next();
  report('a stream open at shutdown ends with UNAVAILABLE', first.message !== undefined &&
         end.error?.code === grpc.status.UNAVAILABLE,
         end.error ? codeName(end.error.code) : 'no error');
  await fixture.nextLine();
  const exited = await new Promise((resolve) => {
    if (fixture.child.exitCode !== null) {
      resolve(fixture.child.exitCode);
    } else {
      fixture.child.once('exit', (code) => resolve(code));
    }
  });
  report('the fixture exits cleanly after shutdown', exited === 0, `exit ${exited}`);
}

// ---- main ----
const binary = process.argv[2];
if (!binary) {
  console.error('FAIL: usage: node workload_api_conformance.mjs <path to workload_api_fixture>');
  process.exit(1);
}
const fixture = startFixture(binary);
fixture.child.on('error', (err) => {
  console.error(`FAIL: cannot start ${binary}: ${err.message}`);
  process.exit(1);
});
const info = await fixture.nextLine();
const client = newClient(info.socket);

await checkReflection(info.socket);
await checkSecurityHeader(client);
await checkX509Svid(client, info, fixture);
const jwks = await checkBundles(client, info);
const token = await checkJwtSvid(client, jwks);
await checkValidate(client, token);
await checkWit(client);
checkOtherUsers(info.socket);
await checkCancel(client, fixture);
await checkIdentityLoss(client, fixture);
await checkShutdown(client, fixture);
client.close();

console.log(failures === 0 ? 'all Workload API conformance checks passed'
                           : `${failures} Workload API conformance check(s) failed`);
process.exit(failures === 0 ? 0 : 1);
