package io.picrypt.client;

import io.picrypt.ckks.SecretKey;
import io.picrypt.face.DetectedFace;
import io.picrypt.face.FaceAnalyzer;
import io.picrypt.face.FaceBox;
import io.picrypt.face.FaceEmbedding;
import io.picrypt.face.FaceException;
import io.picrypt.face.FacePipeline;
import io.picrypt.names.IdentityNames;
import io.picrypt.match.GalleryKeyOwner;
import io.picrypt.match.GalleryFrames;
import io.picrypt.match.GalleryParameters;
import io.picrypt.match.MatchKeyOwner;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.opencv.opencv_core.Mat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.IntFunction;
import java.util.function.Supplier;

/**
 * The client side of enrollment, verification and identification: embeds photos (optional), encrypts,
 * calls the server and decrypts and decides locally. What goes to the server is only ever a fresh
 * ciphertext (plus names); decrypted distances and decisions stay in this process.
 */
public final class MatchSession {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(MatchSession.class);
    private final PiCryptClient http;
    private final MatchKeyOwner crypto;
    private final FacePipeline pipeline;
    private final double threshold;
    private final GalleryKeyOwner gallery;
    /** Key-check values of this session's keys, compared with the keyset's record on every answer. */
    private final String keyCheck, galleryKeyCheck;

    /** Time of each step in milliseconds and the bytes that crossed the wire. */
    /** serverMs is the round trip seen here; computeMs the server's own compute time (X-PiCrypt-Server-Ms). */
    public record Trace(double embedMs, double encryptMs, double serverMs, double decryptMs, long requestBytes, long responseBytes,
                        double computeMs) {}

    public record Enrollment(String name, int photos, int templates, List<String> warnings, Trace trace) {}

    /**
     * {@code distance}: squared distance (0..4 for unit vectors), clamped at 0: CKKS noise (~1e-5) makes a true 0 decrypt
     * slightly negative. {@code unchecked}: how many of the name's templates carry no planted check values (enrolled
     * before them): for those a server substituting another template would not be detected ({@link #integrityWarning()}).
     */
    public record Verification(String name, boolean match, double distance, double threshold, int templates, Trace trace, int unchecked) {
        public Verification {
            distance = Math.max(0.0, distance); // no "-0.0000" anywhere a distance is shown; NaN stays NaN
        }

        public Verification(String name, boolean match, double distance, double threshold, int templates, Trace trace) {
            this(name, match, distance, threshold, templates, trace, 0);
        }

        /** Null when every template was checked; else what the user should know and do. */
        public String integrityWarning() {
            return unchecked == 0 ? null : unchecked + " of the " + templates + " template(s) of '" + name + "' were enrolled before check values"
                    + " existed: a server substituting another template for them would not be detected; enroll '" + name
                    + "' again (picrypt enroll replaces its templates) to add them";
        }
    }

    /** {@code distance} clamped at 0 as in {@link Verification}. */
    public record Candidate(String name, double distance) {
        public Candidate {
            distance = Math.max(0.0, distance);
        }
    }

    /**
     * Whether a 1:N MATCH was confirmed against the matched name's own 1:1 templates (see {@link #confirmMatches}).
     * Only {@link #CONFIRMED} makes a MATCH one that a malicious or corrupted gallery cannot have put there.
     */
    public enum Confirmation {
        /** No MATCH: nothing to confirm. */
        NONE,
        /** The name's 1:1 templates (each carrying the name's planted check values) put the probe at the gallery's distance. */
        CONFIRMED,
        /** The name has no 1:1 template (bulk {@code import}, {@code enroll --gallery}): nothing to confirm against. */
        GALLERY_ONLY,
        /** The distances agree, but some of the name's templates carry no check values (enrolled before them). */
        UNCHECKED_TEMPLATES,
        /** Confirmation switched off ({@code identify --no-confirm}, {@code confirmMatches(false)}). */
        OFF
    }

    /**
     * {@code ranked}: the best {@code top} candidates, closest first; {@code best}: the closest of all (null for an empty
     * gallery); {@code confirmation}: how {@link #match()} was confirmed ({@link Confirmation#NONE} when there is none).
     */
    public record Identification(List<Candidate> ranked, Candidate best, double threshold, int identities, Trace trace,
                                 Confirmation confirmation) {
        public Identification {
            java.util.Objects.requireNonNull(confirmation, "confirmation");
        }

        /** Before confirmation: {@link Confirmation#NONE}. */
        public Identification(List<Candidate> ranked, Candidate best, double threshold, int identities, Trace trace) {
            this(ranked, best, threshold, identities, trace, Confirmation.NONE);
        }

        /**
         * The best candidate if under the threshold, else null ("unknown"). This is the gallery's decision: whoever
         * reports it must also report {@link #unconfirmedWarning()} (the CLI's exit 4, the page's warning).
         */
        public Candidate match() { return best != null && best.distance() <= threshold ? best : null; }

        /** A MATCH confirmed against the name's checked 1:1 templates. */
        public boolean confirmed() { return match() != null && confirmation == Confirmation.CONFIRMED; }

        /** Null unless there is a MATCH that was not confirmed; then why, and what it means. */
        public String unconfirmedWarning() {
            Candidate m = match();
            if (m == null || confirmation == Confirmation.CONFIRMED) return null;
            String what = switch (confirmation) {
                case GALLERY_ONLY -> "'" + m.name() + "' exists only in the 1:N gallery (imported, or enrolled with --gallery): it has no 1:1"
                        + " template to confirm the match against; enroll '" + m.name() + "' from photos to make its matches confirmable";
                case UNCHECKED_TEMPLATES -> "the 1:1 templates of '" + m.name() + "' were enrolled before check values existed, so they"
                        + " cannot prove the match; enroll '" + m.name() + "' again (enroll replaces its templates)";
                case OFF -> "confirmation was switched off";
                default -> "it was not confirmed";
            };
            return "UNCONFIRMED match: " + what + ". A server that mixed up the gallery's names or blocks would not be detected for this match";
        }

        Identification with(Confirmation c, Trace t) {
            return new Identification(ranked, best, threshold, identities, t, c);
        }
    }

