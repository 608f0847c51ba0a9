// ohx's FHIR R5 test server: a real FHIR REST engine (Medplum's fhir-router
// over an in-memory repository) whose type system is loaded from the
// official hl7.fhir.r5.core package, so every resource is validated against
// R5 before it is stored. Listens on 127.0.0.1:$PORT and serves FHIR under
// /fhir. For tests only: nothing persists, nothing is authenticated.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { indexSearchParameterBundle, indexStructureDefinitionBundle, validateResource } from '@medplum/core';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';

const coreDir = process.env.R5CORE || new URL('./node_modules/hl7.fhir.r5.core', import.meta.url).pathname;
const port = Number(process.env.PORT || 8104);

function collection(prefix, keep) {
  const entry = fs.readdirSync(coreDir)
    .filter((name) => name.startsWith(prefix) && name.endsWith('.json'))
    .map((name) => JSON.parse(fs.readFileSync(path.join(coreDir, name), 'utf8')))
    .filter(keep)
    .map((resource) => ({ resource }));
  return { resourceType: 'Bundle', type: 'collection', entry };
}

const typeKinds = new Set(['resource', 'complex-type', 'primitive-type']);
const structures = collection('StructureDefinition-', (sd) => sd.derivation !== 'constraint' && typeKinds.has(sd.kind));
indexStructureDefinitionBundle(structures);
const searchParams = collection('SearchParameter-', (sp) => Boolean(sp.expression));
indexSearchParameterBundle(searchParams);

// The CapabilityStatement ohx reads at start to check the server speaks R5.
const capabilities = {
  resourceType: 'CapabilityStatement',
  status: 'active',
  date: new Date().toISOString(),
  kind: 'instance',
  software: { name: 'ohx FHIR R5 test server' },
  fhirVersion: '5.0.0',
  format: ['json'],
  rest: [{
    mode: 'server',
    resource: ['Observation', 'Device', 'DeviceAssociation', 'Provenance', 'Patient'].map((type) => ({
      type,
      interaction: ['read', 'create', 'update', 'search-type'].map((code) => ({ code })),
      conditionalCreate: true,
    })),
    interaction: [{ code: 'transaction' }, { code: 'batch' }],
  }],
};

const router = new FhirRouter();
let repo = new MemoryRepository();

function outcome(code, diagnostics) {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, diagnostics }] };
}

function validateBody(body) {
  if (!body?.resourceType) return;
  if (body.resourceType === 'Bundle') {
    for (const e of body.entry ?? []) if (e.resource) validateResource(e.resource);
  } else {
    validateResource(body);
  }
}

function statusOf(result) {
  if (result.id === 'created') return 201;
  const failed = result.issue?.find((i) => i.severity === 'error' || i.severity === 'fatal');
  if (!failed) return 200;
  return failed.code === 'not-found' ? 404 : 400;
}

async function handle(req, res) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const url = new URL(req.url, 'http://127.0.0.1');
  const send = (code, obj) => {
    res.writeHead(code, { 'content-type': 'application/fhir+json' });
    res.end(JSON.stringify(obj));
  };
  if (!url.pathname.startsWith('/fhir')) return send(404, outcome('not-found', 'FHIR is served under /fhir'));
  const fhirPath = url.pathname.slice('/fhir'.length) || '/';
  if (req.method === 'GET' && fhirPath === '/metadata') return send(200, capabilities);
  // Test hook: forget everything, so a test can start from an empty server.
  if (req.method === 'POST' && fhirPath === '/$reset') {
    repo = new MemoryRepository();
    return send(200, { resourceType: 'OperationOutcome', issue: [{ severity: 'information', code: 'informational', diagnostics: 'reset' }] });
  }
  let body;
  try {
    body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
  } catch (e) {
    return send(400, outcome('invalid', `body is not JSON: ${e.message}`));
  }
  try {
    validateBody(body);
    const request = {
      method: req.method, url: fhirPath + url.search, body, params: {},
      query: Object.fromEntries(url.searchParams), headers: req.headers,
    };
    const [result, resource] = await router.handleRequest(request, repo);
    send(statusOf(result), resource ?? result);
  } catch (e) {
    send(400, e.outcome ?? outcome('exception', String(e?.message ?? e)));
  }
}

http.createServer((req, res) => {
  handle(req, res).catch((e) => {
    res.writeHead(500, { 'content-type': 'application/fhir+json' });
    res.end(JSON.stringify(outcome('exception', String(e?.message ?? e))));
  });
}).listen(port, '127.0.0.1', () => {
  console.log(`indexed ${structures.entry.length} R5 StructureDefinitions, ${searchParams.entry.length} SearchParameters`);
  console.log(`ready: FHIR R5 test server on http://127.0.0.1:${port}/fhir`);
});
