package io.picrypt.client;

import io.picrypt.ckks.SecretKey;
import io.picrypt.face.DetectedFace;
import io.picrypt.face.FaceAnalyzer;
import io.picrypt.face.FaceBox;
import io.picrypt.face.FaceEmbedding;
import io.picrypt.face.FacePipeline;
import io.picrypt.names.IdentityNames;
import io.picrypt.match.GalleryKeyOwner;
import io.picrypt.match.GalleryProjection;
import io.picrypt.match.GalleryParameters;
import io.picrypt.match.MatchKeyOwner;
import org.bytedeco.opencv.opencv_core.Mat;

import java.nio.file.Path;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.IntFunction;
import java.util.function.Supplier;

/**
 * The client side of enrollment, verification and identification: embeds photos (optional), encrypts,
 * calls the server and decrypts and decides locally. What goes to the server is only ever a fresh
 * ciphertext (plus names); decrypted distances and decisions stay in this process.
 *
 * <p>The facade of the session: the public API and its result records. The work is done by its package-private parts,
 * one each per session: {@link TemplateMatching} (1:1 enroll and verify), {@link GalleryIdentifier} (1:N identify,
 * batches), {@link MatchConfirmation} (1:N MATCHes against the name's 1:1 templates), {@link GalleryEnrollment} (single
 * gallery entries, rebuild) and {@link GalleryImport} (bulk import). The parts add no mutable state: the session's
 * switches ({@link #requireTemplateChecks}, {@link #confirmMatches}) are volatile and read at each call, everything else
 * is final.
 */
