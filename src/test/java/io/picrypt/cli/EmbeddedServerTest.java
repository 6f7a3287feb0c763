package io.picrypt.cli;

import io.picrypt.client.PiCryptClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EmbeddedServerTest {
    @Test
    void temporaryServerAnswersOnLoopbackAndLeavesNothingBehind() throws Exception {
        Path dir;
        java.net.URI url;
        try (EmbeddedServer s = EmbeddedServer.start("picrypt-embedded-test")) {
            dir = s.dir();
            url = s.url();
            assertEquals("127.0.0.1", url.getHost());
            assertTrue(url.getPort() > 0, "a free port was chosen");
            assertTrue(PiCryptClient.healthy(url));
            assertTrue(Files.isDirectory(s.storeDir()), "the store lives in dir()/store");
            Files.writeString(dir.resolve("caller-file.txt"), "keys, photos ...");
        }
        assertFalse(Files.exists(dir), "the temporary directory is deleted with everything in it");
        assertFalse(PiCryptClient.healthy(url), "the server is stopped");
    }

    @Test
    void serverInACallersDirectoryLeavesTheDirectory(@TempDir Path tmp) {
        try (EmbeddedServer s = EmbeddedServer.in(tmp)) {
            assertTrue(PiCryptClient.healthy(s.url()));
            assertEquals(tmp.resolve("store"), s.storeDir());
        }
        assertTrue(Files.isDirectory(tmp.resolve("store")), "the caller's directory and store stay");
    }
}
