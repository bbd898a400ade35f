pragma circom 2.1.0;

include "range.circom";
include "committed_chunk.circom";
include "floor_div.circom";
include "hard_sigmoid.circom";
include "params_hash.circom";
include "pedersen.circom";

// One gradient step's contribution of a chunk (R = 2^r rows × C ≤ 4 columns) for a linear
// (LOGISTIC = 0) or logistic (LOGISTIC = 1) model. Columns 0..C-2 are the features x, column C-1
// the target y; weights[0..C-2] multiply the features, weights[C-1] is the bias (all fixed point,
// scale 2^16, range-checked like data). Per real row:
//   z·2^32 = Σ_c w_c·x_c + w_bias·2^16;
//   linear:   pred = floor(z·2^32 / 2^16)                     (scale 2^16)
//   logistic: pred = clamp(2^15 + floor(z·2^32 / 2^18), 0, 2^16) = hard sigmoid 1/2 + z/4 clamped;
//   e = pred - y;   grad[c] += e·x_c (scale 2^32), gradBias += e (scale 2^16).
// Division by the scale is a witness (quotient, remainder) with the remainder range-checked to
// [0, 2^shift) and the quotient bounded (SignedRange for linear, the sigmoid's decomposition for
// logistic), so the rounding is floor, exactly as protocol/src/contributions.ts computes it.
// Hidden output: commitment = PedersenCommit([count, grad[0..C-2], gradBias], blinding).
// The weights enter as ONE public input, weightsHash = ParamsHash(C).
// Public signals: [commitment[0], commitment[1], chunkIndex, weightsHash, binding, root].
template GradientChunk(r, C, D, VALUE_BITS, LOGISTIC) {
    var R = 1 << r;
    var FRAC = 16;
    var SHIFT = LOGISTIC == 1 ? FRAC + 2 : FRAC;
    // |Σ w·x| < C·2^(2·VALUE_BITS-2) ≤ 2^(2·VALUE_BITS) for C ≤ 4; the quotient drops SHIFT bits.
    var QBITS = 2 * VALUE_BITS - SHIFT + 1;
    // |e| < 2^(QBITS-1) + 2^(VALUE_BITS-1) (linear) or 2^VALUE_BITS (logistic); times |x|, R rows.
    var EBITS = LOGISTIC == 1 ? VALUE_BITS + 1 : QBITS + 1;
    var PBITS = EBITS + VALUE_BITS + r + 1;
    signal input values[R][C];
    signal input salts[R];
    signal input mask[R];
    signal input pathIndices[D - r];
    signal input siblings[D - r];
    signal input weights[C];
    // Prover-supplied floor division of each row's z·2^32 by 2^SHIFT, checked by FloorDivPow2.
    signal input quotient[R];
    signal input remainder[R];
    signal input blinding;
    signal input weightsHash;
    signal input binding;
    signal input root;

    signal output commitment[2];
    signal output chunkIndex;

    signal bindingSquare;
    bindingSquare <== binding * binding;

    component chunk = CommittedChunk(r, C, D, VALUE_BITS);
    for (var i = 0; i < R; i++) {
        for (var c = 0; c < C; c++) {
            chunk.values[i][c] <== values[i][c];
        }
        chunk.salts[i] <== salts[i];
        chunk.mask[i] <== mask[i];
    }
    for (var t = 0; t < D - r; t++) {
        chunk.pathIndices[t] <== pathIndices[t];
        chunk.siblings[t] <== siblings[t];
    }
    chunk.root <== root;
    chunkIndex <== chunk.chunkIndex;

    component ph = ParamsHash(C);
    component wr[C];
    for (var c = 0; c < C; c++) {
        wr[c] = SignedRange(VALUE_BITS);
        wr[c].in <== weights[c];
        ph.params[c] <== weights[c];
    }
    weightsHash === ph.hash;

    signal wx[R][C - 1];
    component div[R];
    component qRange[R];
    component sig[R];
    signal e[R];
    signal ex[R][C - 1];
    var grad[C - 1];
    var gradBias = 0;
    for (var c = 0; c < C - 1; c++) { grad[c] = 0; }
    for (var i = 0; i < R; i++) {
        var z = weights[C - 1] * (1 << FRAC);
        for (var c = 0; c < C - 1; c++) {
            wx[i][c] <== weights[c] * values[i][c];
            z += wx[i][c];
        }
        div[i] = FloorDivPow2(SHIFT);
        div[i].in <== z;
        div[i].q <== quotient[i];
        div[i].rem <== remainder[i];
        if (LOGISTIC == 1) {
            // u = q + 2^15 can pass |q|'s bound by 2^15: one bit more.
            sig[i] = HardSigmoid(FRAC, QBITS + 1);
            sig[i].u <== quotient[i] + (1 << (FRAC - 1));
            // Padding rows have y = 0 but a sigmoid of the bias: masked out here.
            e[i] <== mask[i] * (sig[i].s - values[i][C - 1]);
        } else {
            qRange[i] = SignedRange(QBITS);
            qRange[i].in <== quotient[i];
            e[i] <== mask[i] * (quotient[i] - values[i][C - 1]);
        }
        gradBias += e[i];
        for (var c = 0; c < C - 1; c++) {
            ex[i][c] <== e[i] * values[i][c];
            grad[c] += ex[i][c];
        }
    }

    component ped = PedersenCommit(C + 1, PBITS);
    ped.values[0] <== chunk.count;
    for (var c = 0; c < C - 1; c++) {
        ped.values[1 + c] <== grad[c];
    }
    ped.values[C] <== gradBias;
    ped.blinding <== blinding;
    commitment[0] <== ped.out[0];
    commitment[1] <== ped.out[1];
}
