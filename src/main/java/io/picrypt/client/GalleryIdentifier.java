package io.picrypt.client;

import io.picrypt.client.MatchSession.Batch;
import io.picrypt.client.MatchSession.Candidate;
import io.picrypt.client.MatchSession.FaceIdentification;
import io.picrypt.client.MatchSession.Identification;
import io.picrypt.client.MatchSession.PhotoFaces;
import io.picrypt.client.MatchSession.Trace;
import io.picrypt.face.DetectedFace;
import io.picrypt.face.FaceAnalyzer;
import io.picrypt.face.FaceBox;
import io.picrypt.face.FaceEmbedding;
import io.picrypt.face.FaceException;
import io.picrypt.face.FacePipeline;
import io.picrypt.match.GalleryFrames;
import io.picrypt.match.GalleryKeyOwner;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.opencv.opencv_core.Mat;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.BiFunction;

/**
 * 1:N identification over the keyset's gallery for a {@link MatchSession}: one probe per embedding, single
 * ({@link #identifyEmbedding}) or many in batch requests ({@link #identifyAll}, {@link #identifyFaces}: every face of a
 * photo); every answer is decrypted, checked, ranked and its MATCH confirmed ({@link MatchConfirmation}) here.
 * Thread-safe as the session is: no state of its own beyond its final collaborators.
 */
final class GalleryIdentifier {
    private final PiCryptClient http;
    /** Null in a session without a gallery key: every identification is then refused ({@link MatchSession#NO_GALLERY_KEY}). */
    private final GalleryKeyOwner gallery;
    private final String galleryKeyCheck;
    private final double threshold;
    private final MatchConfirmation confirmation;

    GalleryIdentifier(PiCryptClient http, GalleryKeyOwner gallery, String galleryKeyCheck, double threshold, MatchConfirmation confirmation) {
        this.http = http;
        this.gallery = gallery;
        this.galleryKeyCheck = galleryKeyCheck;
        this.threshold = threshold;
        this.confirmation = confirmation;
    }

    /** {@link MatchSession#identifyEmbedding}, which documents it. */
    Identification identifyEmbedding(float[] embedding, int top) {
        Probes p = encryptProbes(embedding);
        long t1 = System.nanoTime();
        PiCryptClient.Reply gr = http.identifyGallery(p.galleryProbe());
        Identification id = decodeIdentification(p, gr, MatchSession.ms(t1), top);
        return confirmation.confirm(id, embedding, new java.util.HashMap<>());
    }

    /** {@link MatchSession#facesPerBatch}. */
    static int facesPerBatch() {
        return io.picrypt.match.BatchFrames.MAX_ITEMS;
    }

    /** {@link MatchSession#identifyAll}, which documents it. */
    Batch identifyAll(List<float[]> embeddings, int top) {
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

    /** One face before its identification: refused ({@code refusal} not null) or to be sent. */
    private record Screened(DetectedFace face, FaceAnalyzer.Liveness liveness, String refusal, List<String> warnings) {}

    /** {@link MatchSession#identifyFaces}, which documents it, with the session's pipeline {@code p}. */
    PhotoFaces identifyFaces(FacePipeline p, byte[] image, String label, int top, BiFunction<Mat, FaceBox, FaceAnalyzer.Liveness> liveness) {
        try (PointerScope scope = new PointerScope()) {
            long t0 = System.nanoTime();
            Mat img = p.imageLoader().decode(image, label);
            List<DetectedFace> faces = p.detectFaces(img);
            if (faces.isEmpty()) throw new FaceException(FaceException.Reason.NO_FACE, "no face found in " + label);
            // each face screened first (liveness, then the quality gate, as for one face: a face too small or otherwise
            // refused gives an unreliable embedding, which would name someone at random in a large gallery); the faces
            // that pass go in one batch request, the others are reported and not sent
            List<Screened> screened = new ArrayList<>();
            List<float[]> embeddings = new ArrayList<>();
            for (int i = 0; i < faces.size(); i++) {
                DetectedFace f = faces.get(i);
                FaceAnalyzer.Liveness l = liveness == null ? null : liveness.apply(img, f.box());
                if (l != null && !l.live()) {
                    screened.add(new Screened(f, l, FaceIdentification.NOT_LIVE, List.of()));
                    continue;
                }
                try {
                    FaceEmbedding e = p.embedGated(img, f.box(), faces.size(), label + " (face #" + i + ")");
                    embeddings.add(e.vector());
                    screened.add(new Screened(f, l, null, e.warnings()));
                } catch (FaceException refused) {
                    if (refused.reason() != FaceException.Reason.LOW_QUALITY) throw refused;
                    screened.add(new Screened(f, l, refused.getMessage(), List.of()));
                }
            }
            double embedMs = MatchSession.ms(t0);
            Batch batch = embeddings.isEmpty() ? null : identifyAll(embeddings, top);
            List<FaceIdentification> out = new ArrayList<>();
            int k = 0;
            for (Screened s : screened) {
                out.add(new FaceIdentification(s.face(), s.liveness(), s.refusal() == null ? batch.faces().get(k++) : null, s.refusal(), s.warnings()));
            }
            return new PhotoFaces(img.cols(), img.rows(), List.copyOf(out), batch, embedMs);
        }
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
        double server = MatchSession.ms(t1);
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
            Identification id = confirmation.confirm(decoded, embeddings.get(k - 1), seen);
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
        if (gallery == null) throw new ClientException(MatchSession.NO_GALLERY_KEY);
        long t0 = System.nanoTime();
        byte[] gp = gallery.encryptProbe(embedding);
        return new Probes(gp, MatchSession.ms(t0));
    }

    /** Decrypts and ranks the answer to one embedding's probe; the answer is untrusted and checked while read. */
    private Identification decodeIdentification(Probes p, PiCryptClient.Reply gr, double server, int top) {
        long t2 = System.nanoTime();
        List<Candidate> all = new ArrayList<>();
        long requestBytes = 0, responseBytes = 0;
        double computeMs = 0;
        {
            MatchSession.checkKey(http, gr.galleryKeyCheck(), galleryKeyCheck, "gallery key");
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
        Trace t = new Trace(0, p.encryptMs(), server, MatchSession.ms(t2), requestBytes, responseBytes, computeMs);
        return new Identification(all.subList(0, Math.min(Math.max(top, 1), all.size())), all.isEmpty() ? null : all.get(0),
                threshold, all.size(), t);
    }
}
