package io.picrypt.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.picrypt.face.DetectedFace;
import io.picrypt.face.FaceAnalyzer;
import io.picrypt.face.FaceBox;
import io.picrypt.face.FacePipeline;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.opencv.opencv_core.Mat;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

/** {@code picrypt analyze photo.jpg [--json] [--liveness]}: per face, age, gender, expression, head pose, eye state. All local. */
@Command(name = "analyze", mixinStandardHelpOptions = true,
        description = {"Per detected face: age, gender, expression, head pose and eye state (and the liveness score with --liveness),",
                "with their scores. Runs entirely here; nothing is sent to a server. Exit 0 = at least one face, 1 = none."})
final class AnalyzeCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "PHOTO", description = "image file (JPEG, PNG, BMP, WebP)")
    Path photo;

    @Mixin
    JsonOutput output;

    @Option(names = "--liveness", description = "also score presentation attack (liveness)")
    boolean liveness;

    @Mixin
    FaceOptions face;

    @Override
    public Integer call() throws Exception {
        Set<FaceAnalyzer.Analysis> which = EnumSet.copyOf(FaceAnalyzer.Analysis.attributes());
        if (liveness) which.add(FaceAnalyzer.Analysis.LIVENESS);
        try (FacePipeline p = face.open(); FaceAnalyzer an = FaceAnalyzer.open(face.modelsDir(), which);
             PointerScope scope = new PointerScope()) {
            Mat img = p.imageLoader().decode(p.imageLoader().read(photo), photo.toString());
            List<DetectedFace> faces = p.detectFaces(img);
            List<FaceAnalyzer.Result> results = an.analyze(img, faces);
            if (output.json) {
                ObjectMapper om = new ObjectMapper();
                ObjectNode o = om.createObjectNode().put("photo", photo.toString()).put("width", img.cols()).put("height", img.rows());
                ArrayNode arr = o.putArray("faces");
                for (FaceAnalyzer.Result r : results) arr.add(io.picrypt.face.AnalysisJson.of(r));
                System.out.println(om.writeValueAsString(o));
            } else {
                System.out.printf(Locale.ROOT, "%s: %dx%d, %d face(s)%n", photo, img.cols(), img.rows(), faces.size());
                for (int i = 0; i < results.size(); i++) System.out.println(describe(i, results.get(i)));
            }
            return faces.isEmpty() ? 1 : 0;
        }
    }

    /** One face as text lines: box, then one line per analysis. */
    static String describe(int i, FaceAnalyzer.Result r) {
        FaceBox b = r.face().box();
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "  #%d box (%.0f,%.0f)-(%.0f,%.0f)%n", i, b.x1(), b.y1(), b.x2(), b.y2()));
        if (r.liveness() != null) {
            s.append(String.format(Locale.ROOT, "     liveness    %s (score %.3f, threshold %.3f)%n", r.liveness().live() ? "live" : "NOT LIVE",
                    r.liveness().score(), r.liveness().threshold()));
        }
        if (r.age() != null) s.append(String.format(Locale.ROOT, "     age         %.0f years%n", r.age()));
        if (r.gender() != null) s.append(String.format(Locale.ROOT, "     gender      %s (score %.3f; > 0.5 = male)%n", r.gender().label(), r.gender().score()));
        if (r.expression() != null) {
            s.append(String.format(Locale.ROOT, "     expression  %s (%.2f)", r.expression().label(), r.expression().probability()));
            StringBuilder rest = new StringBuilder();
            for (Map.Entry<String, Double> e : r.expression().probabilities().entrySet()) {
                if (!e.getKey().equals(r.expression().label()) && e.getValue() >= 0.05) rest.append(String.format(Locale.ROOT, " %s %.2f", e.getKey(), e.getValue()));
            }
            s.append(rest.length() > 0 ? "; also" + rest : "").append(System.lineSeparator());
        }
        if (r.headPose() != null) {
            s.append(String.format(Locale.ROOT, "     head pose   yaw %.0f, pitch %.0f, roll %.0f degrees%n", r.headPose().yaw(), r.headPose().pitch(), r.headPose().roll()));
        }
        if (r.eyes() != null) {
            s.append(String.format(Locale.ROOT, "     eyes        left %s (%.2f), right %s (%.2f) (image left/right)%n", r.eyes().leftIsOpen() ? "open" : "closed",
                    r.eyes().leftOpen(), r.eyes().rightIsOpen() ? "open" : "closed", r.eyes().rightOpen()));
        }
        return s.toString().stripTrailing();
    }

    private static double round(double v) { return Math.round(v * 1000) / 1000.0; }
}
