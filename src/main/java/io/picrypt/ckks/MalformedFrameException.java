package io.picrypt.ckks;

/**
 * A binary frame that is not well-formed: wrong magic or version, truncated, trailing bytes, a count or length that
 * the remaining bytes cannot hold, or a name that is not strict UTF-8 (see {@link FrameReader}). Thrown for every
 * binary format of the project, CKKS objects and the frames of {@code match} and {@code imagediff} alike.
 *
 * <p>A subclass of {@link CkksException} so that every caller refusing an invalid CKKS object refuses a garbled
 * frame the same way (the client turns either into an integrity or answer error: no decision); the server tells the
 * two apart (HTTP 400 {@code malformed_frame} here, {@code invalid_ciphertext} for a well-framed but invalid object:
 * wrong parameters, a coefficient not below its modulus, a bad level or scale).
 */
public final class MalformedFrameException extends CkksException {
    public MalformedFrameException(String message) { super(message); }
}
