package io.picrypt.match;

import io.picrypt.ckks.Ciphertext;
import io.picrypt.ckks.CkksException;
import io.picrypt.ckks.CkksParameters;
import io.picrypt.ckks.Decryptor;
import io.picrypt.ckks.Encoder;
import io.picrypt.ckks.Encryptor;
import io.picrypt.ckks.KeyGenerator;
import io.picrypt.ckks.SecretKey;
import io.picrypt.ckks.Serializer;

import java.util.List;

/**
 * The key owner's side: encrypts templates and probes with the secret key (seeded symmetric
 * ciphertexts, half the size of public-key ones) and decrypts the server's results into squared
 * distances. Only this side ever sees an embedding or a distance.
 */
public final class MatchClient {
    private final CkksParameters params = MatchParameters.get();
    private final SecretKey sk;
    private final Encoder encoder = new Encoder(params);
    private final Encryptor encryptor = new Encryptor(params);
    private final Decryptor decryptor;

    public MatchClient(SecretKey sk) {
        if (!sk.params().equals(params)) throw new CkksException("secret key is not for the matching parameters");
        this.sk = sk;
        this.decryptor = new Decryptor(params, sk);
    }

    public static SecretKey generateSecretKey() {
        return new KeyGenerator(MatchParameters.get()).secretKey();
    }

    /** Template: coefficient j = y_j. */
    public byte[] encryptTemplate(float[] embedding) {
        double[] c = new double[checkDim(embedding)];
        for (int j = 0; j < embedding.length; j++) c[j] = embedding[j];
        return encrypt(c);
    }

    /** Probe: p(X) = sum_j x_j X^(-j) = x_0 - sum_{j>0} x_j X^(N-j), so coefficient 0 of t*p is <x, y>. */
    public byte[] encryptProbe(float[] embedding) {
        double[] c = new double[MatchParameters.N];
        checkDim(embedding);
        c[0] = embedding[0];
        for (int j = 1; j < embedding.length; j++) c[MatchParameters.N - j] = -embedding[j];
        return encrypt(c);
    }

    private byte[] encrypt(double[] coeffs) {
        Ciphertext ct = encryptor.encryptSymmetric(encoder.encodeCoefficients(coeffs, MatchParameters.SCALE, 0), sk);
        return Serializer.writeCiphertext(ct, params);
    }

    /** Squared distances 2 - 2<x,y>, one per template, in the order the server used. */
    public double[] decryptDistances(byte[] result) {
        ResultEnvelope.Contents contents = ResultEnvelope.read(result, params);
        int per = MatchParameters.TEMPLATES_PER_CIPHERTEXT;
        double expectedScale = MatchParameters.SCALE * MatchParameters.SCALE;
        double[] out = new double[contents.entries()];
        for (int i = 0; i < contents.ciphertexts().size(); i++) {
            Ciphertext ct = contents.ciphertexts().get(i);
            if (Math.abs(ct.scale() - expectedScale) > 1e-6 * expectedScale) throw new CkksException("result has an unexpected scale");
            double[] coeffs = decryptor.decryptCoefficients(ct);
            for (int k = 0; k < per && i * per + k < out.length; k++) {
                out[i * per + k] = 2 - 2 * coeffs[k * MatchParameters.DIMENSION];
            }
        }
        return out;
    }

    /** Like {@link #decryptDistances(byte[])}, and checks that the server answered for {@code expected} templates. */
    public double[] decryptIdentify(byte[] result, int expected) {
        double[] d = decryptDistances(result);
        if (d.length != expected) throw new CkksException("server answered for " + d.length + " templates, expected " + expected);
        return d;
    }

    /** Distances to each template of the verified name. */
    public double[] decryptVerify(byte[] result) {
        return decryptDistances(result);
    }

    /**
     * The embedding inside one of our own templates ({@link #encryptTemplate}), to CKKS noise (about 1e-6 per value):
     * lets the key owner move its identities into another structure (the 1:N gallery) without the photos.
     *
     * @throws CkksException if the bytes are not a template ciphertext of these parameters
     */
    public float[] decryptTemplate(byte[] template) {
        Ciphertext ct = Serializer.readCiphertext(template, params);
        if (ct.size() != 2 || ct.level() != 0 || Math.abs(ct.scale() - MatchParameters.SCALE) > 1e-9 * MatchParameters.SCALE) {
            throw new CkksException("not a template ciphertext");
        }
        double[] c = decryptor.decryptCoefficients(ct);
        float[] out = new float[MatchParameters.DIMENSION];
        for (int j = 0; j < out.length; j++) out[j] = (float) c[j];
        return out;
    }

    private static int checkDim(float[] e) {
        if (e.length == 0 || e.length > MatchParameters.DIMENSION) {
            throw new IllegalArgumentException("embedding must have 1.." + MatchParameters.DIMENSION + " dimensions, got " + e.length);
        }
        return e.length;
    }
}
