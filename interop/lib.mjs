// Shared pieces of the interop harness: an offline document loader, key
// import, Data Integrity suites and JSON-safe error serialization.
//
// Nothing here touches the network: contexts come from the project's
// contexts/ folder (index.json maps URL -> {file, sha256, source}), did:key
// is resolved locally, and anything else must be handed in by the caller.
import {createHash} from 'node:crypto';
import {readFileSync} from 'node:fs';
import {dirname, join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';

import * as vc from '@digitalbazaar/vc';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import * as didKey from '@digitalbazaar/did-method-key';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022CryptoSuite} from
  '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {
  createSignCryptosuite as createJcsSignCryptosuite,
  createVerifyCryptosuite as createJcsVerifyCryptosuite
} from '@digitalbazaar/eddsa-jcs-2022-cryptosuite';
import {checkStatus as bitstringCheckStatus} from
  '@digitalbazaar/vc-bitstring-status-list';
import {Ed25519Signature2020} from '@digitalbazaar/ed25519-signature-2020';
import {Ed25519Signature2018} from '@digitalbazaar/ed25519-signature-2018';
import {encode as base58Encode} from 'base58-universal';
import jsigs from 'jsonld-signatures';

export {vc, jsigs, bitstringCheckStatus};

const HERE = dirname(fileURLToPath(import.meta.url));

export const CRYPTOSUITES = ['eddsa-rdfc-2022', 'eddsa-jcs-2022'];
// Legacy (pre Data Integrity) proof type, also accepted by "cryptosuite".
export const LEGACY_SUITE = 'Ed25519Signature2020';

// Packages whose versions are reported by the bench and by `op: "versions"`.
export const PACKAGES = [
  '@digitalbazaar/vc',
  '@digitalbazaar/data-integrity',
  '@digitalbazaar/eddsa-rdfc-2022-cryptosuite',
  '@digitalbazaar/eddsa-jcs-2022-cryptosuite',
  '@digitalbazaar/ed25519-multikey',
  '@digitalbazaar/did-method-key',
  '@digitalbazaar/vc-bitstring-status-list',
  '@digitalbazaar/ed25519-signature-2020',
  '@digitalbazaar/ed25519-signature-2018',
  'jsonld',
  'jsonld-signatures',
  'rdf-canonize',
  'canonicalize'
];

export function packageVersions() {
  const out = {};
  for(const name of PACKAGES) {
    try {
      const pkg = JSON.parse(readFileSync(
        join(HERE, 'node_modules', name, 'package.json'), 'utf8'));
      out[name] = pkg.version;
    } catch{
      out[name] = null;
    }
  }
  return out;
}

// ---------------------------------------------------------------- contexts

/** Folder holding index.json and the context files. */
export function contextsDir() {
  return resolve(process.env.SKILLCRED_CONTEXTS_DIR || join(HERE, '..',
    'contexts'));
}

let _contexts = null; // Map url -> parsed document (loaded once)
let _contextsFrom = null;

function loadContexts() {
  const dir = contextsDir();
  if(_contexts && _contextsFrom === dir) {
    return _contexts;
  }
  const indexPath = join(dir, 'index.json');
  let index;
  try {
    index = JSON.parse(readFileSync(indexPath, 'utf8'));
  } catch(e) {
    throw new Error(`Cannot read the contexts index "${indexPath}": ` +
      e.message);
  }
  // index.json: url -> {file, sha256, source}; each file must have the
  // pinned sha256, as the Python loader checks too.
  const map = new Map();
  for(const [url, entry] of Object.entries(index)) {
    const file = entry && entry.file;
    if(typeof file !== 'string' || typeof entry.sha256 !== 'string') {
      throw new Error(`Contexts index "${indexPath}": the entry "${url}" ` +
        'must be an object with "file" and "sha256".');
    }
    const path = join(dir, file);
    let bytes;
    try {
      bytes = readFileSync(path);
    } catch(e) {
      throw new Error(`Cannot load context "${url}" from "${path}": ` +
        e.message);
    }
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if(sha256 !== entry.sha256) {
      throw new Error(`Context "${url}" in "${path}" has sha256 ${sha256}, ` +
        `but the index pins ${entry.sha256}: it will not be served.`);
    }
    try {
      map.set(url, JSON.parse(bytes.toString('utf8')));
    } catch(e) {
      throw new Error(`Cannot load context "${url}" from "${path}": ` +
        e.message);
    }
  }
  _contexts = map;
  _contextsFrom = dir;
  return map;
}

