package io.picrypt.client;

import io.picrypt.face.FacePipeline;
import io.picrypt.match.GalleryProjection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The key directory keeps the gallery basis it first used, private, checked against the model in use. */
class GalleryBasisTest {
    private static FacePipeline pipeline;

    @BeforeAll
    static void open() {
        pipeline = FacePipeline.open(Path.of(System.getProperty("picrypt.models", "models")));
    }

    @AfterAll
    static void close() {
        pipeline.close();
    }

    private static KeyDirectory dir(Path tmp) throws Exception {
        return new KeyDirectory(Files.createDirectory(tmp.resolve("keys"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"))));
    }

    @Test
    void recordedOnFirstUseWithTheModelsBasisAndKeptPrivate(@TempDir Path tmp) throws Exception {
        KeyDirectory keys = dir(tmp);
        assertNull(keys.galleryBasis(null), "no basis recorded and no model to derive one from");
        GalleryProjection b = keys.galleryBasis(pipeline);
        Path f = keys.dir().resolve(KeyDirectory.GALLERY_BASIS_FILE);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
        assertEquals(GalleryBasis.forModel(pipeline).fingerprint(), b.fingerprint());
        assertEquals(pipeline.embeddingSpec().sha256().toLowerCase(java.util.Locale.ROOT), java.util.HexFormat.of().formatHex(b.modelSha256()));
        assertEquals(b.fingerprint(), keys.galleryBasis(null).fingerprint(), "read back without a model");
        // real faces keep nearly all their energy in the model's basis (docs/BENCHMARKS.md: >= 0.99996 on three data sets)
        float[] face = pipeline.embedLargest(Path.of(System.getProperty("picrypt.models", "models")).resolve("samples").resolve("portrait-facedetection.jpg")).vector();
        assertTrue(b.captured(face) > 0.999, "captured " + b.captured(face));
    }

    @Test
    void theRecordedCopyWinsAndAnotherModelsBasisIsRefused(@TempDir Path tmp) throws Exception {
        KeyDirectory keys = dir(tmp);
        GalleryProjection other = GalleryProjection.synthetic(3); // recorded for "another model" (model hash all zero)
        Path f = keys.dir().resolve(KeyDirectory.GALLERY_BASIS_FILE);
        Files.write(f, other.toBytes());
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        assertEquals(other.fingerprint(), keys.galleryBasis(null).fingerprint());
        ClientException e = assertThrows(ClientException.class, () -> keys.galleryBasis(pipeline));
        assertTrue(e.getMessage().contains("another model file"), e.getMessage());
        assertArrayEquals(other.toBytes(), Files.readAllBytes(f), "the recorded basis is never replaced");
    }

    @Test
    void aDamagedBasisIsAnErrorThatSaysWhatToDo(@TempDir Path tmp) throws Exception {
        KeyDirectory keys = dir(tmp);
        keys.galleryBasis(pipeline);
        Path f = keys.dir().resolve(KeyDirectory.GALLERY_BASIS_FILE);
        byte[] b = Files.readAllBytes(f);
        Files.write(f, java.util.Arrays.copyOf(b, b.length / 2));
        ClientException e = assertThrows(ClientException.class, () -> keys.galleryBasis(pipeline));
        assertTrue(e.getMessage().contains("is damaged") && e.getMessage().contains("restore it"), e.getMessage());
    }
    @Test
    void aWellFormedButDifferentBasisIsRefusedOnceRecorded(@TempDir Path tmp) throws Exception {
        KeyDirectory keys = dir(tmp);
        keys.writeConfig(new ClientConfig(java.net.URI.create("http://127.0.0.1:1"), "ks_x", "token", "params"));
        GalleryProjection b = keys.galleryBasis(pipeline); // recorded, and its fingerprint in config.json
        Path f = keys.dir().resolve(KeyDirectory.GALLERY_BASIS_FILE);
        byte[] good = Files.readAllBytes(f);
        // the same rows in another order: orthonormal, the right model, the right size: only the record tells it apart
        byte[] swapped = good.clone();
        int row = 4 * io.picrypt.match.MatchParameters.DIMENSION, at = 5 + 32 + 8 + 8;
        System.arraycopy(good, at, swapped, at + row, row);
        System.arraycopy(good, at + row, swapped, at, row);
        Files.write(f, swapped);
        ClientException e = assertThrows(ClientException.class, () -> keys.galleryBasis(pipeline));
        assertTrue(e.getMessage().contains("is not the gallery basis") && e.getMessage().contains("restore it"), e.getMessage());
        assertThrows(ClientException.class, () -> keys.galleryBasis(null));
        Files.write(f, good);
        assertEquals(b.fingerprint(), keys.galleryBasis(pipeline).fingerprint());
        // rewriting config.json (gallery init, keys init --force) keeps the record
        keys.writeConfig(keys.readConfig(), keys.readKeyChecks());
        Files.write(f, swapped);
        assertThrows(ClientException.class, () -> keys.galleryBasis(pipeline));
        // missing: derived again, and accepted only because it is the recorded one
        Files.delete(f);
        assertEquals(b.fingerprint(), keys.galleryBasis(pipeline).fingerprint());
    }

    @Test
    void aBasisPathThatIsNotARegularFileIsAnErrorNotAHang(@TempDir Path tmp) throws Exception {
        KeyDirectory keys = dir(tmp);
        Path f = keys.dir().resolve(KeyDirectory.GALLERY_BASIS_FILE);
        Files.createSymbolicLink(f, Path.of("/dev/zero")); // read whole: an endless file
        ClientException e = assertThrows(ClientException.class, () -> keys.galleryBasis(pipeline));
        assertTrue(e.getMessage().contains("not a regular file"), e.getMessage());
        Files.delete(f);
        Process mk = new ProcessBuilder("mkfifo", f.toString()).start(); // a FIFO: reading it would block for ever
        assertEquals(0, mk.waitFor());
        e = assertThrows(ClientException.class, () -> keys.galleryBasis(pipeline));
        assertTrue(e.getMessage().contains("not a regular file"), e.getMessage());
    }
}
