package io.picrypt.cli;

import io.picrypt.client.ClientConfig;
import io.picrypt.client.KeyDirectory;
import io.picrypt.client.PiCryptClient;
import io.picrypt.match.MatchClient;
import io.picrypt.match.MatchParameters;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.net.URI;
import java.util.concurrent.Callable;

@Command(name = "keys", mixinStandardHelpOptions = true,
        description = "Create the client's CKKS keys and register a keyset with a server.",
        subcommands = {KeysCommand.Init.class, KeysCommand.Show.class})
final class KeysCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(System.err);
        return Main.EXIT_ERROR;
    }

    @Command(name = "init", mixinStandardHelpOptions = true,
            description = {"Generate a secret key locally (never sent anywhere), register a keyset with the server and record",
                    "server URL, keyset id and access token in the key directory (files mode 0600)."})
    static final class Init implements Callable<Integer> {
        @Mixin
        ClientOptions client;

        @Option(names = "--force", description = "replace an existing key (its enrollments become unreadable)")
        boolean force;

        @Override
        public Integer call() {
            URI server = client.serverOverride();
            if (server == null) throw new IllegalArgumentException("give the server: picrypt keys init --server http://host:4567");
            KeyDirectory dir = client.directory();
            if (dir.hasSecretKey() && !force) {
                throw new IllegalArgumentException("a key already exists in " + dir.dir() + " (--force replaces it; its enrollments become unreadable)");
            }
            String params = MatchParameters.get().fingerprintHex();
            String registration = System.getenv("PICRYPT_REGISTRATION_TOKEN");
            // keys first: the keyset records their key-check values, so a key directory whose secret key does not
            // belong to it is refused (docs/PROTOCOL.md "Integrity")
            var sk = MatchClient.generateSecretKey();
            var gallerySk = io.picrypt.match.GalleryClient.generateSecretKey();
            var checks = new KeyDirectory.KeyChecks(KeyDirectory.keyCheck(sk), KeyDirectory.keyCheck(gallerySk));
            PiCryptClient.Keyset ks = PiCryptClient.createKeyset(server, params, registration == null || registration.isBlank() ? null : registration,
                    checks.keyCheck(), checks.galleryKeyCheck());
            dir.writeSecretKey(sk, client.passphrase(), force);
            dir.writeConfig(new ClientConfig(server, ks.id(), ks.token(), ks.params()), checks);
            // the bulk 1:N gallery: a second key whose expansion (Galois) keys the server needs to evaluate
            byte[] evalKeys = new io.picrypt.match.GalleryClient(gallerySk).evaluationKeys();
            new PiCryptClient(server, ks.id(), ks.token()).uploadGalleryKeys(evalKeys);
            dir.writeKey(io.picrypt.client.KeyDirectory.GALLERY_SECRET_FILE, gallerySk, client.passphrase(), force);
            System.out.println("secret key:  " + dir.dir().resolve(KeyDirectory.SECRET_FILE) + " (mode 0600"
                    + (client.passphrase() != null ? ", passphrase-protected" : "") + "; never leaves this machine)");
            System.out.println("gallery:     evaluation keys for the bulk 1:N gallery uploaded (" + String.format("%,d", evalKeys.length) + " bytes; no secret)");
            System.out.println("server:      " + server);
            System.out.println("keyset:      " + ks.id());
            System.out.println("token:       " + ks.token() + "  (shown once; stored in " + dir.dir().resolve(KeyDirectory.CONFIG_FILE) + ")");
            return 0;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Show the key directory's server, keyset and parameters (not the token).")
    static final class Show implements Callable<Integer> {
        @Mixin
        ClientOptions client;

        @Override
        public Integer call() {
            KeyDirectory dir = client.directory();
            ClientConfig c = client.config();
            System.out.println("key directory: " + dir.dir() + (dir.isSealed() ? " (secret key passphrase-protected)" : ""));
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
            return 0;
        }
    }
}
