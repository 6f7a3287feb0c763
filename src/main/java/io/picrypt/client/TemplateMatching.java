package io.picrypt.client;

import io.picrypt.client.MatchSession.Enrollment;
import io.picrypt.client.MatchSession.Trace;
import io.picrypt.client.MatchSession.Verification;
import io.picrypt.face.FaceEmbedding;
import io.picrypt.match.MatchKeyOwner;
import io.picrypt.names.IdentityNames;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.IntFunction;

/**
 * The 1:1 side of a {@link MatchSession}: enrolls a name's photos (their embeddings' mean, after the
 * {@link EnrollmentSafety} rules) or an embedding as one template (and puts the name into the 1:N gallery through
 * {@link GalleryEnrollment}) and verifies a probe against the name's templates, deciding locally.
 * Thread-safe as the session is: no state of its own beyond its final collaborators.
 */
final class TemplateMatching {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(MatchSession.class); // the session's log lines, unchanged
    private final PiCryptClient http;
    private final MatchKeyOwner crypto;
    /** Whether the session has a gallery key: without one, enrollment warns instead of filling the gallery. */
    private final boolean hasGallery;
    private final GalleryEnrollment galleryEnrollment;
    /** Key-check value of the session's secret key, compared with the keyset's record on every verify answer. */
    private final String keyCheck;
    private final double threshold;
    /** The session's {@link MatchSession#requireTemplateChecks} switch, read at each verification. */
    private final BooleanSupplier requireTemplateChecks;

    TemplateMatching(PiCryptClient http, MatchKeyOwner crypto, boolean hasGallery, GalleryEnrollment galleryEnrollment, String keyCheck,
                     double threshold, BooleanSupplier requireTemplateChecks) {
        this.http = http;
        this.crypto = crypto;
        this.hasGallery = hasGallery;
        this.galleryEnrollment = galleryEnrollment;
        this.keyCheck = keyCheck;
        this.threshold = threshold;
        this.requireTemplateChecks = requireTemplateChecks;
    }

    /**
     * {@link MatchSession#enroll}'s work for {@code count} photos: embeds each ({@code embed}, named {@code label} in
     * messages), applies the {@link EnrollmentSafety} rules ({@code session}'s verify for a name's existing face) and
     * enrolls the photos' normalised mean.
     */
    Enrollment enrollMean(MatchSession session, String name, int count, IntFunction<FaceEmbedding> embed, IntFunction<String> label, boolean replace,
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
            warnings.addAll(e.photoWarnings(label.apply(i)));
            vectors.add(e.vector());
        }
        double embedMs = MatchSession.ms(t0); // the safety check's verification round trip is not embedding time
        if (failed.size() == 1) throw failed.get(0);
        if (!failed.isEmpty()) {
            throw new io.picrypt.face.FaceException(failed.get(0).reason(), failed.size() + " of " + count + " photos cannot be used: "
                    + String.join("; ", failed.stream().map(Throwable::getMessage).toList()));
        }
        warnings.addAll(EnrollmentSafety.checkSamePerson(vectors, label, threshold, overrides));
        float[] mean = MatchSession.normalisedMean(vectors);
        warnings.addAll(EnrollmentSafety.checkMatchesExisting(session, name, mean, replace ? "replace" : "add to", overrides));
        Enrollment e = enrollEmbedding(name, mean, replace);
        warnings.addAll(e.warnings()); // e.g. "identify will not find it" without a gallery key
        Trace t = e.trace();
        return new Enrollment(e.name(), vectors.size(), e.templates(), List.copyOf(warnings),
                new Trace(embedMs, t.encryptMs(), t.serverMs(), 0, t.requestBytes(), t.responseBytes(), t.computeMs()));
    }

    /** {@link MatchSession#enrollEmbedding}, which documents it. */
    Enrollment enrollEmbedding(String name, float[] embedding, boolean replace) {
        long t0 = System.nanoTime();
        // check values bind the template to the name the server stores (NFC); the server validates the name itself
        byte[] ct = crypto.encryptTemplate(embedding, IdentityNames.normalizeForLookup(name));
        double enc = MatchSession.ms(t0);
        long t1 = System.nanoTime();
        if (hasGallery) http.requireGalleryWritable(); // before the template: a refused gallery step must leave nothing stored
        PiCryptClient.Enrolled r = http.enroll(name, ct, replace);
        double server = MatchSession.ms(t1), compute = r.serverMs();
        long bytes = ct.length;
        List<String> warnings = new ArrayList<>();
        if (hasGallery) {
            try {
                float[] g = r.templates() > 1 ? galleryEnrollment.meanOfTemplates(name) : embedding;
                Enrollment ge = galleryEnrollment.replaceInGallery(name, g);
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

    /** {@link MatchSession#verifyEmbedding}: the probe against every template of {@code name}, decided here. */
    Verification verifyEmbedding(String name, float[] embedding) {
        long t0 = System.nanoTime();
        byte[] probe = crypto.encryptProbe(embedding);
        double enc = MatchSession.ms(t0);
        long t1 = System.nanoTime();
        PiCryptClient.Reply reply = http.verify(name, probe);
        byte[] result = reply.body();
        double server = MatchSession.ms(t1);
        long t2 = System.nanoTime();
        MatchSession.checkKey(http, reply.keyCheck(), keyCheck, "secret key");
        // every template's planted check values must be the name's: another name's template or answer is an error
        MatchKeyOwner.Verified checked = crypto.decryptVerify(result, IdentityNames.normalizeForLookup(name), embedding);
        double[] d = checked.distances();
        if (d.length == 0) throw new ClientException("the server returned no distance for '" + name + "'");
        double best = Double.POSITIVE_INFINITY;
        for (double x : d) best = Math.min(best, x);
        Verification v = new Verification(name, best <= threshold, best, threshold, d.length,
                new Trace(0, enc, server, MatchSession.ms(t2), probe.length, result.length, reply.serverMs()), checked.unchecked());
        if (checked.unchecked() > 0 && requireTemplateChecks.getAsBoolean()) {
            throw new io.picrypt.match.IntegrityException(checked.unchecked() + " template(s) in the server's answer for '" + name
                    + "' carry no check values, although every template of this keyset was enrolled with them: a substituted or forged "
                    + "template; no decision was made");
        }
        if (v.integrityWarning() != null) log.debug(v.integrityWarning()); // returned: the caller shows it
        return v;
    }
}
