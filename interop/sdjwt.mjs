#!/usr/bin/env node
// Line-oriented JSON server around the OpenWallet Foundation's TypeScript
// SD-JWT libraries (@sd-jwt/sd-jwt-vc, @sd-jwt/jwt-status-list, @sd-jwt/core,
// @sd-jwt/crypto-nodejs). Same protocol as vc.mjs: one JSON request per line
// on stdin -> one JSON response per line on stdout, in order. See README.md.
//
// Nothing here touches the network: issuer keys, trusted roots, status list
// tokens and type metadata all come in the request; the library's own
// fetchers (which would call fetch()) are always replaced.
import {randomBytes, X509Certificate} from 'node:crypto';
import {readFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

import {Jwt, SDJwtInstance} from '@sd-jwt/core';
import {digest, ES256} from '@sd-jwt/crypto-nodejs';
import {
  createHeaderAndPayload, getListFromStatusListJWT, getStatusListFromJWT,
  StatusList
} from '@sd-jwt/jwt-status-list';
import {SDJwtVcInstance} from '@sd-jwt/sd-jwt-vc';

import {requireObject, serve} from './protocol.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const PACKAGES = [
  '@sd-jwt/sd-jwt-vc', '@sd-jwt/jwt-status-list', '@sd-jwt/core',
  '@sd-jwt/crypto-nodejs', '@sd-jwt/utils', '@sd-jwt/decode',
  '@sd-jwt/present', '@sd-jwt/types'
];

function packageVersions() {
  const out = {};
  for(const name of PACKAGES) {
    try {
      out[name] = JSON.parse(readFileSync(
        join(HERE, 'node_modules', name, 'package.json'), 'utf8')).version;
    } catch{
      out[name] = null;
    }
  }
  return out;
}

function errorMessage(e) {
  if(e instanceof Error) {
    return e.message || String(e);
  }
  return typeof e === 'string' ? e : JSON.stringify(e);
}

