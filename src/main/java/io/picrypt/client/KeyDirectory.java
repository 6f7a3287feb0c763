package io.picrypt.client;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.picrypt.ckks.CkksException;
import io.picrypt.ckks.SecretKey;
import io.picrypt.ckks.Serializer;
import io.picrypt.match.MatchParameters;

import javax.crypto.Cipher;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Set;

/**
 * The client's key directory (default ~/.picrypt, mode 0700): {@code secret.key} (mode 0600, the CKKS
 * secret key, optionally sealed with a passphrase: PBKDF2-HMAC-SHA256 with 600,000 iterations and a random
 * salt derives an AES-256-GCM key) and {@code config.json} (mode 0600: server URL, keyset id, token).
 * Files are written to a temporary file with the final permissions first and then renamed, so they are never
 * readable by others, not even for a moment, and never half-written.
 */
public final class KeyDirectory {
    public static final String SECRET_FILE = "secret.key";
    public static final String CONFIG_FILE = "config.json";
    /** The image-difference key (other CKKS parameters; purely local: nothing about it is registered). */
    public static final String IMAGEDIFF_SECRET_FILE = "imagediff.key";
    /** The bulk-gallery key (its evaluation keys are registered with the server by 'keys init'). */
    public static final String GALLERY_SECRET_FILE = "gallery.key";
    private static final byte[] SEALED_MAGIC = {'P', 'C', 'S', 'E'};
    private static final int PBKDF2_ITERATIONS = 600_000;
    private static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> DIR_MODE = PosixFilePermissions.fromString("rwx------");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;

    public KeyDirectory(Path dir) { this.dir = dir; }

    /** --keys, else $PICRYPT_KEYS, else ~/.picrypt (see {@link #home}). */
    public static KeyDirectory resolve(Path explicit) {
        return new KeyDirectory(locate(explicit, System.getenv()).path());
    }

    /** Where the key directory is and which setting chose it ("--keys", "$PICRYPT_KEYS", "$HOME", ...), for 'keys show'. */
    public record Location(Path path, String source) {}

    /** {@link #resolve}'s choice from explicit option and environment, with its source. */
    public static Location locate(Path explicit, java.util.Map<String, String> env) {
        if (explicit != null) return new Location(explicit, "--keys");
        String keys = env.get("PICRYPT_KEYS");
        if (keys != null && !keys.isBlank()) return new Location(Path.of(keys), "$PICRYPT_KEYS");
        Location home = home(env);
        return new Location(home.path().resolve(".picrypt"), home.source() + "/.picrypt");
    }

    /**
     * The home folder as command-line tools take it: $HOME when set to an absolute path (so {@code HOME=/x picrypt ...}
     * in a container or CI job uses /x), else the JVM's user.home (read from the password database).
     */
    static Location home(java.util.Map<String, String> env) {
        String h = env.get("HOME");
        if (h != null && !h.isBlank() && h.startsWith("/")) return new Location(Path.of(h), "$HOME");
        return new Location(Path.of(System.getProperty("user.home")), "the account's home (user.home)");
    }

    public Path dir() { return dir; }

    public boolean hasSecretKey() { return Files.exists(dir.resolve(SECRET_FILE)); }

    public boolean isSealed() {
        try {
            byte[] b = Files.readAllBytes(dir.resolve(SECRET_FILE));
            return b.length >= 4 && Arrays.equals(Arrays.copyOf(b, 4), SEALED_MAGIC);
        } catch (IOException e) {
            return false;
        }
    }

    /** Writes a new secret key; refuses to overwrite an existing one unless {@code overwrite}. */
    public void writeSecretKey(SecretKey sk, char[] passphrase, boolean overwrite) {
        writeKey(SECRET_FILE, sk, passphrase, overwrite);
    }

    public SecretKey readSecretKey(char[] passphrase) {
        return readKey(SECRET_FILE, MatchParameters.get(), passphrase);
    }

    public boolean hasKey(String file) { return Files.exists(dir.resolve(file)); }

