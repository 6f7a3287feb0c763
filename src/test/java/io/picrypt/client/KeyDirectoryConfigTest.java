package io.picrypt.client;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A damaged config.json is an error that says where and what to do, not the JSON parser's internals. */
class KeyDirectoryConfigTest {
    @Test
    void aConfigThatIsNotJsonSaysWhereAndWhatToDo(@TempDir Path tmp) throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("keys"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path cfg = dir.resolve(KeyDirectory.CONFIG_FILE);
        Files.writeString(cfg, "{\n");
        Files.setPosixFilePermissions(cfg, PosixFilePermissions.fromString("rw-------"));
        KeyDirectory keys = new KeyDirectory(dir);
        for (Runnable read : new Runnable[]{keys::readConfig, keys::readKeyChecks, keys::templateChecksRequired}) {
            ClientException e = assertThrows(ClientException.class, read::run);
            String m = e.getMessage();
            assertTrue(m.contains(cfg + " is not valid JSON (line 2"), m);
            assertTrue(m.contains("restore it from a backup") && m.contains("picrypt keys init --force"), m);
            assertFalse(m.contains("Source") || m.contains("\n") || m.contains("StreamReadFeature"), m);
        }
    }
}
