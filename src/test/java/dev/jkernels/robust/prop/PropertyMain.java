package dev.jkernels.robust.prop;

/**
 * The child JVM of the sanitizer runs: {@code PropertyMain <property>} runs one property with the
 * runner's settings (passed as system properties) and prints {@code [props-child] cases N}; a
 * failing case exits 1 with its report, a kernel's memory error kills the process under ASan
 * (which the parent, {@link SanitizedChild}, reports with the last launch).
 */
public final class PropertyMain {
    private PropertyMain() {}

    public static void main(String[] args) {
        if (args.length != 1) {
            System.err.println("usage: PropertyMain <" + String.join("|", BackendProperties.NAMES) + "|planted-oob>");
            System.exit(2);
        }
        try {
            long cases = BackendProperties.run(args[0]);
            System.out.println("[props-child] cases " + cases);
            System.out.flush();
            System.exit(0);
        } catch (Throwable t) {
            t.printStackTrace();
            System.err.flush();
            System.exit(1);
        }
    }
}