// ----------------------------------------------------------------- did:key

const didKeyDriver = didKey.driver();
didKeyDriver.use({
  multibaseMultikeyHeader: 'z6Mk',
  fromMultibase: Ed25519Multikey.from
});

// Find a verification method `url` (did#frag) inside a caller-supplied
// controller document.
function findMethod(doc, url) {
  const [base, frag] = url.split('#');
  const matches = m => m && typeof m === 'object' &&
    (m.id === url || m.id === `#${frag}` ||
      (doc.id === base && m.id === `${base}#${frag}`));
  const rels = ['verificationMethod', 'assertionMethod', 'authentication',
    'capabilityInvocation', 'capabilityDelegation', 'keyAgreement',
    'publicKey'];
  for(const rel of rels) {
    const values = [].concat(doc[rel] ?? []);
    const found = values.find(matches);
    if(found) {
      const method = {...found, id: url};
      if(!method.controller && doc.id) {
        method.controller = doc.id;
      }
      if(!method['@context'] && doc['@context']) {
        method['@context'] = doc['@context'];
      }
      return method;
    }
  }
  return null;
}

/**
 * Creates a JSON-LD document loader that only serves:
 * 1. the contexts listed in contexts/index.json,
 * 2. documents handed in by the caller (`documents`: url -> JSON),
 *    including verification methods found by fragment inside a supplied
 *    DID/controller document,
 * 3. did:key DIDs and their key ids (Ed25519 Multikey), resolved offline.
 * Everything else is refused.
 */
export function createDocumentLoader({documents = {}} = {}) {
  const contexts = loadContexts();
  const extra = new Map(Object.entries(documents || {}));
  return async function documentLoader(url) {
    const wrap = document => ({contextUrl: null, documentUrl: url, document});
    if(contexts.has(url)) {
      return wrap(contexts.get(url));
    }
    if(extra.has(url)) {
      return wrap(extra.get(url));
    }
    if(typeof url === 'string' && url.startsWith('did:key:')) {
      return wrap(await didKeyDriver.get({url}));
    }
    if(typeof url === 'string' && url.includes('#')) {
      const base = url.split('#')[0];
      if(extra.has(base)) {
        const method = findMethod(extra.get(base), url);
        if(method) {
          return wrap(method);
        }
      }
    }
    const error = new Error(
      `Document loader refused "${url}": not a local context, not a ` +
      'did:key and not supplied in "documents" (no network access).');
    error.name = 'NotFoundError';
    throw error;
  };
}

// --------------------------------------------------------------------- keys

/**
 * Imports {publicKeyMultibase, secretKeyMultibase|privateKeyMultibase,
 * controller?, id?}. Defaults: controller did:key:<pub>, id <controller>#<pub>.
 */
export async function importKey(key) {
  if(!key || typeof key.publicKeyMultibase !== 'string') {
    throw new TypeError('"key.publicKeyMultibase" is required.');
  }
  const secretKeyMultibase = key.secretKeyMultibase ?? key.privateKeyMultibase;
  if(typeof secretKeyMultibase !== 'string') {
    throw new TypeError(
      '"key.secretKeyMultibase" (or "privateKeyMultibase") is required.');
  }
  const controller = key.controller ?? `did:key:${key.publicKeyMultibase}`;
  const id = key.id ?? `${controller}#${key.publicKeyMultibase}`;
  return Ed25519Multikey.from({
    '@context': 'https://w3id.org/security/multikey/v1',
    type: 'Multikey',
    id,
    controller,
    publicKeyMultibase: key.publicKeyMultibase,
    secretKeyMultibase
  });
}

// ------------------------------------------------------------------- suites

/**
 * A signing suite. `created`: ISO date string for proof.created; undefined
 * means "now"; null means no `created` in the proof. (The suite option is
 * called `date`.)
 */
