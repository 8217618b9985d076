// A wallet, played by third-party libraries, answering a verifier's presentation
// request:
//
// - OpenID4VP 1.0 with the OpenWallet Foundation's @openid4vc/openid4vp (the library
//   inside Credo / Paradym): parse the openid4vp:// request, resolve it (fetching and
//   verifying a signed request object when the request is by reference), pick the
//   credentials the DCQL query asks for with the OWF's dcql library, and send the
//   Authorization Response with direct_post.
// - A VC-API exchange as the DCC Learner Credential Wallet runs it (app/lib/exchanges
//   in its source): POST {} to the exchange URL from the deep link's
//   request.protocols.vcapi, read the VerifiablePresentationRequest, answer
//   DIDAuthentication + QueryByExample with one presentation signed for
//   authentication with the request's challenge and domain, POST it back.
//
// The presentation is signed by Digital Bazaar's vc library with the holder's key.
// For a DCQL query of format dc+sd-jwt, the wallet holds SD-JWT VCs ("sdJwts": [{token,
// holderJwk (private P-256 JWK)}]): dcql picks the one each query asks for by vct and
// claims, and the OpenWallet Foundation's @sd-jwt/sd-jwt-vc presents it with only the
// claims the query names disclosed, and a KB-JWT (nonce = the request's nonce, aud =
// its client_id; OpenID4VP 1.0 Appendix B.3.6) signed with the holder's key.
//
// Input: one JSON job on stdin. Output: one JSON object on stdout.
//   {"op": "openid4vp", "request": "openid4vp://…", "key": {publicKeyMultibase,
//    secretKeyMultibase}, "credentials": [...], "override": {challenge?, domain?,
//    holder?, nonce?, aud?}, "replay": bool, "sdJwts": [{token, holderJwk}]}
//   {"op": "vcapi", "request": "https://lcw.app/request.html?request=…", ...same}
import {createHash, createPublicKey, verify as cryptoVerify} from 'node:crypto';

import {Openid4vpClient} from '@openid4vc/openid4vp';
import {digest, ES256} from '@sd-jwt/crypto-nodejs';
import {SDJwtVcInstance} from '@sd-jwt/sd-jwt-vc';
import {setGlobalConfig} from '@openid4vc/utils';
import {DcqlQuery} from 'dcql';
import jsonld from 'jsonld';
import {decode as base58Decode} from 'base58-universal';

import {
  createDocumentLoader, createSignSuite, importKey, toJSONSafe, vc
} from './lib.mjs';

// The test server speaks plain http on a loopback address.
setGlobalConfig({allowInsecureUrls: true});

const documentLoader = createDocumentLoader();

function base64url(bytes) {
  return Buffer.from(bytes).toString('base64url');
}

/** An Ed25519 did:key DID URL -> a Node public key (multicodec 0xed01 + 32 bytes). */
function didKeyPublicKey(didUrl) {
  const did = didUrl.split('#')[0];
  if(!did.startsWith('did:key:z')) {
    throw new Error(`only did:key is resolved here, not ${did}`);
  }
  const bytes = base58Decode(did.slice('did:key:z'.length));
  if(bytes[0] !== 0xed || bytes[1] !== 0x01 || bytes.length !== 34) {
    throw new Error(`${did} is not an Ed25519 did:key`);
  }
  return createPublicKey({
    key: {kty: 'OKP', crv: 'Ed25519', x: base64url(bytes.slice(2))},
    format: 'jwk'
  });
}

const callbacks = {
  fetch: (...args) => fetch(...args),
  hash: (data, alg) => {
    const name = {'sha-256': 'sha256', 'sha-384': 'sha384', 'sha-512': 'sha512'}[alg] ??
      'sha256';
    return new Uint8Array(createHash(name).update(data).digest());
  },
  generateRandom: bytes => crypto.getRandomValues(new Uint8Array(bytes)),
  verifyJwt: async (signer, {compact}) => {
    if(signer.method !== 'did') {
      return {verified: false};
    }
    if(signer.alg !== 'EdDSA' && signer.alg !== 'Ed25519') {
      return {verified: false};
    }
    const [header, payload, signature] = compact.split('.');
    const key = didKeyPublicKey(signer.didUrl);
    const verified = cryptoVerify(
      null, Buffer.from(`${header}.${payload}`), key,
      Buffer.from(signature, 'base64url'));
    const jwk = key.export({format: 'jwk'});
    return verified ? {verified: true, signerJwk: jwk} : {verified: false};
  }
};

async function expandedTypes(credential) {
  const [expanded] = await jsonld.expand(credential, {documentLoader, safe: false});
  return expanded['@type'];
}

async function signPresentation({credentials, key, challenge, domain, holder}) {
  const keyPair = await importKey(key);
  const presentation = vc.createPresentation({
    verifiableCredential: credentials,
    holder: holder ?? keyPair.controller
  });
  const suite = createSignSuite({keyPair, cryptosuite: 'eddsa-rdfc-2022'});
  return vc.signPresentation({presentation, suite, challenge, domain, documentLoader});
}

