package io.picrypt.client.ui;

import io.picrypt.client.DiffPair;
import io.picrypt.client.ImageDiffSession;
import io.picrypt.image.ImageException;
import io.picrypt.image.ImageLoader;
import io.picrypt.imagediff.ImageDiffException;
import io.picrypt.imagediff.ImageFiles;
import io.picrypt.imagediff.RawImage;

import javax.imageio.ImageIO;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The page's image difference through the real service: encrypted here, subtracted by the server, decrypted here. */
public final class EncryptedImageDiffer implements ImageDiffer {
    private static final Pattern PIXELS = Pattern.compile("= (\\d+) pixels, over the limit of (\\d+)");
    private final Supplier<ImageDiffSession> factory;
    private final long maxPixels;
    private final ImageLoader loader;
    private ImageDiffSession session;

    /** The session (and with it the local image-difference key) is made on the first difference, not at start-up. */
    public EncryptedImageDiffer(Supplier<ImageDiffSession> factory, long maxPixels) {
        this.factory = factory;
        this.maxPixels = maxPixels;
        this.loader = new ImageLoader(maxPixels, ImageLoader.DEFAULT_MAX_BYTES);
    }

    @Override
    public long maxPixels() { return maxPixels; }

    private synchronized ImageDiffSession session() {
        if (session == null) session = factory.get();
        return session;
    }

    @Override
    public DiffResult diff(byte[] beforeBytes, byte[] afterBytes, Progress progress) {
        long t0 = System.nanoTime();
        DiffPair pair;
        try {
            pair = DiffPair.decode(loader, beforeBytes, "the before photo", afterBytes, "the after photo");
        } catch (ImageException | ImageDiffException e) {
            throw new IllegalArgumentException(megapixels(e.getMessage()), e);
        }
        RawImage before = pair.before(), after = pair.after();
        double readMs = ms(t0);
        ImageDiffSession.Result r;
        try {
            r = session().diff(before, after, new ImageDiffSession.Progress() {
                @Override public void encrypt(long done, long total) { progress.update("Encrypting both images (here)", done, total); }
                @Override public void upload(long done, long total) { progress.update("Sending the ciphertexts to the server", done, total); }
                @Override public void server() { progress.update("Server subtracting the encrypted images", 0, -1); }
                @Override public void download(long done, long total) { progress.update("Receiving the encrypted difference", done, total); }
                @Override public void decrypt(long done, long total) { progress.update("Decrypting the difference (here)", done, total); }
            });
        } catch (ImageDiffException e) {
            if (e.isClientError()) throw new IllegalArgumentException(e.getMessage(), e);
            throw e;
        }
        progress.update("Encoding the difference image (here)", 0, -1);
        long t3 = System.nanoTime();
        byte[] png = png(r.difference().absolute());
        Map<String, Double> t = new LinkedHashMap<>();
        t.put("read both images (here)", readMs);
        t.put("encrypt both images (here)", r.encryptMs());
        t.put("upload + encrypted subtraction (server) + download", r.roundTripMs());
        t.put("decrypt (here)", r.decryptMs());
        t.put("encode the difference as PNG (here)", ms(t3));
        List<String> notes = new java.util.ArrayList<>(pair.notes());
        notes.add(String.format(Locale.ROOT, "%dx%d, %d channel(s); sent %,d bytes of ciphertext, received %,d", before.width(), before.height(),
                before.channels(), r.uploadBytes(), r.downloadBytes()));
        notes.add(String.format(Locale.ROOT, "server compute %.0f ms on ciphertexts; %,d of %,d pixels changed (%,d of %,d samples)", r.serverMs(),
                r.difference().changedPixels(), before.pixels(), r.difference().changedSamples(), before.pixels() * before.channels()));
        return new DiffResult(png, before.width(), before.height(), t, notes);
    }

    /** "= 67108865 pixels, over the limit of 67108864" reads "= 64.0 MP, over the 64 MP limit". */
    static String megapixels(String message) {
        Matcher m = PIXELS.matcher(message);
        if (!m.find()) return message;
        return m.replaceFirst(String.format(Locale.ROOT, "= %.1f MP, over the %d MP limit",
                Long.parseLong(m.group(1)) / (double) (1 << 20), Long.parseLong(m.group(2)) >> 20));
    }

    private static double ms(long t0) { return (System.nanoTime() - t0) / 1e6; }

    private static byte[] png(RawImage image) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ImageIO.write(ImageFiles.toBufferedImage(image), "png", out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException("PNG encoding failed", e);
        }
    }
}
