package io.picrypt.http;

import spark.Route;
import spark.Service;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Registers routes on a spark {@link Service} and remembers each one with the largest body it accepts, so the
 * server's body gate, its docs test (every route in docs/openapi.yaml and back) and the routes themselves read one
 * table. Templates are {@link ApiPaths} templates ({@code {param}}).
 */
public final class RouteTable {
    /** One registered route: upper-case method, {@code {param}} template, body limit in bytes (-1: the table's default). */
    public record Entry(String method, String template, long bodyLimit) {
        /** True when {@code path} (decoded, e.g. {@code /v1/keysets/abc/identify}) is this template's shape. */
        boolean matches(String path) {
            String[] t = template.split("/", -1), p = path.split("/", -1);
            if (t.length != p.length) return false;
            for (int i = 0; i < t.length; i++) {
                boolean param = t[i].startsWith("{");
                if (param ? p[i].isEmpty() : !t[i].equals(p[i])) return false;
            }
            return true;
        }
    }

    private final Service http;
    private final List<Entry> entries = new ArrayList<>();

    /** @param http the service to register on, or null to only record (for tests of the table itself) */
    public RouteTable(Service http) { this.http = http; }

    public RouteTable get(String template, Route route) { return add("GET", template, -1, route); }

    public RouteTable delete(String template, Route route) { return add("DELETE", template, -1, route); }

    public RouteTable post(String template, long bodyLimit, Route route) { return add("POST", template, bodyLimit, route); }

    public RouteTable put(String template, long bodyLimit, Route route) { return add("PUT", template, bodyLimit, route); }

    private synchronized RouteTable add(String method, String template, long bodyLimit, Route route) {
        entries.add(new Entry(method, template, bodyLimit));
        if (http != null) {
            String p = ApiPaths.pattern(template);
            switch (method) {
                case "GET" -> http.get(p, route);
                case "POST" -> http.post(p, route);
                case "PUT" -> http.put(p, route);
                case "DELETE" -> http.delete(p, route);
                default -> throw new IllegalArgumentException(method);
            }
        }
        return this;
    }

    /** Every registered route, in registration order. */
    public synchronized List<Entry> entries() { return List.copyOf(entries); }

    /**
     * The body limit of the route {@code method path} would reach, or {@code otherwise} when none matches (an unknown
     * route answers 404 once its body is in) or the route declares none (GET, DELETE). A literal segment wins over a
     * parameter.
     */
    public synchronized long bodyLimit(String method, String path, long otherwise) {
        String m = method.toUpperCase(Locale.ROOT);
        Entry best = null;
        for (Entry e : entries) {
            if (!e.method().equals(m) || !e.matches(path)) continue;
            if (best == null || literals(e) > literals(best)) best = e;
        }
        return best == null || best.bodyLimit() < 0 ? otherwise : best.bodyLimit();
    }

    private static int literals(Entry e) {
        int n = 0;
        for (String s : e.template().split("/")) if (!s.startsWith("{")) n++;
        return n;
    }
}
