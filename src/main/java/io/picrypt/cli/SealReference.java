package io.picrypt.cli;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Microsoft SEAL 4.4.3 reference figures for {@code picrypt bench ckks}, in one place with their provenance. SEAL was
 * not built on this machine by us: every number below is copied from the issue that measured it.
 *
 * <ul>
 *   <li>Times and sizes: issue 3 ("CKKS speed"), SEAL 4.4.3 built with -O3, no Intel HEXL, one thread, on an AMD EPYC
 *   (Zen 3) 2-vCPU machine of this kind; medians in microseconds; default preset N = 8192, primes {60, 40, 40, 60}
 *   bits, scale 2^40; 24 Galois keys (rotations by +-2^k, 2048, conjugation).</li>
 *   <li>Precision: issue 16, same SEAL build and preset: log2 of the max slot error over 4096 slots of values in
 *   [-1, 1] after public-key encrypt + decrypt (-27.2) and after multiply + relinearize + rescale (-26.8).</li>
 *   <li>Targets: issue 16, with the product's launcher: every operation within 1.5x of SEAL, the NTT within 1.2x,
 *   run-to-run spread of medians within 20%.</li>
 * </ul>
 */
final class SealReference {
    private SealReference() {}

    static final String PROVENANCE = "SEAL 4.4.3 (-O3, no HEXL, one thread, AMD EPYC Zen 3, 2 vCPU): times and sizes "
            + "measured in issue 3, precision in issue 16; not rebuilt here";

    /** Operation key -> SEAL median in microseconds (issue 3). */
    static final Map<String, Double> OPS_US = new LinkedHashMap<>();
    /** Operation key -> label for tables. */
    static final Map<String, String> LABEL = new LinkedHashMap<>();

    static {
        op("ntt_forward", "forward NTT, one 8192 limb", 89.5);
        op("ntt_inverse", "inverse NTT, one limb", 96.2);
        op("encrypt_public", "encode + encrypt, public key", 4020);
        op("encrypt_symmetric", "encode + encrypt, secret key, seeded", 2010);
        op("decrypt", "decrypt + decode", 1120);
        op("multiply", "multiply, no relinearization", 378);
        op("relinearize", "relinearize", 2470);
        op("rescale", "rescale 3 -> 2 primes", 658);
        op("rotate", "rotate by 1", 2500);
        op("sq_distance_512", "512-D squared distance", 17800);
        op("keygen_all", "keygen: sk, pk, relin, 24 Galois", 140000);
    }

    private static void op(String key, String label, double sealUs) {
        OPS_US.put(key, sealUs);
        LABEL.put(key, label);
    }

    /** Issue 16's target: the largest allowed median / SEAL ratio for an operation. */
    static double targetRatio(String op) {
        return op.startsWith("ntt_") ? 1.2 : 1.5;
    }

    /** Issue 16's target for the spread of run medians over processes: (max - min) / median. */
    static final double TARGET_SPREAD = 0.20;

    /** SEAL's serialized sizes in bytes, uncompressed / seeded (issue 3). */
    static final Map<String, Long> BYTES = new LinkedHashMap<>();

    static {
        BYTES.put("size_ciphertext", 393_329L);
        BYTES.put("size_ciphertext_seeded", 196_802L);
        BYTES.put("size_relin_key", 1_573_267L);
        BYTES.put("size_relin_key_seeded", 787_078L);
        BYTES.put("size_galois_keys_24", 37_800_000L);
        BYTES.put("size_galois_keys_24_seeded", 19_000_000L);
    }

    /** Precision key -> SEAL's log2 max slot error (issue 16); keys without a SEAL figure are absent. */
    static final Map<String, Double> PRECISION_LOG2 = new LinkedHashMap<>();

    static {
        PRECISION_LOG2.put("encrypt_decrypt", -27.2);
        PRECISION_LOG2.put("multiply_relin_rescale", -26.8);
    }
}
