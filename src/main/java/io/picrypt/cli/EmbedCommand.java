package io.picrypt.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.picrypt.face.FaceBox;
import io.picrypt.face.FaceEmbedding;
import io.picrypt.face.FacePipeline;
import io.picrypt.face.Landmarks;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "embed", mixinStandardHelpOptions = true,
        description = {"Detect, align and embed a photo: boxes, scores, landmarks and the L2-normalised embedding.",
                "Every face is embedded; face #0 (the largest) is the one verification uses."})
final class EmbedCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "PHOTO", description = "image file (JPEG, PNG, BMP, WebP)")
    Path photo;

    @Option(names = "--json", description = "print one JSON object (all 68 landmarks and the full embedding of every face)")
    boolean json;

    @Mixin
    FaceOptions face;

    @Override
    public Integer call() throws Exception {
        try (FacePipeline p = face.open()) {
            List<FaceEmbedding> all = p.embedAll(photo); // throws NO_FACE with a clear message
            if (json) {
                ObjectMapper om = new ObjectMapper();
                ObjectNode o = om.createObjectNode();
                o.put("image", photo.toString()).put("model", p.modelName()).put("dimension", p.dimension());
                if (p.thresholdIfSet().isPresent()) o.put("threshold", p.thresholdIfSet().getAsDouble());
                o.put("face_count", all.size()).put("chosen", 0);
                if (all.size() > 1) o.put("warning", all.size() + " faces found; verification uses face 0, the largest");
                ArrayNode faces = o.putArray("faces");
                for (FaceEmbedding e : all) {
                    ObjectNode f = faces.addObject();
                    FaceBox b = e.face().box();
                    f.putArray("box").add(b.x1()).add(b.y1()).add(b.x2()).add(b.y2());
                    f.put("score", b.score());
                    Landmarks l = e.face().landmarks();
                    ArrayNode lm = f.putArray("landmarks");
                    for (int i = 0; i < Landmarks.COUNT; i++) lm.addArray().add(l.x(i)).add(l.y(i));
                    float[] five = l.fivePoints();
                    ArrayNode fp = f.putArray("five_points");
                    for (int i = 0; i < 5; i++) fp.addArray().add(five[2 * i]).add(five[2 * i + 1]);
                    ArrayNode v = f.putArray("embedding");
                    for (float x : e.vector()) v.add(x);
                }
                System.out.println(om.writeValueAsString(o));
            } else {
                System.out.printf(Locale.ROOT, "%s: %d face(s), model %s (%d-D)%n", photo, all.size(), p.modelName(), p.dimension());
                if (all.size() > 1) System.out.println("warning: several faces; verification uses #0, the largest");
                all.get(0).warnings().forEach(Terminal::warn); // the quality gate's, for the face verification uses
                for (int i = 0; i < all.size(); i++) {
                    FaceBox b = all.get(i).face().box();
                    float[] five = all.get(i).face().landmarks().fivePoints();
                    System.out.printf(Locale.ROOT, "  #%d box (%.0f,%.0f)-(%.0f,%.0f) score %.3f eyes (%.0f,%.0f) (%.0f,%.0f) nose (%.0f,%.0f) mouth (%.0f,%.0f) (%.0f,%.0f)%n",
                            i, b.x1(), b.y1(), b.x2(), b.y2(), b.score(), five[0], five[1], five[2], five[3], five[4], five[5],
                            five[6], five[7], five[8], five[9]);
                }
                float[] v = all.get(0).vector();
                StringBuilder sb = new StringBuilder();
                for (int i = 0; i < Math.min(8, v.length); i++) sb.append(String.format(Locale.ROOT, "%s%.4f", i == 0 ? "" : ", ", v[i]));
                System.out.printf("  embedding #0: [%s, ...] (%d values, unit length; --json prints all)%n", sb, v.length);
            }
            return 0;
        }
    }
}
