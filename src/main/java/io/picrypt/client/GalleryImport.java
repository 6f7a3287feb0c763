package io.picrypt.client;

import io.picrypt.client.MatchSession.ImportedBlock;
import io.picrypt.match.GalleryFrames;
import io.picrypt.match.GalleryKeyOwner;
import io.picrypt.match.GalleryParameters;
import io.picrypt.names.IdentityNames;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/**
 * The bulk import pipeline into the keyset's 1:N gallery for a {@link MatchSession} ({@link MatchSession#importGallery}):
 * blocks encrypted on one background thread while the previous block uploads. Each call owns its encryptor thread and
 * queue, so concurrent calls do not share state (the server orders their blocks).
 */
final class GalleryImport {
    private final PiCryptClient http;
    /** Null in a session without a gallery key: every import is then refused. */
    private final GalleryKeyOwner gallery;

    GalleryImport(PiCryptClient http, GalleryKeyOwner gallery) {
        this.http = http;
        this.gallery = gallery;
    }

    /** Encrypted blocks waiting for their upload while the next one is encrypted (bounds the client's memory). */
    static final int IMPORT_AHEAD = 2;

    /** {@link MatchSession#importGallery(List, List, java.util.function.IntConsumer)}, which documents it. */
    long importGallery(List<String> names, List<float[]> embeddings, java.util.function.IntConsumer progress) {
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
     * {@link MatchSession#importGallery(int, IntFunction, IntFunction, java.util.function.Consumer)}, which documents it:
     * one thread encrypts block k+1 while block k is uploaded, with at most {@link #IMPORT_AHEAD} encrypted blocks waiting.
     */
    void importGallery(int count, IntFunction<String> name, IntFunction<float[]> embedding,
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
                        return new Encrypted(GalleryFrames.writeImport(names, gallery.encryptBlock(vectors)), MatchSession.ms(t0));
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
                progress.accept(new ImportedBlock(k, from, Math.min(count, from + cap), e.frame().length, e.encryptMs(), MatchSession.ms(t1), serverMs));
            }
        } finally {
            for (var f : ahead) f.cancel(true);
            encryptor.shutdownNow();
        }
    }
}
