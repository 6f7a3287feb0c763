package io.picrypt.client;

import io.picrypt.client.MatchSession.Candidate;
import io.picrypt.client.MatchSession.Confirmation;
import io.picrypt.client.MatchSession.Identification;
import io.picrypt.client.MatchSession.Trace;
import io.picrypt.match.GalleryKeyOwner;
import io.picrypt.match.GalleryParameters;
import io.picrypt.match.GalleryProjection;
import io.picrypt.match.MatchKeyOwner;
import io.picrypt.names.IdentityNames;

import java.util.ArrayList;
import io.picrypt.match.GalleryProjection;

import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Confirmation of 1:N MATCHes against the matched name's own 1:1 templates ({@link MatchSession#confirmMatches}): one
 * per {@link MatchSession}, sharing its connection and secret key. Thread-safe as the session is: its switch is
 * volatile and every call works on its own arguments.
 */
final class MatchConfirmation {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(MatchSession.class); // the session's log lines, unchanged
    private final PiCryptClient http;
    private final MatchKeyOwner crypto;
    /** The session's {@link MatchSession#requireTemplateChecks} switch, read at each confirmation. */
    private final BooleanSupplier requireTemplateChecks;
    private volatile boolean confirmMatches = true;
    /** The gallery's basis: the gallery's distance is between projected embeddings, so the local one must be too. */
    private final GalleryProjection basis;

    MatchConfirmation(PiCryptClient http, MatchKeyOwner crypto, GalleryProjection basis, BooleanSupplier requireTemplateChecks) {
        this.http = http;
        this.crypto = crypto;
        this.basis = basis;
        this.requireTemplateChecks = requireTemplateChecks;
    }

    /** {@link MatchSession#confirmMatches}'s switch. */
    void switchOn(boolean on) {
        this.confirmMatches = on;
    }

    /**
     * Largest honest |d^2(gallery) - d^2(checked templates)|, both between embeddings projected with the gallery basis (the
     * 512 values of the templates are projected here as the key owner projected them at enrollment): the gallery's inner
     * product is off by at most
     * {@link GalleryKeyOwner#NOISE_BOUND} + {@link GalleryParameters#COMPACT_SWITCH_ERROR} (d^2 = 2 - 2<x,p>: twice that),
     * the decrypted templates by ~1e-6 per value (|d^2 error| < 1e-4 at 512 values, counted twice: at enrollment and
     * here), plus float rounding.
     */
    static final double CONFIRM_TOLERANCE = GalleryKeyOwner.DISTANCE_ERROR_BOUND + 3e-4;

    /**
     * Confirms {@code id}'s MATCH (if any) as {@link MatchSession#confirmMatches} describes; {@code seen} caches each name's downloaded
     * templates within one request (several faces of one photo matching one name: one download).
     */
    Identification confirm(Identification id, float[] probe, java.util.Map<String, List<byte[]>> seen) {
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
                // returned (Identification.unconfirmedWarning): the caller shows it; not logged as a warning too
                log.debug("'{}' is a gallery-only identity (no 1:1 template): its 1:N match cannot be confirmed", m.name());
                return id.with(Confirmation.GALLERY_ONLY, plus(id.trace(), MatchSession.ms(t0), 0, 0));
            }
            seen.put(name, templates);
            for (byte[] t : templates) bytes += t.length;
        }
        double fetchMs = MatchSession.ms(t0);
        Confirmation c = confirmAgainst(crypto, basis, m, templates, probe, requireTemplateChecks.getAsBoolean());
        return id.with(c, plus(id.trace(), fetchMs, MatchSession.ms(t0) - fetchMs, bytes));
    }

    /** {@link MatchSession#confirmAgainst}, which documents it. */
    static Confirmation confirmAgainst(MatchKeyOwner crypto, GalleryProjection basis, Candidate match, List<byte[]> templates, float[] probe,
                                       boolean requireChecks) {
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
        float[] entry = vectors.size() == 1 ? vectors.get(0) : MatchSession.normalisedMean(vectors); // what enrollEmbedding put into the gallery
        double local;
        try { // in the gallery's space: what the key owner encrypted for this entry and for the probe
            local = basis == null ? 2 - 2 * dot(entry, probe) : 2 - 2 * dot(basis.project(entry), basis.project(probe));
        } catch (IllegalArgumentException e) {
            throw new io.picrypt.match.IntegrityException("the checked 1:1 templates of '" + match.name() + "' do not fit the gallery basis ("
                    + e.getMessage() + "); no decision was made");
        }
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
}