public final class MatchSession {
    private final PiCryptClient http;
    private final FacePipeline pipeline;
    private final double threshold;
    private final GalleryKeyOwner gallery;
    private final TemplateMatching templates;
    private final MatchConfirmation confirmation;
    private final GalleryIdentifier identifier;
    private final GalleryEnrollment galleryEnrollment;
    private final GalleryImport galleryImport;

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
                case GALLERY_ONLY -> "'" + m.name() + "' exists only in the 1:N gallery (gallery-only: imported or enrolled with --gallery): it has no 1:1"
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
        this(http, sk, null, null, pipeline, threshold);
    }

    /**
     * With {@code gallerySk} (may be null) identification also covers the keyset's 1:N gallery; {@code galleryBasis} is the
     * key directory's basis every model embedding is projected onto before it enters the gallery
     * ({@link KeyDirectory#galleryBasis}); required with a gallery key.
     *
     * @throws IllegalArgumentException for a gallery key without a basis
     */
    public MatchSession(PiCryptClient http, SecretKey sk, SecretKey gallerySk, GalleryProjection galleryBasis, FacePipeline pipeline,
                        double threshold) {
        if (gallerySk != null && galleryBasis == null) throw new IllegalArgumentException("a gallery key needs its gallery basis");
        this.gallery = gallerySk == null ? null : new GalleryKeyOwner(gallerySk, galleryBasis);
        if (!(threshold > 0 && threshold < 4)) throw new IllegalArgumentException("threshold must be in (0, 4): " + threshold);
        this.http = http;
        MatchKeyOwner crypto = new MatchKeyOwner(sk);
        this.pipeline = pipeline;
        this.threshold = threshold;
        // key-check values of this session's keys, compared with the keyset's record on every answer
        String keyCheck = KeyDirectory.keyCheck(sk);
        String galleryKeyCheck = gallerySk == null ? null : KeyDirectory.keyCheck(gallerySk);
        this.galleryEnrollment = new GalleryEnrollment(http, crypto, gallery);
        this.templates = new TemplateMatching(http, crypto, gallery != null, galleryEnrollment, keyCheck, threshold, () -> requireTemplateChecks);
        this.confirmation = new MatchConfirmation(http, crypto, galleryBasis, () -> requireTemplateChecks);
        this.identifier = new GalleryIdentifier(http, gallery, galleryKeyCheck, threshold, confirmation);
        this.galleryImport = new GalleryImport(http, gallery);
        if (pipeline != null) http.model(pipeline.modelName() + "/" + pipeline.dimension());
    }

    /**
     * Refuses to decrypt an answer of a keyset created with another secret key (a config.json copied between key
     * directories, a restored backup of one file): the server returns the key-check values recorded at 'keys init'.
     * Keysets created before key checks send none; the decrypted values' range checks still apply to them.
     */
    static void checkKey(PiCryptClient http, String recorded, String own, String what) {
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
        return templates.enrollMean(this, name, photos.size(), i -> pipeline().embedLargest(photos.get(i)), i -> photos.get(i).toString(), replace, overrides);
    }

    /** As {@link #enrollImages(String, List, boolean, EnrollmentSafety.Overrides)} with the safety rules on. */
    public Enrollment enrollImages(String name, List<byte[]> images, boolean replace) {
        return enrollImages(name, images, replace, EnrollmentSafety.Overrides.NONE);
    }

    /** As {@link #enroll(String, List, boolean, EnrollmentSafety.Overrides)} for photos held in memory (e.g. uploads); messages name them "photo 1", "photo 2", ... */
    public Enrollment enrollImages(String name, List<byte[]> images, boolean replace, EnrollmentSafety.Overrides overrides) {
        return templates.enrollMean(this, name, images.size(), i -> pipeline().embedLargest(images.get(i), "photo " + (i + 1)), i -> "photo " + (i + 1), replace, overrides);
    }

    /**
     * A decision on one photo, the path the CLI and the web page share: {@code face} is the face that was used (the
     * largest: its box, how many faces the photo had, the quality gate's warnings) and {@code result}'s trace includes
     * the embedding time (decode, detect, align, embed; not the round trip).
     */
    public record OnPhoto<R>(FaceEmbedding face, R result) {}

    public Verification verify(String name, Path photo) {
        return verifyOnPhoto(name, photo).result();
    }

    /** {@link #verify(String, Path)} with the face that was used (its {@link FaceEmbedding#photoWarnings} to show). */
    public OnPhoto<Verification> verifyOnPhoto(String name, Path photo) {
        return verifyFace(name, () -> pipeline().embedLargest(photo));
    }

    /** Verifies a face already embedded (e.g. after a liveness check on the same decoded photo); the trace has no embed time. */
    public OnPhoto<Verification> verifyFace(String name, FaceEmbedding face) {
        return new OnPhoto<>(face, verifyEmbedding(name, face.vector()));
    }

    /** Verifies a photo held in memory (an upload); {@code label} names it in error messages ("the photo"). */
    public OnPhoto<Verification> verifyPhoto(String name, byte[] image, String label) {
        return verifyFace(name, () -> pipeline().embedLargest(image, label));
    }

    public Identification identify(Path photo, int top) {
        return identifyOnPhoto(photo, top).result();
    }

    /** {@link #identify(Path, int)} with the face that was used (its {@link FaceEmbedding#photoWarnings} to show). */
    public OnPhoto<Identification> identifyOnPhoto(Path photo, int top) {
        return identifyFace(() -> pipeline().embedLargest(photo), top);
    }

    /** Identifies a face already embedded (e.g. after a liveness check); the trace has no embed time. */
    public OnPhoto<Identification> identifyFace(FaceEmbedding face, int top) {
        return new OnPhoto<>(face, identifyEmbedding(face.vector(), top));
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
     * One face of a photo: its detection, the liveness verdict (null without a check), its identification (null when
     * the face was refused: such a face is not sent), why it was refused ({@code refusal}: {@link #NOT_LIVE}, or the
     * quality gate's message, e.g. a face too small to embed reliably; null when sent) and the quality gate's warnings.
     */
    public record FaceIdentification(DetectedFace face, FaceAnalyzer.Liveness liveness, Identification identification,
                                     String refusal, List<String> warnings) {
        public static final String NOT_LIVE = "not live";

        public FaceIdentification {
            if ((identification == null) != (refusal != null)) throw new IllegalArgumentException("a face is either identified or refused");
            warnings = List.copyOf(warnings);
        }

        public boolean refused() { return identification == null; }

        /** Refused by the liveness check (else by the quality gate, when refused). */
        public boolean notLive() { return NOT_LIVE.equals(refusal); }
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
        return identifier.identifyFaces(pipeline(), image, label, top, liveness);
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
        return templates.enrollEmbedding(name, embedding, replace);
    }

    /**
     * What {@link #rebuildGallery} did; {@code skipped}: "name: reason" for each name whose templates gave no embedding
     * with this key (none stored, or one that does not decrypt), left out of the gallery. {@code replaced}: the gallery
     * was stored in an earlier version's layout and was dropped first (every 1:1 name was then rebuilt); {@code dropped}:
     * the gallery-only names (no 1:1 templates) that went with it, sorted.
     */
    public record Rebuild(int added, int present, int galleryOnly, List<String> skipped, boolean replaced, List<String> dropped) {
        public Rebuild {
            skipped = List.copyOf(skipped);
            dropped = List.copyOf(dropped);
        }

        /** A rebuild of a gallery in the current layout (nothing replaced or dropped). */
        public Rebuild(int added, int present, int galleryOnly, List<String> skipped) {
            this(added, present, galleryOnly, skipped, false, List.of());
        }
    }

    /**
     * A rebuild refused before anything changed: the keyset's gallery is stored in an earlier version's layout and holds
     * {@code names} without 1:1 templates (gallery-only: imported or enrolled with --gallery), which a rebuild cannot make again.
     * {@link #rebuildGallery(boolean, java.util.function.IntConsumer)} with {@code dropOutdated} drops them.
     */
    public static final class GalleryOnlyNames extends ClientException {
        private final List<String> names;

        GalleryOnlyNames(List<String> names) {
            super("this keyset's 1:N gallery was stored in the 512-dimensional layout of an earlier picrypt version and holds " + names.size()
                    + " gallery-only identit" + (names.size() == 1 ? "y" : "ies") + " (imported or enrolled with --gallery; no 1:1 templates): "
                    + shown(names) + "; a rebuild cannot make " + (names.size() == 1 ? "it" : "them") + " again:"
                    + " 'picrypt gallery rebuild --drop-outdated' drops " + (names.size() == 1 ? "it" : "them") + " with the old gallery"
                    + " (import " + (names.size() == 1 ? "it" : "them") + " again afterwards; 'picrypt list --gallery-names' lists them all);"
                    + " nothing was changed");
            this.names = List.copyOf(names);
        }

        /** Names shown in the message; the rest are counted. */
        static final int SHOWN = 20;

        private static String shown(List<String> names) {
            String first = String.join(", ", names.subList(0, Math.min(SHOWN, names.size())).stream().map(n -> "'" + n + "'").toList());
            return names.size() <= SHOWN ? first : first + " and " + (names.size() - SHOWN) + " more";
        }

        /** The gallery-only names, sorted. */
        public List<String> names() { return names; }
    }

    /**
     * Puts every identity that has 1:1 templates but no gallery entry (enrolled before enrollment filled the gallery, or
     * an enrollment interrupted before its gallery step) into the 1:N gallery: downloads its templates, decrypts them
     * here, enrolls their normalised mean. Identities already in the gallery and gallery-only identities are left as
     * they are; a name whose templates do not decrypt with this key is skipped and reported, not fatal.
     *
     * @param progress called with the number of identities added so far
     * @throws IllegalStateException if this session has no gallery key
     * @throws ClientException       if the keyset has no gallery keys or the server refuses
     */
    public Rebuild rebuildGallery(java.util.function.IntConsumer progress) {
        return rebuildGallery(false, progress);
    }

    /**
     * {@link #rebuildGallery(java.util.function.IntConsumer)}, which also migrates a gallery stored in the layout of an
     * earlier picrypt version (the server's gallery info says "outdated"; it refuses every other use of it): the old
     * gallery's names are listed, the gallery is dropped (DELETE .../gallery: blocks, names, pending enrollments; the
     * evaluation keys stay), and every name with 1:1 templates is enrolled again from them. Names without 1:1 templates
     * cannot be: unless {@code dropOutdated}, their presence refuses the rebuild before anything changes
     * ({@link GalleryOnlyNames}); with it they are dropped and listed in {@link Rebuild#dropped()}.
     */
    public Rebuild rebuildGallery(boolean dropOutdated, java.util.function.IntConsumer progress) {
        return rebuildGallery(dropOutdated, names -> {}, progress);
    }

    /**
     * {@link #rebuildGallery(boolean, java.util.function.IntConsumer)}; {@code beforeDrop} is told the gallery-only names
     * (sorted) just before an outdated gallery holding some is dropped, so that a caller can record them where an
     * interruption after the drop cannot lose them (the CLI prints them and writes them to a file). Not called when there
     * are none or nothing is dropped; if it throws, nothing was changed and the rebuild stops with its exception.
     */
    public Rebuild rebuildGallery(boolean dropOutdated, java.util.function.Consumer<List<String>> beforeDrop, java.util.function.IntConsumer progress) {
        return galleryEnrollment.rebuildGallery(dropOutdated, beforeDrop, progress);
    }

    public Verification verifyEmbedding(String name, float[] embedding) {
        return templates.verifyEmbedding(name, embedding);
    }

    /**
     * One probe, one answer: the probe goes to the keyset's 1:N gallery, which holds every identity (enrolled or
     * imported). Decrypts and ranks locally.
     *
     * @throws ClientException (exit 2 in the CLI) when this session has no gallery key: an old key directory, see
     *                         {@link #NO_GALLERY_KEY}
     */
    public Identification identifyEmbedding(float[] embedding, int top) {
        return identifier.identifyEmbedding(embedding, top);
    }

    /**
     * On by default: every 1:N MATCH is confirmed before it is returned ({@link Identification#confirmation()}). The
     * client downloads the matched name's 1:1 templates (GET .../identities/{name}/templates, 30,784 B each), decrypts
     * them with the name's planted check values checked ({@link MatchKeyOwner#decryptTemplate(byte[], String)}: another
     * name's or keyset's template, or a garbled one, is refused), rebuilds the name's gallery entry from them (the
     * template; the normalised mean for several, as enrollment made it) and requires the probe's plaintext squared distance
     * to it to equal the gallery's to within {@link MatchConfirmation#CONFIRM_TOLERANCE}. A disagreement is an
     * {@link io.picrypt.match.IntegrityException} (no decision): the gallery listed the name over another identity's slot,
     * served another block or a stale entry. Costs one GET per MATCH (none per NO MATCH); the server learns which name
     * matched (see docs/PROTOCOL.md). With {@code false} MATCHes are returned as {@link Confirmation#OFF}. Returns this.
     */
    public MatchSession confirmMatches(boolean on) {
        confirmation.switchOn(on);
        return this;
    }

    /**
     * The check behind {@link #confirmMatches}, on its own: decrypts {@code templates} (the server's answer for
     * {@code match}'s name) with the name's check values checked, rebuilds the gallery entry enrollment made from them (the
     * one template; the normalised mean of several) and compares the probe's squared distance to it, 2 - 2<x,p> as the
     * gallery computes it (both projected with {@code basis}, the gallery's basis, as the gallery holds them), with
     * {@code match.distance()}.
     *
     * @param basis the gallery's basis ({@link KeyDirectory#galleryBasis}); null compares the embeddings as they are
     * @param requireChecks a template without check values is an error (keysets made by 'keys init' since issue 10)
     * @return {@link Confirmation#CONFIRMED}, or {@link Confirmation#UNCHECKED_TEMPLATES} when the distances agree but some
     *         template carries no check values (only without {@code requireChecks})
     * @throws io.picrypt.match.IntegrityException when a template is not one of the name's (another name's or keyset's,
     *         garbled), there is none, or the distances disagree by more than {@link MatchConfirmation#CONFIRM_TOLERANCE}: no decision
     */
    public static Confirmation confirmAgainst(MatchKeyOwner crypto, GalleryProjection basis, Candidate match, List<byte[]> templates, float[] probe,
                                             boolean requireChecks) {
        return MatchConfirmation.confirmAgainst(crypto, basis, match, templates, probe, requireChecks);
    }

    /** The basis model embeddings are projected with before they enter the gallery; null in a session without a gallery key. */
    public GalleryProjection galleryBasis() {
        return gallery == null ? null : gallery.projection();
    }

    /** The refusal of identify in a session without a gallery key, with what to run. */
    public static final String NO_GALLERY_KEY = "this key directory has no gallery key (made before the 1:N gallery), and identification"
            + " runs over the keyset's 1:N gallery only: run 'picrypt gallery init' (adds a gallery key to this keyset), then"
            + " 'picrypt gallery rebuild' (puts the identities enrolled before into the gallery); no decision was made";

    /** The faces' identifications in input order; {@code requests}: batch requests sent (1 unless the faces overflowed one batch). */
    public record Batch(List<Identification> faces, Trace trace, int requests) {}

    /** Faces per batch request: the server's item limit (each face is one item: a gallery probe). */
    public int facesPerBatch() {
        return GalleryIdentifier.facesPerBatch();
    }

    /**
     * Identifies several embeddings with one request (POST .../identify/batch): each item is the single-probe
     * request of {@link #identifyEmbedding} (a gallery probe) and each answer
     * item goes through the same decoding and checks. Each face's trace carries the shared round trip;
     * {@link Batch#trace()} has the totals.
     */
    public Batch identifyAll(List<float[]> embeddings, int top) {
        return identifier.identifyAll(embeddings, top);
    }

    /**
     * Bulk import into the keyset's 1:N gallery (identification only; no 1:1 templates): blocks of
     * {@link GalleryParameters#BLOCK_CAPACITY} identities, each encrypted here and uploaded as one request
     * ({@link #importGallery(int, IntFunction, IntFunction, java.util.function.Consumer)}). Returns the total bytes uploaded.
     */
    public long importGallery(List<String> names, List<float[]> embeddings, java.util.function.IntConsumer progress) {
        return galleryImport.importGallery(names, embeddings, progress);
    }

    /**
     * One block of a bulk import as it went: identities {@code from..to-1}, the frame's bytes, the client's encryption
     * time (its embeddings produced and encrypted, ms), the HTTP exchange (ms, the upload and the server's answer) and the
     * server's own time for the block (X-PiCrypt-Server-Ms: parsing, validating every column, the store's transaction).
     */
    public record ImportedBlock(int block, int from, int to, long bytes, double encryptMs, double uploadMs, double serverMs) {}

    /**
     * Bulk import of identities {@code 0..count-1}, {@code name.apply(i)} (already normalized, {@link IdentityNames}) with
     * embedding {@code embedding.apply(i)}, both asked for block by block, so the client holds a few blocks, never all:
     * one thread encrypts block k+1 (its columns on all cores) while block k is uploaded and stored by the server,
     * with at most {@link GalleryImport#IMPORT_AHEAD} encrypted blocks (~7.6 MB each) waiting. Blocks are uploaded in order, one at
     * a time; {@code progress} hears of each after the server stored it.
     *
     * @throws ClientException at the first block the server refuses (the blocks before it stay imported; later ones
     *                         were never sent)
     */
    public void importGallery(int count, IntFunction<String> name, IntFunction<float[]> embedding,
                              java.util.function.Consumer<ImportedBlock> progress) {
        galleryImport.importGallery(count, name, embedding, progress);
    }

    public boolean hasGallery() { return gallery != null; }

    /** One identity into the 1:N gallery (identification only); the server expands it into a free slot. */
    public Enrollment enrollIntoGallery(String name, float[] embedding) {
        return galleryEnrollment.enrollIntoGallery(name, embedding, false);
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

    static double ms(long t0) { return (System.nanoTime() - t0) / 1e6; }

}