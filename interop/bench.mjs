#!/usr/bin/env node
// Throughput of Digital Bazaar's reference implementation, single thread.
//
//   node interop/bench.mjs [--rounds R] [--seconds S] [--warmup W]
//        [--key keyPair.json] [--cryptosuite NAME ...] file1.json [...]
//
// For each unsigned credential file and cryptosuite: issue/s (vc.issue with
// a suite built once, i.e. key import not counted) and verify/s
// (vc.verifyCredential of a credential signed once, status check off).
// Prints one JSON object on stdout.
import {readFileSync} from 'node:fs';
import {basename, dirname, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';
import os from 'node:os';

import {
  CRYPTOSUITES, createDocumentLoader, createSignSuite, createVerifySuites,
  errorMessage, importKey, packageVersions, toJSONSafe, vc
} from './lib.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const DEFAULT_KEY = resolve(HERE, '..', '..', 'shared', 'vectors', 'eddsa',
  'keyPair.json');

function usage(msg) {
  if(msg) {
    process.stderr.write(`bench.mjs: ${msg}\n`);
  }
  process.stderr.write(
    'usage: node bench.mjs [--rounds R] [--seconds S] [--warmup W] ' +
    '[--key keyPair.json] [--cryptosuite NAME]... [--keep-issuer] ' +
    'file.json...\n');
  process.exit(2);
}

function parseArgs(argv) {
  const opts = {rounds: 5, seconds: 2, warmup: 1, key: DEFAULT_KEY,
    cryptosuites: [], keepIssuer: false, files: []};
  for(let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if(i + 1 >= argv.length) {
        usage(`${a} needs a value`);
      }
      return argv[++i];
    };
    const num = v => {
      const n = Number(v);
      if(!Number.isFinite(n) || n < 0) {
        usage(`bad number "${v}" for ${a}`);
      }
      return n;
    };
    if(a === '--rounds') {
      opts.rounds = Math.max(1, Math.floor(num(next())));
    } else if(a === '--seconds') {
      opts.seconds = num(next());
    } else if(a === '--warmup') {
      opts.warmup = num(next());
    } else if(a === '--key') {
      opts.key = next();
    } else if(a === '--cryptosuite') {
      opts.cryptosuites.push(next());
    } else if(a === '--keep-issuer') {
      opts.keepIssuer = true;
    } else if(a === '-h' || a === '--help') {
      usage();
    } else if(a.startsWith('--')) {
      usage(`unknown option ${a}`);
    } else {
      opts.files.push(a);
    }
  }
  if(opts.files.length === 0) {
    usage('no credential file given');
  }
  if(opts.cryptosuites.length === 0) {
    opts.cryptosuites = [...CRYPTOSUITES];
  }
  return opts;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

// Runs `fn` back to back for about `seconds`; returns operations per second.
async function runFor(fn, seconds) {
  const budget = seconds * 1e9;
  const start = process.hrtime.bigint();
  let n = 0;
  let elapsed = 0;
  do {
    await fn();
    n++;
    elapsed = Number(process.hrtime.bigint() - start);
  } while(elapsed < budget);
  return n / (elapsed / 1e9);
}

async function measure(fn, {rounds, seconds, warmup}) {
  await fn(); // first call outside the clock (loads contexts, JIT)
  if(warmup > 0) {
    await runFor(fn, warmup);
  }
  const perRound = [];
  for(let r = 0; r < rounds; r++) {
    perRound.push(await runFor(fn, seconds));
  }
  return {
    median_per_s: round3(median(perRound)),
    rounds: perRound.map(round3)
  };
}

function round3(x) {
  return Math.round(x * 1000) / 1000;
}

// Status checks need the status list (network); skipped for the benchmark.
async function skipStatus() {
  return {verified: true, skipped: true};
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const key = JSON.parse(readFileSync(opts.key, 'utf8'));
  const keyPair = await importKey(key); // once, outside the clock
  const documentLoader = createDocumentLoader();
  const verifySuites = createVerifySuites();
  const results = [];

  for(const file of opts.files) {
    const credential = JSON.parse(readFileSync(file, 'utf8'));
    delete credential.proof;
    let issuerRewritten = false;
    if(!opts.keepIssuer) {
      // vc.verifyCredential requires issuer == verification method
      // controller; sign as the key's own DID so that verify succeeds.
      if(credential.issuer && typeof credential.issuer === 'object') {
        if(credential.issuer.id !== keyPair.controller) {
          credential.issuer = {...credential.issuer, id: keyPair.controller};
          issuerRewritten = true;
        }
      } else if(credential.issuer !== keyPair.controller) {
        credential.issuer = keyPair.controller;
        issuerRewritten = true;
      }
    }
    const checkStatus = credential.credentialStatus ? skipStatus : undefined;

    for(const cryptosuite of opts.cryptosuites) {
      const suite = createSignSuite({keyPair, cryptosuite});
      // vc.issue (jsigs.sign) adds the proof to the object it is given and
      // returns that same object, so each issue gets its own shallow copy,
      // as a real issuer would build a fresh credential each time.
      const issue = () => vc.issue(
        {credential: {...credential}, suite, documentLoader});

      // sign once and check that it verifies, so we time real work
      const signed = await issue();
      const verify = async () => {
        const r = await vc.verifyCredential({credential: signed,
          suite: verifySuites, documentLoader, checkStatus});
        if(!r.verified) {
          const e = new Error('verification failed: ' +
            JSON.stringify(toJSONSafe(r.error)));
          throw e;
        }
        return r;
      };
      await verify();

      const common = {file: basename(file), path: resolve(file), cryptosuite,
        issuer_rewritten: issuerRewritten};
      const issueStats = await measure(issue, opts);
      results.push({...common, op: 'issue', ...issueStats});
      const verifyStats = await measure(verify, opts);
      results.push({...common, op: 'verify', ...verifyStats});
      process.stderr.write(
        `${basename(file)} ${cryptosuite}: issue ${issueStats.median_per_s}/s` +
        `, verify ${verifyStats.median_per_s}/s\n`);
    }
  }

  const out = {
    node: process.version,
    packages: packageVersions(),
    settings: {
      rounds: opts.rounds, seconds: opts.seconds, warmup: opts.warmup,
      key: resolve(opts.key), cpus: os.cpus().length,
      cpu_model: os.cpus()[0]?.model ?? null, threads: 1
    },
    results
  };
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
}

main().catch(e => {
  process.stderr.write(`bench.mjs: ${errorMessage(e)}\n`);
  process.exit(1);
});
