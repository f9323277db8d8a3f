#!/usr/bin/env node
// Signs request cases with @smithy/signature-v4 (the AWS SDK for JavaScript
// v3 signer), for the C++ cross-check. Same input and output as
// botocore_sign.py; cases marked botocore_only (repeated header lines,
// which a JS header object cannot hold) are skipped.
"use strict";
const fs = require("fs");
const { SignatureV4 } = require("@smithy/signature-v4");
const { Sha256 } = require("@aws-crypto/sha256-js");

function signingDate(timestamp) {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(timestamp);
  return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
}

async function sign(spec, c) {
  const signer = new SignatureV4({
    service: spec.service,
    region: spec.region,
    sha256: Sha256,
    credentials: {
      accessKeyId: spec.access_key,
      secretAccessKey: spec.secret,
      sessionToken: c.session_token || undefined,
    },
  });
  const url = new URL(c.url);
  const headers = {};
  for (const [name, value] of c.headers) headers[name] = value;
  const query = {};
  for (const [key, value] of c.query || []) {
    if (key in query) query[key] = [].concat(query[key], value);
    else query[key] = value;
  }
  const signed = await signer.sign(
    {
      method: c.method,
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      path: url.pathname,
      query,
      headers,
      body: c.body,
    },
    { signingDate: signingDate(c.timestamp) }
  );
  let authorization = "";
  for (const [name, value] of Object.entries(signed.headers))
    if (name.toLowerCase() === "authorization") authorization = value;
  return { id: c.id, headers: Object.entries(signed.headers), authorization };
}

async function main() {
  const spec = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
  for (const c of spec.cases) {
    if (c.botocore_only) continue;
    process.stdout.write(JSON.stringify(await sign(spec, c)) + "\n");
  }
}

main().catch((err) => {
  process.stderr.write(String(err && err.stack ? err.stack : err) + "\n");
  process.exit(1);
});
