// Types for the untyped zk packages, limited to what the project calls.

declare module "circomlibjs" {
  export interface PoseidonField {
    toObject(x: Uint8Array): bigint;
    e(x: bigint | number | string): Uint8Array;
  }
  export interface PoseidonFn {
    (inputs: (bigint | number | string)[], initState?: bigint, nOut?: number): Uint8Array;
    F: PoseidonField;
  }
  export function buildPoseidon(): Promise<PoseidonFn>;
}

declare module "snarkjs" {
  export interface SnarkjsProof {
    pi_a: string[];
    pi_b: string[][];
    pi_c: string[];
    protocol: string;
    curve: string;
  }
  export type VerificationKey = Record<string, unknown> & { nPublic: number; IC: unknown[] };
  type Logger = { info?: (...a: unknown[]) => void; debug?: (...a: unknown[]) => void; warn?: (...a: unknown[]) => void; error?: (...a: unknown[]) => void };
  type FileArg = string | { type: "mem"; data?: Uint8Array };
  export const groth16: {
    fullProve(input: Record<string, unknown>, wasm: string | Uint8Array, zkey: string | Uint8Array, logger?: Logger): Promise<{ proof: SnarkjsProof; publicSignals: string[] }>;
    prove(zkey: string | Uint8Array, wtns: FileArg, logger?: Logger): Promise<{ proof: SnarkjsProof; publicSignals: string[] }>;
    verify(vkey: VerificationKey, publicSignals: (string | bigint)[], proof: SnarkjsProof, logger?: Logger): Promise<boolean>;
  };
  export const wtns: {
    calculate(input: Record<string, unknown>, wasm: string | Uint8Array, out: FileArg, options?: unknown): Promise<void>;
    check(r1cs: string, wtns: FileArg, logger?: Logger): Promise<boolean>;
    exportJson(wtns: FileArg): Promise<bigint[]>;
  };
  export const zKey: {
    newZKey(r1cs: string, ptau: string, zkey: FileArg, logger?: Logger): Promise<unknown>;
    contribute(zkeyOld: FileArg, zkeyNew: FileArg, name: string, entropy: string, logger?: Logger): Promise<unknown>;
    beacon(zkeyOld: FileArg, zkeyNew: FileArg, name: string, beaconHashStr: string, numIterationsExp: number, logger?: Logger): Promise<unknown>;
    exportVerificationKey(zkey: FileArg, logger?: Logger): Promise<VerificationKey>;
    exportSolidityVerifier(zkey: FileArg, templates: Record<string, string>, logger?: Logger): Promise<string>;
    verifyFromR1cs(r1cs: string, ptau: string, zkey: FileArg, logger?: Logger): Promise<boolean>;
  };
  export const powersOfTau: {
    newAccumulator(curve: unknown, power: number, out: string, logger?: Logger): Promise<unknown>;
    contribute(oldPtau: string, newPtau: string, name: string, entropy: string, logger?: Logger): Promise<unknown>;
    beacon(oldPtau: string, newPtau: string, name: string, beaconHashStr: string, numIterationsExp: number, logger?: Logger): Promise<unknown>;
    preparePhase2(oldPtau: string, newPtau: string, logger?: Logger): Promise<unknown>;
  };
  export const r1cs: {
    exportJson(r1cs: string, logger?: Logger): Promise<Record<string, unknown>>;
    info(r1cs: string, logger?: Logger): Promise<{ nConstraints: number; nPubInputs: number; nOutputs: number; nPrvInputs: number; nVars: number; nLabels: number }>;
  };
  export const curves: { getCurveFromName(name: string): Promise<unknown> };
}