    /** Writes a secret key under {@code file} in this directory (0600, sealed when a passphrase is given). */
    public void writeKey(String file, SecretKey sk, char[] passphrase, boolean overwrite) {
        Path f = dir.resolve(file);
        if (Files.exists(f) && !overwrite) {
            throw new ClientException("a secret key already exists in " + dir + " (use --force to replace it; the old key's enrollments become unreadable)");
        }
        byte[] plain = Serializer.writeSecretKey(sk);
        try {
            writePrivate(f, passphrase == null || passphrase.length == 0 ? plain : seal(plain, passphrase));
        } finally {
            Arrays.fill(plain, (byte) 0);
        }
    }

    /** The 1:N gallery basis this directory's gallery was built with ({@link io.picrypt.match.GalleryProjection}, not secret). */
    public static final String GALLERY_BASIS_FILE = "gallery.basis";

    /**
     * The gallery basis every embedding of this directory's gallery is projected with: the recorded copy, or, on first use,
     * {@code pipeline}'s model basis ({@link GalleryBasis#forModel}), recorded now (mode 0600 like every file here). The
     * recorded copy is kept even when the models change: a gallery's templates and probes must share one basis.
     *
     * @param pipeline the face pipeline in use, or null (then only a recorded basis can be returned)
     * @return the basis, or null when none is recorded and {@code pipeline} is null
     * @throws ClientException if the recorded basis is damaged, is not the one config.json records, was derived from another
     *                         model file than {@code pipeline}'s, or is missing and derives again differently
     */
    public io.picrypt.match.GalleryProjection galleryBasis(io.picrypt.face.FacePipeline pipeline) {
        Path f = dir.resolve(GALLERY_BASIS_FILE);
        String pin = pinnedBasis();
        if (Files.exists(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            io.picrypt.match.GalleryProjection p = readBasis(f);
            if (pin != null && !pin.equals(p.fingerprint())) {
                throw new ClientException(f + " is not the gallery basis this key directory's 1:N gallery was built with (its fingerprint "
                        + p.fingerprint() + ", " + CONFIG_FILE + " records " + pin + "): restore it from a backup of the key directory");
            }
            if (pipeline != null && !java.util.HexFormat.of().formatHex(p.modelSha256()).equalsIgnoreCase(pipeline.embeddingSpec().sha256())) {
                throw new ClientException("this key directory's 1:N gallery was built from embeddings of another model file (" + f + " records"
                        + " model SHA-256 " + java.util.HexFormat.of().formatHex(p.modelSha256()) + ", " + pipeline.modelName() + " is "
                        + pipeline.embeddingSpec().sha256() + "): use that model, or enroll every identity again with a new key directory");
            }
            if (pin == null) pinBasis(p.fingerprint());
            return p;
        }
        if (pipeline == null) return null;
        io.picrypt.match.GalleryProjection p = GalleryBasis.forModel(pipeline);
        if (pin != null && !pin.equals(p.fingerprint())) {
            throw new ClientException(f + " is missing, and the basis derived again from " + pipeline.modelName() + " (fingerprint " + p.fingerprint()
                    + ") is not the one this key directory's 1:N gallery was built with (" + CONFIG_FILE + " records " + pin
                    + "): restore " + GALLERY_BASIS_FILE + " from a backup of the key directory");
        }
        try {
            writePrivate(f, p.toBytes());
        } catch (ClientException e) {
            // another process of this key directory recording the same basis at the same moment: use what it wrote
            if (Files.isRegularFile(f)) return galleryBasis(pipeline);
            throw e;
        }
        pinBasis(p.fingerprint());
        return p;
    }

    /** The recorded basis file, checked for what it must be before it is read (a FIFO or a device would hang or exhaust memory). */
    private static io.picrypt.match.GalleryProjection readBasis(Path f) {
        String damaged = "the gallery basis " + f + " is damaged (";
        String fix = "): restore it from a backup of the key directory; without it this key directory's 1:N gallery cannot be searched"
                + " (if no backup exists, delete it: it is derived again from the model, and refused if that gives another basis)";
        try {
            if (!Files.isRegularFile(f)) throw new ClientException(damaged + "not a regular file" + fix);
            long size = Files.size(f);
            if (size != io.picrypt.match.GalleryProjection.FILE_BYTES) {
                throw new ClientException(damaged + size + " bytes instead of " + io.picrypt.match.GalleryProjection.FILE_BYTES + fix);
            }
            return io.picrypt.match.GalleryProjection.read(Files.readAllBytes(f));
        } catch (IOException | io.picrypt.ckks.MalformedFrameException e) {
            throw new ClientException(damaged + e.getMessage() + fix, e);
        }
    }

    /** config.json's record of the gallery basis' fingerprint, or null (no config, or no basis recorded yet). */
    private String pinnedBasis() {
        Path c = dir.resolve(CONFIG_FILE);
        if (!Files.exists(c)) return null;
        try {
            return configJson(c).path(GALLERY_BASIS_PIN).asText(null);
        } catch (IOException e) {
            throw new ClientException("cannot read " + c + ": " + e.getMessage(), e);
        }
    }

    /** Records the basis' fingerprint in config.json (when there is one); a concurrent writer recording the same is fine. */
    private void pinBasis(String fingerprint) {
        Path c = dir.resolve(CONFIG_FILE);
        if (!Files.exists(c)) return;
        try {
            ObjectNode o = (ObjectNode) configJson(c);
            o.put(GALLERY_BASIS_PIN, fingerprint);
            writePrivate(c, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(o));
        } catch (IOException | ClientException | ClassCastException e) {
            org.slf4j.LoggerFactory.getLogger(KeyDirectory.class).debug("gallery basis fingerprint not recorded in {}: {}", c, e.toString());
        }
    }

    /** config.json field: fingerprint of the gallery basis the key directory's gallery is built with. */
    private static final String GALLERY_BASIS_PIN = "gallery_basis";

    /** Reads the secret key stored under {@code file} for the given parameters. */
    public SecretKey readKey(String file, io.picrypt.ckks.CkksParameters params, char[] passphrase) {
        Path f = dir.resolve(file);
        if (!Files.exists(f)) throw new ClientException("no secret key in " + dir + ": run 'picrypt keys init --server URL' first");
        checkPermissions(f);
        byte[] b;
        try {
            b = Files.readAllBytes(f);
        } catch (IOException e) {
            throw new ClientException("cannot read " + f + ": " + e.getMessage(), e);
        }
        if (b.length >= 4 && Arrays.equals(Arrays.copyOf(b, 4), SEALED_MAGIC)) {
            if (passphrase == null || passphrase.length == 0) {
                throw new ClientException("the secret key in " + dir + " is protected by a passphrase: set PICRYPT_PASSPHRASE or use --passphrase");
            }
            b = unseal(b, passphrase);
        }
        try {
            return Serializer.readSecretKey(b, params);
        } catch (CkksException e) {
            throw new ClientException("the secret key in " + f + " is unreadable: " + e.getMessage(), e);
        } finally {
            Arrays.fill(b, (byte) 0);
        }
    }

    /**
     * Key-check value of a secret key: the first 16 bytes of SHA-256("PiCrypt key check v1" 0 | serialized key),
     * as 32 hex digits. It identifies the key (a different key gives a different value except with probability
     * 2^-128) and reveals nothing usable about it (a preimage of SHA-256 would be needed).
     */
    public static String keyCheck(SecretKey sk) {
        byte[] b = Serializer.writeSecretKey(sk);
        try {
            java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
            md.update("PiCrypt key check v1\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            return java.util.HexFormat.of().formatHex(md.digest(b), 0, 16);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        } finally {
            Arrays.fill(b, (byte) 0);
        }
    }

    /** What config.json records about the keys (null fields: a directory made before key checks existed). */
    public record KeyChecks(String keyCheck, String galleryKeyCheck) {}

    /**
     * Refuses a secret key that is not the one this directory's config (and so its keyset) was made with,
     * before any request: e.g. a config.json copied from another key directory or a restored backup of only
     * one of the two files. Directories without recorded key checks (before issue 10) pass here; the answers'
     * key-check headers and range checks still apply.
     *
     * @throws ClientException with what to do
     */
    public void checkKeys(SecretKey sk, SecretKey gallerySk) {
        KeyChecks k = readKeyChecks();
        if (k.keyCheck() != null && !k.keyCheck().equals(keyCheck(sk))) {
            throw new ClientException("the secret key in " + dir.resolve(SECRET_FILE) + " is not the key " + dir.resolve(CONFIG_FILE)
                    + " (keyset " + readConfig().keyset() + ") was created with (key check " + keyCheck(sk) + " vs " + k.keyCheck()
                    + "): restore the matching secret.key, or run 'picrypt keys init --force' for a new keyset and enroll again");
        }
        if (gallerySk != null && k.galleryKeyCheck() != null && !k.galleryKeyCheck().equals(keyCheck(gallerySk))) {
            throw new ClientException("the gallery key in " + dir.resolve(GALLERY_SECRET_FILE) + " is not the key " + dir.resolve(CONFIG_FILE)
                    + " was created with: restore the matching gallery.key, or run 'picrypt keys init --force' and import again");
        }
    }

    private static final String TEMPLATE_CHECKS = "template_checks";

    /**
     * True when this directory's keyset was created with planted template check values (config.json
     * {@code "template_checks": "required"}, written by 'keys init' since they exist): a verify answer over a template
     * without them is then a substitution, not an old enrollment. False for older directories (warned, not refused).
     */
    public boolean templateChecksRequired() {
        Path f = dir.resolve(CONFIG_FILE);
        if (!Files.exists(f)) return false;
        try {
            return "required".equals(configJson(f).path(TEMPLATE_CHECKS).asText(null));
        } catch (IOException e) {
            throw new ClientException("cannot read " + f + ": " + e.getMessage(), e);
        }
    }

    public KeyChecks readKeyChecks() {
        Path f = dir.resolve(CONFIG_FILE);
        if (!Files.exists(f)) return new KeyChecks(null, null);
        try {
            var n = configJson(f);
            return new KeyChecks(n.hasNonNull("key_check") ? n.get("key_check").asText() : null,
                    n.hasNonNull("gallery_key_check") ? n.get("gallery_key_check").asText() : null);
        } catch (IOException e) {
            throw new ClientException("cannot read " + f + ": " + e.getMessage(), e);
        }
    }

    public void writeConfig(ClientConfig c) {
        writeConfig(c, new KeyChecks(null, null));
    }

    /**
     * The config of a new keyset with the key-check values of the directory's keys (written by 'keys init'). It also
     * records that every 1:1 template of the keyset carries planted check values ({@link #templateChecksRequired()}):
     * a keyset made now is enrolled only by clients that plant them.
     */
    public void writeConfig(ClientConfig c, KeyChecks checks) {
        ObjectNode o = JSON.createObjectNode().put("server", c.server().toString()).put("keyset", c.keyset())
                .put("token", c.token()).put("params", c.params());
        if (checks.keyCheck() != null) {
            o.put("key_check", checks.keyCheck());
            o.put(TEMPLATE_CHECKS, "required");
        }
        if (checks.galleryKeyCheck() != null) o.put("gallery_key_check", checks.galleryKeyCheck());
        String pin = pinnedBasis(); // the basis file stays, and so does its record
        if (pin != null) o.put(GALLERY_BASIS_PIN, pin);
        try {
            writePrivate(dir.resolve(CONFIG_FILE), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(o));
        } catch (IOException e) {
            throw new ClientException("cannot write the configuration: " + e.getMessage(), e);
        }
    }

    /**
     * config.json parsed; a file that is not JSON is a ClientException that says where and what to do (Jackson's own
     * message names its internals and holds a line break).
     */
    private static com.fasterxml.jackson.databind.JsonNode configJson(Path f) throws IOException {
        try {
            return JSON.readTree(f.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            var at = e.getLocation();
            throw new ClientException(f + " is not valid JSON" + (at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")")
                    + ": restore it from a backup of the key directory, or make a new keyset with 'picrypt keys init --force'", e);
        }
    }

    public ClientConfig readConfig() {
        Path f = dir.resolve(CONFIG_FILE);
        if (!Files.exists(f)) throw new ClientException("no " + CONFIG_FILE + " in " + dir + ": run 'picrypt keys init --server URL' first");
        checkPermissions(f);
        try {
            var n = configJson(f);
            return new ClientConfig(URI.create(n.path("server").asText()), text(n, "keyset"), text(n, "token"), text(n, "params"));
        } catch (IOException | IllegalArgumentException e) {
            throw new ClientException("cannot read " + f + ": " + e.getMessage(), e);
        }
    }

    private static String text(com.fasterxml.jackson.databind.JsonNode n, String field) {
        String v = n.path(field).asText("");
        if (v.isEmpty()) throw new IllegalArgumentException("missing '" + field + "'");
        return v;
    }

    /** Our files must not be readable by anyone else: refuse to use them otherwise (as ssh does). */
    private static void checkPermissions(Path f) {
        checkDirectory(f.toAbsolutePath().getParent());
        try {
            Set<PosixFilePermission> p = Files.getPosixFilePermissions(f);
            for (PosixFilePermission x : p) {
                if (x.name().startsWith("GROUP") || x.name().startsWith("OTHERS")) {
                    throw new ClientException(f + " is accessible by other users (mode " + PosixFilePermissions.toString(p)
                            + "); run: chmod 600 " + f);
                }
            }
        } catch (UnsupportedOperationException | IOException ignored) {
            // not a POSIX file system: nothing to check
        }
    }

    /**
     * The key directory must not be writable by anyone else: another user could replace the key or the
     * configuration (and with it the server the client trusts) even when every file is 0600.
     */
    static void checkDirectory(Path d) {
        if (d == null || !Files.isDirectory(d)) return;
        try {
            Set<PosixFilePermission> p = Files.getPosixFilePermissions(d);
            if (p.contains(PosixFilePermission.GROUP_WRITE) || p.contains(PosixFilePermission.OTHERS_WRITE)) {
                throw new ClientException("the key directory " + d + " is writable by other users (mode " + PosixFilePermissions.toString(p)
                        + "); run: chmod 700 " + d);
            }
        } catch (UnsupportedOperationException | IOException ignored) {
            // not a POSIX file system: nothing to check
        }
    }

    private void writePrivate(Path target, byte[] content) {
        checkDirectory(dir);
        try {
            if (!Files.isDirectory(dir)) {
                try {
                    Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(DIR_MODE));
                } catch (UnsupportedOperationException e) {
                    Files.createDirectories(dir);
                }
            }
            Path tmp = dir.resolve(target.getFileName() + ".tmp");
            Files.deleteIfExists(tmp);
            try {
                Files.createFile(tmp, PosixFilePermissions.asFileAttribute(FILE_MODE));
            } catch (UnsupportedOperationException e) {
                Files.createFile(tmp);
            } catch (FileAlreadyExistsException e) {
                throw new IOException("concurrent write of " + tmp, e);
            }
            try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.wrap(content));
                ch.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new ClientException("cannot write " + target + ": " + e.getMessage(), e);
        }
    }

    // "PCSE" | version 1 | salt(16) | iv(12) | AES-GCM(ciphertext + tag)
    static byte[] seal(byte[] plain, char[] passphrase) {
        SecureRandom rnd = new SecureRandom();
        byte[] salt = new byte[16], iv = new byte[12];
        rnd.nextBytes(salt);
        rnd.nextBytes(iv);
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, derive(passphrase, salt), new GCMParameterSpec(128, iv));
            c.updateAAD(SEALED_MAGIC);
            byte[] enc = c.doFinal(plain);
            return new io.picrypt.ckks.FrameWriter("PCSE", 1, 4 + 1 + 16 + 12 + enc.length).bytes(salt).bytes(iv).bytes(enc).toByteArray();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM unavailable", e);
        }
    }

    static byte[] unseal(byte[] sealed, char[] passphrase) {
        byte[] salt, iv;
        try {
            io.picrypt.ckks.FrameReader r = io.picrypt.ckks.FrameReader.open(sealed, "PCSE", 1, "sealed secret key");
            r.need(16 + 12 + 16); // salt, IV, and at least the GCM tag
            salt = r.bytes(16);
            iv = r.bytes(12);
        } catch (io.picrypt.ckks.MalformedFrameException e) {
            throw new ClientException("the sealed secret key file is damaged: " + e.getMessage());
        }
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, derive(passphrase, salt), new GCMParameterSpec(128, iv));
            c.updateAAD(SEALED_MAGIC);
            return c.doFinal(sealed, 33, sealed.length - 33);
        } catch (javax.crypto.AEADBadTagException e) {
            throw new ClientException("wrong passphrase for the secret key (or the key file was modified)");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM unavailable", e);
        }
    }

    private static SecretKeySpec derive(char[] passphrase, byte[] salt) throws GeneralSecurityException {
        PBEKeySpec spec = new PBEKeySpec(passphrase, salt, PBKDF2_ITERATIONS, 256);
        try {
            byte[] k = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
            return new SecretKeySpec(k, "AES");
        } finally {
            spec.clearPassword();
        }
    }
}
