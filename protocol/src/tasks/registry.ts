import type { z } from "zod";

/**
 * Task kinds are declarative: a name and the schema of its parameters. Nodes map the name to the
 * math they run; nothing executable ever travels in a spec.
 */
const kinds = new Map<string, z.ZodType>();

export function defineTaskKind(name: string, params: z.ZodType): void {
  if (kinds.has(name)) throw new Error(`task kind ${name} is defined twice`);
  kinds.set(name, params);
}

export function knownKinds(): string[] {
  return [...kinds.keys()];
}

export function paramsSchemaFor(kind: string): z.ZodType | undefined {
  return kinds.get(kind);
}