    public MatchSession(PiCryptClient http, SecretKey sk, FacePipeline pipeline, double threshold) {
        this(http, sk, null, pipeline, threshold);
    }

    /** With {@code gallerySk} (may be null) identification also covers the keyset's bulk gallery. */
    public MatchSession(PiCryptClient http, SecretKey sk, SecretKey gallerySk, FacePipeline pipeline, double threshold) {
        this.gallery = gallerySk == null ? null : new GalleryKeyOwner(gallerySk);
        if (!(threshold > 0 && threshold < 4)) throw new IllegalArgumentException("threshold must be in (0, 4): " + threshold);
        this.http = http;
        this.crypto = new MatchKeyOwner(sk);
        this.pipeline = pipeline;
        this.threshold = threshold;
        this.keyCheck = KeyDirectory.keyCheck(sk);
        this.galleryKeyCheck = gallerySk == null ? null : KeyDirectory.keyCheck(gallerySk);
        if (pipeline != null) http.model(pipeline.modelName() + "/" + pipeline.dimension());
    }

    /**
     * Refuses to decrypt an answer of a keyset created with another secret key (a config.json copied between key
     * directories, a restored backup of one file): the server returns the key-check values recorded at 'keys init'.
     * Keysets created before key checks send none; the decrypted values' range checks still apply to them.
     */
    private void checkKey(String recorded, String own, String what) {
        if (recorded != null && own != null && !recorded.equals(own)) {
            throw new ClientException("this key directory's " + what + " is not the one keyset " + http.keyset() + " was created with (key check "
                    + own + ", the server's record " + recorded + "): its answers cannot be decrypted, no decision was made. "
                    + "Use the key directory that created the keyset, or run 'picrypt keys init --force' for a new keyset and enroll again");
        }
    }

    public double threshold() { return threshold; }

    private volatile boolean requireTemplateChecks;

    /**
     * With {@code true}, a verify answer over a template without planted check values is an integrity error instead of
     * a warning: for keysets whose every template was enrolled with them ({@link KeyDirectory#templateChecksRequired()}),
     * such a template can only be a substitute (e.g. a ciphertext the server made itself). Returns this session.
     */
    public MatchSession requireTemplateChecks(boolean required) {
        this.requireTemplateChecks = required;
        return this;
    }

    /** The server connection this session talks through. */
    public PiCryptClient http() { return http; }

    // ------------------------------------------------------------------ photos

    /** As {@link #enroll(String, List, boolean, EnrollmentSafety.Overrides)} with the safety rules on. */
    public Enrollment enroll(String name, List<Path> photos, boolean replace) {
        return enroll(name, photos, replace, EnrollmentSafety.Overrides.NONE);
    }

    /**
     * Embeds every photo (largest face), enrolls their normalised mean as one template, after the
     * {@link EnrollmentSafety} rules (photos of one person; a name keeps its face) unless overridden.
     *
     * @throws EnrollmentSafety.Refused when a rule refuses (nothing uploaded)
     * @throws io.picrypt.face.FaceException for unusable photos; its message names every failing photo
     */
    public Enrollment enroll(String name, List<Path> photos, boolean replace, EnrollmentSafety.Overrides overrides) {
        return enrollMean(name, photos.size(), i -> pipeline().embedLargest(photos.get(i)), i -> photos.get(i).toString(), replace, overrides);
    }

    /** As {@link #enrollImages(String, List, boolean, EnrollmentSafety.Overrides)} with the safety rules on. */
    public Enrollment enrollImages(String name, List<byte[]> images, boolean replace) {
        return enrollImages(name, images, replace, EnrollmentSafety.Overrides.NONE);
    }

    /** As {@link #enroll(String, List, boolean, EnrollmentSafety.Overrides)} for photos held in memory (e.g. uploads); messages name them "photo 1", "photo 2", ... */
    public Enrollment enrollImages(String name, List<byte[]> images, boolean replace, EnrollmentSafety.Overrides overrides) {
        return enrollMean(name, images.size(), i -> pipeline().embedLargest(images.get(i), "photo " + (i + 1)), i -> "photo " + (i + 1), replace, overrides);
    }

