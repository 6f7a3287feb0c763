package io.picrypt.cli;

import io.picrypt.client.MatchSession;
import io.picrypt.face.DetectedFace;
import io.picrypt.face.FaceBox;
import io.picrypt.face.FacePipeline;
import io.picrypt.face.Landmarks;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Point;
import org.bytedeco.opencv.opencv_core.Scalar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import static org.bytedeco.opencv.global.opencv_imgcodecs.imwrite;
import static org.bytedeco.opencv.global.opencv_imgproc.FONT_HERSHEY_SIMPLEX;
import static org.bytedeco.opencv.global.opencv_imgproc.LINE_AA;
import static org.bytedeco.opencv.global.opencv_imgproc.circle;
import static org.bytedeco.opencv.global.opencv_imgproc.putText;
import static org.bytedeco.opencv.global.opencv_imgproc.rectangle;

@Command(name = "detect", mixinStandardHelpOptions = true,
        description = "Detect faces and 68 landmarks; print them and optionally draw them (-o annotated.png)")
final class DetectCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "PHOTO", description = "image file (JPEG, PNG, BMP, WebP)")
    Path photo;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "write the photo with boxes, scores and landmarks drawn (.png/.jpg)")
    Path output;

    @Option(names = "--names", description = "with -o: caption each face with its identified name (all faces in one encrypted request; needs keys and the server)")
    boolean names;

    @Mixin
    FaceOptions face;

    @Mixin
    ClientOptions client;

    @Override
    public Integer call() {
        if (names && output == null) throw new IllegalArgumentException("--names needs -o FILE");
        if (output != null) IdentifyCommand.checkWritable(output);
        try (FacePipeline p = face.open(); PointerScope scope = new PointerScope()) {
            byte[] bytes = p.imageLoader().read(photo);
            Mat img = p.imageLoader().decode(bytes, photo.toString());
            java.util.List<String> labels = null;
            List<DetectedFace> faces;
            if (names) {
                // the every-face path of identify --all-faces (one batch request, the quality gate: a face it refuses is
                // captioned "not used", never named), whose detection is the one drawn
                MatchSession.PhotoFaces r = client.session(p, null).identifyFaces(bytes, photo.toString(), 1, null);
                faces = r.faces().stream().map(MatchSession.FaceIdentification::face).toList();
                labels = r.faces().stream().map(f -> f.refused() ? "not used" : f.identification().match() == null ? "unknown"
                        : f.identification().match().name() + (f.identification().confirmed() ? "" : " (unconfirmed)")).toList();
            } else {
                faces = p.detectFaces(img);
            }
            System.out.printf(Locale.ROOT, "%s: %dx%d, %d face(s)%n", photo, img.cols(), img.rows(), faces.size());
            for (int i = 0; i < faces.size(); i++) {
                FaceBox b = faces.get(i).box();
                System.out.printf(Locale.ROOT, "  #%d box (%.0f,%.0f)-(%.0f,%.0f) %.0fx%.0f score %.3f%n", i, b.x1(), b.y1(), b.x2(), b.y2(),
                        b.width(), b.height(), b.score());
            }
            if (output != null) {
                draw(img, faces, labels);
                if (!imwrite(output.toString(), img)) {
                    System.err.println("picrypt: cannot write " + output + " (unknown extension or unwritable directory)");
                    return Main.EXIT_ERROR;
                }
                System.out.println("annotated image written to " + output);
            }
            return faces.isEmpty() ? 1 : 0;
        }
    }

    /** Boxes green with index and score, 68 landmarks yellow, the five alignment points red. */
    static void draw(Mat img, List<DetectedFace> faces) { draw(img, faces, null); }

    /** As {@link #draw(Mat, List)}, each box captioned with {@code labels.get(i)} (e.g. the identified name) when given. */
    static void draw(Mat img, List<DetectedFace> faces, List<String> labels) {
        int thick = Math.max(1, Math.round(Math.max(img.cols(), img.rows()) / 500f));
        for (int i = 0; i < faces.size(); i++) {
            FaceBox b = faces.get(i).box();
            rectangle(img, new Point(Math.round(b.x1()), Math.round(b.y1())), new Point(Math.round(b.x2()), Math.round(b.y2())),
                    new Scalar(0, 200, 0, 0), thick, LINE_AA, 0);
            String caption = labels != null && i < labels.size() ? String.format(Locale.ROOT, "#%d %s", i, labels.get(i))
                    : String.format(Locale.ROOT, "#%d %.2f", i, b.score());
            putText(img, caption, new Point(Math.round(b.x1()), Math.max(12, Math.round(b.y1()) - 4)),
                    FONT_HERSHEY_SIMPLEX, 0.4 * thick, new Scalar(0, 200, 0, 0), thick, LINE_AA, false);
            Landmarks l = faces.get(i).landmarks();
            int r = Math.max(1, Math.round(b.width() / 80));
            for (int k = 0; k < Landmarks.COUNT; k++) {
                circle(img, new Point(Math.round(l.x(k)), Math.round(l.y(k))), r, new Scalar(0, 220, 255, 0), -1, LINE_AA, 0);
            }
            float[] five = l.fivePoints();
            for (int k = 0; k < 5; k++) {
                circle(img, new Point(Math.round(five[2 * k]), Math.round(five[2 * k + 1])), r + 1, new Scalar(0, 0, 255, 0), -1, LINE_AA, 0);
            }
        }
    }
}
