package io.picrypt.cli;

import io.picrypt.face.FacePipeline;
import io.picrypt.face.SampleFaces;
import io.picrypt.server.PiCryptServer;
import io.picrypt.server.ServerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The enrollment-safety rules through the CLI (io.picrypt.client.EnrollmentSafety): {@code enroll} with photos of
 * two people, {@code enroll} (replace) and {@code enroll --add} with another person's face, {@code enroll --gallery}
 * and {@code import} of a name whose templates show another face; each refused with exit 2 and the override flag
 * named, each done with the flag. Real server on loopback, real models.
 */
class EnrollSafetyCommandTest {
    static final Path MODELS = Path.of(System.getProperty("picrypt.models", "models"));

    static Object[] run(String... args) { return ServiceCommandsTest.run(args); }

    static String templates(String keys, String name) {
        String out = (String) run("list", "--keys", keys)[1];
        return out.lines().filter(l -> l.startsWith(name + "\t")).findFirst().orElse("");
    }

    @Test
    void enrollAddGalleryAndImportFollowTheSameRule(@TempDir Path tmp) throws Exception {
        List<SampleFaces.Sample> people;
        try (FacePipeline p = FacePipeline.open(MODELS)) {
            people = SampleFaces.crops(p, MODELS.resolve("samples"));
        }
        Path ann = Files.write(tmp.resolve("ann.png"), people.get(0).png());
        Path ann2 = Files.write(tmp.resolve("ann-2.png"), new SampleFaces.Variation(true, 6, 1.05, 10).apply(people.get(0).png()));
        Path ben = Files.write(tmp.resolve("ben.png"), people.get(1).png());
        String models = MODELS.toString();
        try (PiCryptServer server = new PiCryptServer(ServerConfig.defaults(tmp.resolve("data"), 0)).start()) {
            String keys = tmp.resolve("keys").toString();
            assertEquals(0, run("keys", "init", "--keys", keys, "--server", "http://127.0.0.1:" + server.port())[0]);

            // one enrollment, two people: refused, nothing uploaded; the flag enrolls with a warning
            Object[] r = run("enroll", "--keys", keys, "--models", models, "--name", "mix", ann.toString(), ben.toString());
            assertEquals(Main.EXIT_ERROR, r[0], (String) r[1]);
            String err = (String) r[2];
            assertTrue(err.contains("not the same person") && err.contains("--allow-mixed-photos") && err.contains("nothing was uploaded"), err);
            assertEquals(1, err.lines().count(), "one clear line, no stack trace: " + err);
            assertEquals("", templates(keys, "mix"));
            r = run("enroll", "--keys", keys, "--models", models, "--name", "mix", "--allow-mixed-photos", ann.toString(), ben.toString());
            assertEquals(0, r[0], (String) r[2]);
            assertTrue(((String) r[2]).contains("enrolled anyway, as asked"), (String) r[2]);

            // a name keeps its face: replace and --add with somebody else are refused until --allow-new-face
            assertEquals(0, run("enroll", "--keys", keys, "--models", models, "--name", "ann", ann.toString(), ann2.toString())[0]);
            r = run("enroll", "--keys", keys, "--models", models, "--name", "ann", ben.toString());
            assertEquals(Main.EXIT_ERROR, r[0]);
            assertTrue(((String) r[2]).contains("does not match the 1 existing template(s) of 'ann'") && ((String) r[2]).contains("--allow-new-face"), (String) r[2]);
            r = run("enroll", "--keys", keys, "--models", models, "--name", "ann", "--add", ben.toString());
            assertEquals(Main.EXIT_ERROR, r[0], (String) r[1]);
            assertTrue(templates(keys, "ann").startsWith("ann\t1 template(s)"), "still one template: " + templates(keys, "ann"));
            r = run("enroll", "--keys", keys, "--models", models, "--name", "ann", "--add", ann2.toString());
            assertEquals(0, r[0], "the same face may be added: " + r[2]);
            assertTrue(templates(keys, "ann").startsWith("ann\t2 template(s)"), templates(keys, "ann"));
            r = run("verify", "--keys", keys, "--models", models, "--name", "ann", ben.toString());
            assertEquals(1, r[0], "ben is still not ann: " + r[1]);

            // the gallery: a name whose 1:1 templates show another face
            r = run("enroll", "--keys", keys, "--models", models, "--gallery", "--name", "ann", ben.toString());
            assertEquals(Main.EXIT_ERROR, r[0], (String) r[1]);
            assertTrue(((String) r[2]).contains("--allow-new-face"), (String) r[2]);
            r = run("enroll", "--keys", keys, "--models", models, "--gallery", "--name", "pair", ann.toString(), ben.toString());
            assertEquals(Main.EXIT_ERROR, r[0], (String) r[1]);
            assertTrue(((String) r[2]).contains("--allow-mixed-photos"), (String) r[2]);

            // import: the file named ann.png shows ben: skipped and listed, the others imported
            Path dir = Files.createDirectories(tmp.resolve("watchlist"));
            Files.write(dir.resolve("ann.png"), people.get(1).png());
            Files.write(dir.resolve("cid.png"), people.get(2).png());
            r = run("import", "--keys", keys, "--models", models, dir.toString());
            assertEquals(0, r[0], (String) r[2]);
            assertTrue(((String) r[2]).contains("skipped ann") && ((String) r[2]).contains("--allow-new-face"), (String) r[2]);
            assertTrue(((String) r[1]).contains("imported 1 identities"), (String) r[1]);
            Files.delete(dir.resolve("cid.png"));
            // --allow-new-face lets ann past the safety rule (a warning), but enrollment already put 'ann' into the
            // gallery (one 1:N path) and import does not replace: the server refuses it, listed, nothing imported
            r = run("import", "--keys", keys, "--models", models, "--allow-new-face", dir.toString());
            String err2 = (String) r[2];
            assertEquals(Main.EXIT_ERROR, r[0], err2);
            assertTrue(err2.contains("done anyway, as asked") && !err2.contains("(--allow-new-face)"), err2);
            assertTrue(err2.contains("skipped ann: refused by the server") && err2.contains("already in the gallery"), err2);
        }
    }
}
