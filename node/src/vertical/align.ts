/**
 * Row alignment across vertical parties by a shared id. All parties must hold exactly the same set
 * of ids (a private set intersection that hides non-shared ids is out of scope here); the common
 * order is the ids sorted as strings, so every party computes it alone and gets the same result.
 */
export type Id = string | number;

export interface Alignment {
  order: string[];
  /** rows[party][k] = that party's row index holding order[k]. */
  rows: Record<string, number[]>;
}

export function checkIds(party: string, ids: readonly Id[], rowCount?: number): string[] {
  if (!Array.isArray(ids) || ids.length === 0) throw new Error(`ids of ${party}: expected a non-empty array of ids`);
  if (rowCount !== undefined && rowCount !== ids.length) {
    throw new Error(`ids of ${party}: ${ids.length} ids but ${rowCount} data rows; every row needs exactly one id`);
  }
  const seen = new Set<string>();
  return ids.map((id, i) => {
    if ((typeof id !== "string" && typeof id !== "number") || id === "") throw new Error(`ids of ${party}[${i}]: ${JSON.stringify(id)} is not a string or number id`);
    const s = String(id);
    if (seen.has(s)) throw new Error(`ids of ${party}: duplicate id ${JSON.stringify(s)} (row ${i}); ids must be unique per party`);
    seen.add(s);
    return s;
  });
}

export function alignIds(idsByParty: Record<string, readonly Id[]>): Alignment {
  const parties = Object.keys(idsByParty);
  if (parties.length < 2) throw new Error(`alignIds: needs at least 2 parties, got ${parties.length}`);
  const norm = Object.fromEntries(parties.map((p) => [p, checkIds(p, idsByParty[p])]));
  const [first, ...rest] = parties;
  for (const p of rest) {
    if (norm[p].length !== norm[first].length) {
      throw new Error(`alignIds: ${p} has ${norm[p].length} rows but ${first} has ${norm[first].length}; parties must hold the same ids`);
    }
  }
  const order = [...norm[first]].sort();
  const rows: Record<string, number[]> = {};
  for (const p of parties) {
    const at = new Map(norm[p].map((id, i) => [id, i]));
    rows[p] = order.map((id) => {
      const i = at.get(id);
      if (i === undefined) throw new Error(`alignIds: id ${JSON.stringify(id)} of ${first} is missing at ${p}; parties must hold the same ids`);
      return i;
    });
  }
  return { order, rows };
}
