package io.picrypt.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.picrypt.client.ClientException;
import io.picrypt.client.KeyDirectory;
import io.picrypt.client.PiCryptClient;
import io.picrypt.face.FacePipeline;
import io.picrypt.face.SampleFaces;
import io.picrypt.server.PiCryptServer;
import io.picrypt.server.ServerConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.util.List;

import static io.picrypt.cli.ServiceCommandsTest.run;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The two cases of issue 10 end to end, through the CLI and a real server on loopback: a key directory whose
 * config.json was replaced by another's, and a template with two bytes flipped uploaded through the normal PUT
 * route. Before issue 10 both gave MATCH decisions (exit 0) for a different person; now both are errors (exit 2)
 * that say what happened, in every run.
 */
class IntegrityCommandsTest {
    static final Path MODELS = Path.of(System.getProperty("picrypt.models", "models"));
    static List<SampleFaces.Sample> samples;

    @BeforeAll
    static void faces() {
        try (FacePipeline p = FacePipeline.open(MODELS)) {
            samples = SampleFaces.crops(p, MODELS.resolve("samples"));
        }
    }

    static Path photo(Path tmp, int i) throws Exception {
        Path f = tmp.resolve("face-" + i + ".png");
        if (!Files.exists(f)) Files.write(f, samples.get(i).png());
        return f;
    }

