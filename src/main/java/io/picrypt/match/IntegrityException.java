package io.picrypt.match;

import io.picrypt.ckks.CkksException;

/**
 * The server's answer (or what it computed on) failed a check the key owner can verify: a decrypted value
 * outside its proven range, an empty window that is not empty, a wrong key check, an answer whose framing,
 * counts or names do not match the request. Never a decision: the CLI exits 2, the web page's API answers 502.
 */
public final class IntegrityException extends CkksException {
    /** Every message ends by saying that no decision was made, whichever check fired first. */
    public IntegrityException(String message) {
        super(message.contains("no decision was made") ? message : message + "; no decision was made");
    }
}
