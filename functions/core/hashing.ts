import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

export const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');

/** SHA-256 of the RFC 8785 canonical JSON: equal for equal values whatever the key order. */
export const contentHash = (value: unknown): string => sha256Hex(canonicalize(value) ?? 'null');
