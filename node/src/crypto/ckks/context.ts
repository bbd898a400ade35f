/**
 * CKKS parameter presets and lazily created SEAL contexts (node-seal 7, Node ≥ 22).
 *
 * Presets follow Rory's Pyfhel defaults; SEAL accepts all three at the stated security level
 * (SEAL's HomomorphicEncryption.org table caps the total coefficient modulus at 218 bits for
 * n = 2^13/128-bit, 305 bits for n = 2^14/192-bit and 476 bits for n = 2^15/256-bit; the presets use
 * 200, 240 and 270 bits, and `SEALContext.parametersSet()` is true for each — checked in tests).
 *
 * | preset | n    | moduli (bits)       | scale | rescales |
 * | 128    | 2^13 | 60,40,40,60         | 2^40  | 2        |
 * | 192    | 2^14 | 60,40,40,40,60      | 2^40  | 3        |
 * | 256    | 2^15 | 60,50,50,50,60      | 2^50  | 3        |
 *
 * Deviation: Pyfhel's 256 preset uses scale 2^60 over 50-bit primes. Every rescale then divides
 * 2^120 by ~2^50, leaving 2^70, so ciphertexts of different depth no longer share a scale and
 * cannot be added. We default to 2^50 (scale stable under rescale); `CkksOwner.generate({ preset:
 * 256, scaleBits: 60 })` reproduces Pyfhel's choice, fine for one multiply before decryption.
 *
 * Context creation costs ~0.5 s (2^13), ~1.2 s (2^14), ~2.6 s (2^15) here, so each preset's
 * context is created once per process, on first use.
 */
import SEAL from "node-seal";
import type { CKKSEncoder, Evaluator, MainModule, SEALContext } from "node-seal";

export type CkksPresetName = 128 | 192 | 256;

export interface CkksPreset {
  readonly name: CkksPresetName;
  readonly polyModulusDegree: number;
  readonly coeffModulusBits: readonly number[];
  readonly scaleBits: number;
  /** Pyfhel's (Rory's) scale for this preset, for reference. */
  readonly roryScaleBits: number;
}

export const CKKS_PRESETS: Readonly<Record<CkksPresetName, CkksPreset>> = {
  128: { name: 128, polyModulusDegree: 8192, coeffModulusBits: [60, 40, 40, 60], scaleBits: 40, roryScaleBits: 40 },
  192: { name: 192, polyModulusDegree: 16384, coeffModulusBits: [60, 40, 40, 40, 60], scaleBits: 40, roryScaleBits: 40 },
  256: { name: 256, polyModulusDegree: 32768, coeffModulusBits: [60, 50, 50, 50, 60], scaleBits: 50, roryScaleBits: 60 },
};

export function presetFor(name: number): CkksPreset {
  const p = (CKKS_PRESETS as Record<number, CkksPreset>)[name];
  if (!p) throw new Error(`ckks: preset must be 128, 192 or 256 (security bits), got ${name}`);
  return p;
}

export interface CkksContext {
  readonly seal: MainModule;
  readonly preset: CkksPreset;
  readonly context: SEALContext;
  readonly encoder: CKKSEncoder;
  readonly evaluator: Evaluator;
  readonly slots: number;
  readonly scale: number;
  /** Number of rescales a fresh ciphertext allows. */
  readonly depth: number;
}

let sealPromise: Promise<MainModule> | undefined;
let loadedSeal: MainModule | undefined;
export function loadSeal(): Promise<MainModule> {
  sealPromise ??= SEAL().then((s) => (loadedSeal = s));
  return sealPromise;
}

const contexts = new Map<string, Promise<CkksContext>>();

/** The shared context for a preset (created once per process and never deleted). */
export function getCkksContext(name: CkksPresetName = 128, scaleBits?: number): Promise<CkksContext> {
  const preset = presetFor(name);
  const bits = scaleBits ?? preset.scaleBits;
  if (!Number.isInteger(bits) || bits < 20 || bits > 60) throw new Error(`ckks: scaleBits must be an integer in [20, 60], got ${bits}`);
  const cacheKey = `${name}/${bits}`;
  let p = contexts.get(cacheKey);
  if (!p) {
    p = loadSeal().then((seal) => makeContext(seal, preset, bits));
    contexts.set(cacheKey, p);
    p.catch(() => contexts.delete(cacheKey));
  }
  return p;
}

function makeContext(seal: MainModule, preset: CkksPreset, scaleBits: number): CkksContext {
  const parms = new seal.EncryptionParameters(seal.SchemeType.ckks);
  const level = { 128: seal.SecLevelType.tc128, 192: seal.SecLevelType.tc192, 256: seal.SecLevelType.tc256 }[preset.name];
  const moduli = sealCall("coefficient moduli", () => seal.CoeffModulus.Create(preset.polyModulusDegree, Int32Array.from(preset.coeffModulusBits)));
  try {
    parms.setPolyModulusDegree(preset.polyModulusDegree);
    parms.setCoeffModulus(moduli);
    const context = sealCall("context", () => new seal.SEALContext(parms, true, level));
    if (!context.parametersSet()) {
      context.delete();
      throw new Error(`ckks: SEAL rejects preset ${preset.name} at its security level`);
    }
    const encoder = new seal.CKKSEncoder(context);
    const evaluator = new seal.Evaluator(context);
    return {
      seal,
      preset,
      context,
      encoder,
      evaluator,
      slots: encoder.slotCount(),
      scale: 2 ** scaleBits,
      depth: preset.coeffModulusBits.length - 2,
    };
  } finally {
    moduli.delete();
    parms.delete();
  }
}

/** SEAL throws `[type, message]` arrays or raw pointers; turn them into named Errors. */
export function sealCall<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof Error) throw new Error(`ckks ${what}: ${e.message}`, { cause: e });
    let msg = Array.isArray(e) ? e.join(": ") : String(e);
    // Emscripten adds getExceptionMessage only in some builds, hence the optional member; tsc needs the
    // assertion (MainModule does not declare it), which the rule misreads as a no-op on the intersection.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
    const seal = loadedSeal as (MainModule & { getExceptionMessage?: (x: unknown) => unknown }) | undefined;
    if (!Array.isArray(e) && seal?.getExceptionMessage) {
      try {
        const m = seal.getExceptionMessage(e);
        msg = Array.isArray(m) ? m.join(": ") : String(m);
      } catch {
        // keep the generic text
      }
    }
    throw new Error(`ckks ${what}: SEAL error ${msg}`, { cause: e });
  }
}
