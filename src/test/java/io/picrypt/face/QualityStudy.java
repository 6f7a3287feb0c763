package io.picrypt.face;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.MatVector;
import org.bytedeco.opencv.opencv_core.Point;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.bytedeco.opencv.opencv_core.Size;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.bytedeco.opencv.global.opencv_imgcodecs.imdecode;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imencode;
import static org.bytedeco.opencv.global.opencv_imgproc.GaussianBlur;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_AREA;
import static org.bytedeco.opencv.global.opencv_imgproc.fillPoly;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;

/**
 * The measurements behind the quality gate's limits (docs/BENCHMARKS.md, "Quality gate"); a development tool,
 * not a test. For every pair of a labelled set, photo A is used as is and photo B is degraded, then every pair's
 * squared distance is computed at the given threshold (gate off):
 * <ul>
 *   <li>{@code size}: B is shrunk (INTER_AREA) so that its face has E px between the eyes, for each E;</li>
 *   <li>{@code blur}: B is Gaussian-blurred with sigma S (pixels of the photo), for each S;</li>
 *   <li>{@code mask}: B (and for impostor pairs also A: "two people in the same mask") gets a flat light-blue
 *       polygon over nose tip, mouth and chin, from its own landmarks.</li>
 * </ul>
 * Prints per level: FAR, FRR, AUC and the median of the gate's measure on the degraded photos.
 * <pre>java -cp target/test-classes:target/classes:target/picrypt.jar io.picrypt.face.QualityStudy models SET_DIR MODE LEVELS THRESHOLD [CUT]
 * e.g. ... models ../shared/datasets/lfw10 size 6,8,10,12,14,16,20,24,32 1.19
 *      ... models ../shared/datasets/att mask 210,120 1.2386 0.25</pre>
 */
public final class QualityStudy {
    public static void main(String[] args) throws Exception {
        Path models = Path.of(args[0]), set = Path.of(args[1]);
        String mode = args[2];
        double[] levels = java.util.Arrays.stream(args[3].split(",")).mapToDouble(Double::parseDouble).toArray();
        double threshold = Double.parseDouble(args[4]);
        double cut = args.length > 5 ? Double.parseDouble(args[5]) : Double.NaN; // share of degraded photos whose measure is below it
        List<PairsFile.Pair> pairs = PairsFile.read(set.resolve("pairs.csv"));
        LinkedHashSet<String> images = new LinkedHashSet<>();
        for (PairsFile.Pair p : pairs) { images.add(p.imageA()); images.add(p.imageB()); }
        try (FacePipeline pl = FacePipeline.open(models, null, InferenceEngine.defaultEngine(), new ImageLoader(), null, "off")) {
            Map<String, FaceEmbedding> clean = new LinkedHashMap<>();
            for (String img : images) clean.put(img, pl.embedLargest(set.resolve(img)));
            System.out.printf(Locale.ROOT, "%s %s: %d photos, %d pairs, threshold %.4f; clean medians: eyes %.1f px, sharpness %.0f, lower texture %.3f%n",
                    set.getFileName(), mode, images.size(), pairs.size(), threshold,
                    median(clean.values().stream().mapToDouble(e -> e.quality().eyeDistance()).toArray()),
                    median(clean.values().stream().mapToDouble(e -> e.quality().sharpness()).toArray()),
                    median(clean.values().stream().mapToDouble(e -> e.quality().lowerFaceTexture()).toArray()));
            for (double level : levels) {
                Map<String, FaceEmbedding> bad = new LinkedHashMap<>();
                int lost = 0;
                for (String img : images) {
                    try {
                        bad.put(img, pl.embedLargest(degrade(Files.readAllBytes(set.resolve(img)), clean.get(img), mode, level), img));
                    } catch (FaceException e) {
                        lost++;
                    }
                }
                double[] d = new double[pairs.size()];
                boolean[] same = new boolean[d.length];
                for (int i = 0; i < d.length; i++) {
                    PairsFile.Pair p = pairs.get(i);
                    same[i] = p.same();
                    FaceEmbedding a = mode.equals("mask") && !p.same() ? bad.get(p.imageA()) : clean.get(p.imageA());
                    FaceEmbedding b = bad.get(p.imageB());
                    d[i] = a == null || b == null ? Double.POSITIVE_INFINITY : a.squaredDistance(b);
                }
                VerificationMetrics m = VerificationMetrics.compute(d, same, threshold);
                double[] measure = bad.values().stream().mapToDouble(e -> switch (mode) {
                    case "size" -> e.quality().eyeDistance();
                    case "blur" -> e.quality().sharpness();
                    default -> e.quality().lowerFaceTexture();
                }).toArray();
                double[] yaw = bad.values().stream().mapToDouble(e -> Math.abs(e.quality().yaw())).toArray();
                long below = java.util.Arrays.stream(measure).filter(x -> x < cut).count();
                System.out.printf(Locale.ROOT, "  %s %5.1f: FAR %.4f FRR %.4f AUC %.5f  measure median %.3f (p10 %.3f, p90 %.3f), |yaw| median %.3f, no face %d%s%n",
                        mode, level, m.far(), m.frr(), m.auc(), median(measure), pct(measure, 0.1), pct(measure, 0.9), median(yaw), lost,
                        Double.isNaN(cut) ? "" : String.format(Locale.ROOT, ", below %.3f: %d of %d", cut, below, measure.length));
            }
        }
    }

