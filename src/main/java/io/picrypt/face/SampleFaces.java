package io.picrypt.face;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Point2f;
import org.bytedeco.opencv.opencv_core.Rect;
import org.bytedeco.opencv.opencv_core.Size;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.bytedeco.opencv.global.opencv_core.BORDER_REFLECT;
import static org.bytedeco.opencv.global.opencv_core.flip;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imencode;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR;
import static org.bytedeco.opencv.global.opencv_imgproc.getRotationMatrix2D;
import static org.bytedeco.opencv.global.opencv_imgproc.warpAffine;

/**
 * Demo and test helper: individual face photos cut out of the sample group photos that the build fetches
 * (models/samples), so a demo can enroll several distinct "identities" without shipping personal photos,
 * and probe with a transformed copy of one of them.
 *
 * <pre>{@code
 * try (FacePipeline p = FacePipeline.open(Path.of("models"))) {
 *     List<SampleFaces.Sample> people = SampleFaces.crops(p, Path.of("models/samples"));   // 9 people
 *     byte[] probe = new SampleFaces.Variation(true, 8, 1.1, 20).apply(people.get(0).png());
 *     // enroll people.get(i).png() as identity people.get(i).id(); verify probe against people.get(0)
 * }
 * }</pre>
 */
public final class SampleFaces {
    /** The group photos used, each showing distinct people (group-tracking-test.png repeats group-tracking.jpg). */
    public static final List<String> PHOTOS = List.of("group-tracking.jpg", "group-facedetection.jpg", "portrait-facedetection.jpg");

    /** Margin added around the detector box on each side, as a fraction of the box size. */
    public static final double MARGIN = 0.6;

    /**
     * One person: {@code id} like "group-tracking#1" (photo name + face index, largest first), PNG bytes of
     * the face with a margin, and its box in the source photo.
     */
    public record Sample(String id, String sourcePhoto, FaceBox box, byte[] png) {
        public Sample {
            png = png.clone();
        }

        @Override
        public byte[] png() { return png.clone(); }
    }

    /**
     * An image variation for probes: horizontal flip, rotation in degrees (counter-clockwise, about the centre),
     * scale factor (image size changes), brightness offset added to every channel (saturating).
     */
    public record Variation(boolean flipHorizontal, double rotationDegrees, double scale, double brightness) {
        public static final Variation NONE = new Variation(false, 0, 1, 0);

        /** Applies the variation to encoded image bytes and returns PNG bytes. */
        public byte[] apply(byte[] image) {
            try (PointerScope scope = new PointerScope()) {
                Mat img = new io.picrypt.image.ImageLoader().decode(image, "image");
                if (flipHorizontal) {
                    Mat f = new Mat();
                    flip(img, f, 1);
                    img = f;
                }
                if (rotationDegrees != 0 || scale != 1) {
                    int w = (int) Math.round(img.cols() * scale), h = (int) Math.round(img.rows() * scale);
                    Mat m = getRotationMatrix2D(new Point2f(img.cols() / 2f, img.rows() / 2f), rotationDegrees, scale);
                    // shift so the centre lands at the centre of the resized canvas
                    java.nio.DoubleBuffer b = m.createBuffer();
                    b.put(2, b.get(2) + (w - img.cols()) / 2.0);
                    b.put(5, b.get(5) + (h - img.rows()) / 2.0);
                    Mat r = new Mat();
                    warpAffine(img, r, m, new Size(w, h), INTER_LINEAR, BORDER_REFLECT, new org.bytedeco.opencv.opencv_core.Scalar());
                    img = r;
                }
                if (brightness != 0) {
                    Mat r = new Mat();
                    img.convertTo(r, -1, 1.0, brightness);
                    img = r;
                }
                return png(img);
            }
        }
    }

    private SampleFaces() {}

    /** Every face of {@link #PHOTOS} in {@code samplesDir} (typically models/samples), as PNG crops. */
    public static List<Sample> crops(FacePipeline pipeline, Path samplesDir) {
        List<Sample> out = new ArrayList<>();
        for (String photo : PHOTOS) {
            Path file = samplesDir.resolve(photo);
            if (!Files.isRegularFile(file)) {
                throw new FaceException(FaceException.Reason.IO, "sample photo " + file + " is missing: run `mvn -B -q process-classes`");
            }
            out.addAll(crops(pipeline, pipeline.imageLoader().read(file), photo));
        }
        return out;
    }

    /** Every face of one photo, cut out with {@link #MARGIN}; ids are {@code name#index}, largest face first. */
    public static List<Sample> crops(FacePipeline pipeline, byte[] photo, String name) {
        List<Sample> out = new ArrayList<>();
        try (PointerScope scope = new PointerScope()) {
            Mat img = pipeline.imageLoader().decode(photo, name);
            List<DetectedFace> faces = pipeline.detectFaces(img);
            for (int i = 0; i < faces.size(); i++) {
                FaceBox b = faces.get(i).box();
                int x0 = clamp(b.x1() - MARGIN * b.width(), img.cols()), y0 = clamp(b.y1() - MARGIN * b.height(), img.rows());
                int x1 = clamp(b.x2() + MARGIN * b.width(), img.cols()), y1 = clamp(b.y2() + MARGIN * b.height(), img.rows());
                if (x1 - x0 < 8 || y1 - y0 < 8) continue;
                Mat crop = img.apply(new Rect(x0, y0, x1 - x0, y1 - y0)).clone();
                String id = name.replaceFirst("\\.[A-Za-z]+$", "") + "#" + i;
                out.add(new Sample(id, name, b, png(crop)));
            }
        }
        return out;
    }

    private static int clamp(double v, int max) { return (int) Math.max(0, Math.min(max, Math.round(v))); }

    static byte[] png(Mat img) {
        BytePointer buf = new BytePointer();
        if (!imencode(".png", img, buf)) throw new IllegalStateException("PNG encoding failed");
        byte[] b = new byte[(int) buf.limit()];
        buf.get(b);
        return b;
    }
}
