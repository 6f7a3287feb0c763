package io.picrypt.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.picrypt.client.MatchSession;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import static org.bytedeco.opencv.global.opencv_imgcodecs.imwrite;

@Command(name = "identify", mixinStandardHelpOptions = true,
        description = {"1:N: who is this? Encrypted distances to every enrolled identity are computed by the server and",
                "decrypted and ranked here. --all-faces: every face of the photo, all probes in one request.",
                "Every MATCH is confirmed against the name's own 1:1 templates (their planted check values) before it is shown.",
                "Exit 0 = identified and confirmed (any face), 1 = unknown, 2 = error (also: the gallery's answer and the",
                "name's templates disagree), 3 = not live (--liveness, single face), 4 = identified but UNCONFIRMED (a",
                "gallery-only identity, templates without check values, or --no-confirm; the output says which)."})
final class IdentifyCommand implements Callable<Integer> {
    @Option(names = "--top", defaultValue = "5", description = "candidates to show (default ${DEFAULT-VALUE})")
    int top;

    @Option(names = "--all-faces", description = "identify every detected face (one row each: box, best name or unknown, distance)")
    boolean allFaces;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "with --all-faces: write the photo with each face's box and name drawn (.png/.jpg)")
    Path output;

    /** Accepted for scripts written when confirmation was opt-in; it is always on now. */
    @Option(names = "--confirm", hidden = true)
    boolean confirm;

    @Option(names = "--no-confirm", description = "do not confirm a MATCH against the name's 1:1 templates: the server then does not learn "
            + "which name matched (confirming downloads that name's templates), but a server that mixed up the gallery's names or blocks "
            + "is not detected; a MATCH is printed as UNCONFIRMED, exit 4")
    boolean noConfirm;

    @Option(names = "--json", description = "with --all-faces: print one JSON object")
    boolean json;

    @Parameters(arity = "1", paramLabel = "PHOTO")
    Path photo;

    @Mixin
    SessionOptions options;

    @Mixin
    LivenessOptions liveness;

    @Override
    public Integer call() throws Exception {
        if (!allFaces && (output != null || json)) throw new IllegalArgumentException("-o and --json need --all-faces");
        if (confirm && noConfirm) throw new IllegalArgumentException("--confirm and --no-confirm contradict each other (confirmation is on by default)");
        if (top < 1 || top > io.picrypt.client.ui.UiServer.MAX_TOP) {
            throw new IllegalArgumentException("--top must be a whole number from 1 to " + io.picrypt.client.ui.UiServer.MAX_TOP + ", got " + top);
        }
        if (output != null) checkWritable(output);
        try (SessionOptions.Opened o = options.open(); FaceAnalyzer an = liveness.open(options.face.modelsDir())) {
            if (allFaces) return allFaces(o, an);
            MatchSession session = o.session().confirmMatches(!noConfirm);
            MatchSession.OnPhoto<MatchSession.Identification> onPhoto = liveness.decide(o.pipeline(), an, photo,
                    () -> session.identifyOnPhoto(photo, top), f -> session.identifyFace(f, top));
            if (onPhoto == null) return LivenessOptions.EXIT_NOT_LIVE;
            onPhoto.face().photoWarnings(photo.toString()).forEach(Terminal::warn); // several faces, quality: shown once, here
            MatchSession.Identification r = onPhoto.result();
            MatchSession.Candidate m = r.match();
            String unconfirmed = r.unconfirmedWarning();
            System.out.println(m == null ? "unknown (no enrolled identity under the threshold)"
                    : unconfirmed == null ? "identified: " + Terminal.safe(m.name()) + " (confirmed by its 1:1 templates)"
                    : "identified (UNCONFIRMED): " + Terminal.safe(m.name()));
            if (unconfirmed != null) Terminal.warn(unconfirmed);
            for (MatchSession.Candidate c : r.ranked()) {
                System.out.printf(Locale.ROOT, "  %s %.4f%s%n", Terminal.padRight(Terminal.safe(c.name()), 24), c.distance(), c.distance() <= r.threshold() ? "  <= threshold" : "");
            }
            MatchSession.Trace t = r.trace();
            System.out.printf(Locale.ROOT, "  %d identities, threshold %.4f; server round trip %.0f ms, decrypt %.0f ms; sent %,d B, received %,d B%n",
                    r.identities(), r.threshold(), t.serverMs(), t.decryptMs(), t.requestBytes(), t.responseBytes());
            return m == null ? 1 : unconfirmed == null ? 0 : EXIT_UNCONFIRMED;
        }
    }

    /** A MATCH that could not be confirmed against the name's checked 1:1 templates. */
    static final int EXIT_UNCONFIRMED = 4;

    /**
     * One row per face; the faces judged not live (with --liveness) or refused by the quality gate (e.g. too small to
     * embed reliably) are listed and not sent. Exit 2 when no face could be used for the quality gate.
     */
    private int allFaces(SessionOptions.Opened o, FaceAnalyzer an) throws Exception {
        FacePipeline p = o.pipeline();
        byte[] bytes = p.imageLoader().read(photo);
        MatchSession.PhotoFaces r = o.session().confirmMatches(!noConfirm).identifyFaces(bytes, photo.toString(), top,
                an == null ? null : (img, box) -> an.liveness(img, box, liveness.threshold(an)));
        List<String> labels = new ArrayList<>();
        ObjectMapper om = new ObjectMapper();
        ObjectNode root = om.createObjectNode().put("photo", photo.toString());
        var rows = root.putArray("faces");
        if (!json) System.out.printf(Locale.ROOT, "%s: %d face(s)%n", photo, r.faces().size());
        int identified = 0, unconfirmed = 0;
        for (int i = 0; i < r.faces().size(); i++) {
            MatchSession.FaceIdentification f = r.faces().get(i);
            FaceBox b = f.face().box();
            FaceAnalyzer.Liveness l = f.liveness();
            ObjectNode row = rows.addObject();
            row.putArray("box").add(Math.round(b.x1())).add(Math.round(b.y1())).add(Math.round(b.x2())).add(Math.round(b.y2()));
            if (l != null) row.putObject("liveness").put("score", Math.round(l.score() * 1000) / 1000.0).put("live", l.live());
            String label;
            if (!json) f.warnings().forEach(Terminal::warn); // each names its face ("... (face #i) ...")
            if (!f.warnings().isEmpty()) f.warnings().forEach(row.putArray("warnings")::add);
            if (f.notLive()) {
                label = "not live";
                row.put("refused", "not live");
                if (!json) System.out.printf(Locale.ROOT, "  #%d box (%.0f,%.0f)-(%.0f,%.0f)  REFUSED: not live (liveness score %.3f < %.3f)%n",
                        i, b.x1(), b.y1(), b.x2(), b.y2(), l.score(), l.threshold());
            } else if (f.refused()) { // the quality gate: e.g. a face too small to embed reliably; not sent
                label = "not used";
                row.put("refused", "low quality").put("reason", f.refusal());
                if (!json) System.out.printf(Locale.ROOT, "  #%d box (%.0f,%.0f)-(%.0f,%.0f)  NOT USED: %s%n",
                        i, b.x1(), b.y1(), b.x2(), b.y2(), Terminal.safe(f.refusal()));
            } else {
                MatchSession.Identification id = f.identification();
                MatchSession.Candidate m = id.match();
                if (m != null) identified++;
                String warning = id.unconfirmedWarning();
                if (warning != null) unconfirmed++;
                label = m == null ? "unknown" : warning == null ? m.name() : m.name() + " (unconfirmed)";
                row.put("name", m != null ? m.name() : null);
                if (m != null) row.put("confirmed", warning == null);
                if (warning != null) {
                    row.put("integrity_warning", warning);
                    if (!json) System.err.println("warning: face #" + i + ": " + Terminal.safe(warning));
                }
                if (id.best() != null) row.put("best", id.best().name()).put("distance", Math.round(id.best().distance() * 10000) / 10000.0);
                if (!json) {
                    System.out.printf(Locale.ROOT, "  #%d box (%.0f,%.0f)-(%.0f,%.0f)  %s %s%n", i, b.x1(), b.y1(), b.x2(), b.y2(), Terminal.padRight(label, 20),
                            id.best() == null ? "(nobody enrolled)" : String.format(Locale.ROOT, "distance %.4f%s", id.best().distance(),
                                    m == null ? " (best: " + id.best().name() + ")" : ""));
                }
            }
            labels.add(label);
        }
        MatchSession.Batch batch = r.batch();
        if (batch != null) {
            MatchSession.Trace t = batch.trace();
            root.put("threshold", o.session().threshold()).put("embed_ms", r.embedMs()).put("round_trip_ms", t.serverMs())
                    .put("encrypt_ms", t.encryptMs()).put("decrypt_ms", t.decryptMs()).put("sent_bytes", t.requestBytes()).put("received_bytes", t.responseBytes())
                    .put("requests", batch.requests());
            if (!json) {
                System.out.printf(Locale.ROOT, "  %s in %s; threshold %.4f; detect+embed %.0f ms, encrypt %.0f ms, server round trip %.0f ms, decrypt %.0f ms; sent %,d B, received %,d B%n",
                        r.probes() == 1 ? "1 probe" : r.probes() + " probes", batch.requests() == 1 ? "one request" : batch.requests() + " requests", o.session().threshold(), r.embedMs(), t.encryptMs(), t.serverMs(), t.decryptMs(), t.requestBytes(), t.responseBytes());
            }
        }
        if (output != null) {
            try (PointerScope scope = new PointerScope()) { // decoded again for drawing: only with -o
                Mat img = p.imageLoader().decode(bytes, photo.toString());
                DetectCommand.draw(img, r.faces().stream().map(MatchSession.FaceIdentification::face).toList(), labels);
                if (!imwrite(output.toString(), img)) throw new IllegalArgumentException("cannot write " + output + " (unknown extension or unwritable directory)");
            }
            if (!json) System.out.println("annotated image written to " + output);
        }
        if (json) System.out.println(om.writeValueAsString(root));
        if (r.probes() == 0 && r.faces().stream().noneMatch(MatchSession.FaceIdentification::notLive)) {
            // nothing was compared: every face refused by the quality gate is an unusable photo (exit 2), not "unknown"
            throw new io.picrypt.face.FaceException(io.picrypt.face.FaceException.Reason.LOW_QUALITY, "no face of " + photo
                    + " could be used: " + r.faces().get(0).refusal());
        }
        return identified == 0 ? 1 : unconfirmed > 0 ? EXIT_UNCONFIRMED : 0;
    }

    /**
     * Checks -o before any probe is sent: an extension OpenCV cannot write (out.xyz) used to fail only after the
     * identification, with OpenCV's internal "could not find a writer" text.
     */
    static void checkWritable(Path output) {
        if (!org.bytedeco.opencv.global.opencv_imgcodecs.haveImageWriter(output.toString())) {
            throw new IllegalArgumentException("cannot write " + output + ": use a .png or .jpg file name");
        }
        checkOutputFile(output);
    }

    /** Before any work: an output path must name a file in an existing directory (checked again when written). */
    static void checkOutputFile(Path output) {
        if (java.nio.file.Files.isDirectory(output)) throw new IllegalArgumentException("cannot write " + output + ": it is a directory; give a file name");
        Path dir = output.toAbsolutePath().getParent();
        if (dir != null && !java.nio.file.Files.isDirectory(dir)) throw new IllegalArgumentException("cannot write " + output + ": no such directory " + dir);
    }
}
