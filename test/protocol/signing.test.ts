import { test } from "node:test";
import assert from "node:assert/strict";
import { Wallet } from "ethers";
import { signRequest, verifyRequest, nonceMemory, SIGNATURE_HEADERS, MAX_CLOCK_SKEW_MS } from "../../protocol/src/signing.js";

const wallet = Wallet.createRandom();
const body = new TextEncoder().encode('{"x":1}');

test("a signed request verifies to its signer once", async () => {
  const h = await signRequest(wallet, "post", "/tasks", body);
  const seen = nonceMemory();
  assert.equal(verifyRequest({ ...h }, "POST", "/tasks", body, seen), wallet.address);
  assert.throws(() => verifyRequest({ ...h }, "POST", "/tasks", body, seen), /already used: replayed request refused/);
});

test("a changed body, path, method or signer is refused", async () => {
  const h = await signRequest(wallet, "POST", "/tasks", body);
  const other = new TextEncoder().encode('{"x":2}');
  assert.throws(() => verifyRequest({ ...h }, "POST", "/tasks", other, nonceMemory()), /was not made by/);
  assert.throws(() => verifyRequest({ ...h }, "POST", "/rounds", body, nonceMemory()), /was not made by/);
  assert.throws(() => verifyRequest({ ...h }, "PUT", "/tasks", body, nonceMemory()), /was not made by/);
  const forged = { ...h, [SIGNATURE_HEADERS.address]: Wallet.createRandom().address };
  assert.throws(() => verifyRequest(forged, "POST", "/tasks", body, nonceMemory()), /was not made by/);
  assert.throws(() => verifyRequest({ ...h, [SIGNATURE_HEADERS.signature]: "0x1234" }, "POST", "/tasks", body, nonceMemory()), /not a valid signature/);
});

test("missing headers and stale timestamps are refused", async () => {
  const h = await signRequest(wallet, "GET", "/events", new Uint8Array());
  const { [SIGNATURE_HEADERS.signature]: _drop, ...unsigned } = h;
  assert.throws(() => verifyRequest(unsigned, "GET", "/events", new Uint8Array(), nonceMemory()), /missing header x-cm-signature/);
  const later = Date.now() + MAX_CLOCK_SKEW_MS + 5_000;
  assert.throws(() => verifyRequest({ ...h }, "GET", "/events", new Uint8Array(), nonceMemory(), later), /outside ±60s/);
});
