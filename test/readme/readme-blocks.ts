/**
 * The README's runnable examples: the fenced `sh` blocks of the sections a new user and an
 * operator walk through, in order, and the files (` ```ts ` blocks whose first line is
 * `// <path>`) those commands read.
 */
import { readFileSync } from 'node:fs';

export const RUNNABLE_SECTIONS = ['Quick start', 'Your first authenticated call', 'Operator CLI: `pipestore`'];

export type Step =
  | { kind: 'shell'; section: string; script: string; needsServer: boolean; variables: string[] }
  | { kind: 'file'; section: string; path: string; text: string };

/** Lines the harness does itself: the checkout is installed, the server is its own process, the suite is this. */
const HARNESS_LINES = /^(npm install|npm start|npm test)\b/;

/** `## Title` sections with their `###` subsections. */
function sections(markdown: string): Map<string, string> {
  const found = new Map<string, string>();
  const parts = markdown.split(/^## /m).slice(1);
  for (const part of parts) {
    const newline = part.indexOf('\n');
    found.set(part.slice(0, newline).trim(), part.slice(newline + 1));
  }
  return found;
}

export function readmeSteps(path: string): Step[] {
  const all = sections(readFileSync(path, 'utf8'));
  const steps: Step[] = [];
  for (const title of RUNNABLE_SECTIONS) {
    const body = all.get(title);
    if (body === undefined) throw new Error(`README has no section "## ${title}"`);
    for (const [, lang, text] of body.matchAll(/^```(\w+)\n([\s\S]*?)^```$/gm)) {
      if (lang === 'ts') {
        const file = /^\/\/ (\S+\.ts)\n/.exec(text!);
        if (file) steps.push({ kind: 'file', section: title, path: file[1]!, text: text! });
        continue;
      }
      if (lang !== 'sh') continue;
      const script = text!
        .split('\n')
        .filter((line) => !HARNESS_LINES.test(line.trim()))
        .join('\n');
      if (!script.trim()) continue;
      const variables = [...new Set([...script.matchAll(/^(?:export )?([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!))];
      // Commands that talk HTTP need the server; the CLI's direct mode needs it stopped (PGlite).
      const needsServer = /\$BASE\b/.test(script);
      steps.push({ kind: 'shell', section: title, script, needsServer, variables });
    }
  }
  return steps;
}