    @Test
    void aConfigCopiedFromAnotherKeyDirectoryIsRefusedNotAMatch(@TempDir Path tmp) throws Exception {
        try (var server = new PiCryptServer(ServerConfig.defaults(tmp.resolve("data"), 0)).start()) {
            String url = "http://127.0.0.1:" + server.port(), one = tmp.resolve("one").toString(), two = tmp.resolve("two").toString();
            assertEquals(0, run("keys", "init", "--keys", one, "--server", url)[0]);
            assertEquals(0, run("keys", "init", "--keys", two, "--server", url)[0]);
            Object[] r = run("enroll", "--keys", one, "--models", MODELS.toString(), "--name", "alice", photo(tmp, 0).toString());
            assertEquals(0, r[0], (String) r[2]);
            // the owner's own key directory decides normally
            r = run("verify", "--keys", one, "--models", MODELS.toString(), "--name", "alice", photo(tmp, 0).toString());
            assertEquals(0, r[0], r[1] + " " + r[2]);
            // keys show names the gallery basis the enrollment recorded, and refuses a damaged copy of it
            String fingerprint = new KeyDirectory(Path.of(one)).galleryBasis(null).fingerprint();
            r = run("keys", "show", "--keys", one);
            assertEquals(0, r[0], r[1] + " " + r[2]);
            assertTrue(((String) r[1]).contains("basis " + fingerprint + " in " + KeyDirectory.GALLERY_BASIS_FILE), (String) r[1]);
            Path basis = Path.of(one, KeyDirectory.GALLERY_BASIS_FILE);
            byte[] good = Files.readAllBytes(basis);
            Files.write(basis, java.util.Arrays.copyOf(good, good.length - 1));
            r = run("keys", "show", "--keys", one);
            assertEquals(2, r[0], r[1] + " " + r[2]);
            assertTrue(((String) r[2]).contains("damaged"), (String) r[2]);
            Files.write(basis, good);
            // a restored backup / copied config: directory two now points at keyset one with its own secret key
            Files.copy(Path.of(one, KeyDirectory.CONFIG_FILE), Path.of(two, KeyDirectory.CONFIG_FILE), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            for (int run = 0; run < 3; run++) {
                r = run("verify", "--keys", two, "--models", MODELS.toString(), "--name", "alice", photo(tmp, 1).toString());
                assertEquals(2, r[0], "wrong key must be an error, not a decision: " + r[1] + " " + r[2]);
                assertTrue(((String) r[2]).contains("is not the key") && ((String) r[2]).contains("keys init --force"), (String) r[2]);
                assertFalse(((String) r[1]).contains("MATCH"), (String) r[1]);
            }
            r = run("verify", "--keys", two, "--models", MODELS.toString(), "--name", "alice", photo(tmp, 0).toString());
            assertEquals(2, r[0], r[1] + " " + r[2]);
            r = run("identify", "--keys", two, "--models", MODELS.toString(), photo(tmp, 1).toString());
            assertEquals(2, r[0], r[1] + " " + r[2]);
            assertFalse(((String) r[1]).contains("identified"), (String) r[1]);
            r = run("keys", "show", "--keys", two);
            assertEquals(2, r[0], "keys show checks the secret key against the config: " + r[1] + r[2]);

            // a config without key-check values (as written before issue 10): the server's record still refuses it
            ObjectNode cfg = (ObjectNode) new ObjectMapper().readTree(Path.of(two, KeyDirectory.CONFIG_FILE).toFile());
            cfg.remove("key_check");
            cfg.remove("gallery_key_check");
            Path config = Path.of(two, KeyDirectory.CONFIG_FILE);
            Files.delete(config);
            Files.createFile(config, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
            Files.writeString(config, cfg.toString());
            r = run("verify", "--keys", two, "--models", MODELS.toString(), "--name", "alice", photo(tmp, 1).toString());
            assertEquals(2, r[0], r[1] + " " + r[2]);
            assertTrue(((String) r[2]).contains("key check"), (String) r[2]);
            r = run("identify", "--keys", two, "--models", MODELS.toString(), photo(tmp, 1).toString());
            assertEquals(2, r[0], r[1] + " " + r[2]);
        }
    }

    @Test
    void aTemplateWithFlippedBytesIsAnErrorAndDiskCorruptionIsReported(@TempDir Path tmp) throws Exception {
        try (var server = new PiCryptServer(ServerConfig.defaults(tmp.resolve("data"), 0)).start()) {
            String url = "http://127.0.0.1:" + server.port(), keys = tmp.resolve("keys").toString();
            assertEquals(0, run("keys", "init", "--keys", keys, "--server", url)[0]);
            Object[] r = run("enroll", "--keys", keys, "--models", MODELS.toString(), "--name", "alice", photo(tmp, 0).toString());
            assertEquals(0, r[0], (String) r[2]);
            var config = new KeyDirectory(Path.of(keys)).readConfig();
            byte[] stored = server.store().templates(config.keyset(), "alice").get(0);
            byte[] bad = stored.clone();
            bad[100] ^= (byte) 0xff;
            bad[bad.length - 5] ^= (byte) 0xff;
            var http = new PiCryptClient(config);
            http.enroll("alice", bad, true); // accepted: well-formed, and the server cannot read it
            for (int run = 0; run < 8; run++) {
                r = run("verify", "--keys", keys, "--models", MODELS.toString(), "--name", "alice", photo(tmp, 1 + run % 3).toString());
                assertEquals(2, r[0], "corrupted template must be an error: " + r[1] + " " + r[2]);
                assertFalse(((String) r[1]).contains("MATCH"), (String) r[1]);
                assertTrue(((String) r[2]).contains("no decision was made"), (String) r[2]);
            }
            // identify reads the 1:N gallery (one identification path), where alice was put from the clean embedding
            // at enrollment: the corrupted 1:1 template is not read, so the answer is a correct decision for this
            // impostor photo (no match), never a MATCH caused by the corruption
            r = run("identify", "--keys", keys, "--models", MODELS.toString(), photo(tmp, 1).toString());
            assertEquals(1, r[0], r[1] + " " + r[2]);
            assertFalse(((String) r[1]).contains("MATCH") && !((String) r[1]).contains("NO MATCH"), (String) r[1]);

            // bit rot on the server's disk: the digest no longer matches, the server refuses to compute on it
            http.enroll("alice", stored, true);
            r = run("verify", "--keys", keys, "--models", MODELS.toString(), "--name", "alice", photo(tmp, 0).toString());
            assertEquals(0, r[0], r[1] + " " + r[2]);
            try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + tmp.resolve("data").resolve("picrypt.db"));
                 PreparedStatement p = c.prepareStatement("UPDATE templates SET ct = ? WHERE name = 'alice'")) {
                byte[] rot = stored.clone();
                rot[20_000] ^= 0x10;
                p.setBytes(1, rot);
                assertEquals(1, p.executeUpdate());
            }
            ClientException e = assertThrows(ClientException.class, () -> http.verify("alice", new io.picrypt.match.MatchKeyOwner(
                    new KeyDirectory(Path.of(keys)).readSecretKey(null)).encryptProbe(io.picrypt.match.SyntheticEmbeddings.unit(new java.util.SplittableRandom(1)))));
            assertEquals(409, e.status(), e.getMessage());
            r = run("verify", "--keys", keys, "--models", MODELS.toString(), "--name", "alice", photo(tmp, 0).toString());
            assertEquals(2, r[0], r[1] + " " + r[2]);
            assertTrue(((String) r[2]).contains("no longer matches the digest") && ((String) r[2]).contains("enroll it again"), (String) r[2]);
        }
    }
}
