package io.picrypt.imagediff;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The image part of {@code picrypt demo}: writes the synthetic pair, reads it back like user photos,
 * encrypts both, lets the transport subtract them, decrypts, checks the result against the plaintext
 * difference and writes diff.png (absolute) and diff-signed.png (sign colour map) next to the inputs.
 */
public final class ImageDiffDemo {
    private static final Logger LOG = LoggerFactory.getLogger(ImageDiffDemo.class);

    private ImageDiffDemo() {}

    /**
     * @param before          the generated before.png
     * @param after           the generated after.png
     * @param absoluteDiff    diff.png: |after - before| per channel
     * @param signedDiff      diff-signed.png: red brighter, blue darker, grey unchanged
     * @param changedPixels   pixels where any channel differs
     * @param displacement    distance the object moved, in pixels
     * @param exact           the decrypted difference equals the plaintext difference for every sample
     */
    public record Result(Path before, Path after, Path absoluteDiff, Path signedDiff, long changedPixels, double displacement,
                         boolean exact, long uploadBytes, long downloadBytes, long millis) {}

    public static Result run(Path dir, ImageDiffClient client, DiffTransport transport) throws IOException {
        long start = System.nanoTime();
        SyntheticPair pair = SyntheticPair.generate();
        Path[] files = pair.writeTo(dir);
        RawImage[] frames = ImageFiles.readPair(files[0], files[1], ImageFiles.DEFAULT_MAX_PIXELS);
        byte[] b = client.encrypt(frames[0]);
        byte[] a = client.encrypt(frames[1]);
        byte[] d = transport.subtract(b, a);
        DiffImage diff = client.decrypt(d);
        boolean exact = diff.equals(DiffImage.plain(frames[0], frames[1]));
        Path abs = dir.resolve("diff.png"), signed = dir.resolve("diff-signed.png");
        diff.writeAbsolutePng(abs);
        diff.writeSignedPng(signed);
        long ms = (System.nanoTime() - start) / 1_000_000;
        LOG.debug("image diff demo in {} ms, exact {}", ms, exact);
        return new Result(files[0], files[1], abs, signed, diff.changedPixels(), pair.displacement(), exact,
                (long) a.length + b.length, d.length, ms);
    }
}
