package io.picrypt.cli;

import io.picrypt.client.MatchSession;
import io.picrypt.face.DetectedFace;
import io.picrypt.face.FaceAnalyzer;
import io.picrypt.face.FaceException;
import io.picrypt.face.FacePipeline;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.opencv.opencv_core.Mat;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "verify", mixinStandardHelpOptions = true,
        description = {"1:1: is this photo the enrolled name? The server computes the encrypted distance; it is decrypted",
                "and compared with the threshold here. Exit 0 = match, 1 = no match, 2 = error, 3 = not live (--liveness)."})
final class VerifyCommand implements Callable<Integer> {
    @Option(names = "--name", required = true, description = "enrolled name")
    String name;


    @Parameters(arity = "1", paramLabel = "PHOTO")
    Path photo;

    @Mixin
    SessionOptions options;

    @Mixin
    LivenessOptions liveness;

    @Override
    public Integer call() {
        try (SessionOptions.Opened o = options.open(); FaceAnalyzer an = liveness.open(options.face.modelsDir())) {
            MatchSession.Verification v;
            if (an == null) {
                v = o.session().verify(name, photo);
            } else {
                float[] e = liveEmbedding(o.pipeline(), an, liveness.threshold(an), photo);
                if (e == null) return LivenessOptions.EXIT_NOT_LIVE;
                v = o.session().verifyEmbedding(name, e);
            }
            MatchSession.Trace t = v.trace();
            System.out.printf(Locale.ROOT, "%s: %s  (squared distance %.4f, threshold %.4f)%n", name,
                    v.match() ? "MATCH" : "NO MATCH", v.distance(), v.threshold());
            System.out.printf(Locale.ROOT, "  embed %.0f ms, encrypt %.0f ms, server round trip %.0f ms, decrypt %.0f ms; sent %,d B, received %,d B%n",
                    t.embedMs(), t.encryptMs(), t.serverMs(), t.decryptMs(), t.requestBytes(), t.responseBytes());
            if (v.integrityWarning() != null) System.err.println("warning: " + v.integrityWarning());
            return v.match() ? 0 : 1;
        }
    }

    /**
     * The largest face's embedding after the liveness check, or null (with the refusal printed) when it is
     * judged not live. The photo is decoded and detected once for both.
     */
    static float[] liveEmbedding(FacePipeline p, FaceAnalyzer an, double threshold, Path photo) {
        try (PointerScope scope = new PointerScope()) {
            Mat img = p.imageLoader().decode(p.imageLoader().read(photo), photo.toString());
            List<DetectedFace> faces = p.detectFaces(img);
            if (faces.isEmpty()) throw new FaceException(FaceException.Reason.NO_FACE, "no face found in " + photo);
            FaceAnalyzer.Liveness l = an.liveness(img, faces.get(0).box(), threshold);
            if (!l.live()) {
                System.out.printf(Locale.ROOT, "REFUSED: the face is judged not live (liveness score %.3f < threshold %.3f); nothing was sent%n",
                        l.score(), l.threshold());
                return null;
            }
            System.out.printf(Locale.ROOT, "liveness: live (score %.3f >= %.3f)%n", l.score(), l.threshold());
            return p.embedFace(img, faces.get(0).box(), faces.size(), null).vector();
        }
    }
}
