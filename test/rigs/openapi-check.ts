/**
 * Checks recorded REST calls of the fake against Discord's own OpenAPI description (3.1, JSON Schema 2020-12):
 * the request body discord.js sent and the response the fake gave, for each documented operation.
 * Test tooling: ajv is a dev dependency.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { RecordedRequest } from '../../src/sandbox/fake-discord/types.ts';

const SPEC_ID = 'https://discord.local/openapi.json';
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;

interface SpecOperation {
  requestBody?: { content: Record<string, unknown> };
  responses: Record<string, { content?: Record<string, unknown>; $ref?: string }>;
}
interface Spec {
  paths: Record<string, Record<string, SpecOperation>>;
}

export interface OpenApiChecker {
  /** Problems found in one recorded call (empty when it matches the description). */
  check(request: RecordedRequest): string[];
  validatedRequests: number;
  validatedResponses: number;
}

const pointer = (...parts: string[]) =>
  parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

export function createOpenApiChecker(spec: Spec): OpenApiChecker {
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
  addFormats(ajv);
  for (const format of ['snowflake', 'int32', 'int64', 'nonce', 'double', 'float'])
    ajv.addFormat(format, format === 'snowflake' ? /^\d+$/ : true);
  ajv.addSchema({ ...spec, $id: SPEC_ID });

  const templates = Object.keys(spec.paths).map((template) => {
    const parts = template.split('/').filter(Boolean);
    return {
      template,
      parts,
      literals: parts.filter((p) => !p.startsWith('{')).length,
    };
  });
  const findTemplate = (path: string): string | undefined => {
    const segments = path.split('/').filter(Boolean);
    return templates
      .filter(
        (t) =>
          t.parts.length === segments.length &&
          t.parts.every((p, i) => p.startsWith('{') || p === segments[i]),
      )
      .sort((a, b) => b.literals - a.literals)[0]?.template;
  };

  const cache = new Map<string, ValidateFunction>();
  const validator = (...at: string[]): ValidateFunction => {
    const ref = `${SPEC_ID}#/${pointer(...at)}`;
    let fn = cache.get(ref);
    if (!fn) cache.set(ref, (fn = ajv.compile({ $ref: ref })));
    return fn;
  };
  const errors = (fn: ValidateFunction) => ajv.errorsText(fn.errors, { separator: '; ' });

  const checker: OpenApiChecker = {
    validatedRequests: 0,
    validatedResponses: 0,
    check(r) {
      const where = `${r.method} ${r.path}`;
      const template = findTemplate(r.path);
      const method = r.method.toLowerCase();
      const op = template ? spec.paths[template]?.[method] : undefined;
      if (!template || !op) return [`${where}: not in Discord's OpenAPI description`];
      const problems: string[] = [];
      if (r.body !== undefined && op.requestBody) {
        const type = r.files.length ? 'multipart/form-data' : 'application/json';
        if (!op.requestBody.content[type])
          problems.push(`${where}: request content type ${type} not accepted`);
        else {
          const fn = validator('paths', template, method, 'requestBody', 'content', type, 'schema');
          if (!fn(r.body)) problems.push(`${where} request: ${errors(fn)}`);
          checker.validatedRequests++;
        }
      }
      const documented = op.responses[String(r.status)];
      if (!documented) problems.push(`${where}: status ${r.status} not documented`);
      else if (documented.content?.['application/json']) {
        const fn = validator(
          'paths',
          template,
          method,
          'responses',
          String(r.status),
          'content',
          'application/json',
          'schema',
        );
        if (!fn(r.response)) problems.push(`${where} response: ${errors(fn)}`);
        checker.validatedResponses++;
      }
      return problems;
    },
  };
  return checker;
}