export function createSignSuite({keyPair, cryptosuite, created}) {
  const signer = keyPair.signer();
  let suite;
  if(cryptosuite === 'eddsa-rdfc-2022') {
    suite = eddsaRdfc2022CryptoSuite;
  } else if(cryptosuite === 'eddsa-jcs-2022') {
    suite = createJcsSignCryptosuite();
  } else if(cryptosuite === LEGACY_SUITE) {
    return new Ed25519Signature2020({signer, date: created});
  } else {
    throw new Error(`Unsupported cryptosuite "${cryptosuite}"; expected ` +
      [...CRYPTOSUITES, LEGACY_SUITE].join(', ') + '.');
  }
  return new DataIntegrityProof({signer, date: created, cryptosuite: suite});
}

/**
 * Verification suites: one DataIntegrityProof per cryptosuite; jsigs picks
 * the one whose `cryptosuite` matches each proof (matchProof). With
 * `legacy`, Ed25519Signature2020 proofs are accepted too.
 */
export function createVerifySuites({legacy = true} = {}) {
  const suites = [
    new DataIntegrityProof({cryptosuite: eddsaRdfc2022CryptoSuite}),
    new DataIntegrityProof({cryptosuite: createJcsVerifyCryptosuite()})
  ];
  if(legacy) {
    suites.push(new Ed25519Signature2020(), new Ed25519Signature2018FromMultikey());
  }
  return suites;
}

/**
 * Digital Bazaar's Ed25519Signature2018 suite (verification), taking keys as
 * this harness resolves them: did:key gives a Multikey, which the suite does
 * not read; it is handed over as the Ed25519VerificationKey2018 it stands for
 * (the suite itself converts Ed25519VerificationKey2020 keys the same way).
 */
class Ed25519Signature2018FromMultikey extends Ed25519Signature2018 {
  async getVerificationMethod({proof, documentLoader}) {
    const {document} = await documentLoader(
      typeof proof.verificationMethod === 'string' ?
        proof.verificationMethod : proof.verificationMethod.id);
    if(document?.type !== 'Multikey') {
      return super.getVerificationMethod({proof, documentLoader});
    }
    const key = await Ed25519Multikey.from(document);
    return {
      '@context': 'https://w3id.org/security/suites/ed25519-2018/v1',
      id: document.id,
      type: 'Ed25519VerificationKey2018',
      controller: document.controller,
      publicKeyBase58: base58Encode(key.publicKey)
    };
  }
}

// -------------------------------------------------------------- serializing

/**
 * Turns a library result into plain JSON: Error objects become
 * {name, message} (+ nested `errors`, `cause`, `details` when present),
 * stacks are dropped, cycles are cut.
 */
export function toJSONSafe(value) {
  const stack = new Set();
  const walk = v => {
    if(v === null || typeof v !== 'object') {
      if(typeof v === 'bigint') {
        return v.toString();
      }
      if(typeof v === 'function' || typeof v === 'symbol') {
        return undefined;
      }
      return v;
    }
    if(stack.has(v)) {
      return '[Circular]';
    }
    stack.add(v);
    try {
      if(v instanceof Error || _looksLikeSerializedError(v)) {
        const out = {name: v.name ?? 'Error', message: v.message ?? ''};
        if(v.errors !== undefined) {
          out.errors = walk([].concat(v.errors));
        }
        if(v.cause !== undefined) {
          out.cause = walk(v.cause);
        }
        if(v.details !== undefined) {
          out.details = walk(v.details);
        }
        return out;
      }
      if(v instanceof Date) {
        return v.toISOString();
      }
      if(ArrayBuffer.isView(v)) {
        return Buffer.from(v.buffer, v.byteOffset, v.byteLength)
          .toString('base64');
      }
      if(Array.isArray(v)) {
        return v.map(x => {
          const r = walk(x);
          return r === undefined ? null : r;
        });
      }
      if(typeof v.toJSON === 'function') {
        return walk(v.toJSON());
      }
      const out = {};
      for(const [k, x] of Object.entries(v)) {
        if(k === 'stack') {
          continue;
        }
        const r = walk(x);
        if(r !== undefined) {
          out[k] = r;
        }
      }
      return out;
    } finally {
      stack.delete(v);
    }
  };
  return walk(value);
}

// jsonld-signatures runs errors through serialize-error, which gives plain
// objects with name/message/stack.
function _looksLikeSerializedError(v) {
  return typeof v.message === 'string' && typeof v.name === 'string' &&
    typeof v.stack === 'string';
}

export function errorMessage(e) {
  if(e instanceof Error) {
    return e.message || String(e);
  }
  return typeof e === 'string' ? e : JSON.stringify(toJSONSafe(e));
}
