import { test } from "node:test";
import assert from "node:assert/strict";
import { runLocal } from "../../node/src/runtime/local.js";
import { statsHandler, type StatsResult } from "../../node/src/runtime/kinds/stats/index.js";
import { IRIS_COLS, irisTables, union } from "./reference.js";

test(
  "local mode runs the coordinator's rules: a member whose data lacks the columns declines, the Join deadline passes on the fast clock, the round goes on with the others",
  { timeout: 300_000 },
  async () => {
    const tables = irisTables();
    const odd = { ...tables[2], columns: ["a", "b", "c", "d"] };
    const run = await runLocal(
      statsHandler,
      // A day to join: only the local clock, which jumps to the deadline once every party is idle, ends it.
      {
        kind: "stats",
        aggregation: "plain",
        members: { min: 2, max: 3, threshold: 2 },
        params: { columns: IRIS_COLS },
        deadlines: { join: 86_400, setup: 30, compute: 120, aggregate: 60 },
      },
      [tables[0], tables[1], odd],
    );
    const res = run.result as StatsResult;
    assert.equal(res.members, 2);
    assert.equal(res.columns.sepal_length.count, union(tables.slice(0, 2)).length);
  },
);
