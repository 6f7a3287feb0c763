package io.picrypt.client.ui;

import io.picrypt.client.ImageDiffSession;
import io.picrypt.client.KeyDirectory;
import io.picrypt.client.PiCryptClient;
import io.picrypt.imagediff.DiffImage;
import io.picrypt.imagediff.ImageFiles;
import io.picrypt.imagediff.RawImage;
import io.picrypt.imagediff.SyntheticPair;
import io.picrypt.match.MatchParameters;
import io.picrypt.server.PiCryptServer;
import io.picrypt.server.ServerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** The page's real image difference: encrypted here, subtracted by a real server, exact; its key is made on first use. */
class EncryptedImageDifferTest {
    @TempDir
    Path tmp;

    @Test
    void exactDifferenceAndTheKeyIsCreatedOnFirstUse() throws Exception {
        try (PiCryptServer server = new PiCryptServer(ServerConfig.defaults(tmp.resolve("data"), 0)).start()) {
            URI url = URI.create("http://127.0.0.1:" + server.port());
            PiCryptClient.Keyset ks = PiCryptClient.createKeyset(url, MatchParameters.get().fingerprintHex());
            PiCryptClient http = new PiCryptClient(url, ks.id(), ks.token());
            KeyDirectory keys = new KeyDirectory(tmp.resolve("keys"));
            EncryptedImageDiffer differ = new EncryptedImageDiffer(() -> new ImageDiffSession(http, ImageDiffSession.key(keys, null)),
                    ImageFiles.DEFAULT_MAX_PIXELS);
            assertFalse(keys.hasKey(KeyDirectory.IMAGEDIFF_SECRET_FILE), "no key before the first difference");
            SyntheticPair pair = SyntheticPair.generate(96, 64, 2);
            Path[] frames = pair.writeTo(tmp);
            java.util.List<String> phases = new java.util.concurrent.CopyOnWriteArrayList<>();
            ImageDiffer.DiffResult r = differ.diff(Files.readAllBytes(frames[0]), Files.readAllBytes(frames[1]), (phase, done, total) -> {
                if (phases.isEmpty() || !phases.get(phases.size() - 1).equals(phase)) phases.add(phase);
            });
            // real progress, in order, from encryption to the PNG of the difference
            assertEquals("Encrypting both images (here)", phases.get(0), phases.toString());
            assertTrue(phases.indexOf("Decrypting the difference (here)") > phases.indexOf("Server subtracting the encrypted images"), phases.toString());
            assertEquals("Encoding the difference image (here)", phases.get(phases.size() - 1), phases.toString());
            assertEquals(96, r.width());
            assertEquals(64, r.height());
            assertTrue(keys.hasKey(KeyDirectory.IMAGEDIFF_SECRET_FILE));
            RawImage got = io.picrypt.imagediff.PngFiles.read(r.differencePng());
            assertArrayEquals(DiffImage.plain(pair.before(), pair.after()).absolute().samples(), got.samples());
            RawImage small = SyntheticPair.generate(32, 32, 1).before();
            Path smallPng = tmp.resolve("small.png");
            ImageFiles.writePng(small, smallPng);
            java.util.List<String> none = new java.util.ArrayList<>();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> differ.diff(Files.readAllBytes(frames[0]), Files.readAllBytes(smallPng), (phase, d, t) -> none.add(phase)));
            assertTrue(e.getMessage().contains("is 96x64 pixels but the after photo is 32x32"), e.getMessage());
            assertTrue(none.isEmpty(), "a bad input fails before any progress");
            assertEquals("x is 9000x8000 = 68.7 MP, over the 64 MP limit",
                    EncryptedImageDiffer.megapixels("x is 9000x8000 = 72000000 pixels, over the limit of 67108864"));
        }
    }
}