    static byte[] degrade(byte[] photo, FaceEmbedding clean, String mode, double level) {
        try (PointerScope scope = new PointerScope()) {
            Mat img = imdecode(new Mat(new BytePointer(photo)), org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_COLOR);
            Mat out = new Mat();
            switch (mode) {
                case "size" -> {
                    double s = Math.min(1.0, level / clean.quality().eyeDistance());
                    resize(img, out, new Size(Math.max(1, (int) Math.round(img.cols() * s)), Math.max(1, (int) Math.round(img.rows() * s))), 0, 0, INTER_AREA);
                }
                case "blur" -> GaussianBlur(img, out, new Size(0, 0), level);
                case "mask" -> {
                    out = img.clone();
                    Landmarks l = clean.face().landmarks();
                    // jaw contour 2..14 and back along a line just under the nose bridge (point 29's height)
                    List<Point> pts = new ArrayList<>();
                    for (int i = 2; i <= 14; i++) pts.add(new Point(Math.round(l.x(i)), Math.round(l.y(i))));
                    int top = Math.round(l.y(29));
                    pts.add(new Point(Math.round(l.x(14)), top));
                    pts.add(new Point(Math.round(l.x(2)), top));
                    Mat poly = new Mat(pts.size(), 1, org.bytedeco.opencv.global.opencv_core.CV_32SC2);
                    java.nio.IntBuffer ib = poly.createBuffer();
                    for (Point p : pts) { ib.put(p.x()); ib.put(p.y()); }
                    MatVector mv = new MatVector(poly);
                    double shade = level; // grey level of the mask: 0..255 (light blue when 3-channel)
                    fillPoly(out, mv, new Scalar(Math.min(255, shade + 30), shade, Math.max(0, shade - 30), 0));
                }
                default -> throw new IllegalArgumentException("mode must be size, blur or mask");
            }
            BytePointer buf = new BytePointer();
            imencode(".png", out, buf);
            byte[] b = new byte[(int) buf.limit()];
            buf.get(b);
            return b;
        }
    }

    static double median(double[] a) { return pct(a, 0.5); }

    static double pct(double[] a, double q) {
        if (a.length == 0) return Double.NaN;
        double[] s = a.clone();
        java.util.Arrays.sort(s);
        return s[Math.min(s.length - 1, (int) Math.floor(q * (s.length - 1) + 0.5))];
    }
}
