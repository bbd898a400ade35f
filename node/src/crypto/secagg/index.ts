/**
 * Secure aggregation (Bonawitz et al., CCS 2017, semi-honest/consistent-broadcast variant) over the
 * BN254 scalar field. Pure: no I/O, no clocks; the round runtime carries the messages.
 *
 * Phases (each is a round phase on the broadcast channel, closed by its deadline):
 *   setup        every party: advertise() → KeysMsg             server: addKeys…, closeKeys() → RosterMsg (U1)
 *   shares       every party: shareKeys(roster) → SharesMsg     server: addShares…, closeShares() → ShareSetMsg (U2)
 *   masked input every party: maskedInput(set, x) → MaskedMsg   server: addMasked…, closeMasked() → UnmaskRequestMsg (U3)
 *   unmask       every party: unmask(request) → UnmaskMsg       server: addUnmask…, finalize() → Σ_{U3} x
 * The "server" holds no secret: any node (or the coordinator, or the requester) that reads the
 * channel can run it and gets the same sum. Keys are fresh per round; their authenticity is the
 * channel's (a chain transaction, or a signed coordinator request from the sender's registered key).
 *
 * What differs from Delta's implementation: uniform masks in the field (not int64 masks in [0, 2^47));
 * Shamir coefficients from the CSPRNG; shares sealed with XChaCha20-Poly1305 (authenticated, bound to
 * task, round, sender and receiver) instead of unauthenticated AES-CTR; the real key shares, not
 * their commitments, are stored; dropped parties are computed from who actually sent each phase's
 * message; a party never reveals both secrets of one peer, across all requests; and below the
 * threshold a round fails with an error naming the phase.
 * Security: input privacy against the server plus fewer than t colluding parties (semi-honest), and
 * against a server that lies about who dropped (the per-party reveal rule). Against a server that
 * shows different parties different sets, the channel's consistency is what protects (a chain is).
 */
export * from "./field.js";
export * from "./shamir.js";
export * from "./messages.js";
export { SecAggParty, checkParams, type SecAggParams, type PartyState } from "./party.js";
export { SecAggServer, type SecAggResult } from "./server.js";
