/** Deepest nesting of arrays and objects a request body may have; specs need fewer than 10. */
export const MAX_JSON_DEPTH = 64;

export class JsonDepthError extends Error {
  constructor(
    readonly depth: number,
    readonly max: number,
  ) {
    super(`the body nests arrays/objects more than ${max} levels deep (at least ${depth}); flatten it (task specs need fewer than 10 levels)`);
    this.name = "JsonDepthError";
  }
}

/**
 * Scans JSON text for its nesting depth without recursion and throws JsonDepthError past `max`.
 * Run before JSON.parse: the parsed value is walked recursively later (schemas, canonical JSON),
 * and a body nested 20,000 deep would exhaust the stack there.
 */
export function checkJsonDepth(text: string, max = MAX_JSON_DEPTH): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) throw new JsonDepthError(depth, max);
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
}

/** JSON.parse after the depth check. */
export function parseJsonBounded(text: string, max = MAX_JSON_DEPTH): unknown {
  checkJsonDepth(text, max);
  return JSON.parse(text);
}