    private Enrollment enrollMean(String name, int count, IntFunction<FaceEmbedding> embed, IntFunction<String> label, boolean replace,
                                  EnrollmentSafety.Overrides overrides) {
        name = IdentityNames.normalize(name); // before any photo is embedded
        if (count == 0) throw new IllegalArgumentException("no photos to enroll");
        long t0 = System.nanoTime();
        List<float[]> vectors = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        List<io.picrypt.face.FaceException> failed = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            FaceEmbedding e;
            try {
                e = embed.apply(i);
            } catch (io.picrypt.face.FaceException fe) {
                if (!fe.isInputError()) throw fe;
                failed.add(fe); // keep going: the user learns about every bad photo at once
                continue;
            }
            if (e.multipleFaces()) warnings.add(label.apply(i) + ": " + e.faceCount() + " faces, the largest was used");
            String photo = label.apply(i);
            e.warnings().forEach(w -> warnings.add(photo + ": " + w));
            vectors.add(e.vector());
        }
        double embedMs = ms(t0); // the safety check's verification round trip is not embedding time
        if (failed.size() == 1) throw failed.get(0);
        if (!failed.isEmpty()) {
            throw new io.picrypt.face.FaceException(failed.get(0).reason(), failed.size() + " of " + count + " photos cannot be used: "
                    + String.join("; ", failed.stream().map(Throwable::getMessage).toList()));
        }
        warnings.addAll(EnrollmentSafety.checkSamePerson(vectors, label, threshold, overrides));
        float[] mean = normalisedMean(vectors);
        warnings.addAll(EnrollmentSafety.checkMatchesExisting(this, name, mean, replace ? "replace" : "add to", overrides));
        Enrollment e = enrollEmbedding(name, mean, replace);
        warnings.addAll(e.warnings()); // e.g. "identify will not find it" without a gallery key
        Trace t = e.trace();
        return new Enrollment(e.name(), vectors.size(), e.templates(), List.copyOf(warnings),
                new Trace(embedMs, t.encryptMs(), t.serverMs(), 0, t.requestBytes(), t.responseBytes(), t.computeMs()));
    }

    /**
     * A decision on one photo, the path the CLI and the web page share: {@code face} is the face that was used (the
     * largest: its box, how many faces the photo had, the quality gate's warnings) and {@code result}'s trace includes
     * the embedding time (decode, detect, align, embed; not the round trip).
     */
    public record OnPhoto<R>(FaceEmbedding face, R result) {}

    public Verification verify(String name, Path photo) {
        return verifyFace(name, () -> pipeline().embedLargest(photo)).result();
    }

    /** Verifies a photo held in memory (an upload); {@code label} names it in error messages ("the photo"). */
    public OnPhoto<Verification> verifyPhoto(String name, byte[] image, String label) {
        return verifyFace(name, () -> pipeline().embedLargest(image, label));
    }

    public Identification identify(Path photo, int top) {
        return identifyFace(() -> pipeline().embedLargest(photo), top).result();
    }

    /** Identifies a photo held in memory (an upload); {@code label} names it in error messages. */
    public OnPhoto<Identification> identifyPhoto(byte[] image, String label, int top) {
        return identifyFace(() -> pipeline().embedLargest(image, label), top);
    }

    private OnPhoto<Verification> verifyFace(String name, Supplier<FaceEmbedding> embed) {
        IdentityNames.normalizeForLookup(name); // a bad name is refused before the photo is embedded
        long t0 = System.nanoTime();
        FaceEmbedding face = embed.get();
        double embedMs = ms(t0);
        Verification v = verifyEmbedding(name, face.vector());
        return new OnPhoto<>(face, new Verification(v.name(), v.match(), v.distance(), v.threshold(), v.templates(), withEmbed(v.trace(), embedMs), v.unchecked()));
    }

    private OnPhoto<Identification> identifyFace(Supplier<FaceEmbedding> embed, int top) {
        long t0 = System.nanoTime();
        FaceEmbedding face = embed.get();
        double embedMs = ms(t0);
        Identification r = identifyEmbedding(face.vector(), top);
        return new OnPhoto<>(face, r.with(r.confirmation(), withEmbed(r.trace(), embedMs)));
    }

    /**
     * One face of a photo: its detection, the liveness verdict (null without a check) and its identification (null
     * when the liveness check refused it: such a face is not sent).
     */
    public record FaceIdentification(DetectedFace face, FaceAnalyzer.Liveness liveness, Identification identification) {
        public boolean refused() { return identification == null; }
    }

    /**
     * Every face of a photo, in detection order. {@code batch} is null when every face was refused; {@code embedMs}
     * covers decoding, detection, the liveness checks and the embeddings.
     */
    public record PhotoFaces(int width, int height, List<FaceIdentification> faces, Batch batch, double embedMs) {
        /** Faces sent (not refused). */
        public int probes() { return (int) faces.stream().filter(f -> !f.refused()).count(); }
    }

    /**
     * Identifies every face of a photo with one batch request ({@link #identifyAll}), the path of {@code identify
     * --all-faces} and the web page's every-face card. With {@code liveness} (may be null), each face is checked first
     * and one judged not live is refused and not sent.
     *
     * @param label names the photo in error messages
     * @throws io.picrypt.face.FaceException NO_FACE when the photo has no face; input errors as the pipeline's
     */
    public PhotoFaces identifyFaces(byte[] image, String label, int top, BiFunction<Mat, FaceBox, FaceAnalyzer.Liveness> liveness) {
        FacePipeline p = pipeline();
        try (PointerScope scope = new PointerScope()) {
            long t0 = System.nanoTime();
            Mat img = p.imageLoader().decode(image, label);
            List<DetectedFace> faces = p.detectFaces(img);
            if (faces.isEmpty()) throw new FaceException(FaceException.Reason.NO_FACE, "no face found in " + label);
            List<FaceAnalyzer.Liveness> checks = new ArrayList<>();
            List<float[]> embeddings = new ArrayList<>();
            for (DetectedFace f : faces) {
                FaceAnalyzer.Liveness l = liveness == null ? null : liveness.apply(img, f.box());
                checks.add(l);
                if (l == null || l.live()) embeddings.add(p.embedFace(img, f.box(), faces.size(), null).vector());
            }
            double embedMs = ms(t0);
            Batch batch = embeddings.isEmpty() ? null : identifyAll(embeddings, top);
            List<FaceIdentification> out = new ArrayList<>();
            int k = 0;
            for (int i = 0; i < faces.size(); i++) {
                FaceAnalyzer.Liveness l = checks.get(i);
                out.add(new FaceIdentification(faces.get(i), l, l == null || l.live() ? batch.faces().get(k++) : null));
            }
            return new PhotoFaces(img.cols(), img.rows(), List.copyOf(out), batch, embedMs);
        }
    }

    // ------------------------------------------------------------------ embeddings

    /**
     * Stores the embedding as a 1:1 template of {@code name} (replacing or adding to its templates) and, when this session
     * has a gallery key, puts the name into the keyset's 1:N gallery too, so identify finds it: the gallery entry is the
     * normalised mean of all the name's templates (downloaded and decrypted here when there are several). A keyset
     * without gallery keys gets a warning instead of a gallery entry.
     *
     * No {@link EnrollmentSafety} rule is applied here (callers with photos use {@link #enroll}).
     *
     * @throws ClientException if the server refuses; if the gallery step fails after the template was stored, the
     *                         message says so ({@code picrypt gallery rebuild} repairs it)
     */
    public Enrollment enrollEmbedding(String name, float[] embedding, boolean replace) {
        long t0 = System.nanoTime();
        // check values bind the template to the name the server stores (NFC); the server validates the name itself
        byte[] ct = crypto.encryptTemplate(embedding, IdentityNames.normalizeForLookup(name));
        double enc = ms(t0);
        long t1 = System.nanoTime();
        PiCryptClient.Enrolled r = http.enroll(name, ct, replace);
        double server = ms(t1), compute = r.serverMs();
        long bytes = ct.length;
        List<String> warnings = new ArrayList<>();
        if (gallery != null) {
            try {
                float[] g = r.templates() > 1 ? meanOfTemplates(name) : embedding;
                Enrollment ge = replaceInGallery(name, g);
                if (ge == null) {
                    warnings.add("the keyset has no gallery keys, so identify will not find '" + name + "': run 'picrypt keys init' to upload them");
                } else {
                    enc += ge.trace().encryptMs();
                    server += ge.trace().serverMs();
                    compute += ge.trace().computeMs();
                    bytes += ge.trace().requestBytes();
                }
            } catch (ClientException e) {
                throw new ClientException("the template of '" + name + "' was stored but putting it into the 1:N gallery failed ("
                        + e.getMessage() + "); run 'picrypt gallery rebuild'", e.status(), e);
            }
        } else {
            warnings.add("this key directory has no gallery key, so identify will not find '" + name + "' (verify will): run 'picrypt gallery init',"
                    + " then 'picrypt gallery rebuild'");
        }
        return new Enrollment(r.name(), 1, r.templates(), List.copyOf(warnings), new Trace(0, enc, server, 0, bytes, 0, compute));
    }

    /** The normalised mean of the name's stored templates, decrypted here (the server cannot). */
    private float[] meanOfTemplates(String name) {
        List<float[]> vectors = new ArrayList<>();
        for (byte[] t : http.templates(name)) {
            try {
                vectors.add(crypto.decryptTemplate(t, IdentityNames.normalizeForLookup(name)).embedding());
            } catch (io.picrypt.ckks.CkksException e) {
                throw new ClientException("a stored template of '" + name + "' does not decrypt with this key: " + e.getMessage());
            }
        }
        if (vectors.isEmpty()) throw new ClientException("the server holds no template of '" + name + "'");
        return normalisedMean(vectors);
    }

    /** Replaces the name's gallery entry (if any) by {@code embedding}, in one server step; null when the keyset has no gallery keys. */
    private Enrollment replaceInGallery(String name, float[] embedding) {
        try {
            return enrollIntoGallery(name, embedding, true);
        } catch (ClientException e) {
            if (e.status() == 409 && !http.galleryInfo().path("keys").asBoolean()) return null;
            throw e;
        }
    }

    /** What {@link #rebuildGallery} did. */
    public record Rebuild(int added, int present, int galleryOnly) {}

    /**
     * Puts every identity that has 1:1 templates but no gallery entry (enrolled before enrollment filled the gallery)
     * into the 1:N gallery: downloads its templates, decrypts them here, enrolls their normalised mean. Identities
     * already in the gallery and gallery-only identities are left as they are.
     *
     * @param progress called with the number of identities added so far
     * @throws IllegalStateException if this session has no gallery key
     * @throws ClientException       if the keyset has no gallery keys or the server refuses
     */
    public Rebuild rebuildGallery(java.util.function.IntConsumer progress) {
        if (gallery == null) throw new IllegalStateException("this session has no gallery key");
        if (!http.galleryInfo().path("keys").asBoolean()) {
            throw new ClientException("the keyset has no gallery keys: run 'picrypt keys init' first");
        }
        java.util.Set<String> inGallery = new java.util.HashSet<>(http.galleryNames());
        int added = 0, present = 0;
        java.util.Set<String> templated = new java.util.HashSet<>();
        for (PiCryptClient.Identity i : http.list()) {
            templated.add(i.name());
            if (inGallery.contains(i.name())) {
                present++;
                continue;
            }
            enrollIntoGallery(i.name(), meanOfTemplates(i.name()));
            progress.accept(++added);
        }
        inGallery.removeAll(templated);
        return new Rebuild(added, present, inGallery.size());
    }

    public Verification verifyEmbedding(String name, float[] embedding) {
        long t0 = System.nanoTime();
        byte[] probe = crypto.encryptProbe(embedding);
        double enc = ms(t0);
        long t1 = System.nanoTime();
        PiCryptClient.Reply reply = http.verify(name, probe);
        byte[] result = reply.body();
        double server = ms(t1);
        long t2 = System.nanoTime();
        checkKey(reply.keyCheck(), keyCheck, "secret key");
        // every template's planted check values must be the name's: another name's template or answer is an error
        MatchKeyOwner.Verified checked = crypto.decryptVerify(result, IdentityNames.normalizeForLookup(name), embedding);
        double[] d = checked.distances();
        if (d.length == 0) throw new ClientException("the server returned no distance for '" + name + "'");
        double best = Double.POSITIVE_INFINITY;
        for (double x : d) best = Math.min(best, x);
        Verification v = new Verification(name, best <= threshold, best, threshold, d.length,
                new Trace(0, enc, server, ms(t2), probe.length, result.length, reply.serverMs()), checked.unchecked());
        if (checked.unchecked() > 0 && requireTemplateChecks) {
            throw new io.picrypt.match.IntegrityException(checked.unchecked() + " template(s) in the server's answer for '" + name
                    + "' carry no check values, although every template of this keyset was enrolled with them: a substituted or forged "
                    + "template; no decision was made");
        }
        if (v.integrityWarning() != null) log.warn(v.integrityWarning());
        return v;
    }

    /**
     * One probe, one answer: the probe goes to the keyset's 1:N gallery, which holds every identity (enrolled or
     * imported). Decrypts and ranks locally.
     *
     * @throws ClientException (exit 2 in the CLI) when this session has no gallery key: an old key directory, see
     *                         {@link #NO_GALLERY_KEY}
     */
    public Identification identifyEmbedding(float[] embedding, int top) {
        Probes p = encryptProbes(embedding);
        long t1 = System.nanoTime();
        PiCryptClient.Reply gr = http.identifyGallery(p.galleryProbe());
        Identification id = decodeIdentification(p, gr, ms(t1), top);
        return confirm(id, embedding, new java.util.HashMap<>());
    }

    private volatile boolean confirmMatches = true;

    /**
     * On by default: every 1:N MATCH is confirmed before it is returned ({@link Identification#confirmation()}). The
     * client downloads the matched name's 1:1 templates (GET .../identities/{name}/templates, 30,784 B each), decrypts
     * them with the name's planted check values checked ({@link MatchKeyOwner#decryptTemplate(byte[], String)}: another
     * name's or keyset's template, or a garbled one, is refused), rebuilds the name's gallery entry from them (the
     * template; the normalised mean for several, as enrollment made it) and requires the probe's plaintext squared distance
     * to it to equal the gallery's to within {@link #CONFIRM_TOLERANCE}. A disagreement is an
     * {@link io.picrypt.match.IntegrityException} (no decision): the gallery listed the name over another identity's slot,
     * served another block or a stale entry. Costs one GET per MATCH (none per NO MATCH); the server learns which name
     * matched (see docs/PROTOCOL.md). With {@code false} MATCHes are returned as {@link Confirmation#OFF}. Returns this.
     */
    public MatchSession confirmMatches(boolean on) {
        this.confirmMatches = on;
        return this;
    }

    /**
     * Largest honest |d^2(gallery) - d^2(checked templates)|: the gallery's inner product is off by at most
     * {@link GalleryKeyOwner#NOISE_BOUND} + {@link GalleryParameters#COMPACT_SWITCH_ERROR} (d^2 = 2 - 2<x,p>: twice that),
     * the decrypted templates by ~1e-6 per value (|d^2 error| < 1e-4 at 512 values, counted twice: at enrollment and
     * here), plus float rounding.
     */
    static final double CONFIRM_TOLERANCE = 2 * (GalleryKeyOwner.NOISE_BOUND + GalleryParameters.COMPACT_SWITCH_ERROR) + 3e-4;

    /**
     * Confirms {@code id}'s MATCH (if any) as {@link #confirmMatches} describes; {@code seen} caches each name's downloaded
     * templates within one request (several faces of one photo matching one name: one download).
     */
    private Identification confirm(Identification id, float[] probe, java.util.Map<String, List<byte[]>> seen) {
        Candidate m = id.match();
        if (m == null) return id;
        if (!confirmMatches) return id.with(Confirmation.OFF, id.trace());
        long t0 = System.nanoTime();
        String name = IdentityNames.normalizeForLookup(m.name());
        long bytes = 0;
        List<byte[]> templates = seen.get(name);
        if (templates == null) {
            try {
                templates = http.templates(m.name());
            } catch (ClientException e) {
                if (e.status() != 404) throw e;
                log.warn("'{}' is a gallery-only identity (no 1:1 template): its 1:N match cannot be confirmed", m.name());
                return id.with(Confirmation.GALLERY_ONLY, plus(id.trace(), ms(t0), 0, 0));
            }
            seen.put(name, templates);
            for (byte[] t : templates) bytes += t.length;
        }
        double fetchMs = ms(t0);
        Confirmation c = confirmAgainst(crypto, m, templates, probe, requireTemplateChecks);
        return id.with(c, plus(id.trace(), fetchMs, ms(t0) - fetchMs, bytes));
    }

    /**
     * The check behind {@link #confirmMatches}, on its own: decrypts {@code templates} (the server's answer for
     * {@code match}'s name) with the name's check values checked, rebuilds the gallery entry enrollment made from them (the
     * one template; the normalised mean of several) and compares the probe's squared distance to it, 2 - 2<x,p> as the
     * gallery computes it, with {@code match.distance()}.
     *
     * @param requireChecks a template without check values is an error (keysets made by 'keys init' since issue 10)
     * @return {@link Confirmation#CONFIRMED}, or {@link Confirmation#UNCHECKED_TEMPLATES} when the distances agree but some
     *         template carries no check values (only without {@code requireChecks})
     * @throws io.picrypt.match.IntegrityException when a template is not one of the name's (another name's or keyset's,
     *         garbled), there is none, or the distances disagree by more than {@link #CONFIRM_TOLERANCE}: no decision
     */
    public static Confirmation confirmAgainst(MatchKeyOwner crypto, Candidate match, List<byte[]> templates, float[] probe, boolean requireChecks) {
        String name = IdentityNames.normalizeForLookup(match.name());
        if (templates.isEmpty()) throw new io.picrypt.match.IntegrityException("the server sent no template of '" + match.name() + "'; no decision was made");
        List<float[]> vectors = new ArrayList<>();
        int unchecked = 0;
        for (byte[] t : templates) {
            MatchKeyOwner.TemplateContent c;
            try {
                c = crypto.decryptTemplate(t, name);
            } catch (io.picrypt.ckks.CkksException e) { // IntegrityException included
                throw new io.picrypt.match.IntegrityException("the gallery named '" + match.name() + "' as the MATCH, but a template the server sent"
                        + " for '" + match.name() + "' is not one of ours (" + e.getMessage() + "); no decision was made");
            }
            if (!c.checked()) unchecked++;
            vectors.add(c.embedding());
        }
        if (unchecked > 0 && requireChecks) {
            throw new io.picrypt.match.IntegrityException(unchecked + " template(s) the server sent for '" + match.name() + "' carry no check values,"
                    + " although every template of this keyset was enrolled with them: a substituted or forged template; no decision was made");
        }
        float[] entry = vectors.size() == 1 ? vectors.get(0) : normalisedMean(vectors); // what enrollEmbedding put into the gallery
        double local = 2 - 2 * dot(entry, probe);
        if (!(Math.abs(local - match.distance()) <= CONFIRM_TOLERANCE)) { // Candidate clamps at 0; a slightly negative local is within too
            throw new io.picrypt.match.IntegrityException(String.format(java.util.Locale.ROOT,
                    "the gallery answer puts '%s' at squared distance %.4f, but its own 1:1 templates (checked) put this face at %.4f: the server"
                            + " listed the name over another identity's slot, served another block, or the gallery entry is stale (an enrollment whose"
                            + " gallery step failed: enrolling '%s' again repairs that); no decision was made",
                    match.name(), match.distance(), Math.max(0, local), match.name()));
        }
        return unchecked > 0 ? Confirmation.UNCHECKED_TEMPLATES : Confirmation.CONFIRMED;
    }

    private static double dot(float[] a, float[] b) {
        if (a.length != b.length) throw new io.picrypt.match.IntegrityException("the matched name's template has " + a.length + " values, the probe " + b.length);
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (double) a[i] * b[i];
        return s;
    }

    /** The confirmation counted in: its download into the round trip and received bytes, its decryption and checks into decrypt. */
    private static Trace plus(Trace t, double fetchMs, double decryptMs, long received) {
        return new Trace(t.embedMs(), t.encryptMs(), t.serverMs() + fetchMs, t.decryptMs() + decryptMs, t.requestBytes(),
                t.responseBytes() + received, t.computeMs());
    }

    /** The refusal of identify in a session without a gallery key, with what to run. */
    public static final String NO_GALLERY_KEY = "this key directory has no gallery key (made before the 1:N gallery), and identification"
            + " runs over the keyset's 1:N gallery only: run 'picrypt gallery init' (adds a gallery key to this keyset), then"
            + " 'picrypt gallery rebuild' (puts the identities enrolled before into the gallery); no decision was made";

    /** The faces' identifications in input order; {@code requests}: batch requests sent (1 unless the faces overflowed one batch). */
    public record Batch(List<Identification> faces, Trace trace, int requests) {}

    /** Faces per batch request: the server's item limit (each face is one item: a gallery probe). */
    public int facesPerBatch() {
        return io.picrypt.match.BatchFrames.MAX_ITEMS;
    }

    /**
     * Identifies several embeddings with one request (POST .../identify/batch): each item is the single-probe
     * request of {@link #identifyEmbedding} (a gallery probe) and each answer
     * item goes through the same decoding and checks. Each face's trace carries the shared round trip;
     * {@link Batch#trace()} has the totals.
     */
    public Batch identifyAll(List<float[]> embeddings, int top) {
        if (embeddings.isEmpty()) throw new IllegalArgumentException("no faces to identify");
        // A crowd photo may hold more faces than one batch request carries (the server's item limit): send
        // consecutive batches of at most facesPerBatch() faces rather than refusing the photo.
        int per = facesPerBatch();
        if (embeddings.size() <= per) return identifyChunk(embeddings, top);
        List<Identification> all = new ArrayList<>(embeddings.size());
        double enc = 0, server = 0, dec = 0, compute = 0;
        long sent = 0, received = 0;
        int requests = 0;
        for (int from = 0; from < embeddings.size(); from += per) {
            Batch b = identifyChunk(embeddings.subList(from, Math.min(embeddings.size(), from + per)), top);
            all.addAll(b.faces());
            Trace t = b.trace();
            enc += t.encryptMs(); server += t.serverMs(); dec += t.decryptMs(); compute += t.computeMs();
            sent += t.requestBytes(); received += t.responseBytes();
            requests++;
        }
        return new Batch(List.copyOf(all), new Trace(0, enc, server, dec, sent, received, compute), requests);
    }

    private Batch identifyChunk(List<float[]> embeddings, int top) {
        List<Probes> probes = new ArrayList<>();
        List<io.picrypt.match.BatchFrames.Item> items = new ArrayList<>();
        for (float[] e : embeddings) {
            Probes p = encryptProbes(e);
            probes.add(p);
            items.add(new io.picrypt.match.BatchFrames.Item(io.picrypt.match.BatchFrames.GALLERY, p.galleryProbe()));
        }
        byte[] request = io.picrypt.match.BatchFrames.writeRequest(items);
        long t1 = System.nanoTime();
        PiCryptClient.Reply reply = http.identifyBatch(request);
        double server = ms(t1);
        List<io.picrypt.match.BatchFrames.Item> answers;
        try {
            answers = io.picrypt.match.BatchFrames.readAnswer(reply.body());
        } catch (io.picrypt.ckks.MalformedFrameException e) {
            throw new ClientException("the server's batch answer is malformed: " + e.getMessage());
        }
        if (answers.size() != items.size()) {
            throw new ClientException("the server answered " + answers.size() + " batch items for " + items.size() + " sent");
        }
        for (int i = 0; i < items.size(); i++) {
            if (answers.get(i).kind() != items.get(i).kind()) throw new ClientException("the server's batch answer item " + i + " is of the wrong kind");
        }
        double share = reply.serverMs() / items.size();
        List<Identification> out = new ArrayList<>();
        java.util.Map<String, List<byte[]>> seen = new java.util.HashMap<>();
        double enc = 0, dec = 0, confirmMs = 0;
        long confirmBytes = 0;
        int k = 0;
        for (Probes p : probes) {
            // each item is checked like a single answer, against the key-check values the batch answer carries
            PiCryptClient.Reply g = new PiCryptClient.Reply(answers.get(k++).body(), share, reply.keyCheck(), reply.galleryKeyCheck());
            Identification decoded = decodeIdentification(p, g, server, top);
            Identification id = confirm(decoded, embeddings.get(k - 1), seen);
            confirmMs += id.trace().serverMs() - decoded.trace().serverMs();
            confirmBytes += id.trace().responseBytes() - decoded.trace().responseBytes();
            enc += id.trace().encryptMs();
            dec += id.trace().decryptMs();
            out.add(id);
        }
        return new Batch(List.copyOf(out), new Trace(0, enc, server + confirmMs, dec, request.length, reply.body().length + confirmBytes, reply.serverMs()), 1);
    }

    /** One embedding's gallery probe (the one identification path). */
    private record Probes(byte[] galleryProbe, double encryptMs) {}

    private Probes encryptProbes(float[] embedding) {
        if (gallery == null) throw new ClientException(NO_GALLERY_KEY);
        long t0 = System.nanoTime();
        byte[] gp = gallery.encryptProbe(embedding);
        return new Probes(gp, ms(t0));
    }

    /** Decrypts and ranks the answer to one embedding's probe; the answer is untrusted and checked while read. */
    private Identification decodeIdentification(Probes p, PiCryptClient.Reply gr, double server, int top) {
        long t2 = System.nanoTime();
        List<Candidate> all = new ArrayList<>();
        long requestBytes = 0, responseBytes = 0;
        double computeMs = 0;
        {
            checkKey(gr.galleryKeyCheck(), galleryKeyCheck, "gallery key");
            GalleryFrames.Answer answer;
            double[] d;
            try {
                answer = GalleryFrames.readAnswer(gr.body());
                // decrypts and range-checks every block holding a listed entry; the names must be exactly the live slots
                d = gallery.distances(answer);
            } catch (io.picrypt.match.IntegrityException e) {
                throw e;
            } catch (io.picrypt.ckks.CkksException e) {
                throw new io.picrypt.match.IntegrityException("the server's gallery answer is garbled: " + e.getMessage() + "; no decision was made");
            }
            for (int i = 0; i < d.length; i++) {
                all.add(new Candidate(answer.entries().get(i).name(), d[i]));
            }
            requestBytes += p.galleryProbe().length;
            responseBytes += gr.body().length;
            computeMs += gr.serverMs();
        }
        all.sort(Comparator.comparingDouble(Candidate::distance));
        Trace t = new Trace(0, p.encryptMs(), server, ms(t2), requestBytes, responseBytes, computeMs);
        return new Identification(all.subList(0, Math.min(Math.max(top, 1), all.size())), all.isEmpty() ? null : all.get(0),
                threshold, all.size(), t);
    }

    /**
     * Bulk import into the keyset's 1:N gallery (identification only; no 1:1 templates): blocks of
     * {@link GalleryParameters#BLOCK_CAPACITY} identities, each encrypted here and uploaded as one request
     * ({@link #importGallery(int, IntFunction, IntFunction, java.util.function.Consumer)}). Returns the total bytes uploaded.
     */
    public long importGallery(List<String> names, List<float[]> embeddings, java.util.function.IntConsumer progress) {
        if (gallery == null) throw new IllegalStateException("this session has no gallery key");
        if (names.size() != embeddings.size()) throw new IllegalArgumentException("names and embeddings differ in number");
        List<String> normalized = names.stream().map(IdentityNames::normalize).toList();
        long[] bytes = {0};
        importGallery(normalized.size(), normalized::get, embeddings::get, b -> {
            bytes[0] += b.bytes();
            progress.accept(b.to());
        });
        return bytes[0];
    }

    /**
     * One block of a bulk import as it went: identities {@code from..to-1}, the frame's bytes, the client's encryption
     * time (its embeddings produced and encrypted, ms), the HTTP exchange (ms, the upload and the server's answer) and the
     * server's own time for the block (X-PiCrypt-Server-Ms: parsing, validating every column, the store's transaction).
     */
    public record ImportedBlock(int block, int from, int to, long bytes, double encryptMs, double uploadMs, double serverMs) {}

    /** Encrypted blocks waiting for their upload while the next one is encrypted (bounds the client's memory). */
    static final int IMPORT_AHEAD = 2;

    /**
     * Bulk import of identities {@code 0..count-1}, {@code name.apply(i)} (already normalized, {@link IdentityNames}) with
     * embedding {@code embedding.apply(i)}, both asked for block by block, so the client holds a few blocks, never all:
     * one thread encrypts block k+1 (its columns on all cores) while block k is uploaded and stored by the server,
     * with at most {@link #IMPORT_AHEAD} encrypted blocks (~7.6 MB each) waiting. Blocks are uploaded in order, one at
     * a time; {@code progress} hears of each after the server stored it.
     *
     * @throws ClientException at the first block the server refuses (the blocks before it stay imported; later ones
     *                         were never sent)
     */
    public void importGallery(int count, IntFunction<String> name, IntFunction<float[]> embedding,
                              java.util.function.Consumer<ImportedBlock> progress) {
        if (gallery == null) throw new IllegalStateException("this session has no gallery key");
        if (count < 0) throw new IllegalArgumentException("count must be >= 0");
        record Encrypted(byte[] frame, double encryptMs) {}
        int cap = GalleryParameters.BLOCK_CAPACITY;
        int blocks = (count + cap - 1) / cap;
        java.util.concurrent.ExecutorService encryptor = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "gallery-import-encrypt");
            t.setDaemon(true);
            return t;
        });
        java.util.ArrayDeque<java.util.concurrent.Future<Encrypted>> ahead = new java.util.ArrayDeque<>();
        try {
            int next = 0;
            for (int k = 0; k < blocks; k++) {
                while (next < blocks && ahead.size() < IMPORT_AHEAD) {
                    int from = next * cap, to = Math.min(count, from + cap);
                    ahead.add(encryptor.submit(() -> {
                        long t0 = System.nanoTime();
                        List<String> names = new ArrayList<>(to - from);
                        List<float[]> vectors = new ArrayList<>(to - from);
                        for (int i = from; i < to; i++) {
                            names.add(name.apply(i));
                            vectors.add(embedding.apply(i));
                        }
                        return new Encrypted(GalleryFrames.writeImport(names, gallery.encryptBlock(vectors)), ms(t0));
                    }));
                    next++;
                }
                Encrypted e;
                try {
                    e = ahead.removeFirst().get();
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new ClientException("interrupted during the gallery import");
                } catch (java.util.concurrent.ExecutionException ee) {
                    if (ee.getCause() instanceof RuntimeException re) throw re;
                    throw new IllegalStateException(ee.getCause());
                }
                long t1 = System.nanoTime();
                double serverMs = http.importGalleryBlock(e.frame());
                int from = k * cap;
                progress.accept(new ImportedBlock(k, from, Math.min(count, from + cap), e.frame().length, e.encryptMs(), ms(t1), serverMs));
            }
        } finally {
            for (var f : ahead) f.cancel(true);
            encryptor.shutdownNow();
        }
    }

    public boolean hasGallery() { return gallery != null; }

    /** One identity into the 1:N gallery (identification only); the server expands it into a free slot. */
    public Enrollment enrollIntoGallery(String name, float[] embedding) {
        return enrollIntoGallery(name, embedding, false);
    }

    private Enrollment enrollIntoGallery(String name, float[] embedding, boolean replace) {
        if (gallery == null) throw new IllegalStateException("this session has no gallery key");
        name = IdentityNames.normalize(name);
        long t0 = System.nanoTime();
        byte[] ct = gallery.encryptEnrollment(embedding);
        double enc = ms(t0);
        long t1 = System.nanoTime();
        double compute = http.enrollIntoGallery(name, ct, replace);
        return new Enrollment(name, 1, 1, List.of(), new Trace(0, enc, ms(t1), 0, ct.length, 0, compute));
    }

    // ------------------------------------------------------------------ helpers

    private FacePipeline pipeline() {
        if (pipeline == null) throw new IllegalStateException("this session has no face pipeline");
        return pipeline;
    }

    private static Trace withEmbed(Trace t, double embedMs) {
        return new Trace(embedMs, t.encryptMs(), t.serverMs(), t.decryptMs(), t.requestBytes(), t.responseBytes(), t.computeMs());
    }

    /** Mean of unit vectors, renormalised: the usual way to fuse several photos of one person. */
    public static float[] normalisedMean(List<float[]> vectors) {
        int d = vectors.get(0).length;
        double[] sum = new double[d];
        for (float[] v : vectors) {
            if (v.length != d) throw new IllegalArgumentException("embeddings of different sizes");
            for (int i = 0; i < d; i++) sum[i] += v[i];
        }
        double norm = 0;
        for (double x : sum) norm += x * x;
        norm = Math.sqrt(norm);
        if (norm == 0) throw new IllegalArgumentException("the photos' embeddings cancel out");
        float[] out = new float[d];
        for (int i = 0; i < d; i++) out[i] = (float) (sum[i] / norm);
        return out;
    }

    private static double ms(long t0) { return (System.nanoTime() - t0) / 1e6; }

}
