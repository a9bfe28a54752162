package dev.jkernels;

import java.util.Locale;

/**
 * How jkernels reads its settings: a system property first, else an environment variable, and
 * strict parsing, so that a typo fails loudly instead of meaning something else.
 */
public final class Settings {
    private Settings() {}

    /** What {@link #parseBoolean} accepts, in the order its error message lists them. */
    public static final String BOOLEAN_VALUES = "1/0, true/false, yes/no, on/off";

    /** The system property {@code property} if set, else the environment variable {@code env}; null when neither is. */
    public static String raw(String property, String env) {
        String v = property == null ? null : System.getProperty(property);
        return v != null ? v : env == null ? null : System.getenv(env);
    }

    /**
     * A boolean setting: {@code property} or {@code env}, {@code fallback} when neither is set (or blank).
     *
     * @throws IllegalArgumentException for any value but {@value #BOOLEAN_VALUES} (any case)
     */
    public static boolean flag(String property, String env, boolean fallback) {
        String v = raw(property, env);
        if (v == null || v.isBlank()) return fallback;
        String source = property != null && System.getProperty(property) != null ? property : env;
        return parseBoolean(source, v);
    }

    /**
     * Exactly {@code 1, true, yes, on} (true) and {@code 0, false, no, off} (false), ignoring case
     * and surrounding blanks.
     *
     * @param name the setting's name, for the message
     * @throws IllegalArgumentException for anything else (null included), listing the accepted values
     */
    public static boolean parseBoolean(String name, String value) {
        String v = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
        switch (v) {
            case "1", "true", "yes", "on": return true;
            case "0", "false", "no", "off": return false;
            default:
                throw new IllegalArgumentException(name + ": expected a boolean (" + BOOLEAN_VALUES + "), got '" + value + "'");
        }
    }

    /**
     * A byte count: a plain number of bytes, or one with a binary suffix k, m, g, t (KiB … TiB,
     * case-insensitive, an optional trailing "b" or "ib"): {@code 4g}, {@code 512MiB}, {@code 1073741824}.
     *
     * @throws IllegalArgumentException for anything else, or a count that is not positive or overflows a long
     */
    public static long parseBytes(String name, String value) {
        if (value == null) throw new IllegalArgumentException(name + ": expected a byte count such as 4g or 512m, got null");
        String v = value.trim().toLowerCase(Locale.ROOT);
        if (v.endsWith("ib")) v = v.substring(0, v.length() - 2);
        else if (v.endsWith("b")) v = v.substring(0, v.length() - 1);
        int shift = 0;
        if (!v.isEmpty()) {
            switch (v.charAt(v.length() - 1)) {
                case 'k' -> shift = 10;
                case 'm' -> shift = 20;
                case 'g' -> shift = 30;
                case 't' -> shift = 40;
                default -> shift = -1;
            }
            if (shift >= 0) v = v.substring(0, v.length() - 1).trim();
            else shift = 0;
        }
        try {
            long n = Long.parseLong(v);
            if (n < 1) throw new NumberFormatException();
            if (n > (Long.MAX_VALUE >> shift)) throw new ArithmeticException();
            return n << shift;
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException(name + ": expected a positive byte count such as 4g, 512m or 1073741824, got '"
                    + value + "'");
        }
    }
}
