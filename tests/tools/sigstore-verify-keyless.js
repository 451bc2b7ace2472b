#!/usr/bin/env node
// Verifies a keyless message-signature Sigstore bundle with @sigstore/verify, offline, for HarborBridge's tests.
//   node sigstore-verify-keyless.js BUNDLE.json TRUSTED_ROOT.json PAYLOAD sha256:<image digest> SAN OIDC_ISSUER
// @sigstore/verify checks, with its default thresholds (1 tlog entry, 1 SCT, 1 timestamp): the certificate chain to
// the trusted root's CA at the Rekor time, the SCT, the Rekor SET / inclusion proof and that the logged body matches
// the signature, the signature over PAYLOAD, and the policy (certificate SAN and OIDC issuer extension). Then this
// script checks that PAYLOAD is a simple-signing payload for the image digest (the binding left to the caller).
// Exit 0 and "VERIFIED" on success; exit 1 with "REJECTED: <code>: <reason>" otherwise; exit 2 on usage errors.
'use strict';
const fs = require('node:fs');
const { bundleFromJSON } = require('@sigstore/bundle');
const { TrustedRoot } = require('@sigstore/protobuf-specs');
const { Verifier, toSignedEntity, toTrustMaterial } = require('@sigstore/verify');

const [bundlePath, rootPath, payloadPath, digest, san, issuer] = process.argv.slice(2);
if (!bundlePath || !rootPath || !payloadPath || !/^sha256:[0-9a-f]{64}$/.test(digest || '') || !san || !issuer) {
  console.error('usage: sigstore-verify-keyless.js BUNDLE.json TRUSTED_ROOT.json PAYLOAD sha256:<hex> SAN OIDC_ISSUER');
  process.exit(2);
}

// @sigstore/verify matches the SAN as a regular expression; the test wants the exact identity.
const exactly = (text) => '^' + text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '$';

function fail(message) {
  console.error('REJECTED: ' + message);
  process.exit(1);
}

try {
  const bundle = bundleFromJSON(JSON.parse(fs.readFileSync(bundlePath, 'utf8')));
  const root = TrustedRoot.fromJSON(JSON.parse(fs.readFileSync(rootPath, 'utf8')));
  const payload = fs.readFileSync(payloadPath);
  const verifier = new Verifier(toTrustMaterial(root));
  const signer = verifier.verify(toSignedEntity(bundle, payload), { subjectAlternativeName: exactly(san), extensions: { issuer } });

  const statement = JSON.parse(payload.toString('utf8'));
  const signed = statement && statement.critical && statement.critical.image && statement.critical.image['docker-manifest-digest'];
  if (signed !== digest) {
    fail(`payload signs ${signed}, not ${digest}`);
  }
  console.log(`VERIFIED san=${signer.identity.subjectAlternativeName} issuer=${signer.identity.extensions.issuer}`);
} catch (error) {
  fail(`${error.code || error.name}: ${error.message}`);
}
