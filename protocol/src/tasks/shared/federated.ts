import { z } from "zod";
import { privacyParam } from "../privacy.js";
import { CAPS, capMessage } from "../caps.js";

/**
 * Parameters every federated kind (stats, kmeans, linreg, logreg) shares for its aggregation
 * backend. With `aggregation: "paillier"` members encrypt their contribution vectors to the
 * requester's Paillier key, named here by its modulus and the blob hash of its certificate; the
 * requester's node keeps the secret half (see node/src/runtime/aggregation/paillier.ts, submitFederated).
 */
export const paillierKeyParam = z
  .object({
    /** Modulus n as lowercase hex without 0x (as serializePaillierPublicKey writes it). */
    n: z
      .string()
      .regex(/^[0-9a-f]+$/, "params.paillier.n must be the modulus as lowercase hex without 0x")
      .max(CAPS.MAX_MODULUS_HEX, capMessage("params.paillier.n", "MAX_MODULUS_HEX", "use a key of at most 8192 bits")),
    /**
     * Blob hash (0x keccak256) of the key's certificate (Π^mod, Π^fac; node/src/crypto/paillier-proofs/certificate.ts).
     * Optional here so that a spec without it parses and members decline it with the reason.
     */
    cert: z
      .string()
      .regex(/^0x[0-9a-f]{64}$/, "params.paillier.cert must be the certificate's blob hash (0x and 64 lowercase hex digits)")
      .optional(),
  })
  .optional();

export const federatedCommon = {
  paillier: paillierKeyParam,
  /** Differential privacy (tasks/privacy.ts); absent: no noise is added. */
  privacy: privacyParam.optional(),
};
