package io.picrypt.client;

import io.picrypt.ckks.MalformedFrameException;
import io.picrypt.face.EmbeddingSubspace;
import io.picrypt.face.FacePipeline;
import io.picrypt.match.GalleryParameters;
import io.picrypt.match.GalleryProjection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HexFormat;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The 1:N gallery basis of an embedding model: {@link EmbeddingSubspace#derive} with {@link GalleryParameters#DIMENSION}
 * directions, {@link EmbeddingSubspace#DEFAULT_SAMPLES} noise inputs and {@link EmbeddingSubspace#DEFAULT_SEED}. Deriving
 * runs the model 1,024 times (~55 s on this project's 2-vCPU machine, measured), so a derived basis is kept per process
 * and, when the models directory is writable, beside the model file ({@code .<model file>.gallery-basis}, checked
 * against the model's SHA-256 when read). A key directory copies the basis it first used ({@link KeyDirectory#galleryBasis})
 * and keeps using that copy: the cache only saves the derivation.
 */
public final class GalleryBasis {
    private static final Logger log = LoggerFactory.getLogger(GalleryBasis.class);
    private static final ConcurrentHashMap<String, GalleryProjection> DERIVED = new ConcurrentHashMap<>();

    private GalleryBasis() {}

    /** The build's step: derives (or finds cached) the gallery basis of the default model in the models directory {@code args[0]}. */
    public static void main(String[] args) {
        try (FacePipeline p = FacePipeline.open(Path.of(args[0]))) {
            GalleryProjection b = forModel(p);
            System.out.println("[picrypt] gallery basis of " + p.modelName() + ": " + b.fingerprint());
        }
    }

    /**
     * The basis of {@code pipeline}'s embedding model: from this process' memory, the models directory's cache, or
     * derived now (and cached).
     *
     * @throws ClientException if the model's outputs are not {@link io.picrypt.match.MatchParameters#DIMENSION} values
     */
    public static GalleryProjection forModel(FacePipeline pipeline) {
        var spec = pipeline.embeddingSpec();
        return DERIVED.computeIfAbsent(spec.sha256().toLowerCase(java.util.Locale.ROOT), sha -> cachedOrDerived(pipeline, sha));
    }

    private static GalleryProjection cachedOrDerived(FacePipeline pipeline, String sha) {
        Path model = pipeline.embeddingSpec().file();
        Path cache = model.resolveSibling("." + model.getFileName() + ".gallery-basis");
        byte[] modelSha = HexFormat.of().parseHex(sha);
        if (Files.isRegularFile(cache)) {
            try {
                GalleryProjection p = GalleryProjection.read(Files.readAllBytes(cache));
                if (java.util.Arrays.equals(p.modelSha256(), modelSha) && p.seed() == EmbeddingSubspace.DEFAULT_SEED) return p;
                log.info("gallery basis cache {} is for another model file; deriving again", cache);
            } catch (IOException | MalformedFrameException e) {
                log.info("gallery basis cache {} is unreadable ({}); deriving again", cache, e.getMessage());
            }
        }
        GalleryProjection p = derive(pipeline, modelSha);
        try {
            Path tmp = Files.createTempFile(cache.getParent(), ".gallery-basis", ".tmp");
            Files.write(tmp, p.toBytes());
            Files.move(tmp, cache, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            log.debug("gallery basis not cached beside the model ({}): derived again next process", e.toString());
        }
        return p;
    }

    private static GalleryProjection derive(FacePipeline pipeline, byte[] modelSha) {
        if (pipeline.dimension() != io.picrypt.match.MatchParameters.DIMENSION) {
            throw new ClientException("the 1:N gallery needs a model with " + io.picrypt.match.MatchParameters.DIMENSION
                    + "-value embeddings; " + pipeline.modelName() + " gives " + pipeline.dimension());
        }
        System.err.printf("deriving the 1:N gallery basis of model %s (once per model file, about a minute) ...%n", pipeline.modelName());
        long t0 = System.nanoTime();
        EmbeddingSubspace s = EmbeddingSubspace.derive(pipeline, GalleryParameters.DIMENSION);
        float[][] rows = new float[GalleryParameters.DIMENSION][];
        for (int i = 0; i < rows.length; i++) rows[i] = s.row(i);
        GalleryProjection p = GalleryProjection.of(rows, modelSha, EmbeddingSubspace.DEFAULT_SEED);
        log.info("gallery basis of {} derived in {} ms (fingerprint {})", pipeline.modelName(), (System.nanoTime() - t0) / 1_000_000, p.fingerprint());
        return p;
    }
}
