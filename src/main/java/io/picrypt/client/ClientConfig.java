package io.picrypt.client;

import java.net.URI;

/** What a key directory records besides the secret key: where the server is and which keyset is ours. */
public record ClientConfig(URI server, String keyset, String token, String params) {
    public ClientConfig {
        if (server == null) throw new IllegalArgumentException("server URL missing");
        String scheme = server.getScheme();
        if (!"http".equals(scheme) && !"https".equals(scheme)) throw new IllegalArgumentException("server URL must be http:// or https://, got " + server);
    }

    public ClientConfig withServer(URI s) { return new ClientConfig(s, keyset, token, params); }
}
