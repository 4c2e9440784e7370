// JWT-SVID interoperability between Sigil and an independent JOSE implementation (panva's
// jose). Both directions:
//   1. Sigil signs ES256, ES384, RS256 and PS256 JWT-SVIDs and publishes its JWKS; jose must
//      verify each against that JWKS with the right audience, and must reject a tampered token
//      and a wrong audience.
//   2. jose signs tokens; Sigil's validator must accept the ES256 ones and reject HS256 (keyed
//      with the public key, the classic confusion), a wrong audience, an expired token and a
//      WIT-typed token.
// Usage: node jose_interop.mjs <path to jwt_interop>. Exits 1 if any expectation fails.
// Tokens are bearer credentials: this script never prints one.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let jose;
try {
  jose = await import('jose');
} catch {
  console.error('FAIL: the npm package "jose" is not installed (conformance/node_modules is ' +
                'missing). Run `npm ci` in conformance/ (scripts/setup does this).');
  process.exit(1);
}

const interop = process.argv[2];
if (!interop) {
  console.error('FAIL: usage: node jose_interop.mjs <path to jwt_interop>');
  process.exit(1);
}

const SUBJECT = 'spiffe://sigil.test/workload';
const AUDIENCE = 'spiffe-conformance';
let failures = 0;

function report(name, ok, detail = '') {
  console.log(`${ok ? 'PASS' : 'FAIL'} ${name}${detail ? `: ${detail}` : ''}`);
  if (!ok) {
    failures += 1;
  }
}

async function expectVerified(name, token, jwks, options, check) {
  try {
    const { payload, protectedHeader } = await jose.jwtVerify(token, jwks, options);
    const problem = check(payload, protectedHeader);
    report(name, problem === '', problem);
  } catch (err) {
    report(name, false, `jose rejected it: ${err.code ?? err.name}`);
  }
}

async function expectRejected(name, token, jwks, options, wantCode) {
  try {
    await jose.jwtVerify(token, jwks, options);
    report(name, false, 'jose accepted it');
  } catch (err) {
    report(name, err.code === wantCode, `${err.code ?? err.name} (want ${wantCode})`);
  }
}

function replacePayload(token, claims) {
  const [header, , signature] = token.split('.');
  return [header, jose.base64url.encode(JSON.stringify(claims)), signature].join('.');
}

