package io.picrypt.ckks;

/** Relinearization key: switches s^2 to s. */
public record RelinKey(CkksParameters params, SwitchingKey key) {}
