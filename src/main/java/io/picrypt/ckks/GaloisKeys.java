package io.picrypt.ckks;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** Galois keys for a set of automorphisms X -> X^g (g odd, below 2N); rotations use g = 5^k mod 2N. */
public final class GaloisKeys {
    final CkksParameters params;
    final Map<Integer, SwitchingKey> keys;

    GaloisKeys(CkksParameters params, Map<Integer, SwitchingKey> keys) {
        this.params = params;
        this.keys = new TreeMap<>(keys);
    }

    public CkksParameters params() { return params; }

    public Set<Integer> galoisElements() { return keys.keySet(); }

    public boolean has(int galoisElement) { return keys.containsKey(galoisElement); }

    SwitchingKey get(int galoisElement) {
        SwitchingKey k = keys.get(galoisElement);
        if (k == null) throw new CkksException("no Galois key for element " + galoisElement + " (have " + keys.keySet() + ")");
        return k;
    }

    /** Galois element of a left rotation by {@code steps} slots. */
    public static int rotationElement(int n, int steps) {
        int slots = n / 2;
        int k = Math.floorMod(steps, slots);
        long g = 1, m = 2L * n;
        for (int i = 0; i < k; i++) g = g * 5 % m;
        return (int) g;
    }

    public static int conjugationElement(int n) { return 2 * n - 1; }
}