// ---- 1. Sigil issues, jose verifies ----
async function sigilToJose(dir) {
  const issued = spawnSync(interop, ['issue', dir], { encoding: 'utf8' });
  if (issued.status !== 0) {
    report('sigil issues tokens', false, `jwt_interop issue exited ${issued.status}: ${issued.stderr}`);
    return;
  }
  const jwks = jose.createLocalJWKSet(JSON.parse(readFileSync(join(dir, 'jwks.json'), 'utf8')));

  const cases = [
    ['es256.jwt', 'ES256', 'p256'],
    ['es384.jwt', 'ES384', 'p384'],
    ['rs256.jwt', 'RS256', 'rsa'],
    ['ps256.jwt', 'PS256', 'rsa'],
  ];
  for (const [file, alg, kid] of cases) {
    const token = readFileSync(join(dir, file), 'utf8');
    await expectVerified(`jose verifies Sigil ${alg}`, token, jwks,
                         { audience: AUDIENCE, algorithms: [alg], typ: 'JWT' },
                         (payload, header) => {
                           const headerNames = Object.keys(header).sort().join(',');
                           if (headerNames !== 'alg,kid,typ') return `header members ${headerNames}`;
                           if (header.kid !== kid) return `kid ${header.kid}, want ${kid}`;
                           if (payload.sub !== SUBJECT) return `sub ${payload.sub}`;
                           if (!Number.isInteger(payload.exp) || !Number.isInteger(payload.iat)) {
                             return 'exp/iat are not integers';
                           }
                           return '';
                         });
  }

  const es256 = readFileSync(join(dir, 'es256.jwt'), 'utf8');
  const claims = jose.decodeJwt(es256);
  await expectRejected('jose rejects Sigil token with tampered claims',
                       replacePayload(es256, { ...claims, sub: 'spiffe://sigil.test/admin' }),
                       jwks, { audience: AUDIENCE }, 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
  const flipped = es256.slice(0, -6) + (es256.at(-6) === 'A' ? 'B' : 'A') + es256.slice(-5);
  await expectRejected('jose rejects Sigil token with tampered signature', flipped, jwks,
                       { audience: AUDIENCE }, 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
  await expectRejected('jose rejects Sigil token for another audience', es256, jwks,
                       { audience: 'someone-else' }, 'ERR_JWT_CLAIM_VALIDATION_FAILED');
}

// ---- 2. jose issues, Sigil validates ----
function sigilCheck(name, dir, file, expectation, audience = 'sigil') {
  const result = spawnSync(interop, ['check', join(dir, 'jose_jwks.json'), audience,
                                     join(dir, file), expectation], { encoding: 'utf8' });
  const outcome = (result.stdout || result.stderr || '').trim();
  report(name, result.status === 0, outcome);
}

async function joseToSigil(dir) {
  const { publicKey, privateKey } = await jose.generateKeyPair('ES256');
  const jwk = await jose.exportJWK(publicKey);
  writeFileSync(join(dir, 'jose_jwks.json'), JSON.stringify({ keys: [{ ...jwk, kid: 'jose-1' }] }));

  const now = Math.floor(Date.now() / 1000);
  const sign = (header, { aud = 'sigil', iat = now, exp = now + 300, key = privateKey } = {}) =>
    new jose.SignJWT({})
      .setProtectedHeader(header)
      .setSubject('spiffe://jose.test/workload')
      .setAudience(aud)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(key);
  const es256 = { alg: 'ES256', kid: 'jose-1', typ: 'JWT' };
  const write = async (file, token) => writeFileSync(join(dir, file), await token);

  await write('jose_es256.jwt', sign(es256));
  await write('jose_es256_multi_aud.jwt', sign(es256, { aud: ['other', 'sigil'] }));
  await write('jose_es256_no_kid.jwt', sign({ alg: 'ES256' }));
  await write('jose_es256_wrong_aud.jwt', sign(es256, { aud: 'other' }));
  await write('jose_es256_expired.jwt', sign(es256, { iat: now - 7200, exp: now - 3600 }));
  await write('jose_es256_wit.jwt', sign({ ...es256, typ: 'wit+jwt' }));
  const spki = new TextEncoder().encode(await jose.exportSPKI(publicKey));
  await write('jose_hs256.jwt', sign({ alg: 'HS256', kid: 'jose-1', typ: 'JWT' }, { key: spki }));

  sigilCheck('Sigil accepts jose ES256', dir, 'jose_es256.jwt', 'accept');
  sigilCheck('Sigil accepts jose ES256 with an audience array', dir, 'jose_es256_multi_aud.jwt',
             'accept');
  sigilCheck('Sigil accepts jose ES256 without kid (one key)', dir, 'jose_es256_no_kid.jwt',
             'accept');
  sigilCheck('Sigil rejects jose HS256 keyed with the public key', dir, 'jose_hs256.jwt', 'reject');
  sigilCheck('Sigil rejects jose ES256 for another audience', dir, 'jose_es256_wrong_aud.jwt',
             'reject');
  sigilCheck('Sigil rejects expired jose ES256', dir, 'jose_es256_expired.jwt', 'reject');
  sigilCheck('Sigil rejects jose token typed wit+jwt', dir, 'jose_es256_wit.jwt', 'reject');
}

const dir = mkdtempSync(join(tmpdir(), 'sigil-jwt-interop-'));
try {
  await sigilToJose(dir);
  await joseToSigil(dir);
} catch (err) {
  report('interop run', false, `${err.name}: ${err.message}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(failures === 0 ? 'all JWT interop expectations met' : `${failures} expectation(s) failed`);
process.exit(failures === 0 ? 0 : 1);