function requireString(value, name) {
  if(typeof value !== 'string' || !value) {
    throw new TypeError(`"${name}" must be a non-empty string.`);
  }
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

// crypto-nodejs's generateSalt(16) returns 16 hex characters (64 bits); the
// SD-JWT RFC (section 9.3) recommends 128 bits, so salts here are 16 random
// bytes, base64url-encoded.
const saltGenerator = () => randomBytes(16).toString('base64url');

function decodeSegment(segment) {
  return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
}

// The issuer-signed JWT of an SD-JWT (everything before the first "~").
function jwtHeader(token) {
  return decodeSegment(token.split('~')[0].split('.')[0]);
}

function publicJwk(jwk) {
  requireObject(jwk, 'jwk');
  const {kty, crv, x, y} = jwk;
  return {kty, crv, x, y};
}

// ------------------------------------------------------------------ x5c
// The libraries do not look at `x5c` at all: the verifier callback gets only
// the signing input and the signature. The chain is checked here with Node's
// X509Certificate: each certificate is signed by the next one, every issuer is
// a CA, every certificate is within its validity period, and the last one is
// a trusted root or signed by one. The leaf's public key then verifies.

function parseCertificate(text) {
  const trimmed = text.trim();
  if(trimmed.startsWith('-----BEGIN')) {
    return new X509Certificate(trimmed);
  }
  return new X509Certificate(Buffer.from(trimmed, 'base64'));
}

function checkValidity(cert, at) {
  const when = at * 1000;
  if(Date.parse(cert.validFrom) > when || Date.parse(cert.validTo) < when) {
    throw new Error(`certificate "${cert.subject}" is not valid at ` +
      new Date(when).toISOString());
  }
}

function signedBy(cert, issuer) {
  return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
}

function leafKeyFromChain(x5c, trustedCertificates, at) {
  if(!Array.isArray(x5c) || x5c.length === 0) {
    throw new Error('the JWT header has no "x5c" but trusted certificates ' +
      'were given');
  }
  if(!Array.isArray(trustedCertificates) || !trustedCertificates.length) {
    throw new Error('"trustedCertificates" must be a non-empty array');
  }
  const chain = x5c.map(c => new X509Certificate(Buffer.from(c, 'base64')));
  const roots = trustedCertificates.map(parseCertificate);
  for(let i = 0; i < chain.length; i++) {
    checkValidity(chain[i], at);
    if(i + 1 < chain.length) {
      if(!chain[i + 1].ca) {
        throw new Error(`x5c[${i + 1}] is not a CA certificate`);
      }
      if(!signedBy(chain[i], chain[i + 1])) {
        throw new Error(`x5c[${i}] is not signed by x5c[${i + 1}]`);
      }
    }
  }
  const last = chain[chain.length - 1];
  const anchored = roots.some(root => {
    if(root.fingerprint256 === last.fingerprint256) {
      return true;
    }
    if(!root.ca || !signedBy(last, root)) {
      return false;
    }
    checkValidity(root, at);
    return true;
  });
  if(!anchored) {
    throw new Error('the x5c chain does not lead to a trusted certificate');
  }
  return chain[0].publicKey.export({format: 'jwk'});
}

// The key that verifies a JWT: the given JWK, or the x5c leaf.
function resolveKey({header, jwk, trustedCertificates, at, what}) {
  if(trustedCertificates !== undefined) {
    return leafKeyFromChain(header.x5c, trustedCertificates, at);
  }
  if(jwk === undefined) {
    throw new Error(`no key for the ${what}: give a JWK or ` +
      '"trustedCertificates"');
  }
  return publicJwk(jwk);
}

async function signerFor(privateJwk, name) {
  requireObject(privateJwk, name);
  if(typeof privateJwk.d !== 'string') {
    throw new TypeError(`"${name}" must be a private JWK (with "d").`);
  }
  return ES256.getSigner(privateJwk);
}

// RFC 9901 section 7.1: every Disclosure must be referenced by exactly one
// digest in the Issuer-signed JWT (directly or through another Disclosure),
// and no digest may appear twice. @sd-jwt/core 0.19.0 silently drops a
// Disclosure it cannot place (a tampered or foreign one) and accepts
// duplicates, so the harness checks this itself and says so in `checks`.
function checkDisclosureReferences(token) {
  const [jwt, ...rest] = token.split('~');
  const disclosures = rest.slice(0, -1).filter(d => d !== '');
  const payload = decodeSegment(jwt.split('.')[1]);
  const alg = payload._sd_alg ?? 'sha-256';
  const byDigest = new Map();
  for(const d of disclosures) {
    const key = Buffer.from(digest(d, alg)).toString('base64url');
    if(byDigest.has(key)) {
      throw new Error('harness (RFC 9901 7.1): a Disclosure is repeated');
    }
    byDigest.set(key, d);
  }
  const seen = new Set();
  const reference = value => {
    if(seen.has(value)) {
      throw new Error('harness (RFC 9901 7.1): a digest appears twice');
    }
    seen.add(value);
    const d = byDigest.get(value);
    if(d !== undefined) {
      const parts = decodeSegment(d);
      walk(parts[parts.length - 1]);
    }
  };
  const walk = node => {
    if(Array.isArray(node)) {
      for(const item of node) {
        if(item && typeof item === 'object' && !Array.isArray(item) &&
          Object.keys(item).length === 1 && typeof item['...'] === 'string') {
          reference(item['...']);
        } else {
          walk(item);
        }
      }
    } else if(node && typeof node === 'object') {
      for(const [k, v] of Object.entries(node)) {
        if(k === '_sd' && Array.isArray(v)) {
          v.forEach(reference);
        } else {
          walk(v);
        }
      }
    }
  };
  walk(payload);
  const unreferenced = [...byDigest.keys()].filter(k => !seen.has(k));
  if(unreferenced.length) {
    throw new Error(`harness (RFC 9901 7.1): ${unreferenced.length} ` +
      'Disclosure(s) not referenced by any digest');
  }
}

// ------------------------------------------------------------------ issue

async function issue(req) {
  requireString(req.iss, 'iss');
  requireString(req.vct, 'vct');
  const signer = await signerFor(req.issuerJwk, 'issuerJwk');
  const sdjwt = new SDJwtVcInstance({
    signer, signAlg: ES256.alg, hasher: digest, hashAlg: 'sha-256',
    saltGenerator
  });
  const payload = {
    ...(req.claims ?? {}),
    iss: req.iss,
    vct: req.vct,
    iat: req.iat ?? nowSeconds()
  };
  for(const name of ['exp', 'nbf', 'sub']) {
    if(req[name] !== undefined) {
      payload[name] = req[name];
    }
  }
  if(req.holderJwk !== undefined) {
    payload.cnf = {jwk: publicJwk(req.holderJwk)};
  }
  if(req.status !== undefined) {
    requireObject(req.status, 'status');
    payload.status = {status_list: {idx: req.status.idx, uri: req.status.uri}};
  }
  const header = {};
  if(req.x5c !== undefined) {
    header.x5c = req.x5c;
  }
  if(req.kid !== undefined) {
    header.kid = req.kid;
  }
  const token = await sdjwt.issue(payload, req.disclosureFrame, {header});
  return {ok: true, token};
}

// ---------------------------------------------------------------- present

async function present(req) {
  requireString(req.token, 'token');
  requireString(req.nonce, 'nonce');
  requireString(req.aud, 'aud');
  const kbSigner = await signerFor(req.holderJwk, 'holderJwk');
  const sdjwt = new SDJwtVcInstance({
    hasher: digest, kbSigner, kbSignAlg: ES256.alg
  });
  const presentation = await sdjwt.present(
    req.token, req.presentationFrame ?? {},
    {kb: {payload: {iat: req.iat ?? nowSeconds(), aud: req.aud,
      nonce: req.nonce}}});
  return {ok: true, presentation};
}

// ----------------------------------------------------------------- verify

async function verify(req) {
  requireString(req.token, 'token');
  const requireKeyBinding = req.requireKeyBinding === true;
  if(requireKeyBinding) {
    requireString(req.nonce, 'nonce');
    requireString(req.aud, 'aud');
  }
  const at = req.currentDate ?? nowSeconds();
  const statusTokens = req.statusListTokens ?? {};
  const vctMetadata = req.vctMetadata;
  const checks = {};
  let status;
  try {
    const header = jwtHeader(req.token);
    const issuerKey = resolveKey({header, jwk: req.issuerJwk,
      trustedCertificates: req.trustedCertificates, at, what: 'issuer'});
    const issuerVerifier = await ES256.getVerifier(issuerKey);
    checks.issuerKey = req.trustedCertificates !== undefined ? 'x5c' : 'jwk';
    // The status list token's key, found while fetching it (the verifier
    // callback does not see the JWT header, so x5c is resolved here).
    const statusKeys = new Map();
    const config = {
      hasher: digest,
      verifier: issuerVerifier,
      kbVerifier: async (data, signature, payload) => {
        if(!payload?.cnf?.jwk) {
          throw new Error('the credential has no cnf.jwk');
        }
        const v = await ES256.getVerifier(publicJwk(payload.cnf.jwk));
        return v(data, signature);
      },
      statusListFetcher: async uri => {
        const token = statusTokens[uri];
        if(typeof token !== 'string') {
          throw new Error(`status list token not supplied for ${uri}`);
        }
        const slHeader = decodeSegment(token.split('.')[0]);
        const key = resolveKey({header: slHeader,
          jwk: req.statusIssuerJwk ?? req.issuerJwk,
          trustedCertificates: req.statusTrustedCertificates ??
            req.trustedCertificates,
          at, what: 'status list token'});
        statusKeys.set(token.split('.').slice(0, 2).join('.'), key);
        return token;
      },
      statusVerifier: async (data, signature) => {
        const key = statusKeys.get(data);
        if(!key) {
          throw new Error('no key for the status list token');
        }
        return (await ES256.getVerifier(key))(data, signature);
      },
      statusValidator: async value => {
        status = {...getStatusListFromJWT(req.token.split('~')[0]), value};
        // The library's default: anything but 0 (VALID) fails verification.
        if(value !== 0) {
          throw new Error(`Status is not valid (status ${value})`);
        }
      }
    };
    if(vctMetadata !== undefined) {
      config.loadTypeMetadataFormat = true;
      config.vctFetcher = async uri => {
        if(!(uri in vctMetadata)) {
          throw new Error(`type metadata not supplied for ${uri}`);
        }
        return vctMetadata[uri];
      };
    }
    const sdjwt = new SDJwtVcInstance(config);
    const options = {currentDate: at};
    if(req.skewSeconds !== undefined) {
      options.skewSeconds = req.skewSeconds;
    }
    if(requireKeyBinding) {
      options.keyBindingNonce = req.nonce;
    }
    if(req.requiredClaimKeys !== undefined) {
      options.requiredClaimKeys = req.requiredClaimKeys;
    }
    const result = await sdjwt.verify(req.token, options);
    checks.library = 'verified';
    checkDisclosureReferences(req.token);
    checks.disclosures = 'all referenced once (harness)';
    checks.status = status === undefined ? 'none' : 'checked';
    if(requireKeyBinding) {
      // The library compares only the KB-JWT nonce (and sd_hash); it never
      // compares "aud" with the expected audience, so the harness does.
      if(result.kb?.payload?.aud !== req.aud) {
        throw new Error(`Invalid audience in Key Binding JWT ` +
          `(${JSON.stringify(result.kb?.payload?.aud)})`);
      }
      checks.keyBinding = 'nonce+sd_hash by library, aud by harness';
    }
    const response = {ok: true, verified: true, payload: result.payload,
      header: result.header, checks};
    if(result.kb) {
      response.kb = {header: result.kb.header, payload: result.kb.payload};
    }
    if(result.typeMetadata) {
      response.typeMetadata = result.typeMetadata;
    }
    if(status !== undefined) {
      response.status = status;
    }
    return response;
  } catch(e) {
    const response = {ok: true, verified: false, error: errorMessage(e),
      checks};
    if(e?.name) {
      response.errorName = e.name;
    }
    if(status !== undefined) {
      response.status = status;
    }
    return response;
  }
}

// ------------------------------------------------------------ status list

async function statusListCreate(req) {
  requireString(req.uri, 'uri');
  if(!Array.isArray(req.statuses)) {
    throw new TypeError('"statuses" must be an array of integers.');
  }
  const signer = await signerFor(req.issuerJwk, 'issuerJwk');
  const list = new StatusList(req.statuses, req.bits ?? 1);
  const payload = {sub: req.uri, iat: req.iat ?? nowSeconds()};
  if(req.exp !== undefined) {
    payload.exp = req.exp;
  }
  if(req.ttl !== undefined) {
    payload.ttl = req.ttl;
  }
  const header = {alg: ES256.alg};
  if(req.x5c !== undefined) {
    header.x5c = req.x5c;
  }
  if(req.kid !== undefined) {
    header.kid = req.kid;
  }
  const values = createHeaderAndPayload(list, payload, header);
  const jwt = new Jwt(values);
  await jwt.sign(signer);
  return {ok: true, token: jwt.encodeJwt()};
}

async function statusListVerify(req) {
  requireString(req.token, 'token');
  const at = req.currentDate ?? nowSeconds();
  try {
    const jwt = Jwt.fromEncode(req.token);
    const key = resolveKey({header: jwt.header, jwk: req.issuerJwk,
      trustedCertificates: req.trustedCertificates, at,
      what: 'status list token'});
    await jwt.verify(await ES256.getVerifier(key), {currentDate: at});
    const list = getListFromStatusListJWT(req.token);
    const response = {ok: true, verified: true, header: jwt.header,
      payload: jwt.payload, bits: list.getBitsPerStatus(),
      size: list.totalStatuses};
    if(Array.isArray(req.indices)) {
      response.statuses = req.indices.map(i => list.getStatus(i));
    } else {
      response.statuses = Array.from({length: list.totalStatuses},
        (_, i) => list.getStatus(i));
    }
    return response;
  } catch(e) {
    return {ok: true, verified: false, error: errorMessage(e)};
  }
}

// Decode without verifying: the disclosed claims as their library reads them.
async function decode(req) {
  requireString(req.token, 'token');
  const sdjwt = new SDJwtInstance({hasher: digest});
  const decoded = await sdjwt.decode(req.token);
  return {ok: true, header: decoded.jwt?.header, payload: decoded.jwt?.payload,
    claims: await sdjwt.getClaims(req.token),
    disclosures: (decoded.disclosures ?? []).map(d => d.encoded ?? d._encoded),
    keyBinding: decoded.kbJwt !== undefined};
}

await serve({
  'sdjwt.issue': issue,
  'sdjwt.present': present,
  'sdjwt.verify': verify,
  'sdjwt.decode': decode,
  'statuslist.create': statusListCreate,
  'statuslist.verify': statusListVerify
}, {packages: packageVersions, message: errorMessage});
