/**
 * The line protocol every harness here speaks with the Python tests (interop/README.md):
 * one JSON request per line of stdin, one JSON answer per line of stdout, in order.
 * A request is {op, id?, ...}; the answer is {id?, ok, ...} or {id?, ok: false, error}.
 * `ping` and `versions` are answered for every harness; the rest by its own `ops`.
 */
import {createInterface} from 'node:readline';

export function requireObject(value, name) {
  if(!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(`"${name}" must be a JSON object.`);
  }
}

async function handle(line, ops, {packages, message, detail}) {
  let req;
  try {
    req = JSON.parse(line);
  } catch(e) {
    return {ok: false, error: `Invalid JSON request: ${e.message}`};
  }
  let res;
  try {
    requireObject(req, 'request');
    if(req.op === 'ping') {
      res = {ok: true};
    } else if(req.op === 'versions') {
      res = {ok: true, node: process.version, packages: packages()};
    } else if(Object.hasOwn(ops, req.op)) {
      res = await ops[req.op](req);
    } else {
      throw new Error(`Unknown op "${req.op}".`);
    }
  } catch(e) {
    res = {ok: false, error: message(e)};
    const more = detail(e);
    if(more !== undefined) {
      res.errorDetail = more;
    }
  }
  if(req && typeof req === 'object' && req.id !== undefined) {
    res = {id: req.id, ...res};
  }
  return res;
}

function write(obj) {
  let text;
  try {
    text = JSON.stringify(obj);
  } catch(e) {
    text = JSON.stringify({ok: false, error: `Cannot serialize response: ${e.message}`});
  }
  process.stdout.write(text + '\n');
}

/**
 * Answer requests from stdin until it closes. `ops`: {name: async req => answer};
 * `packages`: () => {package: version}; `message`: an error's one-line text;
 * `detail`: more about an error, for `errorDetail` (undefined: none).
 */
export async function serve(ops, {
  packages,
  message = e => e?.message ?? String(e),
  detail = () => undefined
}) {
  process.on('unhandledRejection', e => {
    process.stderr.write(`unhandledRejection: ${message(e)}\n`);
  });
  const rl = createInterface({input: process.stdin, crlfDelay: Infinity});
  for await (const line of rl) {
    if(!line.trim()) {
      continue;
    }
    write(await handle(line, ops, {packages, message, detail}));
  }
}