// A presentation frame (@sd-jwt/present) disclosing what DCQL claims paths name: a name
// is an object member, an index an array element, null every element.
function frameFor(paths, claims) {
  const frame = {};
  const mark = (target, value, path) => {
    const [head, ...rest] = path;
    const keys = head === null ?
      (Array.isArray(value) ? value.map((_v, i) => i) : []) : [head];
    for(const key of keys) {
      if(value === undefined || value === null || !(key in Object(value))) {
        continue;
      }
      if(!rest.length) {
        target[key] = true;
      } else {
        target[key] = typeof target[key] === 'object' ? target[key] : {};
        mark(target[key], value[key], rest);
      }
    }
  };
  for(const path of paths) {
    mark(frame, claims, path);
  }
  return frame;
}

async function answerSdJwt(job, client, request, query) {
  const vc = new SDJwtVcInstance({hasher: digest});
  const held = [];
  for(const item of job.sdJwts) {
    const claims = await vc.getClaims(item.token);
    held.push({
      credential_format: 'dc+sd-jwt', vct: claims.vct, claims,
      cryptographic_holder_binding: true
    });
  }
  const matched = DcqlQuery.query(query, held);
  const out = {canBeSatisfied: matched.can_be_satisfied};
  if(!matched.can_be_satisfied && !job.sendAnyway) {
    const response = await fetch(request.response_uri, {
      method: 'POST',
      headers: {'Content-Type': 'application/x-www-form-urlencoded'},
      body: new URLSearchParams({error: 'access_denied', state: request.state ?? ''})
    });
    return {...out, status: response.status, body: await response.json()};
  }
  const override = job.override ?? {};
  const vpToken = {};
  const frames = {};
  for(const credentialQuery of query.credentials) {
    const match = matched.credential_matches[credentialQuery.id];
    const index = match?.success ? match.valid_credentials[0].input_credential_index :
      (job.sendAnyway ? 0 : undefined);
    if(index === undefined) {
      continue;
    }
    const paths = job.disclose ?? (credentialQuery.claims ?? []).map(c => c.path);
    const frame = frameFor(paths, held[index].claims);
    const holder = new SDJwtVcInstance({
      hasher: digest, kbSignAlg: ES256.alg,
      kbSigner: await ES256.getSigner(job.sdJwts[index].holderJwk)
    });
    const presentation = await holder.present(job.sdJwts[index].token, frame, {
      kb: {payload: {
        iat: Math.floor(Date.now() / 1000),
        aud: override.aud ?? request.client_id,
        nonce: override.nonce ?? request.nonce
      }}
    });
    vpToken[credentialQuery.id] = [presentation];
    frames[credentialQuery.id] = frame;
  }
  const {authorizationResponsePayload} = await client.createOpenid4vpAuthorizationResponse({
    authorizationRequestPayload: request,
    authorizationResponsePayload: {vp_token: vpToken}
  });
  const {response} = await client.submitOpenid4vpAuthorizationResponse({
    authorizationRequestPayload: request,
    authorizationResponsePayload
  });
  return {...out, status: response.status, body: await response.json(), vpToken, frames};
}

async function answerOpenid4vp(job) {
  const client = new Openid4vpClient({callbacks});
  const parsed = client.parseOpenid4vpAuthorizationRequest({
    authorizationRequest: job.request
  });
  const resolved = await client.resolveOpenId4vpAuthorizationRequest({
    authorizationRequestPayload: parsed.params
  });
  const request = resolved.authorizationRequestPayload;

  // What the wallet holds, as DCQL sees it: the fully expanded types, the claims.
  const held = [];
  for(const credential of job.credentials ?? []) {
    held.push({
      credential_format: 'ldp_vc',
      type: await expandedTypes(credential),
      claims: credential,
      cryptographic_holder_binding: true
    });
  }
  const query = DcqlQuery.parse(resolved.dcql.query);
  DcqlQuery.validate(query);
  const resolvedSummary = {
    client_id: request.client_id,
    nonce: request.nonce,
    state: request.state,
    dcql: resolved.dcql.query
  };
  if(query.credentials.some(c => c.format === 'dc+sd-jwt')) {
    return {resolved: resolvedSummary, ...(await answerSdJwt(job, client, request, query))};
  }
  const matched = DcqlQuery.query(query, held);
  const out = {
    resolved: {
      client_id: request.client_id,
      clientPrefix: resolved.client.prefix,
      nonce: request.nonce,
      response_uri: request.response_uri,
      response_mode: request.response_mode,
      state: request.state,
      version: resolved.version,
      signedRequest: resolved.jar !== undefined,
      jarTyp: resolved.jar?.jwt?.header?.typ ?? null,
      jarKid: resolved.jar?.jwt?.header?.kid ?? null,
      clientMetadata: request.client_metadata ?? null,
      dcql: resolved.dcql.query
    },
    canBeSatisfied: matched.can_be_satisfied
  };
  if(!matched.can_be_satisfied && !job.sendAnyway) {
    // OpenID4VP 1.0 §8.5: nothing to send; tell the verifier.
    const response = await fetch(request.response_uri, {
      method: 'POST',
      headers: {'Content-Type': 'application/x-www-form-urlencoded'},
      body: new URLSearchParams({error: 'access_denied', state: request.state ?? ''})
    });
    out.status = response.status;
    out.body = await response.json();
    return out;
  }
  // Every credential that matches some credential query goes into one presentation,
  // sent under each query id it answers (ldp_vp: one presentation may answer many).
  const chosen = new Set();
  const answered = [];
  for(const [queryId, match] of Object.entries(matched.credential_matches)) {
    if(!match.success) {
      continue;
    }
    answered.push(queryId);
    for(const valid of match.valid_credentials ?? []) {
      chosen.add(valid.input_credential_index);
    }
  }
  const credentials = job.sendAnyway ? job.credentials :
    [...chosen].sort().map(i => job.credentials[i]);
  const override = job.override ?? {};
  const presentation = await signPresentation({
    credentials,
    key: job.key,
    // OpenID4VP 1.0 Appendix B.1.3.2.5: challenge = nonce, domain = the client_id.
    challenge: override.challenge ?? request.nonce,
    domain: override.domain ?? request.client_id,
    holder: override.holder
  });
  const ids = job.sendAnyway ? Object.keys(matched.credential_matches) : answered;
  const vpToken = Object.fromEntries(ids.map(id => [id, [presentation]]));
  const {authorizationResponsePayload} = await client.createOpenid4vpAuthorizationResponse({
    authorizationRequestPayload: request,
    authorizationResponsePayload: {vp_token: vpToken}
  });
  const submit = async () => {
    const {response} = await client.submitOpenid4vpAuthorizationResponse({
      authorizationRequestPayload: request,
      authorizationResponsePayload
    });
    return {status: response.status, body: await response.json()};
  };
  Object.assign(out, await submit());
  out.presentation = presentation;
  if(job.replay) {
    out.replay = await submit();
  }
  return out;
}

