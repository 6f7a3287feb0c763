package io.picrypt.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Issue 12 items 5 and 7 in real processes: no locale (LANG/LC_ALL unset, as in containers and cron jobs) and
 * HOME pointing elsewhere than the password database's home.
 */
class LocaleTest {
    static final String HEBREW_CHINESE = "\u05E9\u05DC\u05D5\u05DD-\u4E2D\u6587.jpg";

    /** A child JVM running {@link Main} on the test classpath (via CLASSPATH: a long -cp crashes ONNX Runtime). */
    static String[] runJava(Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), Main.class.getName()));
        cmd.addAll(List.of(args));
        return exec(new ProcessBuilder(cmd), env, true);
    }

    static String[] exec(ProcessBuilder pb, Map<String, String> env, boolean classpath) throws Exception {
        Map<String, String> e = pb.environment();
        e.remove("LANG");
        e.remove("LC_ALL");
        e.remove("LC_CTYPE");
        e.remove("LANGUAGE");
        if (classpath) e.put("CLASSPATH", System.getProperty("java.class.path"));
        e.putAll(env);
        Path out = Files.createTempFile("locale", ".out"), err = Files.createTempFile("locale", ".err");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "finished");
        String[] r = {Integer.toString(p.exitValue()), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8)};
        Files.delete(out);
        Files.delete(err);
        return r;
    }

    @Test
    void javaWithoutALocaleGivesOneClearLineForAPathItCannotRepresent(@TempDir Path tmp) throws Exception {
        Path photo = Files.write(tmp.resolve(HEBREW_CHINESE), new byte[]{1});
        String[] r = runJava(Map.of(), "detect", photo.toString());
        assertEquals("2", r[0], r[1] + r[2]);
        assertTrue(r[2].contains("cannot use the path") && r[2].contains("UTF-8 locale"), r[2]);
        assertEquals(1, r[2].strip().lines().count(), "one line, no usage text, no stack trace:\n" + r[2]);
        assertFalse(r[2].contains("Exception"), r[2]);
    }

    /** The real ./picrypt launcher, around a stand-in jar that reports what the JVM got. */
    @Test
    void theLauncherPinsUtf8SoSuchPathsWork(@TempDir Path tmp) throws Exception {
        Path launcher = Path.of("picrypt").toAbsolutePath();
        assertTrue(Files.isRegularFile(launcher), "run from the repository root");
        Path home = Files.createDirectories(tmp.resolve("repo"));
        Files.copy(launcher, home.resolve("picrypt"));
        home.resolve("picrypt").toFile().setExecutable(true);
        Files.createDirectories(home.resolve("src/main"));
        Files.writeString(home.resolve("pom.xml"), "<project/>");
        Path jar = Files.createDirectories(home.resolve("target")).resolve("picrypt.jar");
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().put(Attributes.Name.MAIN_CLASS, EncodingProbe.class.getName());
        String entry = EncodingProbe.class.getName().replace('.', '/') + ".class";
        try (OutputStream o = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(o, m);
             InputStream in = EncodingProbe.class.getClassLoader().getResourceAsStream(entry)) {
            j.putNextEntry(new JarEntry(entry));
            in.transferTo(j);
        }
        // the launcher rebuilds when sources are newer than the jar: make them older
        for (Path p : List.of(home.resolve("pom.xml"), home.resolve("src/main"), home.resolve("src"))) {
            Files.setLastModifiedTime(p, FileTime.from(Instant.now().minusSeconds(3600)));
        }
        Path photo = Files.write(tmp.resolve(HEBREW_CHINESE), new byte[]{1});
        String[] r = exec(new ProcessBuilder(home.resolve("picrypt").toString(), photo.toString()), Map.of("PICRYPT_JAVA_OPTS", "-Xmx64m"), false);
        assertEquals("0", r[0], r[1] + r[2]);
        assertTrue(r[1].contains("jnu=UTF-8") && r[1].contains("exists=true"), r[1] + r[2]);
    }

    @Test
    void keysShowFollowsHomeAndSaysWhereTheKeysAre(@TempDir Path tmp) throws Exception {
        String[] r = runJava(Map.of("HOME", tmp.toString()), "keys", "show");
        assertEquals("2", r[0], "no keys there yet");
        assertTrue(r[1].contains("key directory: " + tmp.resolve(".picrypt") + " (from $HOME/.picrypt)"), r[1] + r[2]);
        assertTrue(r[2].contains("no config.json in " + tmp.resolve(".picrypt")), r[2]);
    }
}
