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

/** The page's image difference through the real service: encrypted here, subtracted by the server, decrypted here. */
public final class EncryptedImageDiffer implements ImageDiffer {
    private final java.util.function.Supplier<ImageDiffSession> factory;
    private final ImageLoader loader;
    private ImageDiffSession session;

    /** The session (and with it the local image-difference key) is made on the first difference, not at start-up. */
    public EncryptedImageDiffer(java.util.function.Supplier<ImageDiffSession> factory, long maxPixels) {
        this.factory = factory;
        this.loader = new ImageLoader(maxPixels, ImageLoader.DEFAULT_MAX_BYTES);
    }

    private synchronized ImageDiffSession session() {
        if (session == null) session = factory.get();
        return session;
    }

    @Override
    public DiffResult diff(byte[] beforeBytes, byte[] afterBytes) {
        DiffPair pair;
        try {
            pair = DiffPair.decode(loader, beforeBytes, "the before photo", afterBytes, "the after photo");
        } catch (ImageException | ImageDiffException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        RawImage before = pair.before(), after = pair.after();
        ImageDiffSession.Result r;
        try {
            r = session().diff(before, after, ImageDiffSession.Progress.NONE);
        } catch (ImageDiffException e) {
            if (e.isClientError()) throw new IllegalArgumentException(e.getMessage(), e);
            throw e;
        }
        Map<String, Double> t = new LinkedHashMap<>();
        t.put("encrypt both images (here)", r.encryptMs());
        t.put("upload + encrypted subtraction (server) + download", r.roundTripMs());
        t.put("decrypt (here)", r.decryptMs());
        List<String> notes = new java.util.ArrayList<>(pair.notes());
        notes.add(String.format(Locale.ROOT, "%dx%d, %d channel(s); sent %,d bytes of ciphertext, received %,d", before.width(), before.height(),
                before.channels(), r.uploadBytes(), r.downloadBytes()));
        notes.add(String.format(Locale.ROOT, "server compute %.0f ms on ciphertexts; %,d of %,d pixels changed", r.serverMs(),
                r.difference().changedPixels(), before.pixels()));
        return new DiffResult(png(before), png(after), png(r.difference().absolute()), t, notes);
    }

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
