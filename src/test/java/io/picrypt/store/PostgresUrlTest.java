package io.picrypt.store;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Store URLs carry passwords: they must not leak into errors or logs (no database needed). */
class PostgresUrlTest {
    @Test
    void passwordsNeverAppearInMessages() {
        StoreException e = assertThrows(StoreException.class,
                () -> PostgresStore.open("jdbc:postgresql://127.0.0.1:1/none?user=x&password=s3cret&connectTimeout=2"));
        assertEquals(-1, e.getMessage().indexOf("s3cret"), e.getMessage());
    }

    @Test
    void redactsThePassword() {
        assertEquals("jdbc:postgresql://h/db?user=u&password=***&ssl=true", PostgresStore.redact("jdbc:postgresql://h/db?user=u&password=pw&ssl=true"));
    }
}
