/**
 * The key certificate (Π^mod + Π^fac + the DJN base's N-th residue proof under one binding): a
 * right certificate, and the reason given for each way it can fail. 1024-bit key (the smallest a
 * certificate vouches for), made once.
 */
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { modPow } from "../../node/src/crypto/bigmath.js";
import { paillierKeygen, type PaillierSecretKey } from "../../node/src/crypto/paillier.js";
import { certifyKey, keyCertificateProblem, parseKeyCertificate, serializeKeyCertificate, type KeyCertificate } from "../../node/src/crypto/paillier-proofs/index.js";

const BINDING = "c0ffee01";
let sk: PaillierSecretKey;
let h: bigint;
let cert: KeyCertificate;
before(() => {
  sk = paillierKeygen(1024, { blum: true });
  const pk = sk.publicKey;
  h = modPow(pk.n - 4n, pk.n, pk.n2);
  cert = certifyKey(sk, BINDING, h);
});

describe("Paillier key certificate", () => {
  test("a right certificate certifies the key and its base, and survives serialization", () => {
    assert.equal(keyCertificateProblem(sk.publicKey, cert, BINDING, h), undefined);
    assert.equal(keyCertificateProblem(sk.publicKey, parseKeyCertificate(serializeKeyCertificate(cert)), BINDING, h), undefined);
  });

  test("each failure names its reason: binding, base missing, base not published, another base, small key, malformed text", () => {
    const pk = sk.publicKey;
    assert.match(keyCertificateProblem(pk, cert, "c0ffee02", h) ?? "", /Π\^mod does not verify/);
    assert.match(keyCertificateProblem(pk, { mod: cert.mod, fac: cert.fac }, BINDING, h) ?? "", /without a proof that it is an N-th residue/);
    assert.match(keyCertificateProblem(pk, cert, BINDING) ?? "", /proves a randomness base the key does not publish/);
    const other = (h * modPow(3n, pk.n, pk.n2)) % pk.n2;
    assert.match(keyCertificateProblem(pk, cert, BINDING, other) ?? "", /without a proof/);
    assert.match(keyCertificateProblem(pk, { ...cert, base: { h: other, proof: cert.base!.proof } }, BINDING, other) ?? "", /N-th residue proof does not verify/);
    assert.match(keyCertificateProblem(pk, { ...cert, fac: { ...cert.fac, z1: cert.fac.z1 + 1n } }, BINDING, h) ?? "", /Π\^fac does not verify/);
    assert.throws(() => certifyKey(paillierKeygen(512, { blum: true }), BINDING), /too small to certify/);
    assert.throws(() => parseKeyCertificate("{}"), /paillier\/key-certificate/);
    const o = JSON.parse(serializeKeyCertificate(cert)) as Record<string, unknown>;
    assert.throws(() => parseKeyCertificate(JSON.stringify({ ...o, fac: 3 })), /fields "mod" and "fac"/);
    assert.throws(() => parseKeyCertificate(JSON.stringify({ ...o, base: { h: "zz", proof: "" } })), /field "base"/);
  });
});
