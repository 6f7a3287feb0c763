package io.picrypt.ckks;

/** A CKKS misuse or invalid input: wrong parameters, levels, scales, or malformed serialized data. */
public class CkksException extends RuntimeException {
    public CkksException(String message) { super(message); }
    public CkksException(String message, Throwable cause) { super(message, cause); }
}
