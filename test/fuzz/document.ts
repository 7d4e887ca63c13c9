/** The parts of a served OpenAPI 3.1 document the fuzzer reads, and its operations. */
import type { Schema } from './schema-arbitrary';

export type Doc = {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
};
export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema?: Schema;
}
export interface ResponseSpec {
  description?: string;
  headers?: Record<string, { required?: boolean }>;
  content?: Record<string, { schema?: Schema }>;
}
export interface Operation {
  operationId?: string;
  security?: unknown[];
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: Schema }> };
  responses: Record<string, ResponseSpec>;
}
export interface Op {
  method: string;
  template: string;
  id: string;
  spec: Operation;
  access: 'project' | 'admin' | 'public';
}

export function operations(doc: Doc): Op[] {
  return Object.entries(doc.paths).flatMap(([template, methods]) =>
    Object.entries(methods).map(([method, spec]) => ({
      method,
      template,
      spec,
      id: spec.operationId ?? `${method} ${template}`,
      access: (Array.isArray(spec.security) && spec.security.length === 0
        ? 'public'
        : template.startsWith('/v1/projects')
          ? 'admin'
          : 'project') as Op['access'],
    })),
  );
}
