package io.picrypt.cli;

import io.picrypt.client.ClientConfig;
import io.picrypt.client.KeyDirectory;
import io.picrypt.client.KeysetSetup;
import io.picrypt.client.PiCryptClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.net.URI;
import java.util.concurrent.Callable;

@Command(name = "keys", mixinStandardHelpOptions = true,
        description = "Create the client's CKKS keys and register a keyset with a server.",
        subcommands = {KeysCommand.Init.class, KeysCommand.Show.class})
final class KeysCommand extends CommandGroup {
    @Command(name = "init", mixinStandardHelpOptions = true,
            description = {"Generate a secret key locally (never sent anywhere), register a keyset with the server and record",
                    "server URL, keyset id and access token in the key directory (files mode 0600)."})
    static final class Init implements Callable<Integer> {
        @Mixin
        ClientOptions client;

        @Option(names = "--force", description = "replace an existing key (its enrollments become unreadable)")
        boolean force;

        @Option(names = "--delete-old", description = "with --force: delete the replaced key's keyset (and all its data) from its server first")
        boolean deleteOld;

        @Option(names = "--keep-old", description = "with --force: leave the replaced key's keyset on its server (stored, unreadable without the old key)")
        boolean keepOld;

        @Override
        public Integer call() {
            URI server = client.serverOverride();
            if (server == null) throw new IllegalArgumentException("give the server: picrypt keys init --server http://host:4567");
            KeyDirectory dir = client.directory();
            if (dir.hasSecretKey() && !force) {
                throw new IllegalArgumentException("a key already exists in " + dir.dir() + " (--force replaces it; its enrollments become unreadable)");
            }
            if (deleteOld && keepOld) throw new IllegalArgumentException("--delete-old and --keep-old exclude each other");
            if ((deleteOld || keepOld) && !force) throw new IllegalArgumentException("--delete-old and --keep-old go with --force");
            checkNewPassphrase();
            String replaced = force ? oldKeyset(dir) : null;
            // keys first: the keyset records their key-check values, so a key directory whose secret key does not
            // belong to it is refused (docs/PROTOCOL.md "Integrity"); nothing is written here until the server has all
            KeysetSetup.Keys keys = KeysetSetup.create(server, System.getenv("PICRYPT_REGISTRATION_TOKEN"), true);
            keys.writeTo(dir, client.passphrase(), force);
            PiCryptClient.Keyset ks = keys.keyset();
            System.out.println("secret key:  " + dir.dir().resolve(KeyDirectory.SECRET_FILE) + " (mode 0600"
                    + (client.passphrase() != null ? ", passphrase-protected" : "") + "; never leaves this machine)");
            System.out.println("gallery:     evaluation keys for the bulk 1:N gallery uploaded (" + String.format("%,d", keys.evaluationKeyBytes()) + " bytes; no secret)");
            System.out.println("server:      " + server);
            System.out.println("keyset:      " + ks.id());
            System.out.println("token:       " + ks.token() + "  (shown once; stored in " + dir.dir().resolve(KeyDirectory.CONFIG_FILE) + ")");
            if (replaced != null) System.out.println("replaced:    " + replaced);
            return 0;
        }

        /**
         * A passphrase asked for must protect the key: an empty one (Enter at the prompt, or --passphrase=) is refused,
         * not taken as "no passphrase"; typed at a terminal it is asked twice, since it is the only way back to the key.
         * Before anything is created.
         */
        private void checkNewPassphrase() {
            if (client.passphrase == null) return; // not asked for: $PICRYPT_PASSPHRASE or none
            if (client.passphrase.length == 0) {
                throw new IllegalArgumentException("an empty passphrase protects nothing: type one, or leave out --passphrase to store the key"
                        + " without one (mode 0600)");
            }
            java.io.Console console = System.console();
            if (console == null) return;
            char[] again = console.readPassword("Repeat the passphrase: ");
            if (again == null || !java.util.Arrays.equals(again, client.passphrase)) {
                throw new IllegalArgumentException("the two passphrases differ; nothing was created");
            }
        }

