#!/usr/bin/env node
// Serves @sigstore/mock's Fulcio (v2 signingCert) and Rekor v1 handlers over real HTTP on 127.0.0.1, so a client in
// any language can use them, and writes a trusted root (Sigstore TrustedRoot JSON) that matches their keys.
//   NODE_PATH=<node_modules> node sigstore-mock-servers.js PORT_FILE TRUSTED_ROOT_FILE
// Listens on a free port, writes it to PORT_FILE once ready. The caller stops it by its PID.
// Routes: POST /api/v2/signingCert, POST /api/v1/log/entries, GET /api/v1/log/publicKey (PEM), GET /healthz.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const mock = require('@sigstore/mock');

const [portFile, rootFile] = process.argv.slice(2);
if (!portFile || !rootFile) {
  console.error('usage: sigstore-mock-servers.js PORT_FILE TRUSTED_ROOT_FILE');
  process.exit(2);
}

const keyPair = () => crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const b64 = (bytes) => Buffer.from(bytes.buffer ?? bytes, bytes.byteOffset ?? 0, bytes.byteLength ?? bytes.length).toString('base64');
const der = (key) => key.export({ type: 'spki', format: 'der' });

async function main() {
  const server = http.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${server.address().port}`;

  const caKeys = keyPair();
  const ctKeys = keyPair();
  const rekorKeys = keyPair();
  const ctlog = await mock.initializeCTLog(ctKeys);
  const ca = await mock.initializeCA(caKeys, ctlog);
  const tlog = await mock.initializeTLog(base, rekorKeys);
  // strict: true (the default, spelled out): with strict: false the mocks ignore the request body, so Fulcio would
  // certify a random key for the subject NO-SUBJECT and Rekor would log a stub intoto entry instead of ours.
  const handlers = [mock.fulcioHandler(ca, { strict: true }), mock.rekorHandler(tlog, { strict: true })];

  server.on('request', (req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const path = req.url.split('?')[0];
      if (req.method === 'GET' && path === '/healthz') {
        res.writeHead(200).end('ok');
        return;
      }
      if (req.method === 'GET' && path === '/api/v1/log/publicKey') {
        res.writeHead(200, { 'Content-Type': 'application/x-pem-file' })
          .end(rekorKeys.publicKey.export({ type: 'spki', format: 'pem' }));
        return;
      }
      const handler = handlers.find((h) => req.method === 'POST' && new URL(h.path, base).pathname === path);
      if (!handler) {
        res.writeHead(404).end();
        return;
      }
      try {
        const result = await handler.fn(Buffer.concat(chunks).toString('utf8'));
        res.writeHead(result.statusCode, { 'Content-Type': result.contentType ?? 'application/json' }).end(result.response);
      } catch (e) {
        res.writeHead(500, { 'Content-Type': 'text/plain' }).end(String(e));
      }
    });
  });

  const start = new Date(Date.now() - 3600 * 1000).toISOString();
  const keyId = (key) => crypto.createHash('sha256').update(der(key)).digest('base64');
  const root = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [{
      baseUrl: base, hashAlgorithm: 'SHA2_256',
      publicKey: { rawBytes: der(rekorKeys.publicKey).toString('base64'), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start } },
      logId: { keyId: keyId(rekorKeys.publicKey) },
    }],
    certificateAuthorities: [{
      subject: { organization: 'sigstore-mock', commonName: 'sigstore-mock' }, uri: base,
      certChain: { certificates: [{ rawBytes: b64(ca.rootCertificate) }] }, validFor: { start },
    }],
    ctlogs: [{
      baseUrl: base, hashAlgorithm: 'SHA2_256',
      publicKey: { rawBytes: der(ctKeys.publicKey).toString('base64'), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start } },
      logId: { keyId: b64(ctlog.logID) },
    }],
    timestampAuthorities: [],
  };
  fs.writeFileSync(rootFile, JSON.stringify(root, null, 2));
  fs.writeFileSync(portFile, String(server.address().port));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
