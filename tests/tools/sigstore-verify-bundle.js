#!/usr/bin/env node
// Verifies a key-based Sigstore bundle with @sigstore/verify, offline, for HarborBridge's interop tests.
//   node sigstore-verify-bundle.js BUNDLE.json PUBLIC_KEY.pem sha256:<image digest>
// Exit 0 and "VERIFIED" when @sigstore/verify accepts the bundle with that key (no tlog, CT log or
// timestamp required) AND the in-toto statement names the image digest as a subject (@sigstore/verify
// leaves that binding to the caller). Otherwise exit 1 with the reason on stderr; exit 2 on usage errors.
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const { bundleFromJSON } = require('@sigstore/bundle');
const { TrustedRoot } = require('@sigstore/protobuf-specs');
const { Verifier, toSignedEntity, toTrustMaterial } = require('@sigstore/verify');

const [bundlePath, keyPath, digest] = process.argv.slice(2);
if (!bundlePath || !keyPath || !/^sha256:[0-9a-f]{64}$/.test(digest || '')) {
  console.error('usage: sigstore-verify-bundle.js BUNDLE.json PUBLIC_KEY.pem sha256:<hex>');
  process.exit(2);
}

function fail(message) {
  console.error('REJECTED: ' + message);
  process.exit(1);
}

try {
  const bundle = bundleFromJSON(JSON.parse(fs.readFileSync(bundlePath, 'utf8')));
  const publicKey = crypto.createPublicKey(fs.readFileSync(keyPath, 'utf8'));
  // The hint our key would have: base64 of SHA-256 over the DER SubjectPublicKeyInfo.
  const ownHint = crypto.createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('base64');
  const findKey = (hint) => {
    if (hint !== ownHint) {
      throw new Error(`no trusted key for hint ${hint}`);
    }
    return { publicKey, validFor: () => true };
  };
  const emptyRoot = TrustedRoot.fromJSON({
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [], certificateAuthorities: [], ctlogs: [], timestampAuthorities: [],
  });
  const verifier = new Verifier(toTrustMaterial(emptyRoot, findKey), { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 });
  verifier.verify(toSignedEntity(bundle));

  if (bundle.content.$case !== 'dsseEnvelope') {
    fail('bundle content is not a DSSE envelope');
  }
  const statement = JSON.parse(Buffer.from(bundle.content.dsseEnvelope.payload).toString('utf8'));
  const hex = digest.slice('sha256:'.length);
  const subjects = (statement.subject || []).map((s) => s.digest && s.digest.sha256);
  if (!subjects.includes(hex)) {
    fail(`statement subjects ${JSON.stringify(subjects)} do not include ${hex}`);
  }
  console.log(`VERIFIED predicateType=${statement.predicateType}`);
} catch (error) {
  fail(`${error.code || error.name}: ${error.message}`);
}
