#!/usr/bin/env node
// Makes a keyless Sigstore bundle v0.3 over an in-toto statement, the way a CI job signing with cosign v3 would, against
// the @sigstore/mock Fulcio and Rekor that sigstore-mock-servers.js serves: an ephemeral P-256 key, a certificate for the
// token's identity (Fulcio v2 signingCert), a DSSE envelope over the statement, a dsse 0.0.1 entry in Rekor v1 with its
// SET and inclusion proof (checkpoint), all assembled as the bundle protobuf's JSON. With LAYER_FILE, the same signature
// also as cosign v1/v2 `attest` stores it keyless in a legacy .att layer: {"blob": the DSSE envelope JSON as logged,
// "annotations": dev.cosignproject.cosign/signature "", predicateType, dev.sigstore.cosign/certificate (leaf PEM),
// dev.sigstore.cosign/chain (Fulcio's issuers, PEM) and dev.sigstore.cosign/bundle (SET + logged entry, Go field names)}.
//   node sigstore-keyless-bundle.js BASE_URL TOKEN STATEMENT_FILE OUT_FILE [LAYER_FILE]
'use strict';
const crypto = require('crypto');
const fs = require('fs');

const [base, token, statementFile, outFile, layerFile] = process.argv.slice(2);
if (!outFile) {
  console.error('usage: sigstore-keyless-bundle.js BASE_URL TOKEN STATEMENT_FILE OUT_FILE [LAYER_FILE]');
  process.exit(2);
}

async function post(path, body) {
  const response = await fetch(base + path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const text = await response.text();
  if (!response.ok) {
    throw new Error(`${path}: ${response.status} ${text}`);
  }
  return JSON.parse(text);
}

const sha256 = (bytes) => crypto.createHash('sha256').update(bytes).digest();
const b64 = (bytes) => Buffer.from(bytes).toString('base64');
const pemToDer = (pem) => Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');

async function main() {
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
  const cert = await post('/api/v2/signingCert', {
    credentials: { oidcIdentityToken: token },
    publicKeyRequest: {
      publicKey: { algorithm: 'ECDSA', content: publicKey.export({ type: 'spki', format: 'pem' }) },
      proofOfPossession: b64(crypto.sign('sha256', Buffer.from(claims.sub), privateKey)),
    },
  });
  const leafPem = cert.signedCertificateEmbeddedSct.chain.certificates[0];

  const payloadType = 'application/vnd.in-toto+json';
  const payload = fs.readFileSync(statementFile);
  const pae = Buffer.concat([Buffer.from(`DSSEv1 ${payloadType.length} ${payloadType} ${payload.length} `), payload]);
  const sig = crypto.sign('sha256', pae, privateKey);
  const envelope = { payload: b64(payload), payloadType, signatures: [{ sig: b64(sig), keyid: '' }] };

  const entry = {
    apiVersion: '0.0.1', kind: 'dsse',
    spec: {
      envelopeHash: { algorithm: 'sha256', value: sha256(Buffer.from(JSON.stringify(envelope))).toString('hex') },
      payloadHash: { algorithm: 'sha256', value: sha256(payload).toString('hex') },
      signatures: [{ signature: b64(sig), verifier: b64(Buffer.from(leafPem)) }],
    },
  };
  const logged = Object.values(await post('/api/v1/log/entries', entry))[0];
  const proof = logged.verification.inclusionProof;
  const bundle = {
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: {
      certificate: { rawBytes: b64(pemToDer(leafPem)) },
      tlogEntries: [{
        logIndex: String(logged.logIndex),
        logId: { keyId: b64(Buffer.from(logged.logID, 'hex')) },
        kindVersion: { kind: 'dsse', version: '0.0.1' },
        integratedTime: String(logged.integratedTime),
        inclusionPromise: { signedEntryTimestamp: logged.verification.signedEntryTimestamp },
        inclusionProof: {
          logIndex: String(proof.logIndex), rootHash: b64(Buffer.from(proof.rootHash, 'hex')), treeSize: String(proof.treeSize),
          hashes: proof.hashes.map((h) => b64(Buffer.from(h, 'hex'))), checkpoint: { envelope: proof.checkpoint },
        },
        canonicalizedBody: logged.body,
      }],
    },
    dsseEnvelope: envelope,
  };
  fs.writeFileSync(outFile, JSON.stringify(bundle));
  if (layerFile) {
    const rekorBundle = {
      SignedEntryTimestamp: logged.verification.signedEntryTimestamp,
      Payload: { body: logged.body, integratedTime: logged.integratedTime, logIndex: logged.logIndex, logID: logged.logID },
    };
    fs.writeFileSync(layerFile, JSON.stringify({
      blob: JSON.stringify(envelope),
      annotations: {
        'dev.cosignproject.cosign/signature': '',
        predicateType: JSON.parse(payload.toString('utf8')).predicateType,
        'dev.sigstore.cosign/certificate': leafPem,
        'dev.sigstore.cosign/chain': cert.signedCertificateEmbeddedSct.chain.certificates.slice(1).join(''),
        'dev.sigstore.cosign/bundle': JSON.stringify(rekorBundle),
      },
    }));
  }
}

main().catch((e) => { console.error(e.message); process.exit(1); });
