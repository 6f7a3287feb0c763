package io.picrypt.client;

import io.picrypt.ckks.KeyGenerator;
import io.picrypt.ckks.SecretKey;
import io.picrypt.imagediff.DiffImage;
import io.picrypt.imagediff.DiffRequest;
import io.picrypt.imagediff.ImageDiffKeyOwner;
import io.picrypt.imagediff.ImageDiffParameters;
import io.picrypt.imagediff.ProgressListener;
import io.picrypt.imagediff.RawImage;

/**
 * The client side of the encrypted image difference: encrypts both images with the local image-difference
 * key, sends them to the server, decrypts the difference. The server never sees a pixel.
 */
public final class ImageDiffSession {
    private final PiCryptClient http;
    private final ImageDiffKeyOwner crypto;

    /** Progress of the four phases; each gets done-of-total counts (ciphertexts or bytes; total -1 = unknown). */
    public interface Progress {
        Progress NONE = new Progress() {};

        default void encrypt(long done, long total) {}

        default void upload(long done, long total) {}

        default void server() {}

        default void download(long done, long total) {}

        default void decrypt(long done, long total) {}
    }

    public record Result(DiffImage difference, double encryptMs, double roundTripMs, double serverMs, double decryptMs,
                         long uploadBytes, long downloadBytes) {}

    public ImageDiffSession(PiCryptClient http, SecretKey sk) {
        this.http = http;
        this.crypto = new ImageDiffKeyOwner(ImageDiffParameters.standard(), sk);
    }

    /** The image-difference key of a key directory, created on first use (it is local-only: nothing is registered). */
    public static SecretKey key(KeyDirectory dir, char[] passphrase) {
        if (!dir.hasKey(KeyDirectory.IMAGEDIFF_SECRET_FILE)) {
            SecretKey sk = new KeyGenerator(ImageDiffParameters.standard().ckks()).secretKey();
            dir.writeKey(KeyDirectory.IMAGEDIFF_SECRET_FILE, sk, passphrase, false);
            return sk;
        }
        return dir.readKey(KeyDirectory.IMAGEDIFF_SECRET_FILE, ImageDiffParameters.standard().ckks(), passphrase);
    }

    public Result diff(RawImage before, RawImage after, Progress progress) {
        if (before.width() != after.width() || before.height() != after.height() || before.channels() != after.channels()) {
            throw new IllegalArgumentException(String.format("the images differ in size: %dx%d (%d channels) and %dx%d (%d channels)",
                    before.width(), before.height(), before.channels(), after.width(), after.height(), after.channels()));
        }
        long t0 = System.nanoTime();
        long count = 2 * ImageDiffParameters.standard().ciphertextCount((long) before.width() * before.height() * before.channels());
        long[] done = {0};
        ProgressListener enc = (d, total) -> progress.encrypt(done[0] + d, count);
        byte[] a = crypto.encrypt(before, enc);
        done[0] = count / 2;
        byte[] b = crypto.encrypt(after, enc);
        double encryptMs = ms(t0);
        long t1 = System.nanoTime();
        PiCryptClient.Reply reply = subtract(a, b, progress);
        double roundTrip = ms(t1);
        long t2 = System.nanoTime();
        DiffImage diff = crypto.decrypt(reply.body(), progress::decrypt);
        return new Result(diff, encryptMs, roundTrip, reply.serverMs(), ms(t2), DiffRequest.bytes(a, b), reply.body().length);
    }

    /** The server's part: two encrypted images (PCIM) up, the encrypted difference (PCID) down. */
    public static PiCryptClient.Reply subtract(PiCryptClient http, byte[] before, byte[] after, Progress progress) {
        boolean[] uploaded = {false};
        return http.postLarge(io.picrypt.http.ApiPaths.IMAGE_DIFF, DiffRequest.write(before, after), (d, total) -> {
            progress.upload(d, total);
            if (d == total && !uploaded[0]) {
                uploaded[0] = true;
                progress.server();
            }
        }, progress::download);
    }

    private PiCryptClient.Reply subtract(byte[] before, byte[] after, Progress progress) {
        return subtract(http, before, after, progress);
    }

    private static double ms(long t0) { return (System.nanoTime() - t0) / 1e6; }
}
