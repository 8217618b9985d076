// A wallet, driven by the OpenWallet Foundation's OpenID4VCI client
// (@openid4vc/openid4vci, the library Credo-based wallets use): it resolves a credential
// offer, takes the token with the pre-authorized code and the transaction code, asks for
// a nonce, makes a key proof with a key of its own and collects the credential.
//
// One JSON request on stdin, one JSON answer on stdout:
//   {"offer": "openid-credential-offer://…", "txCode": "123456",
//    "alg": "EdDSA" | "ES256", "keyIn": "kid" | "jwk", "rounds": 1,
//    "key": {publicKeyMultibase, secretKeyMultibase}}   (optional: an Ed25519 key file, so
//    the same holder key can later answer a presentation request; else a new key),
//    "format": "ldp_vc" | "dc+sd-jwt"   (optional: which of the offer's credential
//    configurations to ask for; default the offer's first. dc+sd-jwt: an ES256 key
//    proof with a new P-256 key in the proof header's jwk, as HAIP wallets do)
// -> {"ok": true, "version": "V1", "holder": "did:key:…", "credential": {…} or "<SD-JWT>",
//     "configurationId": "…", "holderJwk": {…private P-256 JWK, for dc+sd-jwt…},
//     "tokenResponse": {…}, "metadata": {…}}
// "rounds" > 1 runs that many offers (a list in "offers", codes in "txCodes") one after
// the other and reports the time taken (the benchmark).
import crypto from 'node:crypto';
import {Openid4vciClient, setGlobalConfig} from '@openid4vc/openid4vci';
import {clientAuthenticationNone} from '@openid4vc/oauth2';
import * as base58 from 'base58-universal';

const b64url = buf => Buffer.from(buf).toString('base64url');

function newKey(alg) {
  if(alg === 'ES256') {
    const {publicKey, privateKey} = crypto.generateKeyPairSync('ec', {namedCurve: 'P-256'});
    const jwk = publicKey.export({format: 'jwk'});
    const raw = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x, 'base64url'),
      Buffer.from(jwk.y, 'base64url')]);
    const compressed = crypto.ECDH.convertKey(raw, 'prime256v1', undefined, undefined,
      'compressed');
    const id = 'z' + base58.encode(Buffer.concat([Buffer.from([0x80, 0x24]), compressed]));
    return {alg, jwk: {kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y}, privateKey,
      did: 'did:key:' + id, fragment: id};
  }
  const {publicKey, privateKey} = crypto.generateKeyPairSync('ed25519');
  const jwk = publicKey.export({format: 'jwk'});
  const id = 'z' + base58.encode(Buffer.concat([Buffer.from([0xed, 0x01]),
    Buffer.from(jwk.x, 'base64url')]));
  return {alg: 'EdDSA', jwk: {kty: jwk.kty, crv: jwk.crv, x: jwk.x}, privateKey,
    did: 'did:key:' + id, fragment: id};
}

// An Ed25519 key file (Multikey: 0xed01 + public key, 0x8026 + secret seed, base58btc).
function keyFromFile(file) {
  const decode = (value, header) => {
    const bytes = Buffer.from(base58.decode(value.slice(1)));
    if(value[0] !== 'z' || bytes[0] !== header[0] || bytes[1] !== header[1]) {
      throw new Error('not an Ed25519 Multikey key file');
    }
    return bytes.subarray(2);
  };
  const x = decode(file.publicKeyMultibase, [0xed, 0x01]);
  const d = decode(file.secretKeyMultibase || file.privateKeyMultibase, [0x80, 0x26]);
  const jwk = {kty: 'OKP', crv: 'Ed25519', x: b64url(x)};
  const privateKey = crypto.createPrivateKey({key: {...jwk, d: b64url(d)}, format: 'jwk'});
  const id = file.publicKeyMultibase;
  return {alg: 'EdDSA', jwk, privateKey, did: 'did:key:' + id, fragment: id};
}