        /**
         * The keyset of the key being replaced: deleted from its server (--delete-old) or left there (--keep-old);
         * without either, while it still exists, nothing is changed and the user is asked to choose. Returns a line
         * saying what happened to it, or null when there was none.
         */
        private String oldKeyset(KeyDirectory dir) {
            ClientConfig old;
            try {
                old = dir.readConfig();
            } catch (RuntimeException e) {
                return null; // no (readable) record of an old keyset: nothing to delete or to leave behind
            }
            String where = "keyset " + old.keyset() + " on " + old.server();
            PiCryptClient http = new PiCryptClient(old);
            String size;
            try {
                var info = http.keysetInfo();
                size = info.path("identities").asInt() + " identities, " + http.galleryInfo().path("identities").asInt() + " in the 1:N gallery";
            } catch (io.picrypt.client.ClientException e) {
                if (e.status() == 404 || e.status() == 403) return "the old " + where + " no longer exists there";
                if (keepOld) return "the old " + where + " was left there (not reachable now: " + e.getMessage() + ")";
                throw new IllegalArgumentException("cannot reach the server of the key being replaced (" + where + "): " + e.getMessage()
                        + "; nothing was changed. Add --keep-old to replace the key anyway and leave that keyset there");
            }
            if (deleteOld) {
                http.deleteKeyset();
                return "the old " + where + " (" + size + ") was deleted from its server";
            }
            if (keepOld) return "the old " + where + " (" + size + ") was left there, stored but unreadable without the old key";
            throw new IllegalArgumentException("the key being replaced has " + where + " (" + size + "); nothing was changed. Add --delete-old to"
                    + " delete it from that server first, or --keep-old to leave it there (stored, unreadable without the old key)");
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Show the key directory's server, keyset and parameters (not the token).")
    static final class Show implements Callable<Integer> {
        @Mixin
        ClientOptions client;

        @Override
        public Integer call() {
            KeyDirectory.Location where = client.location();
            KeyDirectory dir = new KeyDirectory(where.path());
            System.out.println("key directory: " + dir.dir().toAbsolutePath() + " (from " + where.source() + ")"
                    + (dir.isSealed() ? " (secret key passphrase-protected)" : ""));
            ClientConfig c = client.config();
            System.out.println("server:        " + c.server() + (PiCryptClient.healthy(c.server()) ? " (up)" : " (not reachable)"));
            System.out.println("keyset:        " + c.keyset());
            System.out.println("parameters:    " + c.params());
            KeyDirectory.KeyChecks k = dir.readKeyChecks();
            System.out.println("key check:     " + (k.keyCheck() == null ? "none recorded (key directory made before key checks)" : k.keyCheck()));
            // the secret key itself is checked against the recorded value (wrong key: error, exit 2)
            var gallerySk = dir.hasKey(KeyDirectory.GALLERY_SECRET_FILE)
                    ? dir.readKey(KeyDirectory.GALLERY_SECRET_FILE, io.picrypt.match.GalleryParameters.get(), client.passphrase()) : null;
            dir.checkKeys(dir.readSecretKey(client.passphrase()), gallerySk);
            if (k.keyCheck() != null) System.out.println("               the secret key matches it");
            if (gallerySk == null) {
                System.out.println("1:N gallery:   no gallery key ('picrypt gallery init' adds one)");
            } else {
                // the recorded basis is read and checked (size, form, the fingerprint config.json pins): damage is an error
                io.picrypt.match.GalleryProjection basis = dir.galleryBasis(null);
                System.out.println("1:N gallery:   gallery key present; basis " + (basis == null
                        ? "not recorded yet (derived from the model on the first 1:N use)"
                        : basis.fingerprint() + " in " + KeyDirectory.GALLERY_BASIS_FILE + " (back it up with the keys)"));
            }
            return 0;
        }
    }
}
