import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeMessage, encodeMessage, readFrames, writeFrames } from "../../node/src/algorithms/wire.js";

test("one framing: head then length-prefixed frames, read back exactly; truncation and trailing bytes are refused", () => {
  const frames = [Uint8Array.of(1, 2, 3), new Uint8Array(0), Uint8Array.of(9)];
  const bytes = writeFrames([0xaa, 0xbb], frames);
  assert.deepEqual([...bytes], [0xaa, 0xbb, 3, 0, 0, 0, 1, 2, 3, 0, 0, 0, 0, 1, 0, 0, 0, 9]);
  assert.deepEqual(readFrames(bytes, 2, 3, "bundle"), frames);
  assert.deepEqual(readFrames(bytes.subarray(2), 0, 3, "bundle"), frames, "works on a view with an offset");
  assert.throws(() => readFrames(bytes.subarray(0, bytes.length - 1), 2, 3, "bundle"), /bundle: truncated frames/);
  assert.throws(() => readFrames(bytes, 2, 2, "bundle"), /bundle: trailing bytes/);

  const msg = encodeMessage({ step: "assign", k: 2 }, frames);
  const back = decodeMessage<{ step: string; k: number }>(msg, "assign");
  assert.deepEqual(back.header, { step: "assign", k: 2 });
  assert.deepEqual(back.frames, frames);
  assert.throws(() => decodeMessage(msg, "update"), /got step "assign", expected "update"/);
  assert.throws(() => decodeMessage(msg.subarray(0, msg.length - 1), "assign"), /message: truncated frames/);
  assert.throws(() => decodeMessage(Uint8Array.of(1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0), "assign"), /bad magic/);
});