// LCW's QueryByExample matching (app/lib/exchanges.ts, credentialMatchesVprExampleQuery):
// every key of the example must match — an array by containing each (literal) member,
// an object recursively, a literal by equality.
function matchesExample(example, value) {
  return Object.entries(example).every(([key, wanted]) => {
    const scope = value?.[key];
    if(Array.isArray(wanted)) {
      return Array.isArray(scope) && wanted.every(w => scope.includes(w));
    }
    if(typeof wanted === 'object' && wanted !== null) {
      return matchesExample(wanted, scope);
    }
    return scope === wanted;
  });
}

async function answerVcapi(job) {
  // LCW: the deep link's `request` names the origin and the exchange URL.
  const link = new URL(job.request);
  const request = JSON.parse(link.searchParams.get('request'));
  const exchangeUrl = request.protocols.vcapi;
  const post = async (url, body) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: {'Content-Type': 'application/json'},
      body: JSON.stringify(body, null, 2)
    });
    return {status: response.status, body: await response.json()};
  };
  // handleVcApiExchangeComplete: POST {} first.
  const started = await post(exchangeUrl, {});
  if(started.status !== 200 || !started.body.verifiablePresentationRequest) {
    return {started};
  }
  const vpr = started.body.verifiablePresentationRequest;
  let signed = false;
  let credentials = [];
  for(const query of [].concat(vpr.query)) {
    if(query.type === 'DIDAuthentication' || query.type === 'DIDAuth') {
      signed = true;
    } else if(query.type === 'QueryByExample') {
      const example = query.credentialQuery?.example;
      if(example) {
        credentials = credentials.concat(
          job.credentials.filter(c => matchesExample(example, c)));
      }
    }
  }
  credentials = [...new Set(credentials)];
  if(job.sendAnyway) {
    credentials = job.credentials;
  }
  // constructExchangeRequest: vc.createPresentation({holder, verifiableCredential}),
  // signed with LCW's suite, Ed25519Signature2020, for the challenge and domain.
  const keyPair = await importKey(job.key);
  const override = job.override ?? {};
  const presentation = vc.createPresentation({
    verifiableCredential: credentials.length ? credentials : undefined,
    holder: override.holder ?? keyPair.controller
  });
  const suite = createSignSuite({keyPair, cryptosuite: 'Ed25519Signature2020'});
  const signedPresentation = signed ? await vc.signPresentation({
    presentation, suite, documentLoader,
    challenge: override.challenge ?? vpr.challenge,
    domain: override.domain ?? vpr.domain
  }) : presentation;
  const endpoint = vpr.interact?.service?.[0]?.serviceEndpoint ?? exchangeUrl;
  const answered = await post(endpoint, {verifiablePresentation: signedPresentation});
  const out = {vpr, ...answered, presentation: signedPresentation, matched: credentials.length};
  if(job.replay) {
    out.replay = await post(endpoint, {verifiablePresentation: signedPresentation});
  }
  return out;
}

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  const job = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  let out;
  try {
    const answer = job.op === 'vcapi' ? answerVcapi : answerOpenid4vp;
    out = {ok: true, ...(await answer(job))};
  } catch(e) {
    out = {ok: false, error: e.message, errorDetail: toJSONSafe(e)};
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}

await main();
