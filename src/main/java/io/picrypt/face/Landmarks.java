package io.picrypt.face;

import java.util.Arrays;

/**
 * 68 facial landmarks in iBUG 300-W order, in image pixels. Stored as x0,y0,x1,y1,... (136 floats).
 * The array is copied in and out, so a record instance is immutable.
 */
public record Landmarks(float[] xy) {
    public static final int COUNT = 68;

    public Landmarks {
        if (xy == null || xy.length != 2 * COUNT) throw new IllegalArgumentException("need 136 coordinates");
        xy = xy.clone();
    }

    @Override
    public float[] xy() { return xy.clone(); }

    public float x(int i) { return xy[2 * i]; }

    public float y(int i) { return xy[2 * i + 1]; }

    /**
     * The five alignment points, as x,y pairs: left-eye centre (mean of 36-41), right-eye centre (42-47),
     * nose tip (30), left mouth corner (48), right mouth corner (54). "Left" is image left.
     */
    public float[] fivePoints() {
        float[] p = new float[10];
        for (int i = 36; i <= 41; i++) { p[0] += x(i) / 6f; p[1] += y(i) / 6f; }
        for (int i = 42; i <= 47; i++) { p[2] += x(i) / 6f; p[3] += y(i) / 6f; }
        p[4] = x(30); p[5] = y(30);
        p[6] = x(48); p[7] = y(48);
        p[8] = x(54); p[9] = y(54);
        return p;
    }

    @Override
    public boolean equals(Object o) { return o instanceof Landmarks l && Arrays.equals(xy, l.xy); }

    @Override
    public int hashCode() { return Arrays.hashCode(xy); }

    @Override
    public String toString() { return "Landmarks[68 points]"; }
}