function signWith(key) {
  return async (signer, {header, payload}) => {
    const input = b64url(JSON.stringify(header)) + '.' + b64url(JSON.stringify(payload));
    const signature = key.alg === 'ES256' ?
      crypto.sign('sha256', Buffer.from(input), {key: key.privateKey, dsaEncoding: 'ieee-p1363'}) :
      crypto.sign(null, Buffer.from(input), key.privateKey);
    return {jwt: input + '.' + b64url(signature), signerJwk: key.jwk};
  };
}

async function collect(client, key, request, offerUri, txCode) {
  const offer = await client.resolveCredentialOffer(offerUri);
  const metadata = await client.resolveIssuerMetadata(offer.credential_issuer);
  const supported = metadata.credentialIssuer.credential_configurations_supported;
  const configurationId = request.format ?
    offer.credential_configuration_ids.find(id => supported[id]?.format === request.format) :
    offer.credential_configuration_ids[0];
  if(!configurationId) {
    throw new Error(`the offer has no ${request.format} configuration`);
  }
  const {accessTokenResponse} = await client.retrievePreAuthorizedCodeAccessTokenFromOffer({
    credentialOffer: offer, issuerMetadata: metadata, txCode,
    additionalRequestPayload: request.extraTokenParameters
  });
  const {c_nonce: nonce} = await client.requestNonce({issuerMetadata: metadata});
  const signer = request.keyIn === 'jwk' ?
    {method: 'jwk', alg: key.alg, publicJwk: key.jwk} :
    {method: 'did', alg: key.alg, didUrl: `${key.did}#${key.fragment}`};
  const {jwt} = await client.createCredentialRequestJwtProof({
    issuerMetadata: metadata, credentialConfigurationId: configurationId, nonce, signer
  });
  const {credentialResponse} = await client.retrieveCredentials({
    issuerMetadata: metadata, accessToken: accessTokenResponse.access_token,
    credentialConfigurationId: configurationId, proofs: {jwt: [jwt]}
  });
  const credential = credentialResponse.credentials ?
    credentialResponse.credentials[0].credential : credentialResponse.credential;
  return {offer, metadata, accessTokenResponse, credential, configurationId,
    version: metadata.originalDraftVersion};
}

async function main() {
  let input = '';
  for await (const chunk of process.stdin) {
    input += chunk;
  }
  const request = JSON.parse(input);
  if(request.allowInsecureUrls) {
    setGlobalConfig({allowInsecureUrls: true});
  }
  const sdJwt = request.format === 'dc+sd-jwt';
  const key = request.key ? keyFromFile(request.key) :
    newKey(sdJwt ? 'ES256' : (request.alg || 'EdDSA'));
  if(sdJwt) {
    request.keyIn = 'jwk';
  }
  const client = new Openid4vciClient({
    callbacks: {
      fetch: globalThis.fetch,
      hash: (data, alg) => new Uint8Array(crypto.createHash(alg.replace('-', '').toLowerCase())
        .update(data).digest()),
      generateRandom: bytes => new Uint8Array(crypto.randomBytes(bytes)),
      signJwt: signWith(key),
      clientAuthentication: clientAuthenticationNone({clientId: 'skillcred-interop-wallet'})
    }
  });
  if(request.rounds && request.rounds > 1) {
    const started = performance.now();
    for(let i = 0; i < request.rounds; i++) {
      await collect(client, key, request, request.offers[i], request.txCodes[i]);
    }
    const seconds = (performance.now() - started) / 1000;
    process.stdout.write(JSON.stringify({ok: true, rounds: request.rounds, seconds}) + '\n');
    return;
  }
  const result = await collect(client, key, request, request.offer, request.txCode);
  process.stdout.write(JSON.stringify({
    ok: true, version: result.version, holder: key.did,
    credential: result.credential, tokenResponse: result.accessTokenResponse,
    configurationId: result.configurationId,
    holderJwk: sdJwt ? key.privateKey.export({format: 'jwk'}) : undefined,
    issuer: result.metadata.credentialIssuer
  }) + '\n');
}

main().catch(error => {
  process.stdout.write(JSON.stringify({
    ok: false, error: String(error && error.message || error), name: error && error.name,
    response: error && error.errorResponse,
    body: error && error.responseText
  }) + '\n');
  process.exitCode = 1;
});
