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
            ImageDiffer.DiffResult r = differ.diff(Files.readAllBytes(frames[0]), Files.readAllBytes(frames[1]));
            assertTrue(keys.hasKey(KeyDirectory.IMAGEDIFF_SECRET_FILE));
            RawImage got = io.picrypt.imagediff.PngFiles.read(r.differencePng());
            assertArrayEquals(DiffImage.plain(pair.before(), pair.after()).absolute().samples(), got.samples());
            RawImage small = SyntheticPair.generate(32, 32, 1).before();
            Path smallPng = tmp.resolve("small.png");
            ImageFiles.writePng(small, smallPng);
            assertThrows(IllegalArgumentException.class, () -> differ.diff(Files.readAllBytes(frames[0]), Files.readAllBytes(smallPng)));
        }
    }
}
