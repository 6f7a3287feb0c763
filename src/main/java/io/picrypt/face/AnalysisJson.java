package io.picrypt.face;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** The JSON of one face's analyses, shared by {@code picrypt analyze --json} and the page's POST /api/analyze. */
public final class AnalysisJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private AnalysisJson() {}

    /** One face's analyses as JSON: box, liveness, age, gender, expression, head_pose, eyes, millis (shared with the CLI). */
    public static ObjectNode of(FaceAnalyzer.Result r) {
        ObjectNode f = JSON.createObjectNode();
        box(f.putArray("box"), r.face().box());
        f.put("detector_score", round(r.face().box().score()));
        if (r.liveness() != null) {
            f.putObject("liveness").put("score", round(r.liveness().score())).put("threshold", r.liveness().threshold()).put("live", r.liveness().live());
        }
        if (r.age() != null) f.put("age", round(r.age()));
        if (r.gender() != null) f.putObject("gender").put("label", r.gender().label()).put("score", round(r.gender().score()));
        if (r.expression() != null) {
            ObjectNode e = f.putObject("expression").put("label", r.expression().label()).put("probability", round(r.expression().probability()));
            ObjectNode all = e.putObject("probabilities");
            r.expression().probabilities().forEach((k, v) -> all.put(k, round(v)));
        }
        if (r.headPose() != null) {
            f.putObject("head_pose").put("yaw", round(r.headPose().yaw())).put("pitch", round(r.headPose().pitch())).put("roll", round(r.headPose().roll()));
        }
        if (r.eyes() != null) {
            f.putObject("eyes").put("left_open", round(r.eyes().leftOpen())).put("right_open", round(r.eyes().rightOpen()))
                    .put("left_is_open", r.eyes().leftIsOpen()).put("right_is_open", r.eyes().rightIsOpen());
        }
        ObjectNode ms = f.putObject("millis");
        r.millis().forEach((k, v) -> ms.put(k.role(), round(v)));
        return f;
    }

    private static void box(ArrayNode a, FaceBox b) {
        a.add(Math.round(b.x1())).add(Math.round(b.y1())).add(Math.round(b.x2())).add(Math.round(b.y2()));
    }

    private static double round(double v) { return Math.round(v * 1000) / 1000.0; }
}
